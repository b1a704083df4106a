using Backprop.Onnx;
using Backprop.Tests.Onnx;

namespace Backprop.Tests.Ops;

/// <summary>
/// amax, amin, the whole-tensor max and min with ties, logsumexp, var and std: values and gradients
/// from PyTorch 1.13 in float64 (torch.amax, torch.logsumexp, torch.var, torch.std on the tensor below,
/// backward of Σ wⱼ·yⱼ with wⱼ = 1, 2, …), their definitions, errors and ONNX lowering.
/// </summary>
public class ReductionTests
{
    private static readonly double[] s_x = [1.5, -0.25, 3.0, 0.75, 2.0, 3.0, -1.0, 3.0, 0.5, 0.5, -2.0, 1.25];

    private static Tensor X() => Tensor.FromArray(s_x, 3, 4).RequiresGrad_();

    /// <summary>y and dΣ(w·y)/dx for w = 1, 2, … over y's elements, as the PyTorch values were made.</summary>
    private static (double[] Values, int[] Shape, double[] Gradient) Run(Func<Tensor, Tensor> f)
    {
        var x = X();
        var y = f(x);
        var w = Tensor.Arange(1, y.Numel + 1, dtype: DType.Float64).Reshape(y.Shape);
        (y * w).Sum().Backward();
        return (y.ToArray(), y.Shape, x.Grad!.ToArray());
    }

    internal static void AssertClose(double[] expected, double[] actual, double tolerance = 1e-13, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            bool same = expected[i] == actual[i] || (double.IsNaN(expected[i]) && double.IsNaN(actual[i]))
                || Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i]));
            Assert.True(same, $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    [Fact]
    public void WholeTensorMaxSplitsTheGradientEvenlyAmongTies()
    {
        // The maximum 3.0 occurs three times: PyTorch gives each a third (this library gave all to the first).
        var (values, shape, grad) = Run(x => x.Max());
        Assert.Equal([3.0], values);
        Assert.Empty(shape);
        AssertClose([0, 0, 1 / 3.0, 0, 0, 1 / 3.0, 0, 1 / 3.0, 0, 0, 0, 0], grad, 0, "max");
    }

    [Fact]
    public void WholeTensorMinSplitsTheGradientEvenlyAmongTies()
    {
        var x = Tensor.FromArray(new[] { 2.0, -1, 4, -1, -1, 0 }, 2, 3).RequiresGrad_();
        var y = x.Min();
        (y * 6).Backward();
        Assert.Equal(-1.0, y.Item());
        Assert.Equal([0.0, 2, 0, 2, 2, 0], x.Grad!.ToArray());
    }

    [Fact]
    public void WholeTensorMaxWithoutTiesAndWithNaN()
    {
        var (values, _, grad) = Run(x => (x * Tensor.FromArray(new[] { 1.0, 1, 1, 1 }, 4)).Min());
        Assert.Equal([-2.0], values);
        AssertClose([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0], grad, 0, "min");

        // A NaN maximum: the NaN elements share the gradient (PyTorch's evenly_distribute_backward).
        var n = Tensor.FromArray(new[] { 1.0, double.NaN, 3, double.NaN }, 4).RequiresGrad_();
        var m = n.Max();
        m.Backward();
        Assert.True(double.IsNaN(m.Item()));
        Assert.Equal([0.0, 0.5, 0, 0.5], n.Grad!.ToArray());
    }

    [Fact]
    public void AmaxAndAminMatchPyTorchWithTies()
    {
        var amax = Run(x => x.Amax(1));
        AssertClose([3.0, 3.0, 1.25], amax.Values);
        AssertClose([0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 3.0], amax.Gradient, 1e-15, "amax(1)");

        var amin = Run(x => x.Amin(0, keepDim: true));
        Assert.Equal([1, 4], amin.Shape);
        AssertClose([0.5, -0.25, -2.0, 0.75], amin.Values);
        AssertClose([0.0, 2.0, 0.0, 4.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 3.0, 0.0], amin.Gradient, 1e-15, "amin(0)");

        var all = Run(x => x.Amax());
        Assert.Empty(all.Shape);
        AssertClose([0.0, 0.0, 0.3333333333333333, 0.0, 0.0, 0.3333333333333333, 0.0, 0.3333333333333333, 0.0, 0.0, 0.0, 0.0], all.Gradient, 1e-15, "amax()");

        // Two dims of a rank-3 tensor: torch.amax(z, (1, 2)), weights 1 and 2.
        var z = Tensor.FromArray(new[] { 1.0, 2, 2, 0, 5, 5, 5, -1 }, 2, 2, 2).RequiresGrad_();
        var y = z.Amax([1, 2]);
        (y * Tensor.FromArray(new[] { 1.0, 2 }, 2)).Sum().Backward();
        Assert.Equal([2.0, 5.0], y.ToArray());
        AssertClose([0.0, 0.5, 0.5, 0.0, 0.6666666666666666, 0.6666666666666666, 0.6666666666666666, 0.0], z.Grad!.ToArray(), 1e-15, "amax((1, 2))");
    }

    [Fact]
    public void LogSumExpMatchesPyTorchAndStaysFinite()
    {
        var dim = Run(x => x.LogSumExp(1));
        AssertClose([3.3128406198011184, 3.869700080626986, 1.934866648040697], dim.Values);
        AssertClose(
            [0.16318991726892082, 0.028358155455172264, 0.7313664686134954, 0.07708545866241151, 0.3083397868393601, 0.8381544395563679, 0.015351334047903814, 0.8381544395563679, 0.7144413578468551, 0.7144413578468551, 0.058644917875715484, 1.5124723664305741],
            dim.Gradient);

        var all = Run(x => x.LogSumExp([0, 1], keepDim: true));
        Assert.Equal([1, 1], all.Shape);
        AssertClose([4.4105431094364835], all.Values);
        AssertClose(
            [0.05444615161907901, 0.009461322472548196, 0.24401072263319554, 0.025718540950318967, 0.08976652828213978, 0.24401072263319554, 0.004469212280728685, 0.24401072263319554, 0.020029619831562404, 0.020029619831562404, 0.001644131316311016, 0.042402705516163174],
            all.Gradient);

        // torch.logsumexp([[1000, 1000, -1000], [-inf, -inf, -inf]], 1) = [1000.6931471805599, -inf], also in float32.
        var big = Tensor.FromArray(new[] { 1000f, 1000f, -1000f, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity }, 2, 3);
        var lse = big.LogSumExp(1).ToArray();
        Assert.Equal(1000.6931471805599, lse[0], 1e-4);
        Assert.Equal(double.NegativeInfinity, lse[1]);
    }

    [Fact]
    public void VarAndStdMatchPyTorch()
    {
        var all = Run(x => x.Var());
        AssertClose([2.584753787878788], all.Values);
        AssertClose(
            [0.08712121212121214, -0.23106060606060605, 0.35984848484848486, -0.04924242424242423, 0.17803030303030304, 0.35984848484848486, -0.3674242424242424, 0.35984848484848486, -0.09469696969696968, -0.09469696969696968, -0.5492424242424242, 0.04166666666666668],
            all.Gradient);

        var biased = Run(x => x.Var(1, unbiased: false));
        AssertClose([1.40625, 2.6875, 1.51171875], biased.Values);
        AssertClose([0.125, -0.75, 0.875, -0.25, 0.25, 1.25, -2.75, 1.25, 0.65625, 0.65625, -3.09375, 1.78125], biased.Gradient);

        var std = Run(x => x.Std(0, keepDim: true));
        Assert.Equal([1, 4], std.Shape);
        AssertClose([0.7637626158259733, 1.7017148213885114, 2.6457513110645907, 1.181453906563152], std.Values);
        AssertClose(
            [0.10910894511799625, -0.7835233709990268, 1.7008401285415227, -1.5517603548889165, 0.43643578047198484, 1.126314845811101, -0.5669467095138409, 2.2571059707475145, -0.5455447255899809, -0.34279147481207417, -1.1338934190276817, -0.7053456158585985],
            std.Gradient);

        // torch.std(x, 1, correction=2).
        var corrected = Run(x => x.Std(1, correction: 2));
        AssertClose([1.6770509831248424, 2.318404623873926, 1.7388034679054445], corrected.Values);
        AssertClose(
            [0.07453559924999299, -0.447213595499958, 0.521749194749951, -0.14907119849998599, 0.10783277320343841, 0.539163866017192, -1.1861605052378226, 0.539163866017192, 0.37741470621203443, 0.37741470621203443, -1.7792407578567337, 1.0244113454326649],
            corrected.Gradient);
    }

    [Fact]
    public void StdOfAConstantRowHasAZeroGradientAsInPyTorch()
    {
        var x = Tensor.FromArray(new[] { 2.0, 2, 2, 1, 3, 5 }, 2, 3).RequiresGrad_();
        var s = x.Std(1);
        s.Sum().Backward();
        Assert.Equal([0.0, 2.0], s.ToArray());
        Assert.Equal([0.0, 0, 0, -0.5, 0, 0.5], x.Grad!.ToArray());
    }

    [Fact]
    public void TheirRowsPassGradCheck()
    {
        string[] names = ["max", "min", "amax_dims", "amax_dim_keepdim", "amin_dim", "logsumexp", "logsumexp_dims_keepdim", "var", "var_dim_biased", "std", "std_correction"];
        foreach (string name in names)
        {
            var row = OpRegistry.Find(name);
            Assert.NotNull(row);
            Assert.True(row.Check().Passed, name);
        }
    }

    [Fact]
    public void TheirNodesRecordDimsKeepDimAndCorrection()
    {
        var x = Tensor.Ones([2, 3], DType.Float64, requiresGrad: true);
        var max = Assert.IsType<AmaxDefinition>(x.Max().GradFn!.Op);
        Assert.Equal("max", max.ToString());
        Assert.Null(max.Dims);
        Assert.Equal("amax(dim: [-1], keepDim: true)", x.Amax(-1, keepDim: true).GradFn!.Op.ToString());
        Assert.Equal("min", Assert.IsType<AminDefinition>(x.Min().GradFn!.Op).Name);
        Assert.Equal("logsumexp(dim: [1], keepDim: false)", Assert.IsType<LogSumExpDefinition>(x.LogSumExp(1).GradFn!.Op).ToString());
        var variance = Assert.IsType<VarDefinition>(x.Var(0, unbiased: false).GradFn!.Op);
        Assert.Equal((0.0, false), (variance.Correction, variance.IsStd));
        Assert.Equal("var(dim: [0], keepDim: false, correction: 0)", variance.ToString());
        Assert.Equal("std(correction: 1)", x.Std().GradFn!.Op.ToString());
    }

    [Fact]
    public void BadDimsAreRefusedByName()
    {
        var x = Tensor.Ones([2, 3]);
        Assert.Equal("amax: dim 1 appears more than once in the dims [1, -1]", Assert.Throws<ArgumentException>(() => x.Amax([1, -1])).Message);
        Assert.StartsWith("var: dim 2 is out of range", Assert.ThrowsAny<ArgumentException>(() => x.Var(2)).Message, StringComparison.Ordinal);
        Assert.StartsWith("amin: cannot reduce over a dim of size 0 in shape (2x0)", Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 0]).Amin(1)).Message, StringComparison.Ordinal);
        Assert.StartsWith("max: cannot reduce", Assert.Throws<ArgumentException>(() => Tensor.Zeros([0]).Max()).Message, StringComparison.Ordinal);
        Assert.StartsWith("std: correction must be a finite number", Assert.Throws<ArgumentException>(() => x.Std(correction: double.NaN)).Message, StringComparison.Ordinal);
        Assert.StartsWith("logsumexp: expected a float32 or float64 tensor", Assert.Throws<ArgumentException>(() => Tensor.FromArray(new long[] { 1 }, 1).LogSumExp(0)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AModuleUsingThemExportsToOnnxAndRunsInOnnxRuntime()
    {
        OnnxRuntimeRunner.AssertMatchesForward(new ReductionHead(new Generator(3)), [1, 6], Tensor.Randn([4, 6], seed: 4), 1e-5);
    }

    private sealed class ReductionHead(Generator g) : Backprop.NN.Module
    {
        public Backprop.NN.Linear Layer { get; } = new(6, 4, generator: g);

        public override Tensor Forward(Tensor input)
        {
            var h = Layer.Forward(input);
            return Tensor.Cat(
                [h.Amax(1, keepDim: true), h.Amin([-1], keepDim: true), h.LogSumExp(1, keepDim: true), h.Var(1, keepDim: true), h.Std(-1, unbiased: false, keepDim: true)],
                dim: 1);
        }
    }
}
