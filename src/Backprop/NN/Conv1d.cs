namespace Backprop.NN;

/// <summary>
/// 1-D convolution layer (<c>torch.nn.Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=0,
/// dilation=1, groups=1, bias=True, padding_mode='zeros')</c>): y = conv1d(x, W, b) for x of shape (N, C_in, L) or (C_in, L),
/// with weight (C_out, C_in/groups, k) and bias (C_out), initialized as PyTorch does:
/// U(−1/√fan_in, 1/√fan_in) for both, fan_in = C_in/groups·k. See <see cref="F.Conv1d"/>.
/// </summary>
public sealed class Conv1d : ConvBase
{
    /// <summary>Creates the layer and initializes its parameters from <paramref name="generator"/> (weight first, then bias).</summary>
    /// <param name="inChannels">C_in, the channels of the input (N, C_in, L).</param>
    /// <param name="outChannels">C_out, the channels of the output, one kernel each.</param>
    /// <param name="kernelSize">The kernel's length.</param>
    /// <param name="stride">The step between windows (default 1).</param>
    /// <param name="padding">Added at both ends of the length (default 0), or <c>"same"</c> (the output keeps length L; stride 1 only; an odd total's extra element at the end) or <c>"valid"</c> (none).</param>
    /// <param name="dilation">The spacing between kernel taps (default 1).</param>
    /// <param name="groups">Blocked connections: in and out channels are split into this many groups, each convolved separately; divides both (default 1).</param>
    /// <param name="bias">Whether the layer learns an additive bias per output channel (default true).</param>
    /// <param name="paddingMode">What the padding holds: zeros (default), or the input reflected, replicated or wrapped around (<c>padding_mode</c>).</param>
    /// <param name="generator">The random source of the initial weights, or null for <see cref="Generator.Default"/>.</param>
    /// <param name="dtype">The parameters' element type (default <see cref="DType.Float32"/>).</param>
    public Conv1d(
        int inChannels,
        int outChannels,
        int kernelSize,
        int stride = 1,
        Padding padding = default,
        int dilation = 1,
        int groups = 1,
        bool bias = true,
        PaddingMode paddingMode = PaddingMode.Zeros,
        Generator? generator = null,
        DType dtype = DType.Float32)
        : base(inChannels, outChannels, kernelSize, stride, padding, dilation, groups, bias, paddingMode, [kernelSize], generator, dtype)
    {
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
    }

    /// <summary>Kernel length (<c>kernel_size</c>).</summary>
    public int KernelSize { get; }

    /// <summary>Step between windows (<c>stride</c>).</summary>
    public int Stride { get; }

    /// <summary>Added at each end (<c>padding</c>): a number, or same or valid.</summary>
    public Padding Padding { get; }

    /// <summary>Spacing between kernel taps (<c>dilation</c>).</summary>
    public int Dilation { get; }

    /// <summary>
    /// y = conv1d(x, W, b) with this layer's stride, padding, dilation and groups; see <see cref="F.Conv1d"/>.
    /// With a <see cref="ConvBase.PaddingMode"/> other than zeros, x is padded by <see cref="F.Pad"/> in that mode first and the convolution has no padding.
    /// </summary>
    /// <param name="input">(N, C_in, L), or (C_in, L) unbatched.</param>
    /// <returns>A new tensor (N, C_out, L_out), or (C_out, L_out) unbatched, of the input's dtype.</returns>
    public override Tensor Forward(Tensor input) => PaddingMode == PaddingMode.Zeros
        ? F.Conv1d(input, Weight, Bias, Stride, Padding, Dilation, Groups)
        : F.Conv1d(PadInput(input), Weight, Bias, Stride, 0, Dilation, Groups);

    /// <inheritdoc/>
    protected override string ExtraRepr() => ConvArguments.Repr(
        InChannels, OutChannels, $"({KernelSize},)", $"({Stride},)", ConvArguments.ReprPadding(Padding, p => $"({p.Width},)"), Dilation == 1 ? null : $"({Dilation},)", Groups, Bias is not null, PaddingMode);
}
