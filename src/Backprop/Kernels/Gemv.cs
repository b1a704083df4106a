using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels;

/// <summary>
/// The one-row case of <see cref="Sgemm"/>: c[1×n] (+)= a[1×k]·op(B), a matrix-vector product read
/// straight from B. For one row the packed GEMM would copy all of B into panels and run its MR-row
/// tile with MR − 1 rows of zeros, several times the arithmetic itself (a batch-1 Linear layer, one
/// step of a single sequence's recurrence).
/// </summary>
/// <remarks>
/// With B stored k×n (no transpose) each output sums its k products in order, one FMA per step, over
/// the same depth blocks as the packed kernel, so a row computed here is bit-identical to the same
/// row computed in a larger product. With B stored n×k (transposed, Linear's weight) each output is
/// a dot product of two contiguous rows, summed in vector lanes (rounding within float32's usual
/// tolerance of the sequential sum). Either way every output is computed the same way whatever the
/// thread count or the split.
/// </remarks>
internal static unsafe class Gemv
{
    // Below this many multiply-adds (128 KB of B) one thread streams B faster than two can be handed
    // it. The product streams B from the cache, so two cores (two caches) take about half the time
    // even for small B: 1 << 15 instead of 1 << 19 took the batch-1 MLP on 2 threads from 12 to 7.5 µs
    // and the batch-1 row-LSTM from 150 to 112 µs (its 28 steps find the worker still spinning).
    private const long MinWorkPerThread = 1 << 15;

    /// <summary>
    /// c[1×n] (+)= a[1×k]·op(B), with B stored k×n, or n×k when <paramref name="transB"/>; sums over
    /// k run in blocks of <paramref name="depthBlock"/> (the packed kernel's KC) when B is not transposed.
    /// </summary>
    public static void Multiply(Sgemm.Isa isa, int depthBlock, bool transB, int n, int k, float* a, float* b, float* c, bool accumulate)
    {
        // Column ranges per thread, whole 64-column groups each (the widest vector step).
        int chunks = (int)Math.Min(Math.Min(Threading.Available, Math.Max(1, n / 64)), Math.Max(1, (long)n * k / MinWorkPerThread));
        if (chunks <= 1)
        {
            Columns(isa, depthBlock, transB, 0, n, n, k, a, b, c, accumulate);
            return;
        }

        nint ap = (nint)a, bp = (nint)b, cp = (nint)c;
        int groups = n / 64;
        WorkerPool.Run(chunks, t =>
        {
            int start = (int)((long)groups * t / chunks) * 64;
            int end = t == chunks - 1 ? n : (int)((long)groups * (t + 1) / chunks) * 64;
            Columns(isa, depthBlock, transB, start, end, n, k, (float*)ap, (float*)bp, (float*)cp, accumulate);
        });
    }

    private static void Columns(Sgemm.Isa isa, int depthBlock, bool transB, int start, int end, int n, int k, float* a, float* b, float* c, bool accumulate)
    {
        if (transB)
        {
            int j = start;
            if (isa != Sgemm.Isa.Scalar)
            {
                // Four rows of B at a time: eight independent accumulator chains instead of two (one
                // row's chains alone wait on the FMA latency); each row's sum is the same as Dot's.
                for (; j + 4 <= end; j += 4)
                {
                    float* b0 = b + ((long)j * k);
                    var (d0, d1, d2, d3) = isa == Sgemm.Isa.Avx512 ? Dot4x512(a, b0, k) : Dot4x256(a, b0, k);
                    c[j] = accumulate ? c[j] + d0 : d0;
                    c[j + 1] = accumulate ? c[j + 1] + d1 : d1;
                    c[j + 2] = accumulate ? c[j + 2] + d2 : d2;
                    c[j + 3] = accumulate ? c[j + 3] + d3 : d3;
                }
            }

            for (; j < end; j++)
            {
                float dot = Dot(isa, a, b + ((long)j * k), k);
                c[j] = accumulate ? c[j] + dot : dot;
            }

            return;
        }

        for (int p0 = 0; p0 < k; p0 += depthBlock)
        {
            int kc = Math.Min(depthBlock, k - p0);
            bool acc = accumulate || p0 > 0;
            int j = start;
            if (isa == Sgemm.Isa.Avx512)
            {
                j = Axpy512(j, end, n, kc, a + p0, b + ((long)p0 * n), c, acc);
            }
            else if (isa == Sgemm.Isa.Avx2)
            {
                j = Axpy256(j, end, n, kc, a + p0, b + ((long)p0 * n), c, acc);
            }

            for (; j < end; j++)
            {
                // The packed kernels' arithmetic per element: FMA for the vector ones, multiply then add for the scalar one.
                float sum = 0;
                float* bj = b + ((long)p0 * n) + j;
                for (int p = 0; p < kc; p++)
                {
                    sum = isa == Sgemm.Isa.Scalar ? sum + (a[p0 + p] * bj[(long)p * n]) : MathF.FusedMultiplyAdd(a[p0 + p], bj[(long)p * n], sum);
                }

                c[j] = acc ? c[j] + sum : sum;
            }
        }
    }

    /// <summary>Columns [j, end) in groups of 64 then 16, each column summing its kc products in order with FMA; returns the first column left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Axpy512(int j, int end, int n, int kc, float* a, float* b, float* c, bool accumulate)
    {
        for (; j + 64 <= end; j += 64)
        {
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            float* row = b + j;
            for (int p = 0; p < kc; p++, row += n)
            {
                var ap = Vector512.Create(a[p]);
                s0 = Avx512F.FusedMultiplyAdd(ap, Vector512.Load(row), s0);
                s1 = Avx512F.FusedMultiplyAdd(ap, Vector512.Load(row + 16), s1);
                s2 = Avx512F.FusedMultiplyAdd(ap, Vector512.Load(row + 32), s2);
                s3 = Avx512F.FusedMultiplyAdd(ap, Vector512.Load(row + 48), s3);
            }

            float* cj = c + j;
            if (accumulate)
            {
                (s0, s1, s2, s3) = (s0 + Vector512.Load(cj), s1 + Vector512.Load(cj + 16), s2 + Vector512.Load(cj + 32), s3 + Vector512.Load(cj + 48));
            }

            Vector512.Store(s0, cj);
            Vector512.Store(s1, cj + 16);
            Vector512.Store(s2, cj + 32);
            Vector512.Store(s3, cj + 48);
        }

        for (; j + 16 <= end; j += 16)
        {
            Vector512<float> s = default;
            float* row = b + j;
            for (int p = 0; p < kc; p++, row += n)
            {
                s = Avx512F.FusedMultiplyAdd(Vector512.Create(a[p]), Vector512.Load(row), s);
            }

            Vector512.Store(accumulate ? s + Vector512.Load(c + j) : s, c + j);
        }

        return j;
    }

    /// <summary>As <see cref="Axpy512"/> with 256-bit vectors (groups of 32 then 8 columns).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Axpy256(int j, int end, int n, int kc, float* a, float* b, float* c, bool accumulate)
    {
        for (; j + 32 <= end; j += 32)
        {
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            float* row = b + j;
            for (int p = 0; p < kc; p++, row += n)
            {
                var ap = Vector256.Create(a[p]);
                s0 = Fma.MultiplyAdd(ap, Vector256.Load(row), s0);
                s1 = Fma.MultiplyAdd(ap, Vector256.Load(row + 8), s1);
                s2 = Fma.MultiplyAdd(ap, Vector256.Load(row + 16), s2);
                s3 = Fma.MultiplyAdd(ap, Vector256.Load(row + 24), s3);
            }

            float* cj = c + j;
            if (accumulate)
            {
                (s0, s1, s2, s3) = (s0 + Vector256.Load(cj), s1 + Vector256.Load(cj + 8), s2 + Vector256.Load(cj + 16), s3 + Vector256.Load(cj + 24));
            }

            Vector256.Store(s0, cj);
            Vector256.Store(s1, cj + 8);
            Vector256.Store(s2, cj + 16);
            Vector256.Store(s3, cj + 24);
        }

        for (; j + 8 <= end; j += 8)
        {
            Vector256<float> s = default;
            float* row = b + j;
            for (int p = 0; p < kc; p++, row += n)
            {
                s = Fma.MultiplyAdd(Vector256.Create(a[p]), Vector256.Load(row), s);
            }

            Vector256.Store(accumulate ? s + Vector256.Load(c + j) : s, c + j);
        }

        return j;
    }

    /// <summary>Four <see cref="Dot"/>s of x with the consecutive rows y, y + k, y + 2k, y + 3k (AVX-512), each summed exactly as Dot sums it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float, float, float, float) Dot4x512(float* x, float* y, int k)
    {
        float* y1 = y + k, y2 = y1 + k, y3 = y2 + k;
        Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default, c0 = default, c1 = default, d0 = default, d1 = default;
        int p = 0;
        for (; p + 32 <= k; p += 32)
        {
            var x0 = Vector512.Load(x + p);
            var x1 = Vector512.Load(x + p + 16);
            a0 = Avx512F.FusedMultiplyAdd(x0, Vector512.Load(y + p), a0);
            b0 = Avx512F.FusedMultiplyAdd(x0, Vector512.Load(y1 + p), b0);
            c0 = Avx512F.FusedMultiplyAdd(x0, Vector512.Load(y2 + p), c0);
            d0 = Avx512F.FusedMultiplyAdd(x0, Vector512.Load(y3 + p), d0);
            a1 = Avx512F.FusedMultiplyAdd(x1, Vector512.Load(y + p + 16), a1);
            b1 = Avx512F.FusedMultiplyAdd(x1, Vector512.Load(y1 + p + 16), b1);
            c1 = Avx512F.FusedMultiplyAdd(x1, Vector512.Load(y2 + p + 16), c1);
            d1 = Avx512F.FusedMultiplyAdd(x1, Vector512.Load(y3 + p + 16), d1);
        }

        if (p + 16 <= k)
        {
            var x0 = Vector512.Load(x + p);
            a0 = Avx512F.FusedMultiplyAdd(x0, Vector512.Load(y + p), a0);
            b0 = Avx512F.FusedMultiplyAdd(x0, Vector512.Load(y1 + p), b0);
            c0 = Avx512F.FusedMultiplyAdd(x0, Vector512.Load(y2 + p), c0);
            d0 = Avx512F.FusedMultiplyAdd(x0, Vector512.Load(y3 + p), d0);
            p += 16;
        }

        float sa = Vector512.Sum(a0 + a1), sb = Vector512.Sum(b0 + b1), sc = Vector512.Sum(c0 + c1), sd = Vector512.Sum(d0 + d1);
        for (; p < k; p++)
        {
            sa = MathF.FusedMultiplyAdd(x[p], y[p], sa);
            sb = MathF.FusedMultiplyAdd(x[p], y1[p], sb);
            sc = MathF.FusedMultiplyAdd(x[p], y2[p], sc);
            sd = MathF.FusedMultiplyAdd(x[p], y3[p], sd);
        }

        return (sa, sb, sc, sd);
    }

    /// <summary>As <see cref="Dot4x512"/> with 256-bit vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float, float, float, float) Dot4x256(float* x, float* y, int k)
    {
        float* y1 = y + k, y2 = y1 + k, y3 = y2 + k;
        Vector256<float> a0 = default, a1 = default, b0 = default, b1 = default, c0 = default, c1 = default, d0 = default, d1 = default;
        int p = 0;
        for (; p + 16 <= k; p += 16)
        {
            var x0 = Vector256.Load(x + p);
            var x1 = Vector256.Load(x + p + 8);
            a0 = Fma.MultiplyAdd(x0, Vector256.Load(y + p), a0);
            b0 = Fma.MultiplyAdd(x0, Vector256.Load(y1 + p), b0);
            c0 = Fma.MultiplyAdd(x0, Vector256.Load(y2 + p), c0);
            d0 = Fma.MultiplyAdd(x0, Vector256.Load(y3 + p), d0);
            a1 = Fma.MultiplyAdd(x1, Vector256.Load(y + p + 8), a1);
            b1 = Fma.MultiplyAdd(x1, Vector256.Load(y1 + p + 8), b1);
            c1 = Fma.MultiplyAdd(x1, Vector256.Load(y2 + p + 8), c1);
            d1 = Fma.MultiplyAdd(x1, Vector256.Load(y3 + p + 8), d1);
        }

        if (p + 8 <= k)
        {
            var x0 = Vector256.Load(x + p);
            a0 = Fma.MultiplyAdd(x0, Vector256.Load(y + p), a0);
            b0 = Fma.MultiplyAdd(x0, Vector256.Load(y1 + p), b0);
            c0 = Fma.MultiplyAdd(x0, Vector256.Load(y2 + p), c0);
            d0 = Fma.MultiplyAdd(x0, Vector256.Load(y3 + p), d0);
            p += 8;
        }

        float sa = Vector256.Sum(a0 + a1), sb = Vector256.Sum(b0 + b1), sc = Vector256.Sum(c0 + c1), sd = Vector256.Sum(d0 + d1);
        for (; p < k; p++)
        {
            sa = MathF.FusedMultiplyAdd(x[p], y[p], sa);
            sb = MathF.FusedMultiplyAdd(x[p], y1[p], sb);
            sc = MathF.FusedMultiplyAdd(x[p], y2[p], sc);
            sd = MathF.FusedMultiplyAdd(x[p], y3[p], sd);
        }

        return (sa, sb, sc, sd);
    }

    /// <summary>Σ x[p]·y[p] over two contiguous rows: two vector accumulators, their lane sum, then the tail in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot(Sgemm.Isa isa, float* x, float* y, int k)
    {
        int p = 0;
        float sum = 0;
        if (isa == Sgemm.Isa.Avx512)
        {
            Vector512<float> s0 = default, s1 = default;
            for (; p + 32 <= k; p += 32)
            {
                s0 = Avx512F.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.Load(y + p), s0);
                s1 = Avx512F.FusedMultiplyAdd(Vector512.Load(x + p + 16), Vector512.Load(y + p + 16), s1);
            }

            if (p + 16 <= k)
            {
                s0 = Avx512F.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.Load(y + p), s0);
                p += 16;
            }

            sum = Vector512.Sum(s0 + s1);
        }
        else if (isa == Sgemm.Isa.Avx2)
        {
            Vector256<float> s0 = default, s1 = default;
            for (; p + 16 <= k; p += 16)
            {
                s0 = Fma.MultiplyAdd(Vector256.Load(x + p), Vector256.Load(y + p), s0);
                s1 = Fma.MultiplyAdd(Vector256.Load(x + p + 8), Vector256.Load(y + p + 8), s1);
            }

            if (p + 8 <= k)
            {
                s0 = Fma.MultiplyAdd(Vector256.Load(x + p), Vector256.Load(y + p), s0);
                p += 8;
            }

            sum = Vector256.Sum(s0 + s1);
        }

        for (; p < k; p++)
        {
            sum = isa == Sgemm.Isa.Scalar ? sum + (x[p] * y[p]) : MathF.FusedMultiplyAdd(x[p], y[p], sum);
        }

        return sum;
    }
}
