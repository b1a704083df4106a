using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Backprop.Kernels;

/// <summary>
/// General matrix multiply C = op(A)·op(B) (+ C when accumulating), row-major, where op is the
/// identity or the transpose. The transpose flags let matmul's backward use Aᵀ and Bᵀ without
/// materializing them.
/// </summary>
internal static class Gemm
{
    /// <summary>
    /// C[m×n] (+)= op(A)·op(B) with op(A) of shape m×k and op(B) of shape k×n. A is stored m×k
    /// (k×m if <paramref name="transA"/>), B is stored k×n (n×k if <paramref name="transB"/>).
    /// </summary>
    /// <remarks>
    /// <paramref name="oneRowKernel"/> false: a one-row float32 product runs as a row of the blocked
    /// GEMM, not through the matrix-vector kernel (see <see cref="Sgemm.Multiply(bool, bool, int, int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, bool, bool)"/>),
    /// for callers whose rows must not depend on how they were split across threads. Float64 rows are
    /// computed one way whatever the split.
    /// </remarks>
    public static void Multiply<T>(bool transA, bool transB, int m, int n, int k, ArraySegment<T> a, ArraySegment<T> b, ArraySegment<T> c, bool accumulate = false, bool oneRowKernel = true)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            // The packed, register-blocked kernel; the loops below serve float64 (and checking).
            Sgemm.Multiply(transA, transB, m, n, k, MemoryMarshal.Cast<T, float>(a.AsSpan()), MemoryMarshal.Cast<T, float>(b.AsSpan()), MemoryMarshal.Cast<T, float>(c.AsSpan()), accumulate, oneRowKernel);
            return;
        }

        if (!accumulate)
        {
            c.AsSpan(0, m * n).Clear();
        }

        if (transB)
        {
            // c[i, j] += Σ_p op(A)[i, p] · B[j, p]: B's rows are contiguous, so each entry is a dot product.
            Threading.For(m, (long)n * k, (start, end) => DotRows<T>(transA, start, end, m, n, k, a, b, c));
        }
        else
        {
            // c[i, :] += op(A)[i, p] · B[p, :]: streams contiguous rows of B and C.
            Threading.For(m, (long)n * k, (start, end) => AxpyRows<T>(transA, start, end, m, n, k, a, b, c));
        }
    }

    private static void DotRows<T>(bool transA, int start, int end, int m, int n, int k, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> row = transA ? new T[k] : default;
        for (int i = start; i < end; i++)
        {
            ReadOnlySpan<T> ai = transA ? row : a.Slice(i * k, k);
            if (transA)
            {
                for (int p = 0; p < k; p++)
                {
                    row[p] = a[(p * m) + i];
                }
            }

            for (int j = 0; j < n; j++)
            {
                c[(i * n) + j] += TensorPrimitives.Dot(ai, b.Slice(j * k, k));
            }
        }
    }

    private static void AxpyRows<T>(bool transA, int start, int end, int m, int n, int k, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = start; i < end; i++)
        {
            var ci = c.Slice(i * n, n);
            for (int p = 0; p < k; p++)
            {
                T aip = transA ? a[(p * m) + i] : a[(i * k) + p];
                if (aip != T.Zero)
                {
                    TensorPrimitives.MultiplyAdd(b.Slice(p * n, n), aip, ci, ci);
                }
            }
        }
    }
}
