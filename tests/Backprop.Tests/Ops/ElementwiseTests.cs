using Backprop.Onnx;
using Backprop.Tests.Onnx;

namespace Backprop.Tests.Ops;

/// <summary>
/// maximum, minimum, masked_fill, clamp with tensor bounds and pow with a tensor exponent: values and
/// gradients from PyTorch 1.13 in float64 (torch.maximum, torch.minimum, Tensor.masked_fill, torch.clamp,
/// torch.pow), ties and the edge cases PyTorch defines, errors, and the ONNX lowering.
/// </summary>
public class ElementwiseTests
{
    private static readonly double[] s_upstream = [1, 2, 3, 4, 5, 6];

    [Fact]
    public void MaximumAndMinimumBroadcastAndSplitTiesHalfHalf()
    {
        // a = [[1, 2, 3], [0.5, -1, 4]], b = [2, 2, 1]; upstream [[1, 2, 3], [4, 5, 6]].
        var a = Tensor.FromArray(new[] { 1.0, 2, 3, 0.5, -1, 4 }, 2, 3).RequiresGrad_();
        var b = Tensor.FromArray(new[] { 2.0, 2, 1 }, 3).RequiresGrad_();
        var upstream = Tensor.FromArray(s_upstream, 2, 3);

        var max = a.Maximum(b);
        max.Backward(upstream);
        Assert.Equal([2.0, 2, 3, 2, 2, 4], max.ToArray());
        Assert.Equal([0.0, 1, 3, 0, 0, 6], a.Grad!.ToArray());
        Assert.Equal([5.0, 6, 0], b.Grad!.ToArray());

        a.ZeroGrad();
        b.ZeroGrad();
        var min = a.Minimum(b);
        min.Backward(upstream);
        Assert.Equal([1.0, 2, 1, 0.5, -1, 1], min.ToArray());
        Assert.Equal([1.0, 1, 0, 4, 5, 0], a.Grad!.ToArray());
        Assert.Equal([0.0, 1, 9], b.Grad!.ToArray());
    }

    [Fact]
    public void MaximumPropagatesNaNAndGivesBothSidesTheGradientThereAsPyTorch()
    {
        // torch.maximum([1, 2, nan, 3], [1, 3, 1, nan]): grads [0.5, 0, 1, 1] and [0.5, 1, 1, 1].
        var a = Tensor.FromArray(new[] { 1.0, 2, double.NaN, 3 }, 4).RequiresGrad_();
        var b = Tensor.FromArray(new[] { 1.0, 3, 1, double.NaN }, 4).RequiresGrad_();
        var y = a.Maximum(b);
        y.Sum().Backward();
        Assert.Equal([1.0, 3, double.NaN, double.NaN], y.ToArray());
        Assert.Equal([0.5, 0, 1, 1], a.Grad!.ToArray());
        Assert.Equal([0.5, 1, 1, 1], b.Grad!.ToArray());
    }

    [Fact]
    public void MaskedFillWritesTheValueAndStopsTheGradientThere()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, 2, 3).RequiresGrad_();
        var mask = Tensor.FromArray(new[] { 1.0, 0, 1 }, 3).Gt(0.5);
        var y = x.MaskedFill(mask, -7.5);
        (y * Tensor.FromArray(s_upstream, 2, 3)).Sum().Backward();
        Assert.Equal([-7.5, 2, -7.5, -7.5, 5, -7.5], y.ToArray());
        Assert.Equal([0.0, 2, 0, 0, 5, 0], x.Grad!.ToArray());

        var f32 = Tensor.FromArray(new[] { 1f, 2f }, 2).MaskedFill(Tensor.FromArray(new long[] { 0, 1 }, 2), float.NegativeInfinity);
        Assert.Equal(DType.Float32, f32.DType);
        Assert.Equal([1.0, double.NegativeInfinity], f32.ToArray());

        var ex = Assert.Throws<ArgumentException>(() => x.MaskedFill(Tensor.Ones([4]), 0));
        Assert.StartsWith("masked_fill: shapes (4) and (2x3) cannot be broadcast", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClampWithTensorBoundsMatchesPyTorch()
    {
        // torch.clamp(x, lo, hi) with lo > hi in the last two places (the result is hi there).
        var x = Tensor.FromArray(new[] { -2.0, 0.5, 3, 1, 1, 0.2 }, 6).RequiresGrad_();
        var lo = Tensor.FromArray(new[] { 0.0, 0, 0, 1, 2, 0.5 }, 6).RequiresGrad_();
        var hi = Tensor.FromArray(new[] { 1.0, 1, 1, 1, 1, 0.2 }, 6).RequiresGrad_();
        var y = x.Clamp(lo, hi);
        y.Sum().Backward();
        Assert.Equal([0.0, 0.5, 1, 1, 1, 0.2], y.ToArray());
        Assert.Equal([0.0, 1, 0, 1, 0, 0], x.Grad!.ToArray());
        Assert.Equal([1.0, 0, 0, 0, 0, 0], lo.Grad!.ToArray());
        Assert.Equal([0.0, 0, 1, 0, 1, 1], hi.Grad!.ToArray());

        // One bound, broadcasting: per-column lower bounds.
        var m = Tensor.FromArray(new[] { -1.0, 0.5, 2, 3 }, 2, 2).RequiresGrad_();
        var columns = Tensor.FromArray(new[] { 0.0, 1 }, 2).RequiresGrad_();
        var z = m.Clamp(min: columns);
        z.Sum().Backward();
        Assert.Equal([0.0, 1, 2, 3], z.ToArray());
        Assert.Equal([0.0, 0, 1, 1], m.Grad!.ToArray());
        Assert.Equal([1.0, 1], columns.Grad!.ToArray());

        var only = Tensor.FromArray(new[] { -1.0, 5 }, 2).Clamp(max: Tensor.FromArray(new[] { 0.0 }, 1));
        Assert.Equal([-1.0, 0], only.ToArray());
        Assert.Equal("clamp: at least one of min and max must be a tensor, got neither", Assert.Throws<ArgumentException>(() => m.Clamp((Tensor?)null, null)).Message);
        Assert.Equal("clamp(min: tensor, max: none)", z.GradFn!.Op.ToString());
    }

    [Fact]
    public void PowWithATensorExponentMatchesPyTorchIncludingZeroBases()
    {
        // a = [[0.5, 2, 0], [1.5, 3, 0]], b = [[2, -0.5, 0], [1.25, 0, 2]]: 0⁰ = 1 with both gradients 0.
        var a = Tensor.FromArray(new[] { 0.5, 2, 0, 1.5, 3, 0 }, 2, 3).RequiresGrad_();
        var b = Tensor.FromArray(new[] { 2.0, -0.5, 0, 1.25, 0, 2 }, 2, 3).RequiresGrad_();
        var y = a.Pow(b);
        y.Sum().Backward();
        ReductionTests.AssertClose([0.25, 0.7071067811865476, 1.0, 1.6600228795504823, 1.0, 0.0], y.ToArray(), 1e-15, "pow");
        ReductionTests.AssertClose([1.0, -0.1767766952966369, 0.0, 1.3833523996254018, 0.0, 0.0], a.Grad!.ToArray(), 1e-15, "d/da");
        ReductionTests.AssertClose([-0.17328679513998632, 0.4901290717342736, 0.0, 0.6730813563189627, 1.0986122886681098, 0.0], b.Grad!.ToArray(), 1e-15, "d/db");
    }

    [Fact]
    public void MismatchedShapesAndDTypesAreRefusedByName()
    {
        var a = Tensor.Ones([2, 3]);
        Assert.StartsWith("maximum: shapes (2x3) and (4) cannot be broadcast", Assert.Throws<ArgumentException>(() => a.Maximum(Tensor.Ones([4]))).Message, StringComparison.Ordinal);
        Assert.Equal("minimum: dtype mismatch: float32 and float64", Assert.Throws<ArgumentException>(() => a.Minimum(Tensor.Ones([3], DType.Float64))).Message);
        Assert.StartsWith("pow: shapes (2x3) and (2) cannot be broadcast", Assert.Throws<ArgumentException>(() => a.Pow(Tensor.Ones([2]))).Message, StringComparison.Ordinal);
        Assert.StartsWith("clamp: shapes (2x3) and (5) cannot be broadcast", Assert.Throws<ArgumentException>(() => a.Clamp(Tensor.Ones([5]))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheirRowsPassGradCheck()
    {
        string[] names = ["maximum", "maximum_broadcast", "minimum", "minimum_broadcast", "pow_tensor", "pow_tensor_broadcast", "clamp_tensor", "clamp_tensor_min", "clamp_tensor_max", "clamp_tensor_crossed", "masked_fill"];
        foreach (string name in names)
        {
            var row = OpRegistry.Find(name);
            Assert.NotNull(row);
            Assert.True(row.Check().Passed, name);
        }
    }

    [Fact]
    public void AModuleUsingThemExportsToOnnxAndRunsInOnnxRuntime()
    {
        OnnxRuntimeRunner.AssertMatchesForward(new ElementwiseHead(new Generator(7)), [1, 4], Tensor.Randn([5, 4], seed: 8), 1e-5);
    }

    private sealed class ElementwiseHead(Generator g) : Backprop.NN.Module
    {
        public Backprop.NN.Linear Left { get; } = new(4, 3, generator: g);

        public Backprop.NN.Linear Right { get; } = new(4, 3, generator: g);

        public override Tensor Forward(Tensor input)
        {
            var (a, b) = (Left.Forward(input), Right.Forward(input));
            var bounded = a.Clamp(b - 0.5, b + 0.5);
            return a.Maximum(b) + a.Minimum(b) + bounded + (a.Sigmoid() + 0.5).Pow(b.Tanh());
        }
    }
}
