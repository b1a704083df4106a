using Backprop.NN;

namespace Backprop.Tests.NN;

public class LinearTests
{
    [Fact]
    public void ForwardMatchesHandComputation()
    {
        var linear = new Linear(3, 2, dtype: DType.Float64);
        linear.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.FromArray(new double[,] { { 1, 2, 3 }, { -1, 0.5, 0 } }),
            ["bias"] = Tensor.FromArray(new double[] { 0.25, -2 }),
        });
        var x = Tensor.FromArray(new double[,] { { 1, 1, 1 }, { 2, -1, 0.5 } });

        var y = linear.Forward(x);

        // y[n, o] = Σᵢ x[n, i]·W[o, i] + b[o]
        Assert.Equal([2, 2], y.Shape);
        Assert.Equal([6.25, -2.5, 1.75, -4.5], y.ToArray());
    }

    [Fact]
    public void ForwardAppliesOverTheLastDimensionOfHigherRankInput()
    {
        var linear = new Linear(4, 3, generator: new Generator(3), dtype: DType.Float64);
        var x = Tensor.Rand([2, 5, 4], new Generator(4), DType.Float64);
        var y = linear.Forward(x);
        Assert.Equal([2, 5, 3], y.Shape);
        var row = linear.Forward(x[1, 2].Unsqueeze(0));
        NNAssert.Close(row.ToArray(), y[1, 2].ToArray(), 1e-12);
    }

    [Fact]
    public void GradCheckPassesForInputWeightAndBias()
    {
        var g = new Generator(11);
        var x = Tensor.Randn([4, 3], g, DType.Float64, requiresGrad: true);
        var w = Tensor.Randn([2, 3], g, DType.Float64, requiresGrad: true);
        var b = Tensor.Randn([2], g, DType.Float64, requiresGrad: true);

        var result = GradCheck.Check(t => F.Linear(t[0], t[1], t[2]), x, w, b);

        Assert.True(result.Passed, result.ToString());
        Assert.Equal(3, result.Inputs.Count);
    }

    [Fact]
    public void GradCheckPassesThroughTheModule()
    {
        var linear = new Linear(3, 2, generator: new Generator(5), dtype: DType.Float64);
        var x = Tensor.Randn([4, 3], new Generator(6), DType.Float64, requiresGrad: true);
        var result = GradCheck.Check(t => linear.Forward(t[0]).Tanh(), x, linear.Weight, linear.Bias!);
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void BackwardFillsParameterGradients()
    {
        var linear = new Linear(2, 1, dtype: DType.Float64);
        var x = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } });
        linear.Forward(x).Sum().Backward();
        Assert.Equal([4.0, 6], linear.Weight.Grad!.ToArray());
        Assert.Equal([2.0], linear.Bias!.Grad!.ToArray());
    }

    [Fact]
    public void DefaultInitIsUniformWithinOneOverSqrtInFeatures()
    {
        var linear = new Linear(100, 50, generator: new Generator(0));
        double bound = 1 / Math.Sqrt(100);
        var w = linear.Weight.ToArray();
        var b = linear.Bias!.ToArray();
        Assert.All(w, v => Assert.InRange(Math.Abs(v), 0, bound));
        Assert.All(b, v => Assert.InRange(Math.Abs(v), 0, bound));

        // U(−a, a) has mean 0 and variance a²/3; with 5000 samples both are within a few standard errors.
        Assert.InRange(w.Average(), -0.01 * bound * 3, 0.01 * bound * 3);
        double variance = w.Select(v => v * v).Average();
        Assert.InRange(variance, bound * bound / 3 * 0.9, bound * bound / 3 * 1.1);
        Assert.True(w.Max() > 0.95 * bound && w.Min() < -0.95 * bound);
        Assert.True(linear.Weight.RequiresGrad && linear.Bias.RequiresGrad);
        Assert.Equal([50, 100], linear.Weight.Shape);
        Assert.Equal([50], linear.Bias.Shape);
    }

    [Fact]
    public void SameSeedGivesIdenticalLayersAndDifferentSeedsDiffer()
    {
        var a = new Linear(8, 4, generator: new Generator(42));
        var b = new Linear(8, 4, generator: new Generator(42));
        var c = new Linear(8, 4, generator: new Generator(43));
        Assert.Equal(a.Weight.ToArray(), b.Weight.ToArray());
        Assert.Equal(a.Bias!.ToArray(), b.Bias!.ToArray());
        Assert.NotEqual(a.Weight.ToArray(), c.Weight.ToArray());
    }

    [Fact]
    public void NoBiasLayerHasOnlyAWeight()
    {
        var linear = new Linear(3, 2, bias: false);
        Assert.Null(linear.Bias);
        Assert.Equal(["weight"], linear.NamedParameters().Select(p => p.Name));
        Assert.Equal(6, linear.NumParameters());
        Assert.Equal("Linear(in_features=3, out_features=2, bias=False)", linear.ToString());
    }

    [Fact]
    public void WrongInputWidthNamesBothShapes()
    {
        var linear = new Linear(3, 2);
        var ex = Assert.Throws<ArgumentException>(() => linear.Forward(Tensor.Ones(4, 5)));
        Assert.Contains("(4x5)", ex.Message);
        Assert.Contains("(2x3)", ex.Message);
    }
}
