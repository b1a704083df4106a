using Backprop.NN;

namespace Backprop.Tests.NN;

public class DropoutTests
{
    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.8)]
    public void TrainingZeroesAboutPAndScalesSurvivors(double p)
    {
        var dropout = new Dropout(p, new Generator(7));
        var x = Tensor.Ones(200, 100);
        var y = dropout.Forward(x).ToArray();

        double zeroed = y.Count(v => v == 0) / (double)y.Length;
        // Binomial standard deviation √(p(1−p)/n) ≤ 0.0036 for n = 20000; allow 5 of them.
        Assert.InRange(zeroed, p - 0.018, p + 0.018);
        Assert.All(y, v => Assert.True(v == 0 || Math.Abs(v - (1 / (1 - p))) < 1e-6, $"unexpected value {v}"));
    }

    [Fact]
    public void GradientIsTheSameMaskAsTheForward()
    {
        var dropout = new Dropout(0.5, new Generator(1));
        var x = Tensor.Ones([4, 8], DType.Float64, requiresGrad: true);
        var y = dropout.Forward(x);
        y.Sum().Backward();
        Assert.Equal(y.ToArray(), x.Grad!.ToArray());
        Assert.Contains(0.0, x.Grad.ToArray());
        Assert.Contains(2.0, x.Grad.ToArray());
    }

    [Fact]
    public void EvalModeIsTheIdentity()
    {
        var model = new Sequential(new Dropout(0.9), new Identity());
        model.Eval();
        var x = Tensor.Rand([5, 5], new Generator(2));
        Assert.Same(x, model.Forward(x));
        model.Train();
        Assert.NotEqual(x.ToArray(), model.Forward(x).ToArray());
    }

    [Fact]
    public void EdgeProbabilitiesAndValidation()
    {
        var x = Tensor.Ones(3, 3);
        Assert.Same(x, F.Dropout(x, 0));
        Assert.All(F.Dropout(x, 1).ToArray(), v => Assert.Equal(0, v));
        Assert.Same(x, F.Dropout(x, 0.5, training: false));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.Dropout(x, -0.1));
    }

    [Fact]
    public void SeededGeneratorsGiveTheSameMask()
    {
        var x = Tensor.Ones(10, 10);
        var a = new Dropout(0.5, new Generator(3)).Forward(x).ToArray();
        var b = new Dropout(0.5, new Generator(3)).Forward(x).ToArray();
        Assert.Equal(a, b);
    }
}
