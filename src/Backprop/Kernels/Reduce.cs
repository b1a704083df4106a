using System.Numerics;
using System.Numerics.Tensors;

namespace Backprop.Kernels;

/// <summary>Sum reductions over broadcast dimensions, the kernel behind un-broadcasting and <c>sum(dim)</c>.</summary>
internal static class Reduce
{
    /// <summary>
    /// Sums <paramref name="x"/> down to <paramref name="shape"/>, which must broadcast to x's shape:
    /// leading extra dims and dims of size 1 in <paramref name="shape"/> are summed over.
    /// Returns <paramref name="x"/> itself when the shapes already agree.
    /// </summary>
    public static Tensor SumToShape(string op, Tensor x, int[] shape)
    {
        if (x._shape.AsSpan().SequenceEqual(shape))
        {
            return x;
        }

        if (Shapes.Numel(shape) == 1 && shape.Length <= x.Rank)
        {
            var total = Tensor.Empty(shape, x.DType);
            total.SetDouble(0, x.DType == DType.Float32 ? TensorPrimitives.Sum<float>(x.F32) : TensorPrimitives.Sum<double>(x.F64));
            return total;
        }

        var broadcast = Shapes.Broadcast(op, shape, x._shape);
        if (!broadcast.AsSpan().SequenceEqual(x._shape))
        {
            throw new ArgumentException($"{op}: cannot reduce a gradient of shape {Shapes.Format(x._shape)} to shape {Shapes.Format(shape)}");
        }

        var result = Tensor.Zeros(shape, x.DType);
        var outStrides = Shapes.BroadcastStrides(shape, x._shape);
        if (x.DType == DType.Float32)
        {
            SumTo<float>(x.F32, x._shape, result.F32, outStrides);
        }
        else
        {
            SumTo<double>(x.F64, x._shape, result.F64, outStrides);
        }

        return result;
    }

    /// <summary>dst[broadcast index of i] += src[i], for every i in row-major order.</summary>
    private static void SumTo<T>(T[] src, int[] shape, T[] dst, int[] dstStrides)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rank = shape.Length;
        int inner = shape[rank - 1];
        int innerStride = dstStrides[rank - 1];
        var index = new int[rank];
        int dstOffset = 0;
        for (int start = 0; start < src.Length; start += inner)
        {
            var row = new ReadOnlySpan<T>(src, start, inner);
            if (innerStride == 0)
            {
                dst[dstOffset] += TensorPrimitives.Sum(row);
            }
            else
            {
                var d = new Span<T>(dst, dstOffset, inner);
                TensorPrimitives.Add(d, row, d);
            }

            // Advance the odometer over all dims but the last.
            for (int dim = rank - 2; dim >= 0; dim--)
            {
                dstOffset += dstStrides[dim];
                if (++index[dim] < shape[dim])
                {
                    break;
                }

                dstOffset -= dstStrides[dim] * shape[dim];
                index[dim] = 0;
            }
        }
    }
}
