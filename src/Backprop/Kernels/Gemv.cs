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
/// tolerance of the sequential sum; see Gemv.Rows.cs). Either way every output is computed the same way whatever the
/// thread count or the split.
/// </remarks>
internal static unsafe partial class Gemv
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
            Rows(isa, start, end, k, a, b, c, accumulate);
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

    /// <summary>Columns [j, end) in groups of 256, 64 then 16 (sixteen, four, one accumulator: enough independent sums to cover the FMA latency where the row is wide), each column summing its kc products in order with FMA; returns the first column left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Axpy512(int j, int end, int n, int kc, float* a, float* b, float* c, bool accumulate)
    {
        for (; j + 256 <= end; j += 256)
        {
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            Vector512<float> s8 = default, s9 = default, s10 = default, s11 = default, s12 = default, s13 = default, s14 = default, s15 = default;
            float* row = b + j;
            for (int p = 0; p < kc; p++, row += n)
            {
                var ap = Vector512.Create(a[p]);
                s0 = Avx512F.FusedMultiplyAdd(ap, Vector512.Load(row), s0);
                s1 = Avx512F.FusedMultiplyAdd(ap, Vector512.Load(row + 16), s1);
                s2 = Avx512F.FusedMultiplyAdd(ap, Vector512.Load(row + 32), s2);
                s3 = Avx512F.FusedMultiplyAdd(ap, Vector512.Load(row + 48), s3);
                s4 = Avx512F.FusedMultiplyAdd(ap, Vector512.Load(row + 64), s4);
                s5 = Avx512F.FusedMultiplyAdd(ap, Vector512.Load(row + 80), s5);
                s6 = Avx512F.FusedMultiplyAdd(ap, Vector512.Load(row + 96), s6);
                s7 = Avx512F.FusedMultiplyAdd(ap, Vector512.Load(row + 112), s7);
                s8 = Avx512F.FusedMultiplyAdd(ap, Vector512.Load(row + 128), s8);
                s9 = Avx512F.FusedMultiplyAdd(ap, Vector512.Load(row + 144), s9);
                s10 = Avx512F.FusedMultiplyAdd(ap, Vector512.Load(row + 160), s10);
                s11 = Avx512F.FusedMultiplyAdd(ap, Vector512.Load(row + 176), s11);
                s12 = Avx512F.FusedMultiplyAdd(ap, Vector512.Load(row + 192), s12);
                s13 = Avx512F.FusedMultiplyAdd(ap, Vector512.Load(row + 208), s13);
                s14 = Avx512F.FusedMultiplyAdd(ap, Vector512.Load(row + 224), s14);
                s15 = Avx512F.FusedMultiplyAdd(ap, Vector512.Load(row + 240), s15);
            }

            float* cj = c + j;
            if (accumulate)
            {
                s0 += Vector512.Load(cj);
                s1 += Vector512.Load(cj + 16);
                s2 += Vector512.Load(cj + 32);
                s3 += Vector512.Load(cj + 48);
                s4 += Vector512.Load(cj + 64);
                s5 += Vector512.Load(cj + 80);
                s6 += Vector512.Load(cj + 96);
                s7 += Vector512.Load(cj + 112);
                s8 += Vector512.Load(cj + 128);
                s9 += Vector512.Load(cj + 144);
                s10 += Vector512.Load(cj + 160);
                s11 += Vector512.Load(cj + 176);
                s12 += Vector512.Load(cj + 192);
                s13 += Vector512.Load(cj + 208);
                s14 += Vector512.Load(cj + 224);
                s15 += Vector512.Load(cj + 240);
            }

            Vector512.Store(s0, cj);
            Vector512.Store(s1, cj + 16);
            Vector512.Store(s2, cj + 32);
            Vector512.Store(s3, cj + 48);
            Vector512.Store(s4, cj + 64);
            Vector512.Store(s5, cj + 80);
            Vector512.Store(s6, cj + 96);
            Vector512.Store(s7, cj + 112);
            Vector512.Store(s8, cj + 128);
            Vector512.Store(s9, cj + 144);
            Vector512.Store(s10, cj + 160);
            Vector512.Store(s11, cj + 176);
            Vector512.Store(s12, cj + 192);
            Vector512.Store(s13, cj + 208);
            Vector512.Store(s14, cj + 224);
            Vector512.Store(s15, cj + 240);
        }

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

    /// <summary>As <see cref="Axpy512"/> with 256-bit vectors (groups of 64, 32 then 8 columns; AVX2's sixteen registers hold eight accumulators and the operands).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Axpy256(int j, int end, int n, int kc, float* a, float* b, float* c, bool accumulate)
    {
        for (; j + 64 <= end; j += 64)
        {
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            float* row = b + j;
            for (int p = 0; p < kc; p++, row += n)
            {
                var ap = Vector256.Create(a[p]);
                s0 = Fma.MultiplyAdd(ap, Vector256.Load(row), s0);
                s1 = Fma.MultiplyAdd(ap, Vector256.Load(row + 8), s1);
                s2 = Fma.MultiplyAdd(ap, Vector256.Load(row + 16), s2);
                s3 = Fma.MultiplyAdd(ap, Vector256.Load(row + 24), s3);
                s4 = Fma.MultiplyAdd(ap, Vector256.Load(row + 32), s4);
                s5 = Fma.MultiplyAdd(ap, Vector256.Load(row + 40), s5);
                s6 = Fma.MultiplyAdd(ap, Vector256.Load(row + 48), s6);
                s7 = Fma.MultiplyAdd(ap, Vector256.Load(row + 56), s7);
            }

            float* cj = c + j;
            if (accumulate)
            {
                s0 += Vector256.Load(cj);
                s1 += Vector256.Load(cj + 8);
                s2 += Vector256.Load(cj + 16);
                s3 += Vector256.Load(cj + 24);
                s4 += Vector256.Load(cj + 32);
                s5 += Vector256.Load(cj + 40);
                s6 += Vector256.Load(cj + 48);
                s7 += Vector256.Load(cj + 56);
            }

            Vector256.Store(s0, cj);
            Vector256.Store(s1, cj + 8);
            Vector256.Store(s2, cj + 16);
            Vector256.Store(s3, cj + 24);
            Vector256.Store(s4, cj + 32);
            Vector256.Store(s5, cj + 40);
            Vector256.Store(s6, cj + 48);
            Vector256.Store(s7, cj + 56);
        }

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
}
