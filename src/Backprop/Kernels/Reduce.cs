using System.Numerics;
using System.Numerics.Tensors;

namespace Backprop.Kernels;

/// <summary>Sum reductions over broadcast dimensions, the kernel behind un-broadcasting and <c>sum(dim)</c> (<see cref="Broadcasting.SumToShape"/>).</summary>
internal static class Reduce
{
    /// <summary>
    /// dst[broadcast index of i] += src[i], for every i of <paramref name="src"/> (of shape
    /// <paramref name="shape"/>) in row-major order; <paramref name="dstStrides"/> are dst's strides
    /// over src's dimensions, 0 where dst has size 1 (summed over).
    /// </summary>
    public static void SumTo<T>(T[] src, int[] shape, T[] dst, int[] dstStrides)
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
