namespace Backprop.NN;

public static partial class F
{
    /// <summary>
    /// 2-D convolution (<c>F.conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)</c>)
    /// of (N, C, H, W) or (C, H, W) input with (O, C/groups, kH, kW) weight:
    /// y[n, o, i, j] = b[o] + Σ_{c, p, q} w[o, c, p, q] · x[n, c, i·sH − pH + p·dH, j·sW − pW + q·dW].
    /// dL/dx is the transposed convolution of dL/dy, dL/dw correlates x with dL/dy, dL/db sums dL/dy.
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, Size2? stride = null, Size2 padding = default, Size2? dilation = null, int groups = 1) =>
        Tensor.Conv2d(input, weight, bias, stride, padding, dilation, groups);

    /// <summary>
    /// 1-D convolution (<c>F.conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)</c>)
    /// of (N, C, L) or (C, L) input with (O, C/groups, k) weight: y[n, o, i] = b[o] + Σ_{c, p} w[o, c, p] · x[n, c, i·s − pad + p·d].
    /// </summary>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Tensor.Conv1d(input, weight, bias, stride, padding, dilation, groups);

    /// <summary>
    /// 2-D max pooling (<c>F.max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False)</c>):
    /// the largest input of each window; dL/dx is dL/dy at each window's max and 0 elsewhere.
    /// </summary>
    public static Tensor MaxPool2d(Tensor input, Size2 kernelSize, Size2? stride = null, Size2 padding = default, Size2? dilation = null, bool ceilMode = false) =>
        Tensor.MaxPool2d(input, kernelSize, stride, padding, dilation, ceilMode);

    /// <summary>
    /// <c>torch.nn.functional.max_pool2d(..., return_indices=True)</c>: the pooled values and, as int64,
    /// the flat position ih·W + iw inside its plane of each maximum; see <see cref="PoolingOps.MaxPool2dWithIndices"/>.
    /// </summary>
    /// <param name="input">(N, C, H, W) or unbatched (C, H, W).</param>
    /// <param name="kernelSize">The window (kH, kW).</param>
    /// <param name="stride">The step between windows; the kernel size when null.</param>
    /// <param name="padding">Implicit −∞ padding on each side.</param>
    /// <param name="dilation">The spacing between window taps; 1 when null.</param>
    /// <param name="ceilMode">Whether the output size rounds up, so a last partial window is kept.</param>
    public static (Tensor Output, Tensor Indices) MaxPool2dWithIndices(Tensor input, Size2 kernelSize, Size2? stride = null, Size2 padding = default, Size2? dilation = null, bool ceilMode = false) =>
        Tensor.MaxPool2dWithIndices(input, kernelSize, stride, padding, dilation, ceilMode);

    /// <summary>
    /// 2-D average pooling (<c>F.avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True)</c>):
    /// the mean of each window; dL/dx gets dL/dy / divisor at each of the window's taps.
    /// </summary>
    public static Tensor AvgPool2d(Tensor input, Size2 kernelSize, Size2? stride = null, Size2 padding = default, bool ceilMode = false, bool countIncludePad = true) =>
        Tensor.AvgPool2d(input, kernelSize, stride, padding, ceilMode, countIncludePad);

    /// <summary>
    /// Adaptive 2-D average pooling to <paramref name="outputSize"/> (<c>F.adaptive_avg_pool2d(input, output_size)</c>):
    /// output (i, j) averages rows ⌊i·H/OH⌋ .. ⌈(i+1)·H/OH⌉ − 1 and the matching columns.
    /// </summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, Size2 outputSize) => Tensor.AdaptiveAvgPool2d(input, outputSize);
}
