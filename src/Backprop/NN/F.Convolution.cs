namespace Backprop.NN;

public static partial class F
{
    /// <summary>
    /// 2-D convolution (<c>F.conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)</c>)
    /// of (N, C, H, W) or (C, H, W) input with (O, C/groups, kH, kW) weight:
    /// y[n, o, i, j] = b[o] + Σ_{c, p, q} w[o, c, p, q] · x[n, c, i·sH − pH + p·dH, j·sW − pW + q·dW].
    /// dL/dx is the transposed convolution of dL/dy, dL/dw correlates x with dL/dy, dL/db sums dL/dy.
    /// </summary>
    /// <param name="input">(N, C_in, H, W), or (C_in, H, W) unbatched.</param>
    /// <param name="weight">The kernels, (C_out, C_in/groups, kH, kW).</param>
    /// <param name="bias">One value per output channel, (C_out), or null for none.</param>
    /// <param name="stride">The step between windows, (height, width) or one int; null for 1.</param>
    /// <param name="padding">
    /// Zeros added on each side, (height, width) or one int (default 0); or <c>"same"</c>
    /// (<see cref="Padding.Same"/>: the output keeps H × W, stride 1 only, an odd total padding's extra
    /// row and column at the bottom and right, as PyTorch) or <c>"valid"</c> (no padding).
    /// </param>
    /// <param name="dilation">The spacing between kernel taps; null for 1.</param>
    /// <param name="groups">How many groups the channels are split into, each convolved separately; divides C_in and C_out (default 1).</param>
    /// <returns>A new tensor (N, C_out, H_out, W_out), or (C_out, H_out, W_out) unbatched, of the input's dtype.</returns>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, Size2? stride = null, Padding padding = default, Size2? dilation = null, int groups = 1) =>
        Tensor.Conv2d(input, weight, bias, stride, padding, dilation, groups);

    /// <summary>
    /// 1-D convolution (<c>F.conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)</c>)
    /// of (N, C, L) or (C, L) input with (O, C/groups, k) weight: y[n, o, i] = b[o] + Σ_{c, p} w[o, c, p] · x[n, c, i·s − pad + p·d].
    /// </summary>
    /// <param name="input">(N, C_in, L), or (C_in, L) unbatched.</param>
    /// <param name="weight">The kernels, (C_out, C_in/groups, k).</param>
    /// <param name="bias">One value per output channel, (C_out), or null for none.</param>
    /// <param name="stride">The step between windows (default 1).</param>
    /// <param name="padding">
    /// Zeros added at both ends (default 0); or <c>"same"</c> (the output keeps length L, stride 1 only,
    /// an odd total padding's extra zero at the end, as PyTorch) or <c>"valid"</c> (no padding).
    /// </param>
    /// <param name="dilation">The spacing between kernel taps (default 1).</param>
    /// <param name="groups">How many groups the channels are split into, each convolved separately; divides C_in and C_out (default 1).</param>
    /// <returns>A new tensor (N, C_out, L_out), or (C_out, L_out) unbatched, of the input's dtype.</returns>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, Padding padding = default, int dilation = 1, int groups = 1) =>
        Tensor.Conv1d(input, weight, bias, stride, padding, dilation, groups);

    /// <summary>
    /// Pads the last dims (<c>F.pad(input, pad, mode='constant', value=None)</c>): <paramref name="pad"/>
    /// is (before, after) for the last dim, then for the one before it, and so on, so
    /// <c>F.Pad(x, [1, 1, 2, 2], PadMode.Reflect)</c> adds a reflected column on each side and two
    /// reflected rows above and below; negative values remove elements. See <see cref="PaddingOps.Pad"/>
    /// for each mode's formula and its derivative.
    /// </summary>
    /// <param name="input">The tensor padded; reflect, replicate and circular pad 1, 2 or 3 dims of an input with one or two dims more.</param>
    /// <param name="pad">(before, after) per padded dim, the last dim first.</param>
    /// <param name="mode">constant (default), reflect, replicate or circular.</param>
    /// <param name="value">The fill of constant padding (default 0); the other modes take none.</param>
    /// <returns>The padded tensor.</returns>
    public static Tensor Pad(Tensor input, int[] pad, PadMode mode = PadMode.Constant, double value = 0) =>
        Tensor.Pad(input, pad, mode, value);

    /// <summary>
    /// 2-D max pooling (<c>F.max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False)</c>):
    /// the largest input of each window; dL/dx is dL/dy at each window's max and 0 elsewhere.
    /// </summary>
    /// <param name="input">(N, C, H, W), or (C, H, W) unbatched.</param>
    /// <param name="kernelSize">The window's (height, width), or one int for both.</param>
    /// <param name="stride">The step between windows; null for the kernel size, as PyTorch.</param>
    /// <param name="padding">−∞ added on each side (default 0), at most half the kernel.</param>
    /// <param name="dilation">The spacing between window elements; null for 1.</param>
    /// <param name="ceilMode">Whether the output size rounds up, so a last partial window counts (default false).</param>
    /// <returns>A new tensor (N, C, OH, OW), or (C, OH, OW) unbatched, of the input's dtype.</returns>
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
    /// <returns>Output: the pooled values, (N, C, OH, OW) or (C, OH, OW); Indices: a new int64 tensor of that shape.</returns>
    public static (Tensor Output, Tensor Indices) MaxPool2dWithIndices(Tensor input, Size2 kernelSize, Size2? stride = null, Size2 padding = default, Size2? dilation = null, bool ceilMode = false) =>
        Tensor.MaxPool2dWithIndices(input, kernelSize, stride, padding, dilation, ceilMode);

    /// <summary>
    /// 2-D average pooling (<c>F.avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True)</c>):
    /// the mean of each window; dL/dx gets dL/dy / divisor at each of the window's taps.
    /// </summary>
    /// <param name="input">(N, C, H, W), or (C, H, W) unbatched.</param>
    /// <param name="kernelSize">The window's (height, width), or one int for both.</param>
    /// <param name="stride">The step between windows; null for the kernel size, as PyTorch.</param>
    /// <param name="padding">Zeros added on each side (default 0), at most half the kernel.</param>
    /// <param name="ceilMode">Whether the output size rounds up, so a last partial window counts (default false).</param>
    /// <param name="countIncludePad">Whether padded zeros count in each window's divisor (default true).</param>
    /// <returns>A new tensor (N, C, OH, OW), or (C, OH, OW) unbatched, of the input's dtype.</returns>
    public static Tensor AvgPool2d(Tensor input, Size2 kernelSize, Size2? stride = null, Size2 padding = default, bool ceilMode = false, bool countIncludePad = true) =>
        Tensor.AvgPool2d(input, kernelSize, stride, padding, ceilMode, countIncludePad);

    /// <summary>
    /// Adaptive 2-D average pooling to <paramref name="outputSize"/> (<c>F.adaptive_avg_pool2d(input, output_size)</c>):
    /// output (i, j) averages rows ⌊i·H/OH⌋ .. ⌈(i+1)·H/OH⌉ − 1 and the matching columns.
    /// </summary>
    /// <param name="input">(N, C, H, W), or (C, H, W) unbatched.</param>
    /// <param name="outputSize">The output's (height, width), or one int for both.</param>
    /// <returns>A new tensor (N, C, OH, OW), or (C, OH, OW) unbatched, of the input's dtype, (OH, OW) = <paramref name="outputSize"/>.</returns>
    public static Tensor AdaptiveAvgPool2d(Tensor input, Size2 outputSize) => Tensor.AdaptiveAvgPool2d(input, outputSize);
}
