namespace Backprop.NN;

/// <summary>
/// 2-D convolution layer (<c>torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
/// dilation=1, groups=1, bias=True)</c>): y = conv2d(x, W, b) for x of shape (N, C_in, H, W) or
/// (C_in, H, W), with weight (C_out, C_in/groups, kH, kW) and bias (C_out). Both are initialized as
/// PyTorch does: W ~ kaiming_uniform(a = √5) = U(−1/√fan_in, 1/√fan_in) and b ~ U(−1/√fan_in, 1/√fan_in),
/// with fan_in = C_in/groups·kH·kW. See <see cref="F.Conv2d"/> for the formula and its derivatives.
/// </summary>
public sealed class Conv2d : Module
{
    /// <summary>Creates the layer and initializes its parameters from <paramref name="generator"/> (weight first, then bias).</summary>
    public Conv2d(
        int inChannels,
        int outChannels,
        Size2 kernelSize,
        Size2? stride = null,
        Size2 padding = default,
        Size2? dilation = null,
        int groups = 1,
        bool bias = true,
        Generator? generator = null,
        DType dtype = DType.Float32)
    {
        ConvArguments.Validate("Conv2d", inChannels, outChannels, groups, dtype);
        ConvArguments.ValidateWindow("Conv2d", kernelSize, stride ?? 1, padding, dilation ?? 1);
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride ?? 1;
        Padding = padding;
        Dilation = dilation ?? 1;
        Groups = groups;
        Weight = Tensor.Zeros([outChannels, inChannels / groups, kernelSize.Height, kernelSize.Width], dtype, requiresGrad: true);
        Bias = bias ? Tensor.Zeros([outChannels], dtype, requiresGrad: true) : null;
        ResetParameters(generator);
    }

    /// <summary>The kernels W of shape (out_channels, in_channels/groups, kH, kW) (<c>conv.weight</c>).</summary>
    public Tensor Weight { get; set; }

    /// <summary>The bias b of shape (out_channels), or null when created with <c>bias: false</c> (<c>conv.bias</c>).</summary>
    public Tensor? Bias { get; set; }

    /// <summary>Channels of the input (<c>in_channels</c>).</summary>
    public int InChannels { get; }

    /// <summary>Channels of the output (<c>out_channels</c>).</summary>
    public int OutChannels { get; }

    /// <summary>(kH, kW) (<c>kernel_size</c>).</summary>
    public Size2 KernelSize { get; }

    /// <summary>Step between windows (<c>stride</c>).</summary>
    public Size2 Stride { get; }

    /// <summary>Zeros added on each side (<c>padding</c>).</summary>
    public Size2 Padding { get; }

    /// <summary>Spacing between kernel taps (<c>dilation</c>).</summary>
    public Size2 Dilation { get; }

    /// <summary>Channel groups convolved independently (<c>groups</c>).</summary>
    public int Groups { get; }

    /// <summary>Re-draws the parameters as PyTorch's <c>reset_parameters</c> (see the class summary).</summary>
    public void ResetParameters(Generator? generator = null) => ConvArguments.ResetParameters(Weight, Bias, generator);

    /// <summary>y = conv2d(x, W, b) with this layer's stride, padding, dilation and groups; see <see cref="F.Conv2d"/>.</summary>
    public override Tensor Forward(Tensor input) => F.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc/>
    protected override string ExtraRepr() => ConvArguments.Repr(
        InChannels, OutChannels, KernelSize.ToString(), Stride.ToString(), Padding == 0 ? null : Padding.ToString(), Dilation == 1 ? null : Dilation.ToString(), Groups, Bias is not null);
}
