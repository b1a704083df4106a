using Backprop.NN;

namespace Backprop.Tests.NN;

public class InitTests
{
    private static (double Mean, double Std) Stats(Tensor t)
    {
        var v = t.ToArray();
        double mean = v.Average();
        return (mean, Math.Sqrt(v.Select(x => (x - mean) * (x - mean)).Average()));
    }

    [Fact]
    public void FansFollowPyTorch()
    {
        Assert.Equal((784, 256), Init.CalculateFanInAndFanOut(Tensor.Zeros(256, 784)));
        Assert.Equal((3 * 5 * 5, 16 * 5 * 5), Init.CalculateFanInAndFanOut(Tensor.Zeros(16, 3, 5, 5)));
        Assert.Equal((4 * 7, 2 * 7), Init.CalculateFanInAndFanOut(Tensor.Zeros(2, 4, 7)));
        var ex = Assert.Throws<ArgumentException>(() => Init.CalculateFanInAndFanOut(Tensor.Zeros(5)));
        Assert.Contains("(5)", ex.Message);
    }

    [Fact]
    public void GainsFollowPyTorch()
    {
        Assert.Equal(1.0, Init.CalculateGain(Nonlinearity.Linear));
        Assert.Equal(1.0, Init.CalculateGain(Nonlinearity.Sigmoid));
        Assert.Equal(1.0, Init.CalculateGain(Nonlinearity.Conv2d));
        Assert.Equal(5.0 / 3, Init.CalculateGain(Nonlinearity.Tanh));
        Assert.Equal(Math.Sqrt(2), Init.CalculateGain(Nonlinearity.Relu));
        Assert.Equal(Math.Sqrt(2 / (1 + 0.0001)), Init.CalculateGain(Nonlinearity.LeakyRelu), 15);
        Assert.Equal(Math.Sqrt(2 / 1.04), Init.CalculateGain(Nonlinearity.LeakyRelu, 0.2), 15);
        Assert.Equal(Math.Sqrt(2), Init.CalculateGain(Nonlinearity.LeakyRelu, 0), 15);
        Assert.Equal(0.75, Init.CalculateGain(Nonlinearity.Selu));
    }

    [Fact]
    public void XavierUniformBoundAndVariance()
    {
        var t = Tensor.Zeros([300, 200], DType.Float64);
        Assert.Same(t, Init.XavierUniform(t, gain: 2, generator: new Generator(1)));
        double std = 2 * Math.Sqrt(2.0 / 500);
        double bound = Math.Sqrt(3) * std;
        Assert.All(t.ToArray(), v => Assert.InRange(v, -bound, bound));
        var (mean, actualStd) = Stats(t);
        Assert.InRange(mean, -0.01 * std, 0.01 * std + 0.01);
        Assert.Equal(std, actualStd, std * 0.02);
    }

    [Fact]
    public void XavierNormalStd()
    {
        var t = Init.XavierNormal(Tensor.Zeros([300, 200], DType.Float64), generator: new Generator(2));
        var (mean, std) = Stats(t);
        Assert.Equal(0, mean, 0.003);
        Assert.Equal(Math.Sqrt(2.0 / 500), std, 0.02 * Math.Sqrt(2.0 / 500));
    }

    [Fact]
    public void KaimingUniformUsesFanAndGain()
    {
        // relu, fan_in = 50·3·3 = 450: bound = √3·√2/√450.
        var t = Init.KaimingUniform(Tensor.Zeros([64, 50, 3, 3], DType.Float64), nonlinearity: Nonlinearity.Relu, generator: new Generator(3));
        double bound = Math.Sqrt(3) * Math.Sqrt(2) / Math.Sqrt(450);
        var v = t.ToArray();
        Assert.All(v, x => Assert.InRange(x, -bound, bound));
        Assert.True(v.Max() > 0.99 * bound && v.Min() < -0.99 * bound);
        Assert.Equal(bound / Math.Sqrt(3), Stats(t).Std, bound * 0.02);

        var fanOut = Init.KaimingUniform(Tensor.Zeros([64, 50], DType.Float64), mode: FanMode.FanOut, nonlinearity: Nonlinearity.Relu, generator: new Generator(4));
        double outBound = Math.Sqrt(6.0 / 64);
        Assert.All(fanOut.ToArray(), x => Assert.InRange(x, -outBound, outBound));
        Assert.True(fanOut.ToArray().Max() > 0.95 * outBound);
    }

    [Fact]
    public void KaimingNormalStd()
    {
        var t = Init.KaimingNormal(Tensor.Zeros([400, 250], DType.Float64), nonlinearity: Nonlinearity.Relu, generator: new Generator(5));
        double std = Math.Sqrt(2.0 / 250);
        Assert.Equal(std, Stats(t).Std, std * 0.02);
    }

    [Fact]
    public void UniformNormalConstantZeros()
    {
        var u = Init.Uniform(Tensor.Zeros([10000], DType.Float64), -3, 5, new Generator(6));
        Assert.All(u.ToArray(), v => Assert.InRange(v, -3, 5));
        Assert.Equal(1, Stats(u).Mean, 0.1);

        var n = Init.Normal(Tensor.Zeros([10000], DType.Float64), 2, 0.5, new Generator(7));
        Assert.Equal(2, Stats(n).Mean, 0.02);
        Assert.Equal(0.5, Stats(n).Std, 0.02);

        var c = Tensor.Ones([2, 3]).RequiresGrad_();
        Assert.Same(c, Init.Constant(c, 0.25));
        Assert.All(c.ToArray(), v => Assert.Equal(0.25, v));
        Assert.Null(c.GradFn);
        Assert.All(Init.Zeros(c).ToArray(), v => Assert.Equal(0, v));
    }

    [Fact]
    public void SameGeneratorSeedGivesSameValues()
    {
        var a = Init.XavierUniform(Tensor.Zeros(5, 5), generator: new Generator(9));
        var b = Init.XavierUniform(Tensor.Zeros(5, 5), generator: new Generator(9));
        Assert.Equal(a.ToArray(), b.ToArray());
    }
}
