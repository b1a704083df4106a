namespace Backprop;

public static partial class OpRegistry
{
    /// <summary>Convolutions (Ops/Convolution.cs) and pooling (Ops/Pooling.cs), over their stride, padding, dilation and group options.</summary>
    private static IEnumerable<OpInfo> ConvolutionAndPoolingOps()
    {
        yield return new("conv2d", x => Tensor.Conv2d(x[0], x[1], x[2]), In([2, 3, 5, 6]), In([4, 3, 3, 2]), In([4]));
        yield return new("conv2d_no_bias", x => Tensor.Conv2d(x[0], x[1]), In([2, 2, 4, 5]), In([3, 2, 2, 3]));
        yield return new("conv2d_stride_padding", x => Tensor.Conv2d(x[0], x[1], x[2], stride: 2, padding: 1), In([2, 2, 5, 6]), In([3, 2, 3, 3]), In([3]));
        yield return new("conv2d_asymmetric", x => Tensor.Conv2d(x[0], x[1], x[2], stride: (2, 1), padding: (0, 2)), In([1, 2, 6, 4]), In([2, 2, 3, 2]), In([2]));
        yield return new("conv2d_dilation", x => Tensor.Conv2d(x[0], x[1], x[2], padding: 1, dilation: (2, 3)), In([2, 2, 6, 7]), In([2, 2, 2, 2]), In([2]));
        yield return new("conv2d_groups", x => Tensor.Conv2d(x[0], x[1], x[2], padding: 1, groups: 2), In([2, 4, 4, 5]), In([6, 2, 3, 3]), In([6]));
        yield return new("conv2d_depthwise_stride", x => Tensor.Conv2d(x[0], x[1], null, stride: 2, groups: 3), In([1, 3, 5, 5]), In([3, 1, 2, 2]));
        yield return new("conv2d_pointwise", x => Tensor.Conv2d(x[0], x[1], x[2]), In([2, 3, 3, 4]), In([2, 3, 1, 1]), In([2]));
        yield return new("conv2d_unbatched", x => Tensor.Conv2d(x[0], x[1], x[2], padding: 1), In([2, 4, 3]), In([3, 2, 3, 3]), In([3]));
        yield return new("conv1d", x => Tensor.Conv1d(x[0], x[1], x[2]), In([2, 3, 7]), In([4, 3, 3]), In([4]));
        yield return new("conv1d_stride_padding_dilation_groups", x => Tensor.Conv1d(x[0], x[1], x[2], stride: 2, padding: 2, dilation: 2, groups: 2), In([2, 4, 9]), In([2, 2, 3]), In([2]));

        yield return new("max_pool2d", x => Tensor.MaxPool2d(x[0], 2), In([2, 3, 4, 6]));
        yield return new("max_pool2d_odd", x => Tensor.MaxPool2d(x[0], 2), In([1, 2, 5, 7]));
        yield return new("max_pool2d_overlapping_padded", x => Tensor.MaxPool2d(x[0], 3, stride: 2, padding: 1), In([2, 2, 5, 6]));
        yield return new("max_pool2d_dilation_ceil", x => Tensor.MaxPool2d(x[0], (2, 3), stride: (1, 2), dilation: 2, ceilMode: true), In([1, 2, 6, 8]));
        yield return new("avg_pool2d", x => Tensor.AvgPool2d(x[0], 2), In([2, 3, 4, 6]));
        yield return new("avg_pool2d_padded", x => Tensor.AvgPool2d(x[0], 3, stride: 2, padding: 1), In([2, 2, 5, 6]));
        yield return new("avg_pool2d_exclude_pad_ceil", x => Tensor.AvgPool2d(x[0], (3, 2), stride: 2, padding: 1, ceilMode: true, countIncludePad: false), In([1, 2, 6, 5]));
        yield return new("adaptive_avg_pool2d", x => Tensor.AdaptiveAvgPool2d(x[0], (3, 2)), In([2, 2, 7, 5]));
        yield return new("adaptive_avg_pool2d_global", x => Tensor.AdaptiveAvgPool2d(x[0], 1), In([2, 3, 4, 3]));
    }
}
