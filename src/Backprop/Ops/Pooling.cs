using Backprop.Kernels;

namespace Backprop;

// max_pool2d, avg_pool2d, adaptive_avg_pool2d over (N, C, H, W) or (C, H, W): forward and backward side
// by side; the loops are in Kernels/Pooling.cs.
/// <summary>
/// Pooling of <see cref="Tensor"/>: <c>Tensor.MaxPool2d</c>, <c>Tensor.AvgPool2d</c> and <c>Tensor.AdaptiveAvgPool2d</c>.
/// Extension members in namespace <c>Backprop</c>, so they are called as members of <see cref="Tensor"/>.
/// </summary>
public static partial class PoolingOps
{
    extension(Tensor)
    {
        /// <summary>
        /// 2-D max pooling (<c>torch.nn.functional.max_pool2d(input, kernel_size, stride=None, padding=0,
        /// dilation=1, ceil_mode=False)</c>): y[n, c, i, j] = max over the window at (i·sH − pH, j·sW − pW) with
        /// taps spaced by the dilation (padding never wins); stride defaults to the kernel size. The index of
        /// each max is recorded, and dL/dx[that index] += dL/dy (zero elsewhere).
        /// </summary>
        /// <param name="input">(N, C, H, W), or (C, H, W) unbatched.</param>
        /// <param name="kernelSize">The window's (height, width), or one int for both.</param>
        /// <param name="stride">The step between windows; null for the kernel size, as PyTorch.</param>
        /// <param name="padding">−∞ added on each side (default 0), at most half the kernel.</param>
        /// <param name="dilation">The spacing between window elements; null for 1.</param>
        /// <param name="ceilMode">Whether the output size rounds up, so a last partial window counts (default false).</param>
        /// <returns>A new tensor (N, C, OH, OW) (or (C, OH, OW)) of the input's dtype, OH = ⌊(H + 2·pH − dH·(kH − 1) − 1)/sH⌋ + 1 (rounded up with <paramref name="ceilMode"/>), OW likewise.</returns>
        public static Tensor MaxPool2d(Tensor input, Size2 kernelSize, Size2? stride = null, Size2 padding = default, Size2? dilation = null, bool ceilMode = false) =>
            MaxPool2dCore(input, kernelSize, stride, padding, dilation, ceilMode, wantIndices: false).Output;

        /// <summary>
        /// <see cref="MaxPool2d"/> that also returns where each maximum came from
        /// (<c>torch.nn.functional.max_pool2d(..., return_indices=True)</c>, aten's <c>max_pool2d_with_indices</c>):
        /// Indices is int64 of the output's shape, each the flat position ih·W + iw of the max inside its
        /// (H, W) plane, the first one on ties, as PyTorch numbers them (what <c>max_unpool2d</c> reads).
        /// The indices are not differentiable; the values back-propagate as <see cref="MaxPool2d"/>'s do.
        /// </summary>
        /// <param name="input">(N, C, H, W) or unbatched (C, H, W).</param>
        /// <param name="kernelSize">The window (kH, kW).</param>
        /// <param name="stride">The step between windows; the kernel size when null.</param>
        /// <param name="padding">Implicit −∞ padding on each side.</param>
        /// <param name="dilation">The spacing between window taps; 1 when null.</param>
        /// <param name="ceilMode">Whether the output size rounds up, so a last partial window is kept.</param>
        /// <returns>Output: the pooled values, as <see cref="MaxPool2d"/> returns them; Indices: a new int64 tensor of the same shape.</returns>
        public static (Tensor Output, Tensor Indices) MaxPool2dWithIndices(Tensor input, Size2 kernelSize, Size2? stride = null, Size2 padding = default, Size2? dilation = null, bool ceilMode = false)
        {
            var (output, indices) = MaxPool2dCore(input, kernelSize, stride, padding, dilation, ceilMode, wantIndices: true);
            return (output, indices!);
        }

        private static (Tensor Output, Tensor? Indices) MaxPool2dCore(Tensor input, Size2 kernelSize, Size2? stride, Size2 padding, Size2? dilation, bool ceilMode, bool wantIndices)
        {
            ArgumentNullException.ThrowIfNull(input);
            if (input.Rank == 3)
            {
                var (batched, batchedIndices) = MaxPool2dCore(input.Unsqueeze(0), kernelSize, stride, padding, dilation, ceilMode, wantIndices);
                return (batched.Squeeze(0), batchedIndices?.View(batchedIndices.Shape[1..]));
            }

            var g = PoolGeometry("max_pool2d", input, kernelSize, stride ?? kernelSize, padding, dilation ?? 1, ceilMode);
            int planes = input._shape[0] * input._shape[1];
            var output = Tensor.Empty([input._shape[0], input._shape[1], g.OutH, g.OutW], input.DType);
            int[]? indices = wantIndices || (Autograd.IsGradEnabled && input.RequiresGrad) ? GC.AllocateUninitializedArray<int>(output.Numel) : null; // every output's index is written
            if (input.DType == DType.Float32)
            {
                Pooling.MaxForward(input.F32, g, planes, output.F32, indices);
            }
            else
            {
                Pooling.MaxForward(input.F64, g, planes, output.F64, indices);
            }

            Tensor? indexTensor = null;
            if (wantIndices)
            {
                indexTensor = Tensor.Empty(output._shape, DType.Int64);
                var destination = indexTensor.I64;
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = indices![i];
                }
            }

            var result = Tensor.Record(new MaxPool2dDefinition(kernelSize, stride ?? kernelSize, padding, dilation ?? 1, ceilMode), output, [input], gy =>
            {
                if (Autograd.IsGradEnabled)
                {
                    // The backward pass is recorded (createGraph): the scatter to the argmax positions as an op.
                    return [ApplyLinearMap(MaxPoolMap(input._shape, output._shape, indices!, g, planes).Transposed, gy)];
                }

                var gx = Tensor.Empty(input._shape, input.DType);
                if (gy.DType == DType.Float32)
                {
                    Pooling.MaxBackward(gy.F32, indices!, g, planes, gx.F32);
                }
                else
                {
                    Pooling.MaxBackward(gy.F64, indices!, g, planes, gx.F64);
                }

                return [gx];
            });
            return (result, indexTensor);
        }

        /// <summary>
        /// 2-D average pooling (<c>torch.nn.functional.avg_pool2d(input, kernel_size, stride=None, padding=0,
        /// ceil_mode=False, count_include_pad=True)</c>): y[n, c, i, j] = (Σ of the window's inputs) / divisor,
        /// where the divisor is the window area including zero padding (<paramref name="countIncludePad"/>)
        /// or only the taps inside the input; stride defaults to the kernel size. dL/dx gets dL/dy / divisor
        /// at every tap of each window.
        /// </summary>
        /// <param name="input">(N, C, H, W), or (C, H, W) unbatched.</param>
        /// <param name="kernelSize">The window's (height, width), or one int for both.</param>
        /// <param name="stride">The step between windows; null for the kernel size, as PyTorch.</param>
        /// <param name="padding">Zeros added on each side (default 0), at most half the kernel.</param>
        /// <param name="ceilMode">Whether the output size rounds up, so a last partial window counts (default false).</param>
        /// <param name="countIncludePad">Whether padded zeros count in each window's divisor (default true).</param>
        /// <returns>A new tensor (N, C, OH, OW) (or (C, OH, OW)) of the input's dtype, OH = ⌊(H + 2·pH − kH)/sH⌋ + 1 (rounded up with <paramref name="ceilMode"/>), OW likewise.</returns>
        public static Tensor AvgPool2d(Tensor input, Size2 kernelSize, Size2? stride = null, Size2 padding = default, bool ceilMode = false, bool countIncludePad = true)
        {
            ArgumentNullException.ThrowIfNull(input);
            if (input.Rank == 3)
            {
                return AvgPool2d(input.Unsqueeze(0), kernelSize, stride, padding, ceilMode, countIncludePad).Squeeze(0);
            }

            var g = PoolGeometry("avg_pool2d", input, kernelSize, stride ?? kernelSize, padding, 1, ceilMode);
            int planes = input._shape[0] * input._shape[1];
            var output = Tensor.Empty([input._shape[0], input._shape[1], g.OutH, g.OutW], input.DType);
            if (input.DType == DType.Float32)
            {
                Pooling.AvgForward(input.F32, g, planes, countIncludePad, output.F32);
            }
            else
            {
                Pooling.AvgForward(input.F64, g, planes, countIncludePad, output.F64);
            }

            return Tensor.Record(new AvgPool2dDefinition(kernelSize, stride ?? kernelSize, padding, ceilMode, countIncludePad), output, [input], gy =>
            {
                if (Autograd.IsGradEnabled)
                {
                    // The backward pass is recorded (createGraph): the window's spread as an op.
                    return [ApplyLinearMap(AvgPoolMap(input._shape, g, planes, countIncludePad).Transposed, gy)];
                }

                var gx = Tensor.Empty(input._shape, input.DType);
                if (gy.DType == DType.Float32)
                {
                    Pooling.AvgBackward(gy.F32, g, planes, countIncludePad, gx.F32);
                }
                else
                {
                    Pooling.AvgBackward(gy.F64, g, planes, countIncludePad, gx.F64);
                }

                return [gx];
            });
        }

        /// <summary>
        /// Adaptive 2-D average pooling to a fixed output size (<c>torch.nn.functional.adaptive_avg_pool2d(input,
        /// output_size)</c>): y[n, c, i, j] = mean of x[n, c, ⌊i·H/OH⌋ .. ⌈(i+1)·H/OH⌉ − 1, ⌊j·W/OW⌋ .. ⌈(j+1)·W/OW⌉ − 1].
        /// dL/dx gets dL/dy / (window area) at every tap of each window.
        /// </summary>
        /// <param name="input">(N, C, H, W), or (C, H, W) unbatched.</param>
        /// <param name="outputSize">The output's (height, width), or one int for both.</param>
        /// <returns>A new tensor (N, C, OH, OW) (or (C, OH, OW)) of the input's dtype, (OH, OW) = <paramref name="outputSize"/>.</returns>
        public static Tensor AdaptiveAvgPool2d(Tensor input, Size2 outputSize)
        {
            ArgumentNullException.ThrowIfNull(input);
            if (input.Rank == 3)
            {
                return AdaptiveAvgPool2d(input.Unsqueeze(0), outputSize).Squeeze(0);
            }

            Tensor.RequireFloat("adaptive_avg_pool2d", input);
            if (input.Rank != 4)
            {
                throw new ArgumentException($"adaptive_avg_pool2d: expected input of shape (N, C, H, W) or (C, H, W), got {Shapes.Format(input._shape)}");
            }

            int height = input._shape[2], width = input._shape[3], outH = outputSize.Height, outW = outputSize.Width;
            if (outH < 1 || outW < 1)
            {
                throw new ArgumentException($"adaptive_avg_pool2d: output size must be positive, got {outputSize}");
            }

            if (height < 1 || width < 1 || input._shape[1] < 1)
            {
                throw new ArgumentException($"adaptive_avg_pool2d: input {Shapes.Format(input._shape)} is empty in a non-batch dimension, so there is nothing to average");
            }

            int planes = input._shape[0] * input._shape[1];
            var output = Tensor.Empty([input._shape[0], input._shape[1], outH, outW], input.DType);
            if (input.DType == DType.Float32)
            {
                Pooling.AdaptiveAvgForward(input.F32, planes, height, width, outH, outW, output.F32);
            }
            else
            {
                Pooling.AdaptiveAvgForward(input.F64, planes, height, width, outH, outW, output.F64);
            }

            return Tensor.Record(new AdaptiveAvgPool2dDefinition(outputSize), output, [input], gy =>
            {
                if (Autograd.IsGradEnabled)
                {
                    // The backward pass is recorded (createGraph): the window's spread as an op.
                    return [ApplyLinearMap(AdaptiveAvgPoolMap(input._shape, outH, outW).Transposed, gy)];
                }

                var gx = Tensor.Empty(input._shape, input.DType);
                if (gy.DType == DType.Float32)
                {
                    Pooling.AdaptiveAvgBackward(gy.F32, planes, height, width, outH, outW, gx.F32);
                }
                else
                {
                    Pooling.AdaptiveAvgBackward(gy.F64, planes, height, width, outH, outW, gx.F64);
                }

                return [gx];
            });
        }
    }

    /// <summary>Validates a pooling call and returns its window geometry, naming the sizes on error.</summary>
    private static Window2d PoolGeometry(string op, Tensor input, Size2 kernel, Size2 stride, Size2 padding, Size2 dilation, bool ceilMode)
    {
        Tensor.RequireFloat(op, input);
        if (input.Rank != 4)
        {
            throw new ArgumentException($"{op}: expected input of shape (N, C, H, W) or (C, H, W), got {Shapes.Format(input._shape)}");
        }

        if (kernel.Height < 1 || kernel.Width < 1)
        {
            throw new ArgumentException($"{op}: kernel size must be at least 1, got {kernel}");
        }

        ConvolutionOps.RequireWindowArguments(op, stride, padding, dilation);
        if (padding.Height > kernel.Height / 2 || padding.Width > kernel.Width / 2)
        {
            throw new ArgumentException($"{op}: padding {padding} must be at most half of the kernel size {kernel}");
        }

        int height = input._shape[2], width = input._shape[3];
        int outH = Window2d.OutputSize(height, kernel.Height, stride.Height, padding.Height, dilation.Height, ceilMode);
        int outW = Window2d.OutputSize(width, kernel.Width, stride.Width, padding.Width, dilation.Width, ceilMode);
        if (outH < 1 || outW < 1)
        {
            throw new ArgumentException(
                $"{op}: the kernel ({kernel.Height}x{kernel.Width}, dilated {(dilation.Height * (kernel.Height - 1)) + 1}x{(dilation.Width * (kernel.Width - 1)) + 1}) does not fit the padded input " +
                $"({height + (2 * padding.Height)}x{width + (2 * padding.Width)} from input {Shapes.Format(input._shape)} with padding {padding}): the output would be {outH}x{outW}");
        }

        return new Window2d(input._shape[1], height, width, kernel.Height, kernel.Width, stride.Height, stride.Width, padding.Height, padding.Width, dilation.Height, dilation.Width, outH, outW);
    }
}

/// <summary>
/// A pooling op's window, as PyTorch names its arguments: the kernel size, the stride, the padding on
/// each side and whether the output size rounds up; the sealed subclass says which pooling.
/// </summary>
public abstract class Pool2dDefinition : OpDefinition
{
    private protected Pool2dDefinition(string name, string formula, Size2 kernelSize, Size2 stride, Size2 padding, bool ceilMode)
        : base(name, formula)
    {
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        CeilMode = ceilMode;
    }

    /// <summary>The window size (PyTorch's <c>kernel_size</c>).</summary>
    public Size2 KernelSize { get; }

    /// <summary>The step between windows, the kernel size when not given (PyTorch's <c>stride</c>).</summary>
    public Size2 Stride { get; }

    /// <summary>The padding on each side (PyTorch's <c>padding</c>): −∞ for max pooling, zeros for average pooling.</summary>
    public Size2 Padding { get; }

    /// <summary>Whether the output size rounds up (PyTorch's <c>ceil_mode</c>).</summary>
    public bool CeilMode { get; }

    /// <summary>The window's attributes, <paramref name="between"/> (the subclass's own) after the padding.</summary>
    private protected string FormatWindow(string between, string after) =>
        $"kernelSize: {KernelSize.ToCompactString()}, stride: {Stride.ToCompactString()}, padding: {Padding.ToCompactString()}{between}, ceilMode: {(CeilMode ? "true" : "false")}{after}";
}

/// <summary>The definition of <see cref="PoolingOps.MaxPool2d"/> (<c>torch.nn.functional.max_pool2d</c>).</summary>
public sealed class MaxPool2dDefinition : Pool2dDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        PoolingOps.MaxPoolTangent(inputs[0], tangents[0]!, this);

    internal MaxPool2dDefinition(Size2 kernelSize, Size2 stride, Size2 padding, Size2 dilation, bool ceilMode)
        : base("max_pool2d", "y[i, j] = max of the window at (i, j); ∂L/∂x = g at each window's maximum, 0 elsewhere", kernelSize, stride, padding, ceilMode) =>
        Dilation = dilation;

    /// <summary>The spacing between window taps (PyTorch's <c>dilation</c>).</summary>
    public Size2 Dilation { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() => FormatWindow($", dilation: {Dilation.ToCompactString()}", "");

    /// <summary>
    /// ONNX MaxPool with the same window, strides, pads, dilations and ceil_mode; padding never wins a max
    /// in either, and ceil_mode keeps a last partial window unless it would start in the padding in both.
    /// </summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(
        onnx,
        "MaxPool",
        new OnnxAttribute("kernel_shape", Conv2dDefinition.Ints(KernelSize)),
        new OnnxAttribute("strides", Conv2dDefinition.Ints(Stride)),
        new OnnxAttribute("pads", Conv2dDefinition.Pads(Padding)),
        new OnnxAttribute("dilations", Conv2dDefinition.Ints(Dilation)),
        new OnnxAttribute("ceil_mode", CeilMode ? 1 : 0));

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("max_pool2d", x => Tensor.MaxPool2d(x[0], 2), OpRegistry.In([2, 3, 4, 6])),
        new("max_pool2d_odd", x => Tensor.MaxPool2d(x[0], 2), OpRegistry.In([1, 2, 5, 7])),
        new("max_pool2d_overlapping_padded", x => Tensor.MaxPool2d(x[0], 3, stride: 2, padding: 1), OpRegistry.In([2, 2, 5, 6])),
        new("max_pool2d_dilation_ceil", x => Tensor.MaxPool2d(x[0], (2, 3), stride: (1, 2), dilation: 2, ceilMode: true), OpRegistry.In([1, 2, 6, 8])),
    ];
}

/// <summary>The definition of <see cref="PoolingOps.AvgPool2d"/> (<c>torch.nn.functional.avg_pool2d</c>).</summary>
public sealed class AvgPool2dDefinition : Pool2dDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        Tensor.AvgPool2d(tangents[0]!, KernelSize, Stride, Padding, CeilMode, CountIncludePad);

    internal AvgPool2dDefinition(Size2 kernelSize, Size2 stride, Size2 padding, bool ceilMode, bool countIncludePad)
        : base("avg_pool2d", "y[i, j] = (Σ of the window at (i, j)) / divisor; ∂L/∂x = g / divisor at every tap of each window", kernelSize, stride, padding, ceilMode) =>
        CountIncludePad = countIncludePad;

    /// <summary>Whether the divisor counts the padding taps (PyTorch's <c>count_include_pad</c>).</summary>
    public bool CountIncludePad { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() => FormatWindow("", $", countIncludePad: {(CountIncludePad ? "true" : "false")}");

    /// <summary>
    /// ONNX AveragePool with the same window, strides, pads and ceil_mode; count_include_pad means the
    /// same in both (the divisor counts the zero padding, not the part of a ceil_mode window beyond it).
    /// </summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(
        onnx,
        "AveragePool",
        new OnnxAttribute("kernel_shape", Conv2dDefinition.Ints(KernelSize)),
        new OnnxAttribute("strides", Conv2dDefinition.Ints(Stride)),
        new OnnxAttribute("pads", Conv2dDefinition.Pads(Padding)),
        new OnnxAttribute("ceil_mode", CeilMode ? 1 : 0),
        new OnnxAttribute("count_include_pad", CountIncludePad ? 1 : 0));

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("avg_pool2d", x => Tensor.AvgPool2d(x[0], 2), OpRegistry.In([2, 3, 4, 6])),
        new("avg_pool2d_padded", x => Tensor.AvgPool2d(x[0], 3, stride: 2, padding: 1), OpRegistry.In([2, 2, 5, 6])),
        new("avg_pool2d_exclude_pad_ceil", x => Tensor.AvgPool2d(x[0], (3, 2), stride: 2, padding: 1, ceilMode: true, countIncludePad: false), OpRegistry.In([1, 2, 6, 5])),
    ];
}

/// <summary>The definition of <see cref="PoolingOps.AdaptiveAvgPool2d"/> (<c>torch.nn.functional.adaptive_avg_pool2d</c>).</summary>
public sealed class AdaptiveAvgPool2dDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        Tensor.AdaptiveAvgPool2d(tangents[0]!, OutputSize);

    internal AdaptiveAvgPool2dDefinition(Size2 outputSize)
        : base("adaptive_avg_pool2d", "y[i, j] = mean of the window of x that maps to (i, j); ∂L/∂x = g / (window area) at every tap of each window")
    {
        OutputSize = outputSize;
    }

    /// <summary>The output's height and width (PyTorch's <c>output_size</c>).</summary>
    public Size2 OutputSize { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"outputSize: {OutputSize.ToCompactString()}";

    /// <summary>
    /// ONNX has no adaptive pooling. Output 1×1 is GlobalAveragePool; otherwise the windows
    /// [⌊i·H/OH⌋, ⌈(i+1)·H/OH⌉) are those of an AveragePool with kernel = stride = H/OH exactly when OH
    /// divides H (and OW divides W) for the traced input, and any other size is refused.
    /// </summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        if (OutputSize.Height == 1 && OutputSize.Width == 1)
        {
            return LowerAs(onnx, "GlobalAveragePool");
        }

        int[] input = onnx.InputShape(0);
        int height = input[2], width = input[3];
        if (height % OutputSize.Height != 0 || width % OutputSize.Width != 0)
        {
            throw new NotSupportedException(
                $"the op {this} has {height}x{width} input planes, which {OutputSize.Height}x{OutputSize.Width} does not divide: " +
                "ONNX has no adaptive pooling, and its uneven windows match no AveragePool (export for an input size that divides evenly, or use output size 1)");
        }

        long[] kernel = [height / OutputSize.Height, width / OutputSize.Width];
        return LowerAs(onnx, "AveragePool", new OnnxAttribute("kernel_shape", kernel), new OnnxAttribute("strides", kernel));
    }

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("adaptive_avg_pool2d", x => Tensor.AdaptiveAvgPool2d(x[0], (3, 2)), OpRegistry.In([2, 2, 7, 5])),
        new("adaptive_avg_pool2d_global", x => Tensor.AdaptiveAvgPool2d(x[0], 1), OpRegistry.In([2, 3, 4, 3])),
    ];
}
