namespace Backprop.NN;

/// <summary>
/// 2-D max pooling (<c>torch.nn.MaxPool2d(kernel_size, stride=None, padding=0, dilation=1,
/// ceil_mode=False)</c>): each output is the largest input of its window; the stride defaults to the
/// kernel size. The gradient flows only to each window's max. See <see cref="F.MaxPool2d"/>.
/// </summary>
public sealed class MaxPool2d : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="kernelSize">The window's (height, width), or one int for both.</param>
    /// <param name="stride">The step between windows; null for the kernel size, as PyTorch.</param>
    /// <param name="padding">−∞ added on each side (default 0), at most half the kernel.</param>
    /// <param name="dilation">The spacing between window elements; null for 1.</param>
    /// <param name="ceilMode">Whether the output size rounds up, so a last partial window counts (default false).</param>
    public MaxPool2d(Size2 kernelSize, Size2? stride = null, Size2 padding = default, Size2? dilation = null, bool ceilMode = false)
    {
        ConvArguments.ValidateWindow("MaxPool2d", kernelSize, stride ?? kernelSize, padding, dilation ?? 1);
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
        Dilation = dilation ?? 1;
        CeilMode = ceilMode;
    }

    /// <summary>Window size (<c>kernel_size</c>).</summary>
    public Size2 KernelSize { get; }

    /// <summary>Step between windows (<c>stride</c>; the kernel size unless given).</summary>
    public Size2 Stride { get; }

    /// <summary>Implicit −∞ padding on each side (<c>padding</c>).</summary>
    public Size2 Padding { get; }

    /// <summary>Spacing between window taps (<c>dilation</c>).</summary>
    public Size2 Dilation { get; }

    /// <summary>Whether the output size rounds up, keeping a last partial window (<c>ceil_mode</c>).</summary>
    public bool CeilMode { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.MaxPool2d(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <summary>
    /// The pooled values and the int64 position of each maximum inside its plane, as PyTorch's
    /// <c>MaxPool2d(..., return_indices=True)</c> returns them; see <see cref="F.MaxPool2dWithIndices"/>.
    /// </summary>
    /// <param name="input">(N, C, H, W) or unbatched (C, H, W).</param>
    /// <returns>Output: the pooled values (N, C, OH, OW) (or (C, OH, OW)); Indices: a new int64 tensor of that shape, each ih·W + iw within its plane.</returns>
    public (Tensor Output, Tensor Indices) ForwardWithIndices(Tensor input) => F.MaxPool2dWithIndices(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"kernel_size={KernelSize.ToCompactString()}, stride={Stride.ToCompactString()}, padding={Padding.ToCompactString()}, dilation={Dilation.ToCompactString()}, ceil_mode={(CeilMode ? "True" : "False")}";
}
