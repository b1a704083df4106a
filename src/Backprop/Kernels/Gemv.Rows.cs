using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels;

/// <summary>
/// The one-row product with B stored n×k (transposed: a Linear layer's weight, a recurrent layer's
/// W_hh): every output is the dot product of a with one contiguous row of B.
/// </summary>
/// <remarks>
/// Rows of B are taken sixteen at a time (AVX-512; eight with AVX2), one vector accumulator per row
/// summing its k products in order, a vector width at a time; the lane sums of all the rows are then
/// formed together by a reduction tree (halves, quarters, pairs, lanes), a few shuffle-and-add steps
/// for the whole group instead of a horizontal sum per row, and the elements past the last whole
/// vector are added after, in order. A row outside a whole group is summed alone by the same
/// arithmetic (<see cref="LaneSum512"/> is that tree for one vector), so every output is the same
/// whatever its neighbours, the split over threads or n.
/// </remarks>
internal static unsafe partial class Gemv
{
    /// <summary>c[j] (+)= a·B[j, :] for the rows j in [start, end) of B stored n×k.</summary>
    private static void Rows(Sgemm.Isa isa, int start, int end, int k, float* a, float* b, float* c, bool accumulate)
    {
        int j = start;
        if (isa == Sgemm.Isa.Avx512)
        {
            for (; j + 16 <= end; j += 16)
            {
                Dot16x512(a, b + ((long)j * k), k, c + j, accumulate);
            }
        }
        else if (isa == Sgemm.Isa.Avx2)
        {
            for (; j + 8 <= end; j += 8)
            {
                Dot8x256(a, b + ((long)j * k), k, c + j, accumulate);
            }
        }

        for (; j < end; j++)
        {
            float dot = isa switch
            {
                Sgemm.Isa.Avx512 => Dot512(a, b + ((long)j * k), k),
                Sgemm.Isa.Avx2 => Dot256(a, b + ((long)j * k), k),
                _ => DotScalar(a, b + ((long)j * k), k),
            };
            c[j] = accumulate ? c[j] + dot : dot;
        }
    }

    /// <summary>
    /// Sixteen dot products of x with the consecutive rows y, y + k, …, y + 15k into c[0..16).
    /// The tree leaves the sum of accumulator q in lane idx[q] for idx = 0, 4, 8, 12, 1, 5, … (a 4 × 4
    /// transpose, its own inverse), so accumulator q takes row idx[q] and the sums come out in row order.
    /// Depth runs in blocks of 128 (eight vectors of x held in registers, each row read in memory
    /// order), then a vector at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot16x512(float* x, float* y, int k, float* c, bool accumulate)
    {
        float* y0 = y;
        float* y1 = y + (4L * k);
        float* y2 = y + (8L * k);
        float* y3 = y + (12L * k);
        float* y4 = y + (1L * k);
        float* y5 = y + (5L * k);
        float* y6 = y + (9L * k);
        float* y7 = y + (13L * k);
        float* y8 = y + (2L * k);
        float* y9 = y + (6L * k);
        float* y10 = y + (10L * k);
        float* y11 = y + (14L * k);
        float* y12 = y + (3L * k);
        float* y13 = y + (7L * k);
        float* y14 = y + (11L * k);
        float* y15 = y + (15L * k);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        int p = 0;
        for (; p + 128 <= k; p += 128)
        {
            var x0 = Vector512.Load(x + p);
            var x1 = Vector512.Load(x + p + 16);
            var x2 = Vector512.Load(x + p + 32);
            var x3 = Vector512.Load(x + p + 48);
            var x4 = Vector512.Load(x + p + 64);
            var x5 = Vector512.Load(x + p + 80);
            var x6 = Vector512.Load(x + p + 96);
            var x7 = Vector512.Load(x + p + 112);
            a0 = Block128(a0, y0 + p, x0, x1, x2, x3, x4, x5, x6, x7);
            a4 = Block128(a4, y4 + p, x0, x1, x2, x3, x4, x5, x6, x7);
            a8 = Block128(a8, y8 + p, x0, x1, x2, x3, x4, x5, x6, x7);
            a12 = Block128(a12, y12 + p, x0, x1, x2, x3, x4, x5, x6, x7);
            a1 = Block128(a1, y1 + p, x0, x1, x2, x3, x4, x5, x6, x7);
            a5 = Block128(a5, y5 + p, x0, x1, x2, x3, x4, x5, x6, x7);
            a9 = Block128(a9, y9 + p, x0, x1, x2, x3, x4, x5, x6, x7);
            a13 = Block128(a13, y13 + p, x0, x1, x2, x3, x4, x5, x6, x7);
            a2 = Block128(a2, y2 + p, x0, x1, x2, x3, x4, x5, x6, x7);
            a6 = Block128(a6, y6 + p, x0, x1, x2, x3, x4, x5, x6, x7);
            a10 = Block128(a10, y10 + p, x0, x1, x2, x3, x4, x5, x6, x7);
            a14 = Block128(a14, y14 + p, x0, x1, x2, x3, x4, x5, x6, x7);
            a3 = Block128(a3, y3 + p, x0, x1, x2, x3, x4, x5, x6, x7);
            a7 = Block128(a7, y7 + p, x0, x1, x2, x3, x4, x5, x6, x7);
            a11 = Block128(a11, y11 + p, x0, x1, x2, x3, x4, x5, x6, x7);
            a15 = Block128(a15, y15 + p, x0, x1, x2, x3, x4, x5, x6, x7);
        }

        for (; p + 16 <= k; p += 16)
        {
            var xv = Vector512.Load(x + p);
            a0 = Avx512F.FusedMultiplyAdd(xv, Vector512.Load(y0 + p), a0);
            a1 = Avx512F.FusedMultiplyAdd(xv, Vector512.Load(y1 + p), a1);
            a2 = Avx512F.FusedMultiplyAdd(xv, Vector512.Load(y2 + p), a2);
            a3 = Avx512F.FusedMultiplyAdd(xv, Vector512.Load(y3 + p), a3);
            a4 = Avx512F.FusedMultiplyAdd(xv, Vector512.Load(y4 + p), a4);
            a5 = Avx512F.FusedMultiplyAdd(xv, Vector512.Load(y5 + p), a5);
            a6 = Avx512F.FusedMultiplyAdd(xv, Vector512.Load(y6 + p), a6);
            a7 = Avx512F.FusedMultiplyAdd(xv, Vector512.Load(y7 + p), a7);
            a8 = Avx512F.FusedMultiplyAdd(xv, Vector512.Load(y8 + p), a8);
            a9 = Avx512F.FusedMultiplyAdd(xv, Vector512.Load(y9 + p), a9);
            a10 = Avx512F.FusedMultiplyAdd(xv, Vector512.Load(y10 + p), a10);
            a11 = Avx512F.FusedMultiplyAdd(xv, Vector512.Load(y11 + p), a11);
            a12 = Avx512F.FusedMultiplyAdd(xv, Vector512.Load(y12 + p), a12);
            a13 = Avx512F.FusedMultiplyAdd(xv, Vector512.Load(y13 + p), a13);
            a14 = Avx512F.FusedMultiplyAdd(xv, Vector512.Load(y14 + p), a14);
            a15 = Avx512F.FusedMultiplyAdd(xv, Vector512.Load(y15 + p), a15);
        }

        // 512 → 256 bits: two rows per vector, one in each half (lane i + lane i + 8).
        var h0 = Avx512F.Shuffle4x128(a0, a1, 0x44) + Avx512F.Shuffle4x128(a0, a1, 0xEE);
        var h1 = Avx512F.Shuffle4x128(a2, a3, 0x44) + Avx512F.Shuffle4x128(a2, a3, 0xEE);
        var h2 = Avx512F.Shuffle4x128(a4, a5, 0x44) + Avx512F.Shuffle4x128(a4, a5, 0xEE);
        var h3 = Avx512F.Shuffle4x128(a6, a7, 0x44) + Avx512F.Shuffle4x128(a6, a7, 0xEE);
        var h4 = Avx512F.Shuffle4x128(a8, a9, 0x44) + Avx512F.Shuffle4x128(a8, a9, 0xEE);
        var h5 = Avx512F.Shuffle4x128(a10, a11, 0x44) + Avx512F.Shuffle4x128(a10, a11, 0xEE);
        var h6 = Avx512F.Shuffle4x128(a12, a13, 0x44) + Avx512F.Shuffle4x128(a12, a13, 0xEE);
        var h7 = Avx512F.Shuffle4x128(a14, a15, 0x44) + Avx512F.Shuffle4x128(a14, a15, 0xEE);

        // 256 → 128: four rows per vector, one in each 128-bit lane (+ lane i + 4).
        var g0 = Avx512F.Shuffle4x128(h0, h1, 0x88) + Avx512F.Shuffle4x128(h0, h1, 0xDD);
        var g1 = Avx512F.Shuffle4x128(h2, h3, 0x88) + Avx512F.Shuffle4x128(h2, h3, 0xDD);
        var g2 = Avx512F.Shuffle4x128(h4, h5, 0x88) + Avx512F.Shuffle4x128(h4, h5, 0xDD);
        var g3 = Avx512F.Shuffle4x128(h6, h7, 0x88) + Avx512F.Shuffle4x128(h6, h7, 0xDD);

        // Within each 128-bit lane: + lane i + 2, then + lane i + 1; every element is one row's sum.
        var f0 = Avx512F.Shuffle(g0, g1, 0x44) + Avx512F.Shuffle(g0, g1, 0xEE);
        var f1 = Avx512F.Shuffle(g2, g3, 0x44) + Avx512F.Shuffle(g2, g3, 0xEE);
        var sums = Avx512F.Shuffle(f0, f1, 0x88) + Avx512F.Shuffle(f0, f1, 0xDD);
        if (p < k)
        {
            var tails = stackalloc float[16];
            Tails(x, y, p, k, 16, tails);
            sums += Vector512.Load(tails);
        }

        Vector512.Store(accumulate ? sums + Vector512.Load(c) : sums, c);
    }

    /// <summary>As <see cref="Dot16x512"/> for eight rows with 256-bit vectors; the tree leaves accumulator q's sum in lane 0, 2, 4, 6, 1, 3, 5, 7 (q = 0 … 7), so accumulator q takes row 0, 4, 1, 5, 2, 6, 3, 7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot8x256(float* x, float* y, int k, float* c, bool accumulate)
    {
        float* y0 = y;
        float* y1 = y + (4L * k);
        float* y2 = y + (1L * k);
        float* y3 = y + (5L * k);
        float* y4 = y + (2L * k);
        float* y5 = y + (6L * k);
        float* y6 = y + (3L * k);
        float* y7 = y + (7L * k);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        int p = 0;
        for (; p + 8 <= k; p += 8)
        {
            var xv = Vector256.Load(x + p);
            a0 = Fma.MultiplyAdd(xv, Vector256.Load(y0 + p), a0);
            a1 = Fma.MultiplyAdd(xv, Vector256.Load(y1 + p), a1);
            a2 = Fma.MultiplyAdd(xv, Vector256.Load(y2 + p), a2);
            a3 = Fma.MultiplyAdd(xv, Vector256.Load(y3 + p), a3);
            a4 = Fma.MultiplyAdd(xv, Vector256.Load(y4 + p), a4);
            a5 = Fma.MultiplyAdd(xv, Vector256.Load(y5 + p), a5);
            a6 = Fma.MultiplyAdd(xv, Vector256.Load(y6 + p), a6);
            a7 = Fma.MultiplyAdd(xv, Vector256.Load(y7 + p), a7);
        }

        // 256 → 128 bits (lane i + lane i + 4), then within each 128-bit lane + lane i + 2 and + lane i + 1.
        var h0 = Avx.Permute2x128(a0, a1, 0x20) + Avx.Permute2x128(a0, a1, 0x31);
        var h1 = Avx.Permute2x128(a2, a3, 0x20) + Avx.Permute2x128(a2, a3, 0x31);
        var h2 = Avx.Permute2x128(a4, a5, 0x20) + Avx.Permute2x128(a4, a5, 0x31);
        var h3 = Avx.Permute2x128(a6, a7, 0x20) + Avx.Permute2x128(a6, a7, 0x31);
        var g0 = Avx.Shuffle(h0, h1, 0x44) + Avx.Shuffle(h0, h1, 0xEE);
        var g1 = Avx.Shuffle(h2, h3, 0x44) + Avx.Shuffle(h2, h3, 0xEE);
        var sums = Avx.Shuffle(g0, g1, 0x88) + Avx.Shuffle(g0, g1, 0xDD);
        if (p < k)
        {
            var tails = stackalloc float[8];
            Tails(x, y, p, k, 8, tails);
            sums += Vector256.Load(tails);
        }

        Vector256.Store(accumulate ? sums + Vector256.Load(c) : sums, c);
    }

    /// <summary>One row as a row of <see cref="Dot16x512"/> is summed: one accumulator, the same lane tree, then the tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot512(float* x, float* y, int k)
    {
        Vector512<float> acc = default;
        int p = 0;
        for (; p + 16 <= k; p += 16)
        {
            acc = Avx512F.FusedMultiplyAdd(Vector512.Load(x + p), Vector512.Load(y + p), acc);
        }

        return LaneSum512(acc) + Tail(x, y, p, k);
    }

    /// <summary>One row as a row of <see cref="Dot8x256"/> is summed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Dot256(float* x, float* y, int k)
    {
        Vector256<float> acc = default;
        int p = 0;
        for (; p + 8 <= k; p += 8)
        {
            acc = Fma.MultiplyAdd(Vector256.Load(x + p), Vector256.Load(y + p), acc);
        }

        return LaneSum256(acc) + Tail(x, y, p, k);
    }

    /// <summary>Σ x[p]·y[p] in order, multiply then add (the scalar GEMM's arithmetic).</summary>
    private static float DotScalar(float* x, float* y, int k)
    {
        float sum = 0;
        for (int p = 0; p < k; p++)
        {
            sum += x[p] * y[p];
        }

        return sum;
    }

    /// <summary>tails[r] = <see cref="Tail"/> of row r (rows k floats apart) for r in [0, rows).</summary>
    private static void Tails(float* x, float* y, int from, int k, int rows, float* tails)
    {
        for (int r = 0; r < rows; r++)
        {
            tails[r] = Tail(x, y + ((long)r * k), from, k);
        }
    }

    /// <summary>Σ x[p]·y[p] for p in [from, k), in order with FMA, from 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tail(float* x, float* y, int from, int k)
    {
        float sum = 0;
        for (int p = from; p < k; p++)
        {
            sum = MathF.FusedMultiplyAdd(x[p], y[p], sum);
        }

        return sum;
    }

    /// <summary>The sixteen lanes summed as <see cref="Dot16x512"/>'s tree sums them: lane i + lane i + 8, + i + 4, + i + 2, + i + 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float LaneSum512(Vector512<float> v) => LaneSum256(v.GetLower() + v.GetUpper());

    /// <summary>The eight lanes summed as the trees sum them: lane i + lane i + 4, + i + 2, + i + 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float LaneSum256(Vector256<float> v)
    {
        var t = v.GetLower() + v.GetUpper();
        return (t.GetElement(0) + t.GetElement(2)) + (t.GetElement(1) + t.GetElement(3));
    }

    /// <summary>acc + the 128 products x·y[0..128) in order, eight vectors of x given.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Block128(
        Vector512<float> acc, float* y, Vector512<float> x0, Vector512<float> x1, Vector512<float> x2, Vector512<float> x3, Vector512<float> x4, Vector512<float> x5, Vector512<float> x6, Vector512<float> x7)
    {
        acc = Avx512F.FusedMultiplyAdd(x0, Vector512.Load(y), acc);
        acc = Avx512F.FusedMultiplyAdd(x1, Vector512.Load(y + 16), acc);
        acc = Avx512F.FusedMultiplyAdd(x2, Vector512.Load(y + 32), acc);
        acc = Avx512F.FusedMultiplyAdd(x3, Vector512.Load(y + 48), acc);
        acc = Avx512F.FusedMultiplyAdd(x4, Vector512.Load(y + 64), acc);
        acc = Avx512F.FusedMultiplyAdd(x5, Vector512.Load(y + 80), acc);
        acc = Avx512F.FusedMultiplyAdd(x6, Vector512.Load(y + 96), acc);
        return Avx512F.FusedMultiplyAdd(x7, Vector512.Load(y + 112), acc);
    }
}
