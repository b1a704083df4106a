using System.Numerics;

namespace Backprop.Kernels;

/// <summary>An elementwise binary kernel, vectorized over contiguous runs and scalar on broadcast ones.</summary>
internal interface IBinaryKernel
{
    /// <summary>destination[i] = f(x[i], y[i]).</summary>
    void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>destination[i] = f(x[i], y).</summary>
    void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>destination[i] = f(x, y[i]).</summary>
    void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>Runs an <see cref="IBinaryKernel"/> over two arrays with NumPy broadcasting (shapes are checked by <see cref="Broadcasting.Binary"/>).</summary>
internal static class Broadcast
{
    /// <summary>
    /// dst = kernel(a, b) over the broadcast <paramref name="shape"/> of a's shape
    /// <paramref name="aShape"/> and b's <paramref name="bShape"/>. dst may be a or b itself.
    /// </summary>
    public static void Binary<T, TKernel>(T[] a, int[] aShape, T[] b, int[] bShape, T[] dst, int[] shape, TKernel kernel)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : struct, IBinaryKernel
    {
        if (dst.Length == 0)
        {
            return;
        }

        if (a.Length == dst.Length && b.Length == dst.Length)
        {
            Threading.ForElements(dst.Length, (start, end) => kernel.Apply<T>(a.AsSpan(start, end - start), b.AsSpan(start, end - start), dst.AsSpan(start, end - start)));
            return;
        }

        if (b.Length == 1 && a.Length == dst.Length)
        {
            Threading.ForElements(dst.Length, (start, end) => kernel.Apply<T>(a.AsSpan(start, end - start), b[0], dst.AsSpan(start, end - start)));
            return;
        }

        if (a.Length == 1 && b.Length == dst.Length)
        {
            Threading.ForElements(dst.Length, (start, end) => kernel.Apply<T>(a[0], b.AsSpan(start, end - start), dst.AsSpan(start, end - start)));
            return;
        }

        int rank = shape.Length;
        var sa = Strides.Broadcast(aShape, shape);
        var sb = Strides.Broadcast(bShape, shape);
        int inner = shape[rank - 1];
        int ia = sa[rank - 1], ib = sb[rank - 1];
        var index = new int[rank];
        int offA = 0, offB = 0;
        for (int start = 0; start < dst.Length; start += inner)
        {
            var d = new Span<T>(dst, start, inner);
            if (ia != 0 && ib != 0)
            {
                kernel.Apply<T>(new ReadOnlySpan<T>(a, offA, inner), new ReadOnlySpan<T>(b, offB, inner), d);
            }
            else if (ia != 0)
            {
                kernel.Apply<T>(new ReadOnlySpan<T>(a, offA, inner), b[offB], d);
            }
            else if (ib != 0)
            {
                kernel.Apply<T>(a[offA], new ReadOnlySpan<T>(b, offB, inner), d);
            }
            else
            {
                kernel.Apply<T>(new ReadOnlySpan<T>(a, offA, 1), b[offB], d[..1]);
                d.Fill(d[0]);
            }

            for (int dim = rank - 2; dim >= 0; dim--)
            {
                offA += sa[dim];
                offB += sb[dim];
                if (++index[dim] < shape[dim])
                {
                    break;
                }

                offA -= sa[dim] * shape[dim];
                offB -= sb[dim] * shape[dim];
                index[dim] = 0;
            }
        }
    }
}
