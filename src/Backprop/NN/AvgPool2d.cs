namespace Backprop.NN;

/// <summary>
/// 2-D average pooling (<c>torch.nn.AvgPool2d(kernel_size, stride=None, padding=0, ceil_mode=False,
/// count_include_pad=True)</c>): each output is the mean of its window, zero padding counted in the
/// divisor unless <see cref="CountIncludePad"/> is false; the stride defaults to the kernel size.
/// See <see cref="F.AvgPool2d"/>.
/// </summary>
public sealed class AvgPool2d : Module
{
    /// <summary>Creates the layer.</summary>
    /// <param name="kernelSize">The window's (height, width), or one int for both.</param>
    /// <param name="stride">The step between windows; null for the kernel size, as PyTorch.</param>
    /// <param name="padding">Zeros added on each side (default 0), at most half the kernel.</param>
    /// <param name="ceilMode">Whether the output size rounds up, so a last partial window counts (default false).</param>
    /// <param name="countIncludePad">Whether padded zeros count in each window's divisor (default true).</param>
    public AvgPool2d(Size2 kernelSize, Size2? stride = null, Size2 padding = default, bool ceilMode = false, bool countIncludePad = true)
    {
        ConvArguments.ValidateWindow("AvgPool2d", kernelSize, stride ?? kernelSize, padding, 1);
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
        CeilMode = ceilMode;
        CountIncludePad = countIncludePad;
    }

    /// <summary>Window size (<c>kernel_size</c>).</summary>
    public Size2 KernelSize { get; }

    /// <summary>Step between windows (<c>stride</c>; the kernel size unless given).</summary>
    public Size2 Stride { get; }

    /// <summary>Zero padding on each side (<c>padding</c>).</summary>
    public Size2 Padding { get; }

    /// <summary>Whether the output size rounds up, keeping a last partial window (<c>ceil_mode</c>).</summary>
    public bool CeilMode { get; }

    /// <summary>Whether padding counts in the divisor (<c>count_include_pad</c>).</summary>
    public bool CountIncludePad { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.AvgPool2d(input, KernelSize, Stride, Padding, CeilMode, CountIncludePad);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"kernel_size={KernelSize.ToCompactString()}, stride={Stride.ToCompactString()}, padding={Padding.ToCompactString()}";
}
