namespace Backprop.NN;

/// <summary>
/// 2-D convolution layer (<c>torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
/// dilation=1, groups=1, bias=True, padding_mode='zeros')</c>): y = conv2d(x, W, b) for x of shape (N, C_in, H, W) or
/// (C_in, H, W), with weight (C_out, C_in/groups, kH, kW) and bias (C_out). Both are initialized as
/// PyTorch does: W ~ kaiming_uniform(a = √5) = U(−1/√fan_in, 1/√fan_in) and b ~ U(−1/√fan_in, 1/√fan_in),
/// with fan_in = C_in/groups·kH·kW. See <see cref="F.Conv2d"/> for the formula and its derivatives.
/// </summary>
public sealed class Conv2d : ConvBase
{
    /// <summary>Creates the layer and initializes its parameters from <paramref name="generator"/> (weight first, then bias).</summary>
    /// <param name="inChannels">C_in, the channels of the input (N, C_in, H, W).</param>
    /// <param name="outChannels">C_out, the channels of the output, one kernel each.</param>
    /// <param name="kernelSize">The kernel's (height, width), or one int for both.</param>
    /// <param name="stride">The step between windows, (height, width) or one int; null for 1.</param>
    /// <param name="padding">Added on each side, (height, width) or one int (default 0); or <c>"same"</c> (the output keeps H × W; stride 1 only; an odd total's extra row and column at the bottom and right) or <c>"valid"</c> (none).</param>
    /// <param name="dilation">The spacing between kernel taps, (height, width) or one int; null for 1.</param>
    /// <param name="groups">Blocked connections: in and out channels are split into this many groups, each convolved separately; divides both (default 1).</param>
    /// <param name="bias">Whether the layer learns an additive bias per output channel (default true).</param>
    /// <param name="paddingMode">What the padding holds: zeros (default), or the input reflected, replicated or wrapped around (<c>padding_mode</c>).</param>
    /// <param name="generator">The random source of the initial weights, or null for <see cref="Generator.Default"/>.</param>
    /// <param name="dtype">The parameters' element type (default <see cref="DType.Float32"/>).</param>
    public Conv2d(
        int inChannels,
        int outChannels,
        Size2 kernelSize,
        Size2? stride = null,
        Padding padding = default,
        Size2? dilation = null,
        int groups = 1,
        bool bias = true,
        PaddingMode paddingMode = PaddingMode.Zeros,
        Generator? generator = null,
        DType dtype = DType.Float32)
        : base(inChannels, outChannels, kernelSize, stride ?? 1, padding, dilation ?? 1, groups, bias, paddingMode, [kernelSize.Height, kernelSize.Width], generator, dtype)
    {
        KernelSize = kernelSize;
        Stride = stride ?? 1;
        Padding = padding;
        Dilation = dilation ?? 1;
    }

    /// <summary>(kH, kW) (<c>kernel_size</c>).</summary>
    public Size2 KernelSize { get; }

    /// <summary>Step between windows (<c>stride</c>).</summary>
    public Size2 Stride { get; }

    /// <summary>Added on each side (<c>padding</c>): (height, width), or same or valid.</summary>
    public Padding Padding { get; }

    /// <summary>Spacing between kernel taps (<c>dilation</c>).</summary>
    public Size2 Dilation { get; }

    /// <summary>
    /// y = conv2d(x, W, b) with this layer's stride, padding, dilation and groups; see <see cref="F.Conv2d"/>.
    /// With a <see cref="ConvBase.PaddingMode"/> other than zeros, x is padded by <see cref="F.Pad"/> in that mode first and the convolution has no padding.
    /// </summary>
    /// <param name="input">(N, C_in, H, W), or (C_in, H, W) unbatched.</param>
    /// <returns>A new tensor (N, C_out, H_out, W_out), or (C_out, H_out, W_out) unbatched, of the input's dtype.</returns>
    public override Tensor Forward(Tensor input) => PaddingMode == PaddingMode.Zeros
        ? F.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups)
        : F.Conv2d(PadInput(input), Weight, Bias, Stride, 0, Dilation, Groups);

    /// <inheritdoc/>
    protected override string ExtraRepr() => ConvArguments.Repr(
        InChannels, OutChannels, KernelSize.ToString(), Stride.ToString(), ConvArguments.ReprPadding(Padding, p => p.ToString()), Dilation == 1 ? null : Dilation.ToString(), Groups, Bias is not null, PaddingMode);
}
