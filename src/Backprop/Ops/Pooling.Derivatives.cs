using Backprop.Kernels;

namespace Backprop;

// Pooling's derivatives as ops. Each pooling with its windows fixed is a linear map y = P·x (max pooling
// once its argmax positions are known), and its backward is the adjoint Pᵀ·g. A recorded backward pass
// (createGraph) records Pᵀ as an op whose own backward is P again, so the derivatives close at any order;
// the forward derivative of a pooling is the same map applied to the tangent.
public static partial class PoolingOps
{
    /// <summary>Applies <paramref name="map"/> to <paramref name="x"/> and records it: its backward is the transposed map, recorded the same way.</summary>
    internal static Tensor ApplyLinearMap(LinearMapDefinition map, Tensor x) => map.ApplyRecorded(x);

    /// <summary>Max pooling's positions as a linear map: P gathers each window's argmax, Pᵀ scatters back (adds where windows overlap).</summary>
    private static LinearMapDefinition MaxPoolMap(int[] inputShape, int[] outputShape, int[] indices, Window2d g, int planes) =>
        new(
            "max_pool2d_positions",
            "y = x at each window's argmax (positions fixed); ∂L/∂x = g added back at those positions",
            x =>
            {
                var y = Tensor.Empty(outputShape, x.DType);
                for (int p = 0; p < planes; p++)
                {
                    for (int o = 0; o < g.OutPlane; o++)
                    {
                        y.SetDouble((p * g.OutPlane) + o, x.GetDouble((p * g.InPlane) + indices[(p * g.OutPlane) + o]));
                    }
                }

                return y;
            },
            gy =>
            {
                var gx = Tensor.Empty(inputShape, gy.DType);
                if (gy.DType == DType.Float32)
                {
                    Pooling.MaxBackward(gy.F32, indices, g, planes, gx.F32);
                }
                else
                {
                    Pooling.MaxBackward(gy.F64, indices, g, planes, gx.F64);
                }

                return gx;
            });

    /// <summary>Average pooling as a linear map: P averages each window, Pᵀ spreads g / divisor over the window's taps.</summary>
    private static LinearMapDefinition AvgPoolMap(int[] inputShape, Window2d g, int planes, bool countIncludePad) =>
        new(
            "avg_pool2d_windows",
            "y = the window's mean; ∂L/∂x = g / divisor at every tap of each window",
            x =>
            {
                var y = Tensor.Empty([inputShape[0], inputShape[1], g.OutH, g.OutW], x.DType);
                if (x.DType == DType.Float32)
                {
                    Pooling.AvgForward(x.F32, g, planes, countIncludePad, y.F32);
                }
                else
                {
                    Pooling.AvgForward(x.F64, g, planes, countIncludePad, y.F64);
                }

                return y;
            },
            gy =>
            {
                var gx = Tensor.Empty(inputShape, gy.DType);
                if (gy.DType == DType.Float32)
                {
                    Pooling.AvgBackward(gy.F32, g, planes, countIncludePad, gx.F32);
                }
                else
                {
                    Pooling.AvgBackward(gy.F64, g, planes, countIncludePad, gx.F64);
                }

                return gx;
            });

    /// <summary>Adaptive average pooling as a linear map: P averages each adaptive window, Pᵀ spreads g / area back.</summary>
    private static LinearMapDefinition AdaptiveAvgPoolMap(int[] inputShape, int outH, int outW)
    {
        int planes = inputShape[0] * inputShape[1], height = inputShape[2], width = inputShape[3];
        return new(
            "adaptive_avg_pool2d_windows",
            "y = the adaptive window's mean; ∂L/∂x = g / area at every tap of each window",
            x =>
            {
                var y = Tensor.Empty([inputShape[0], inputShape[1], outH, outW], x.DType);
                if (x.DType == DType.Float32)
                {
                    Pooling.AdaptiveAvgForward(x.F32, planes, height, width, outH, outW, y.F32);
                }
                else
                {
                    Pooling.AdaptiveAvgForward(x.F64, planes, height, width, outH, outW, y.F64);
                }

                return y;
            },
            gy =>
            {
                var gx = Tensor.Empty(inputShape, gy.DType);
                if (gy.DType == DType.Float32)
                {
                    Pooling.AdaptiveAvgBackward(gy.F32, planes, height, width, outH, outW, gx.F32);
                }
                else
                {
                    Pooling.AdaptiveAvgBackward(gy.F64, planes, height, width, outH, outW, gx.F64);
                }

                return gx;
            });
    }

    /// <summary>Max pooling's forward derivative: the tangent at each window's argmax (positions found again from the input).</summary>
    internal static Tensor MaxPoolTangent(Tensor input, Tensor tangent, MaxPool2dDefinition definition)
    {
        var (_, indices) = Tensor.MaxPool2dWithIndices(input, definition.KernelSize, definition.Stride, definition.Padding, definition.Dilation, definition.CeilMode);
        var flat = tangent.Flatten(-2);
        return flat.Gather(-1, indices.Flatten(-2)).Reshape([.. indices.Shape]);
    }

    /// <summary>The registry's sample of a pooling's linear map: average pooling 2×2, stride 1, over a (1, 2, 4, 5) input.</summary>
    internal static LinearMapDefinition SampleAvgPoolMap()
    {
        var x = Tensor.Zeros([1, 2, 4, 5], DType.Float64);
        return AvgPoolMap([1, 2, 4, 5], PoolGeometry("avg_pool2d", x, 2, 1, 0, 1, ceilMode: false), 2, countIncludePad: true);
    }

    /// <summary>The registry's sample of max pooling's positions: 2×2 windows, stride 1 (overlapping), argmax of a fixed ramp.</summary>
    internal static LinearMapDefinition SampleMaxPoolMap()
    {
        var x = Tensor.FromArray(Enumerable.Range(0, 20).Select(i => (double)((i * 7) % 11)).ToArray(), [1, 1, 4, 5]);
        var g = PoolGeometry("max_pool2d", x, 2, 1, 0, 1, ceilMode: false);
        var indices = new int[g.OutPlane];
        var y = new double[g.OutPlane];
        Pooling.MaxForward(x.F64, g, 1, y, indices);
        return MaxPoolMap([1, 1, 4, 5], [1, 1, g.OutH, g.OutW], indices, g, 1);
    }
}
