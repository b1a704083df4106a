using Backprop.NN;
using R = Backprop.Tests.Ops.ConvPaddingReference;

namespace Backprop.Tests.NN;

/// <summary>Conv1d and Conv2d with <c>padding_mode</c> and padding "same", against PyTorch 1.13's layers in float64.</summary>
public class ConvPaddingModeTests
{
    private const double Tolerance = 1e-11;

    /// <summary>The layers of <see cref="R"/>'s module cases (its comments show PyTorch's repr of each), their input shapes, and whether the input is unbatched.</summary>
    public static TheoryData<string, int[]> Cases() => new()
    {
        { "Conv2dReflect", [1, 2, 4, 5] },
        { "Conv2dSameReplicate", [1, 2, 5, 6] },
        { "Conv2dCircular", [1, 2, 5, 6] },
        { "Conv2dSameCircularUnbatched", [2, 4, 5] },
        { "Conv1dSameReflectDilation2", [2, 2, 7] },
        { "Conv1dCircularStride2", [2, 2, 7] },
        { "Conv1dSameReplicateEven", [2, 2, 5] },
    };

    private static ConvBase Create(string name) => name switch
    {
        "Conv2dReflect" => new Conv2d(2, 3, 3, padding: 1, paddingMode: PaddingMode.Reflect, dtype: DType.Float64),
        "Conv2dSameReplicate" => new Conv2d(2, 3, (4, 2), padding: "same", paddingMode: PaddingMode.Replicate, dtype: DType.Float64),
        "Conv2dCircular" => new Conv2d(2, 3, 3, padding: (2, 1), dilation: (1, 2), paddingMode: PaddingMode.Circular, dtype: DType.Float64),
        "Conv2dSameCircularUnbatched" => new Conv2d(2, 2, (3, 4), padding: "same", paddingMode: PaddingMode.Circular, dtype: DType.Float64),
        "Conv1dSameReflectDilation2" => new Conv1d(2, 3, 4, padding: "same", dilation: 2, paddingMode: PaddingMode.Reflect, dtype: DType.Float64),
        "Conv1dCircularStride2" => new Conv1d(2, 3, 3, stride: 2, padding: 2, paddingMode: PaddingMode.Circular, dtype: DType.Float64),
        "Conv1dSameReplicateEven" => new Conv1d(2, 3, 2, padding: "same", paddingMode: PaddingMode.Replicate, dtype: DType.Float64),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ValuesAndGradientsMatchPyTorch(string name, int[] input)
    {
        var conv = Create(name);
        conv.Weight = R.W(conv.Weight.Shape).RequiresGrad_();
        conv.Bias = R.B(conv.OutChannels).RequiresGrad_();
        var x = R.X(input).RequiresGrad_();
        var y = conv.Forward(x);
        Assert.Equal(Field<int[]>(name + "Shape"), y.Shape);
        NNAssert.Close(Field<double[]>(name + "Y"), y.ToArray(), Tolerance);
        (y * R.G(y.Shape)).Sum().Backward();
        NNAssert.Close(Field<double[]>(name + "GradInput"), x.Grad!.ToArray(), Tolerance);
        NNAssert.Close(Field<double[]>(name + "GradWeight"), conv.Weight.Grad!.ToArray(), Tolerance);
        NNAssert.Close(Field<double[]>(name + "GradBias"), conv.Bias.Grad!.ToArray(), Tolerance);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradCheckPassesThroughThePadAndTheConvolution(string name, int[] input)
    {
        var conv = Create(name);
        var result = GradCheck.Check(t => Forward(conv, t[0], t[1], t[2]), R.X(input).RequiresGrad_(), R.W(conv.Weight.Shape).RequiresGrad_(), R.B(conv.OutChannels).RequiresGrad_());
        Assert.True(result.Passed, result.ToString());

        static Tensor Forward(ConvBase conv, Tensor x, Tensor w, Tensor b)
        {
            conv.Weight = w;
            conv.Bias = b;
            return conv.Forward(x);
        }
    }

    [Fact]
    public void LayersPrintPaddingAndPaddingModeAsPyTorch()
    {
        // The texts are PyTorch 1.13's repr of the same layers.
        Assert.Equal("Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=same)", new Conv2d(3, 4, 3, padding: "same").ToString());
        Assert.Equal("Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=valid)", new Conv2d(3, 4, 3, padding: "valid").ToString());
        Assert.Equal("Conv1d(3, 4, kernel_size=(4,), stride=(1,), padding=same, padding_mode=reflect)", new Conv1d(3, 4, 4, padding: "same", paddingMode: PaddingMode.Reflect).ToString());
        Assert.Equal("Conv2d(3, 4, kernel_size=(3, 2), stride=(1, 1), padding=(1, 0), padding_mode=circular)", new Conv2d(3, 4, (3, 2), padding: (1, 0), paddingMode: PaddingMode.Circular).ToString());
        Assert.Equal(
            "Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), dilation=(2, 2), bias=False, padding_mode=reflect)",
            new Conv2d(3, 4, 3, padding: 1, dilation: 2, bias: false, paddingMode: PaddingMode.Reflect).ToString());
        Assert.Equal("Conv1d(3, 4, kernel_size=(3,), stride=(1,), padding_mode=replicate)", new Conv1d(3, 4, 3, paddingMode: PaddingMode.Replicate).ToString());
    }

    [Fact]
    public void TheStateDictHasPyTorchsKeysWhateverThePadding()
    {
        // PyTorch: nn.Conv2d(3, 4, 3, padding='same', padding_mode='replicate').state_dict().keys() == ['weight', 'bias'].
        Assert.Equal(["weight", "bias"], new Conv2d(3, 4, 3, padding: "same", paddingMode: PaddingMode.Replicate).StateDict().Keys);
        Assert.Equal(["weight"], new Conv1d(3, 4, 3, padding: 1, bias: false, paddingMode: PaddingMode.Circular).StateDict().Keys);
        var conv = new Conv2d(2, 3, 3, padding: "same", paddingMode: PaddingMode.Reflect);
        Assert.Equal(PaddingMode.Reflect, conv.PaddingMode);
        Assert.True(conv.Padding.IsSame);
    }

    [Fact]
    public void ReflectPaddingAsLargeAsTheInputIsRefusedAsPyTorchRefusesIt()
    {
        // PyTorch: "Padding size should be less than the corresponding input dimension".
        var conv = new Conv2d(1, 1, 5, padding: 2, paddingMode: PaddingMode.Reflect);
        var error = Assert.Throws<ArgumentException>(() => conv.Forward(Tensor.Zeros(1, 1, 2, 6)));
        Assert.Contains("reflect padding must be less than the size of the dim it pads, got (2, 2) for dim 2 of size 2", error.Message);
        var circular = new Conv1d(1, 1, 9, padding: 4, paddingMode: PaddingMode.Circular);
        Assert.Contains("circular padding wraps around once at most", Assert.Throws<ArgumentException>(() => circular.Forward(Tensor.Zeros(1, 1, 3))).Message);
        Assert.Contains("padding_mode must be", Assert.Throws<ArgumentException>(() => new Conv2d(1, 1, 3, paddingMode: (PaddingMode)9)).Message);
    }

    [Fact]
    public void ZerosModeIsThePlainConvolution()
    {
        var explicitZeros = new Conv2d(2, 3, 3, padding: 1, paddingMode: PaddingMode.Zeros, generator: new Generator(1));
        var x = R.X(1, 2, 5, 5).Float();
        Assert.Equal(F.Conv2d(x, explicitZeros.Weight, explicitZeros.Bias, padding: 1).ToArray(), explicitZeros.Forward(x).ToArray());
        var constant = new Conv2d(2, 3, 3, padding: 1, generator: new Generator(1));
        var padded = F.Conv2d(F.Pad(x, [1, 1, 1, 1]), constant.Weight, constant.Bias);
        NNAssert.Close(padded.ToArray(), constant.Forward(x).ToArray(), 1e-6);
    }

    private static T Field<T>(string name) =>
        (T)typeof(R).GetField(name)!.GetValue(null)!;
}
