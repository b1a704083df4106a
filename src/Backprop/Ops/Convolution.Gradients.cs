using Backprop.Kernels;

namespace Backprop;

// conv2d's two derivatives as ops of their own, so a backward pass through conv2d can be recorded
// (createGraph) and differentiated again: each is linear in both of its inputs, and the derivatives
// of conv2d, of its input gradient and of its weight gradient are all made of these three ops.
public static partial class ConvolutionOps
{
    /// <summary>
    /// dL/dx of conv2d from dL/dy and the weight (the transposed convolution of <paramref name="gy"/>
    /// with <paramref name="weight"/>), recorded as the op <c>conv2d_input_grad</c>.
    /// </summary>
    internal static Tensor Conv2dInputGrad(Tensor gy, Tensor weight, int[] inputShape, Conv2dDefinition geometry)
    {
        var g = Window(inputShape, weight._shape, geometry);
        var gx = Tensor.Empty(inputShape, gy.DType);
        int batch = inputShape[0], outChannels = weight._shape[0];
        if (gy.DType == DType.Float32)
        {
            // gx stands in for the input array, which the kernel reads only for the weight gradient.
            Conv2dBackward<float>(gy.F32, gx.F32, weight.F32, gx.F32, null, null, batch, g, outChannels, geometry.Groups);
        }
        else
        {
            Conv2dBackward<double>(gy.F64, gx.F64, weight.F64, gx.F64, null, null, batch, g, outChannels, geometry.Groups);
        }

        return Tensor.Record(new Conv2dInputGradDefinition(geometry), gx, [gy, weight], gg =>
        [
            gy.RequiresGrad ? Convolve(gg, weight, geometry) : null,
            weight.RequiresGrad ? Conv2dWeightGrad(gg, gy, weight._shape, geometry) : null,
        ]);
    }

    /// <summary>
    /// dL/dw of conv2d from the input and dL/dy (Σ over samples and positions of dL/dy times the input
    /// window), recorded as the op <c>conv2d_weight_grad</c>.
    /// </summary>
    internal static Tensor Conv2dWeightGrad(Tensor input, Tensor gy, int[] weightShape, Conv2dDefinition geometry)
    {
        var g = Window(input._shape, weightShape, geometry);
        var gw = Tensor.Empty(weightShape, gy.DType);
        int batch = input._shape[0], outChannels = weightShape[0];
        if (gy.DType == DType.Float32)
        {
            // gw stands in for the weight array, which the kernel reads only for the input gradient.
            Conv2dBackward<float>(gy.F32, input.F32, gw.F32, null, gw.F32, null, batch, g, outChannels, geometry.Groups);
        }
        else
        {
            Conv2dBackward<double>(gy.F64, input.F64, gw.F64, null, gw.F64, null, batch, g, outChannels, geometry.Groups);
        }

        return Tensor.Record(new Conv2dWeightGradDefinition(geometry), gw, [input, gy], gg =>
        [
            input.RequiresGrad ? Conv2dInputGrad(gy, gg, input._shape, geometry) : null,
            gy.RequiresGrad ? Convolve(input, gg, geometry) : null,
        ]);
    }

    /// <summary>conv2d's backward with recorded ops: [dL/dx, dL/dw, dL/db].</summary>
    private static Tensor?[] Conv2dBackwardRecorded(Tensor gy, Tensor input, Tensor weight, Tensor? bias, Conv2dDefinition geometry)
    {
        var gx = input.RequiresGrad ? Conv2dInputGrad(gy, weight, input._shape, geometry) : null;
        var gw = weight.RequiresGrad ? Conv2dWeightGrad(input, gy, weight._shape, geometry) : null;
        var gb = bias is { RequiresGrad: true } ? gy.Sum([0, 2, 3]) : null;
        return bias is null ? [gx, gw] : [gx, gw, gb];
    }

    /// <summary>conv2d's forward derivative: conv(ẋ, w) + conv(x, ẇ) + ḃ.</summary>
    internal static Tensor? Conv2dTangent(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?> tangents, Conv2dDefinition geometry) =>
        OpDefinition.SumOfTangents(
            tangents[0] is { } tx ? Convolve(tx, inputs[1], geometry) : null,
            tangents[1] is { } tw ? Convolve(inputs[0], tw, geometry) : null,
            inputs.Count > 2 && tangents[2] is { } tb ? tb.Reshape(1, tb.Numel, 1, 1) : null);

    /// <summary>conv2d without bias at the recorded stride, padding, dilation and groups.</summary>
    private static Tensor Convolve(Tensor input, Tensor weight, Conv2dDefinition geometry) =>
        Tensor.Conv2d(input, weight, null, geometry.Stride, geometry.Padding, geometry.Dilation, geometry.Groups);

    private static Window2d Window(int[] inputShape, int[] weightShape, Conv2dDefinition geometry)
    {
        int outH = Window2d.OutputSize(inputShape[2], weightShape[2], geometry.Stride.Height, geometry.Padding.Height, geometry.Dilation.Height);
        int outW = Window2d.OutputSize(inputShape[3], weightShape[3], geometry.Stride.Width, geometry.Padding.Width, geometry.Dilation.Width);
        return new Window2d(
            inputShape[1], inputShape[2], inputShape[3], weightShape[2], weightShape[3],
            geometry.Stride.Height, geometry.Stride.Width, geometry.Padding.Height, geometry.Padding.Width,
            geometry.Dilation.Height, geometry.Dilation.Width, outH, outW);
    }
}

/// <summary>
/// The definition of conv2d's input gradient as an op (the transposed convolution; PyTorch's
/// <c>convolution_backward</c> for the input), recorded when a backward pass through conv2d is itself recorded.
/// </summary>
public sealed class Conv2dInputGradDefinition : OpDefinition, IGradCheckSamples
{
    internal Conv2dInputGradDefinition(Conv2dDefinition geometry)
        : base("conv2d_input_grad", "gx = conv_transpose2d(gy, w); ∂/∂gy = conv2d(·, w), ∂/∂w = conv2d_weight_grad(·, gy)") => Geometry = geometry;

    /// <summary>The stride, padding, dilation and groups of the convolution it differentiates.</summary>
    public Conv2dDefinition Geometry { get; }

    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        SumOfTerms(
            tangents[0] is { } tgy ? ConvolutionOps.Conv2dInputGrad(tgy, inputs[1], [.. output.Shape], Geometry) : null,
            tangents[1] is { } tw ? ConvolutionOps.Conv2dInputGrad(inputs[0], tw, [.. output.Shape], Geometry) : null);

    /// <inheritdoc/>
    protected override string FormatAttributes() => Geometry.ToString()[(Geometry.Name.Length + 1)..^1];

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("conv2d_input_grad", x => ConvolutionOps.Conv2dInputGrad(x[0], x[1], [2, 2, 5, 5], new Conv2dDefinition(1, 1, 1, 1)), OpRegistry.In([2, 3, 5, 5]), OpRegistry.In([3, 2, 3, 3])),
        new("conv2d_input_grad_stride_groups", x => ConvolutionOps.Conv2dInputGrad(x[0], x[1], [1, 4, 6, 5], new Conv2dDefinition(2, (1, 0), 1, 2)), OpRegistry.In([1, 2, 3, 2]), OpRegistry.In([2, 2, 3, 2])),
    ];
}

/// <summary>
/// The definition of conv2d's weight gradient as an op (PyTorch's <c>convolution_backward</c> for the
/// weight), recorded when a backward pass through conv2d is itself recorded.
/// </summary>
public sealed class Conv2dWeightGradDefinition : OpDefinition, IGradCheckSamples
{
    internal Conv2dWeightGradDefinition(Conv2dDefinition geometry)
        : base("conv2d_weight_grad", "gw[o, c, p, q] = Σ gy[n, o, i, j]·x[n, c, window]; ∂/∂x = conv2d_input_grad(gy, ·), ∂/∂gy = conv2d(x, ·)") => Geometry = geometry;

    /// <summary>The stride, padding, dilation and groups of the convolution it differentiates.</summary>
    public Conv2dDefinition Geometry { get; }

    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        SumOfTerms(
            tangents[0] is { } tx ? ConvolutionOps.Conv2dWeightGrad(tx, inputs[1], [.. output.Shape], Geometry) : null,
            tangents[1] is { } tgy ? ConvolutionOps.Conv2dWeightGrad(inputs[0], tgy, [.. output.Shape], Geometry) : null);

    /// <inheritdoc/>
    protected override string FormatAttributes() => Geometry.ToString()[(Geometry.Name.Length + 1)..^1];

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("conv2d_weight_grad", x => ConvolutionOps.Conv2dWeightGrad(x[0], x[1], [3, 2, 3, 3], new Conv2dDefinition(1, 1, 1, 1)), OpRegistry.In([2, 2, 5, 5]), OpRegistry.In([2, 3, 5, 5])),
        new("conv2d_weight_grad_stride_dilation", x => ConvolutionOps.Conv2dWeightGrad(x[0], x[1], [2, 1, 2, 2], new Conv2dDefinition(2, 1, 2, 2)), OpRegistry.In([1, 2, 6, 7]), OpRegistry.In([1, 2, 3, 4])),
    ];
}
