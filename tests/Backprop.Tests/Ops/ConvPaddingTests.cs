using Backprop.NN;
using Backprop.Tests.NN;
using R = Backprop.Tests.Ops.ConvPaddingReference;

namespace Backprop.Tests.Ops;

/// <summary>F.conv1d and F.conv2d with padding "same" and "valid", against PyTorch 1.13's float64 values and gradients.</summary>
public class ConvPaddingTests
{
    private const double Tolerance = 1e-11;

    public static TheoryData<string, int[], int[]> Cases() => new()
    {
        { "Conv2dSame3x3", [1, 2, 4, 5], [3, 2, 3, 3] },
        { "Conv2dSameEven4x2", [1, 2, 5, 6], [3, 2, 4, 2] },
        { "Conv2dSame2x3Dilation2", [1, 2, 5, 6], [2, 2, 2, 3] },
        { "Conv2dValid", [1, 2, 5, 6], [2, 2, 3, 2] },
        { "Conv1dSameEven4", [2, 2, 7], [3, 2, 4] },
        { "Conv1dSame3Dilation2Groups2", [2, 4, 7], [4, 2, 3] },
        { "Conv1dSameEven2Dilation2", [1, 2, 6], [2, 2, 2] },
        { "Conv1dValid", [2, 2, 7], [3, 2, 4] },
    };

    /// <summary>The call each case's PyTorch values came from (see <see cref="ConvPaddingReference"/>).</summary>
    private static Tensor Call(string name, Tensor x, Tensor w, Tensor b) => name switch
    {
        "Conv2dSame3x3" or "Conv2dSameEven4x2" => F.Conv2d(x, w, b, padding: "same"),
        "Conv2dSame2x3Dilation2" => F.Conv2d(x, w, b, padding: Padding.Same, dilation: 2),
        "Conv2dValid" => F.Conv2d(x, w, b, padding: "valid"),
        "Conv1dSameEven4" => F.Conv1d(x, w, b, padding: "same"),
        "Conv1dSame3Dilation2Groups2" => F.Conv1d(x, w, b, padding: "same", dilation: 2, groups: 2),
        "Conv1dSameEven2Dilation2" => F.Conv1d(x, w, b, padding: Padding.Same, dilation: 2),
        "Conv1dValid" => F.Conv1d(x, w, b, padding: Padding.Valid),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ValuesAndGradientsMatchPyTorch(string name, int[] input, int[] weight)
    {
        var x = R.X(input).RequiresGrad_();
        var w = R.W(weight).RequiresGrad_();
        var b = R.B(weight[0]).RequiresGrad_();
        var y = Call(name, x, w, b);
        Assert.Equal(Field<int[]>(name + "Shape"), y.Shape);
        NNAssert.Close(Field<double[]>(name + "Y"), y.ToArray(), Tolerance);
        (y * R.G(y.Shape)).Sum().Backward();
        NNAssert.Close(Field<double[]>(name + "GradInput"), x.Grad!.ToArray(), Tolerance);
        NNAssert.Close(Field<double[]>(name + "GradWeight"), w.Grad!.ToArray(), Tolerance);
        NNAssert.Close(Field<double[]>(name + "GradBias"), b.Grad!.ToArray(), Tolerance);

        // Float32 (the direct kernels where they apply) gives the same numbers to float precision.
        var y32 = Call(name, x.Float().Detach(), w.Float().Detach(), b.Float().Detach());
        NNAssert.Close(y.ToArray(), y32.ToArray(), 1e-5);
    }

    [Fact]
    public void SameKeepsTheSizeAndPutsTheOddPaddingAtTheEnd()
    {
        // A kernel (0, 1) picks x[i − before + 1]: with one zero after (PyTorch's choice) that is x[i + 1], then 0.
        var x = Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6 }, 1, 1, 6);
        var pickNext = Tensor.FromArray(new double[] { 0, 1 }, 1, 1, 2);
        Assert.Equal([2, 3, 4, 5, 6, 0], F.Conv1d(x, pickNext, padding: "same").ToArray());

        // A 4×2 kernel pads (1 top, 2 bottom) × (0 left, 1 right): the picked corner w[3, 1] reads x[i + 2, j + 1].
        var image = Tensor.Arange(1, 13).Double().View(1, 1, 3, 4);
        var corner = Tensor.Zeros([1, 1, 4, 2], DType.Float64);
        corner = corner + Tensor.FromArray(new double[] { 0, 0, 0, 0, 0, 0, 0, 1 }, 1, 1, 4, 2);
        Assert.Equal([10, 11, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0], F.Conv2d(image, corner, padding: "same").ToArray());

        // Unbatched, grouped and any size: the output keeps the input's spatial size.
        Assert.Equal([4, 7, 9], F.Conv2d(R.X(2, 7, 9), R.W(4, 1, 5, 4), padding: "same", groups: 2, dilation: (1, 3)).Shape);
        Assert.Equal([3, 11], F.Conv1d(R.X(2, 11), R.W(3, 2, 6), padding: "same", dilation: 2).Shape);
    }

    [Fact]
    public void ValidIsNoPadding()
    {
        var x = R.X(2, 3, 6, 7);
        var w = R.W(4, 3, 3, 2);
        Assert.Equal(F.Conv2d(x, w).ToArray(), F.Conv2d(x, w, padding: "valid").ToArray());
        Assert.Equal(F.Conv1d(R.X(1, 3, 8), R.W(2, 3, 3), stride: 2).ToArray(), F.Conv1d(R.X(1, 3, 8), R.W(2, 3, 3), stride: 2, padding: "valid").ToArray());
    }

    [Fact]
    public void SameWithAStrideIsRefusedAsPyTorchRefusesIt()
    {
        var conv2d = Assert.Throws<ArgumentException>(() => F.Conv2d(R.X(1, 2, 6, 6), R.W(3, 2, 3, 3), stride: (1, 2), padding: "same"));
        Assert.StartsWith("conv2d: padding='same' is not supported for strided convolutions (stride=(1, 2))", conv2d.Message);
        var conv1d = Assert.Throws<ArgumentException>(() => F.Conv1d(R.X(1, 2, 6), R.W(3, 2, 3), stride: 2, padding: "same"));
        Assert.StartsWith("conv1d: padding='same' is not supported for strided convolutions (stride=2)", conv1d.Message);
        var layer = Assert.Throws<ArgumentException>(() => new Conv2d(2, 3, 3, stride: 2, padding: "same"));
        Assert.StartsWith("Conv2d: padding='same' is not supported for strided convolutions (stride=2)", layer.Message);
        Assert.Throws<ArgumentException>(() => new Conv1d(2, 3, 3, stride: 3, padding: Padding.Same));
    }

    [Fact]
    public void PaddingArgumentsAreCheckedWithClearMessages()
    {
        var unknown = Assert.Throws<ArgumentException>(() => F.Conv2d(R.X(1, 1, 4, 4), R.W(1, 1, 3, 3), padding: "full"));
        Assert.Contains("padding must be \"same\", \"valid\" or numbers of zeros, got \"full\"", unknown.Message);
        Assert.Equal(Padding.Same, (Padding)"SAME");
        var pair = Assert.Throws<ArgumentException>(() => F.Conv1d(R.X(1, 1, 6), R.W(1, 1, 3), padding: (1, 2)));
        Assert.StartsWith("conv1d: padding must be one int (zeros at both ends), \"same\" or \"valid\", got the pair (1, 2)", pair.Message);
        Assert.Contains("Conv1d: padding must be one int", Assert.Throws<ArgumentException>(() => new Conv1d(1, 1, 3, padding: (0, 1))).Message);
        Assert.Contains("padding must be non-negative", Assert.Throws<ArgumentException>(() => F.Conv2d(R.X(1, 1, 4, 4), R.W(1, 1, 3, 3), padding: -1)).Message);
        Assert.Throws<InvalidOperationException>(() => Padding.Same.Size);
    }

    [Fact]
    public void PaddingConvertsFromWhatPyTorchTakesAndPrintsAsItDoes()
    {
        Padding one = 1, pair = (1, 2), size = new Size2(3, 4), same = "same", valid = "valid";
        Assert.Equal(new Size2(1, 1), one.Size);
        Assert.Equal(new Size2(1, 2), pair.Size);
        Assert.Equal(new Size2(3, 4), size.Size);
        Assert.True(same.IsSame && !same.IsValid);
        Assert.True(valid.IsValid && valid.Size == 0);
        Assert.Equal(Padding.FromInt32(0), default);
        Assert.NotEqual(Padding.Valid, (Padding)0);
        Assert.Equal(["same", "valid", "(1, 2)"], new[] { same.ToString(), valid.ToString(), pair.ToString() });
    }

    [Fact]
    public void OddSamePaddingRecordsAZeroPadThenTheConvolution()
    {
        var y = F.Conv2d(R.X(1, 1, 5, 5).RequiresGrad_(), R.W(1, 1, 4, 3), padding: "same");
        var conv = Assert.IsType<Conv2dDefinition>(y.GradFn!.Op);
        Assert.Equal(new Size2(1, 1), conv.Padding);
        var pad = Assert.IsType<PadDefinition>(y.GradFn.Inputs[0].GradFn!.Op);
        Assert.Equal([0, 0, 0, 1], pad.Pad);

        // An even total needs no pad node.
        var even = F.Conv2d(R.X(1, 1, 5, 5).RequiresGrad_(), R.W(1, 1, 3, 5), padding: "same");
        Assert.Equal(new Size2(1, 2), Assert.IsType<Conv2dDefinition>(even.GradFn!.Op).Padding);
        Assert.Null(even.GradFn.Inputs[0].GradFn);
    }

    private static T Field<T>(string name) =>
        (T)typeof(R).GetField(name)!.GetValue(null)!;
}
