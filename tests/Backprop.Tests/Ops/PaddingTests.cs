using Backprop.NN;
using Backprop.Tests.NN;
using R = Backprop.Tests.Ops.ConvPaddingReference;

namespace Backprop.Tests.Ops;

public class PaddingTests
{
    private const double Tolerance = 1e-11;

    public static TheoryData<string, int[], int[], PadMode, double> Cases() => new()
    {
        { "PadConstant", [2, 3, 4], [1, 2], PadMode.Constant, 0.5 },
        { "PadConstantNegative", [2, 3, 4], [-1, 2, 1, -1, 0, 1], PadMode.Constant, 0 },
        { "PadReflect1d", [2, 3, 5], [2, 3], PadMode.Reflect, 0 },
        { "PadReflect2d", [1, 2, 4, 5], [1, 2, 2, 1], PadMode.Reflect, 0 },
        { "PadReflect3d", [1, 1, 3, 3, 4], [1, 1, 1, 0, 0, 1], PadMode.Reflect, 0 },
        { "PadReflectNegative", [1, 1, 6], [-4, 2], PadMode.Reflect, 0 },
        { "PadReplicate2dUnbatched", [2, 4, 3], [2, 1, 0, 3], PadMode.Replicate, 0 },
        { "PadReplicate3dUnbatched", [1, 3, 3, 4], [1, 0, 2, 1, 1, 1], PadMode.Replicate, 0 },
        { "PadCircular2d", [1, 2, 4, 5], [1, 2, 3, 1], PadMode.Circular, 0 },
        { "PadCircularNegative", [2, 2, 5], [-1, 2], PadMode.Circular, 0 },
        { "PadCircularWholeDim", [1, 1, 3], [3, 1], PadMode.Circular, 0 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ValuesAndInputGradientMatchPyTorch(string name, int[] shape, int[] pad, PadMode mode, double value)
    {
        var x = R.X(shape).RequiresGrad_();
        var y = F.Pad(x, pad, mode, value);
        Assert.Equal(Field<int[]>(name + "Shape"), y.Shape);
        NNAssert.Close(Field<double[]>(name + "Y"), y.ToArray(), Tolerance);
        (y * R.G(y.Shape)).Sum().Backward();
        NNAssert.Close(Field<double[]>(name + "GradInput"), x.Grad!.ToArray(), Tolerance);

        // Float32 takes the same maps.
        var y32 = F.Pad(R.X(shape).Float(), pad, mode, value);
        NNAssert.Close(y.ToArray(), y32.ToArray(), 1e-6);
    }

    [Fact]
    public void ModesOnOneRowReadAsTheirNamesSay()
    {
        var x = Tensor.FromArray(new double[] { 0, 1, 2, 3 }, 1, 4);
        Assert.Equal([9, 9, 0, 1, 2, 3, 9], F.Pad(x, [2, 1], value: 9).ToArray());
        Assert.Equal([2, 1, 0, 1, 2, 3, 2], F.Pad(x, [2, 1], PadMode.Reflect).ToArray());
        Assert.Equal([0, 0, 0, 1, 2, 3, 3], F.Pad(x, [2, 1], PadMode.Replicate).ToArray());
        Assert.Equal([2, 3, 0, 1, 2, 3, 0], F.Pad(x, [2, 1], PadMode.Circular).ToArray());
        Assert.Equal([1, 2], F.Pad(x, [-1, -1]).ToArray());
        Assert.Equal([1, 1], F.Pad(x, [-3, 0]).Shape);
        Assert.Equal([1, 0], F.Pad(x, [-4, 0]).Shape);
    }

    [Fact]
    public void ConstantPaddingTakesAnyRankAndInt64()
    {
        var labels = Tensor.FromArray(new long[] { 4, 5 }, 2);
        var padded = F.Pad(labels, [1, 2], value: -1);
        Assert.Equal(DType.Int64, padded.DType);
        Assert.Equal([-1, 4, 5, -1, -1], padded.ToArray<long>());

        var scalar = Tensor.Full([], 3.0, DType.Float64);
        Assert.Equal([3.0], F.Pad(scalar, []).ToArray());
        Assert.Equal([1, 3, 2, 3], F.Pad(Tensor.Zeros([1, 2, 1, 1], DType.Float64), [1, 1, 0, 1, 1, 0]).Shape);

        // An empty pad list is a copy, as PyTorch's.
        var x = R.X(2, 3);
        Assert.Equal(x.ToArray(), F.Pad(x, []).ToArray());
    }

    [Fact]
    public void TheDefinitionRecordsThePadListModeAndValue()
    {
        var y = F.Pad(R.X(1, 3, 3).RequiresGrad_(), [1, 0, 2, 1], PadMode.Reflect);
        var definition = Assert.IsType<PadDefinition>(y.GradFn!.Op);
        Assert.Equal([1, 0, 2, 1], definition.Pad);
        Assert.Equal(PadMode.Reflect, definition.Mode);
        Assert.Equal("pad(pad: [1, 0, 2, 1], mode: reflect)", definition.ToString());
        Assert.Equal("pad(pad: [1, 2], mode: constant, value: 0.5)", F.Pad(R.X(3).RequiresGrad_(), [1, 2], value: 0.5).GradFn!.Op.ToString());
    }

    [Theory]
    [InlineData(new[] { 1, 1, 6 }, new[] { 6, 6 }, PadMode.Reflect, "reflect padding must be less than the size of the dim it pads, got (6, 6) for dim 2 of size 6")]
    [InlineData(new[] { 1, 4, 5 }, new[] { 1, 5, 0, 0 }, PadMode.Reflect, "reflect padding must be less than the size of the dim it pads, got (1, 5) for dim 2 of size 5")]
    [InlineData(new[] { 1, 1, 3 }, new[] { 0, 4 }, PadMode.Circular, "circular padding wraps around once at most")]
    [InlineData(new[] { 2, 3 }, new[] { 1, 1, 1 }, PadMode.Constant, "(before, after) pairs")]
    [InlineData(new[] { 2, 3 }, new[] { 1, 1, 1, 1, 1, 1 }, PadMode.Constant, "pads 3 dims, but the input (2x3) has 2")]
    [InlineData(new[] { 4, 5 }, new[] { 1, 1, 1, 1 }, PadMode.Reflect, "needs an input of rank 3 or 4, got (4x5)")]
    [InlineData(new[] { 1, 2, 3, 4, 5, 6 }, new[] { 1, 1, 1, 1 }, PadMode.Replicate, "needs an input of rank 3 or 4")]
    [InlineData(new[] { 1, 2, 2, 2, 2 }, new[] { 1, 1, 1, 1, 1, 1, 1, 1 }, PadMode.Circular, "pads 1, 2 or 3 dims")]
    [InlineData(new[] { 1, 2, 3 }, new[] { -2, -2 }, PadMode.Constant, "removes more elements than the dim has")]
    [InlineData(new[] { 1, 2, 0 }, new[] { 1, 1 }, PadMode.Replicate, "needs at least one element to copy")]
    public void BadPaddingIsRefusedWithTheReason(int[] shape, int[] pad, PadMode mode, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => F.Pad(Tensor.Zeros(shape, DType.Float64), pad, mode));
        Assert.Contains(expected, error.Message);
        Assert.StartsWith("pad: ", error.Message);
    }

    [Fact]
    public void OnlyConstantPaddingTakesAValue()
    {
        var error = Assert.Throws<ArgumentException>(() => F.Pad(Tensor.Zeros([1, 1, 4]), [1, 1], PadMode.Reflect, 1));
        Assert.Contains("mode reflect takes no value", error.Message);
        Assert.Throws<ArgumentNullException>(() => F.Pad(Tensor.Zeros([1, 4]), null!));
        Assert.Contains("mode must be", Assert.Throws<ArgumentException>(() => F.Pad(Tensor.Zeros([1, 1, 4]), [1, 1], (PadMode)7)).Message);
    }

    [Fact]
    public void LargeInputsGiveTheSameGradientOnAnyThreadCount()
    {
        // Many slices: the backward runs them on several threads, each slice in one fixed order.
        var x = R.X(64, 8, 300).RequiresGrad_();
        var y = F.Pad(x, [3, 2], PadMode.Reflect);
        (y * R.G(y.Shape)).Sum().Backward();
        double[] parallel = x.Grad!.ToArray();
        var single = R.X(1, 8, 300).RequiresGrad_();
        var ys = F.Pad(single, [3, 2], PadMode.Reflect);
        (ys * R.G(1, 8, 305)).Sum().Backward();
        Assert.Equal(single.Grad!.ToArray(), parallel.Take(8 * 300).ToArray());
    }

    private static T Field<T>(string name) =>
        (T)typeof(R).GetField(name)!.GetValue(null)!;
}
