using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels;

/// <summary>
/// The AVX-512 forms of the direct convolution's two kernels: an 8×32 register tile (16 of the 32
/// zmm registers) in place of 6×16. The correlation's tile is 8 output channels × two 16-float
/// vectors, which are either the two halves of 32 consecutive pixels of one output row (rows wider
/// than 16) or 16 pixels of two consecutive output rows (rows of 16 or fewer, such as the 14-wide
/// second stage of the Fashion-MNIST CNN, where a 16-wide tile per row already fits). A partial
/// vector is stored as 8-, 4-, 2- and 1-float pieces, so a tile never writes past its row and needs
/// no scratch. The weight gradient's tile is 8 taps × 32 output channels (two 16-channel panels of
/// the transposed output gradient), or 8 taps × 16 for a last odd panel.
/// </summary>
/// <remarks>
/// Each output element is still one FMA chain over the taps (or pixels) in the order of the AVX2
/// kernels, starting from the same value, so both paths give bit-identical results; except the weight
/// gradient of a convolution with at most 16 output channels, which AVX-512 sums along the pixels in
/// 16 lanes (DirectConv.PixelWeights.cs) and so rounds differently.
/// </remarks>
internal static unsafe partial class DirectConv
{
    /// <summary>Output channels (or taps, for the weight gradient) per AVX-512 register tile.</summary>
    public const int WideRows = 8;

    private const int WideLanes = 16;

    /// <summary><see cref="Correlate"/> with the 8-row tile; <paramref name="packed"/> holds 8-row panels.</summary>
    private static void CorrelateWide(Plan plan, float* packed, int outChannels, float* bias, float* padded, float* y)
    {
        int taps = plan.Taps, outH = plan.OutH, outW = plan.OutW, plane = outH * outW, rowStride = plan.RowStride;
        fixed (int* offsets = plan.Offsets)
        {
            for (int o0 = 0; o0 < outChannels; o0 += WideRows)
            {
                int rows = Math.Min(WideRows, outChannels - o0);
                float* a = packed + ((long)o0 * taps);
                float* yPanel = y + ((long)o0 * plane);
                if (outW <= WideLanes)
                {
                    // Two output rows per tile; a last odd row reads its own row twice and stores it once.
                    for (int oh = 0; oh < outH; oh += 2)
                    {
                        bool pair = oh + 1 < outH;
                        float* dst = yPanel + ((long)oh * outW);
                        KernelWide(taps, a, padded + ((long)oh * rowStride), pair ? rowStride : 0, offsets, bias + o0, dst, dst + outW, plane, rows, outW, pair ? outW : 0);
                    }

                    continue;
                }

                for (int oh = 0; oh < outH; oh++)
                {
                    float* src = padded + ((long)oh * rowStride);
                    float* dst = yPanel + ((long)oh * outW);
                    for (int col = 0; col < outW; col += 2 * WideLanes)
                    {
                        // The row's padded stride covers whole 16-wide vectors only: a last single vector reads itself twice.
                        int first = Math.Min(WideLanes, outW - col), second = Math.Min(WideLanes, outW - col - first);
                        KernelWide(taps, a, src + col, second > 0 ? WideLanes : 0, offsets, bias + o0, dst + col, dst + col + WideLanes, plane, rows, first, second);
                    }
                }
            }
        }
    }

    /// <summary>
    /// C0[8×16] = bias + Σ_p a[p·8 + r] · src[offsets[p] + j] and C1 the same at src + <paramref name="second"/>:
    /// one tile of <see cref="CorrelateWide"/>. Rows of C0 and C1 are <paramref name="ldc"/> floats
    /// apart; the first <paramref name="rows"/> rows are stored, <paramref name="lanes0"/> and
    /// <paramref name="lanes1"/> lanes of each.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelWide(int taps, float* a, float* src, int second, int* offsets, float* bias, float* c0, float* c1, int ldc, int rows, int lanes0, int lanes1)
    {
        Vector512<float> c00 = Vector512.Create(bias[0]), c01 = c00;
        Vector512<float> c10 = Vector512.Create(bias[1]), c11 = c10;
        Vector512<float> c20 = Vector512.Create(bias[2]), c21 = c20;
        Vector512<float> c30 = Vector512.Create(bias[3]), c31 = c30;
        Vector512<float> c40 = Vector512.Create(bias[4]), c41 = c40;
        Vector512<float> c50 = Vector512.Create(bias[5]), c51 = c50;
        Vector512<float> c60 = Vector512.Create(bias[6]), c61 = c60;
        Vector512<float> c70 = Vector512.Create(bias[7]), c71 = c70;
        float* src1 = src + second;
        for (int p = 0; p < taps; p++)
        {
            int offset = offsets[p];
            Vector512<float> b0 = Vector512.Load(src + offset);
            Vector512<float> b1 = Vector512.Load(src1 + offset);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00);
            c01 = Avx512F.FusedMultiplyAdd(a0, b1, c01);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(a1, b0, c10);
            c11 = Avx512F.FusedMultiplyAdd(a1, b1, c11);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(a2, b0, c20);
            c21 = Avx512F.FusedMultiplyAdd(a2, b1, c21);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(a3, b0, c30);
            c31 = Avx512F.FusedMultiplyAdd(a3, b1, c31);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(a4, b0, c40);
            c41 = Avx512F.FusedMultiplyAdd(a4, b1, c41);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(a5, b0, c50);
            c51 = Avx512F.FusedMultiplyAdd(a5, b1, c51);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(a6, b0, c60);
            c61 = Avx512F.FusedMultiplyAdd(a6, b1, c61);
            Vector512<float> a7 = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(a7, b0, c70);
            c71 = Avx512F.FusedMultiplyAdd(a7, b1, c71);
            a += WideRows;
        }

        StoreWide(c0, c1, lanes0, lanes1, c00, c01);
        if (rows == WideRows)
        {
            StoreWide(c0 + ldc, c1 + ldc, lanes0, lanes1, c10, c11);
            StoreWide(c0 + (2L * ldc), c1 + (2L * ldc), lanes0, lanes1, c20, c21);
            StoreWide(c0 + (3L * ldc), c1 + (3L * ldc), lanes0, lanes1, c30, c31);
            StoreWide(c0 + (4L * ldc), c1 + (4L * ldc), lanes0, lanes1, c40, c41);
            StoreWide(c0 + (5L * ldc), c1 + (5L * ldc), lanes0, lanes1, c50, c51);
            StoreWide(c0 + (6L * ldc), c1 + (6L * ldc), lanes0, lanes1, c60, c61);
            StoreWide(c0 + (7L * ldc), c1 + (7L * ldc), lanes0, lanes1, c70, c71);
            return;
        }

        // A last panel of fewer than 8 channels.
        if (rows > 1)
        {
            StoreWide(c0 + ldc, c1 + ldc, lanes0, lanes1, c10, c11);
        }

        if (rows > 2)
        {
            StoreWide(c0 + (2L * ldc), c1 + (2L * ldc), lanes0, lanes1, c20, c21);
        }

        if (rows > 3)
        {
            StoreWide(c0 + (3L * ldc), c1 + (3L * ldc), lanes0, lanes1, c30, c31);
        }

        if (rows > 4)
        {
            StoreWide(c0 + (4L * ldc), c1 + (4L * ldc), lanes0, lanes1, c40, c41);
        }

        if (rows > 5)
        {
            StoreWide(c0 + (5L * ldc), c1 + (5L * ldc), lanes0, lanes1, c50, c51);
        }

        if (rows > 6)
        {
            StoreWide(c0 + (6L * ldc), c1 + (6L * ldc), lanes0, lanes1, c60, c61);
        }
    }

    /// <summary>One row of a tile: <paramref name="lanes0"/> lanes of v0 at c0 and <paramref name="lanes1"/> (0 for none) of v1 at c1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreWide(float* c0, float* c1, int lanes0, int lanes1, Vector512<float> v0, Vector512<float> v1)
    {
        StoreLanes(c0, v0, lanes0);
        if (lanes1 > 0)
        {
            StoreLanes(c1, v1, lanes1);
        }
    }

    /// <summary>
    /// The first <paramref name="lanes"/> (1 to 16) lanes of <paramref name="v"/> at <paramref name="c"/>, by plain
    /// stores of 16, 8, 4, 2 and 1 floats. A masked 512-bit store is much slower on the Zen 5 measured
    /// (block 11: the 1→16 layer's 28-wide rows, a full and a 12-lane store per tile row, took 353 µs
    /// for 64 samples with both masked, 245–264 with the full one plain, masked or not the other; the
    /// 16→32 layer's 14-lane rows 5 % less time in pieces than masked).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLanes(float* c, Vector512<float> v, int lanes)
    {
        if (lanes == WideLanes)
        {
            Vector512.Store(v, c);
            return;
        }

        Vector256<float> half = v.GetLower();
        if (lanes >= 8)
        {
            Vector256.Store(half, c);
            c += 8;
            lanes -= 8;
            half = v.GetUpper();
        }

        Vector128<float> quarter = half.GetLower();
        if (lanes >= 4)
        {
            Vector128.Store(quarter, c);
            c += 4;
            lanes -= 4;
            quarter = half.GetUpper();
        }

        if (lanes >= 2)
        {
            Sse2.StoreLow((double*)c, quarter.AsDouble());
            c += 2;
            lanes -= 2;
            quarter = Sse.MoveHighToLow(quarter, quarter);
        }

        if (lanes == 1)
        {
            *c = quarter.ToScalar();
        }
    }

    /// <summary><see cref="WeightGradient"/> with 8-tap tiles; <paramref name="g"/> has PanelRows(taps, wide: true) rows.</summary>
    private static void WeightGradientWide(Plan plan, float* padded, float* dyT, int outPanels, float* g, bool accumulate)
    {
        int taps = plan.Taps, ld = outPanels * Lanes, pixels = plan.OutH * plan.OutW;
        Span<int> d = stackalloc int[WideRows];
        fixed (int* offsets = plan.Offsets)
        {
            for (int t0 = 0; t0 < taps; t0 += WideRows)
            {
                // A last panel of fewer than 8 taps repeats its last tap in the spare rows.
                for (int r = 0; r < WideRows; r++)
                {
                    d[r] = offsets[Math.Min(t0 + r, taps - 1)] - offsets[t0];
                }

                float* img = padded + offsets[t0];
                for (int p = 0; p < outPanels; p += 2)
                {
                    float* b = dyT + ((long)p * pixels * Lanes);
                    float* c = g + ((long)t0 * ld) + (p * Lanes);
                    if (p + 1 < outPanels)
                    {
                        WeightKernelWide(img, d[1], d[2], d[3], d[4], d[5], d[6], d[7], plan.OutH, plan.OutW, plan.RowStride, b, b + ((long)pixels * Lanes), c, ld, accumulate);
                    }
                    else
                    {
                        WeightKernelNarrow(img, d[1], d[2], d[3], d[4], d[5], d[6], d[7], plan.OutH, plan.OutW, plan.RowStride, b, c, ld, accumulate);
                    }
                }
            }
        }
    }

    /// <summary>
    /// C[8×32] (+)= Σ_{oh, ow} x[r-th tap at (oh, ow)] · (b0 | b1)[pixel·16 + j], where the r-th tap of
    /// pixel (oh, ow) is img[oh·rowStride + ow + d_r] (d_0 = 0): two 16-channel panels at once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightKernelWide(float* img, int d1, int d2, int d3, int d4, int d5, int d6, int d7, int outH, int outW, int rowStride, float* b0, float* b1, float* c, int ldc, bool accumulate)
    {
        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default;
        Vector512<float> c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default;
        Vector512<float> c70 = default, c71 = default;
        for (int oh = 0; oh < outH; oh++, img += rowStride)
        {
            for (int ow = 0; ow < outW; ow++)
            {
                Vector512<float> v0 = Vector512.Load(b0);
                Vector512<float> v1 = Vector512.Load(b1);
                b0 += Lanes;
                b1 += Lanes;
                float* x = img + ow;
                Vector512<float> a0 = Vector512.Create(x[0]);
                c00 = Avx512F.FusedMultiplyAdd(a0, v0, c00);
                c01 = Avx512F.FusedMultiplyAdd(a0, v1, c01);
                Vector512<float> a1 = Vector512.Create(x[d1]);
                c10 = Avx512F.FusedMultiplyAdd(a1, v0, c10);
                c11 = Avx512F.FusedMultiplyAdd(a1, v1, c11);
                Vector512<float> a2 = Vector512.Create(x[d2]);
                c20 = Avx512F.FusedMultiplyAdd(a2, v0, c20);
                c21 = Avx512F.FusedMultiplyAdd(a2, v1, c21);
                Vector512<float> a3 = Vector512.Create(x[d3]);
                c30 = Avx512F.FusedMultiplyAdd(a3, v0, c30);
                c31 = Avx512F.FusedMultiplyAdd(a3, v1, c31);
                Vector512<float> a4 = Vector512.Create(x[d4]);
                c40 = Avx512F.FusedMultiplyAdd(a4, v0, c40);
                c41 = Avx512F.FusedMultiplyAdd(a4, v1, c41);
                Vector512<float> a5 = Vector512.Create(x[d5]);
                c50 = Avx512F.FusedMultiplyAdd(a5, v0, c50);
                c51 = Avx512F.FusedMultiplyAdd(a5, v1, c51);
                Vector512<float> a6 = Vector512.Create(x[d6]);
                c60 = Avx512F.FusedMultiplyAdd(a6, v0, c60);
                c61 = Avx512F.FusedMultiplyAdd(a6, v1, c61);
                Vector512<float> a7 = Vector512.Create(x[d7]);
                c70 = Avx512F.FusedMultiplyAdd(a7, v0, c70);
                c71 = Avx512F.FusedMultiplyAdd(a7, v1, c71);
            }
        }

        StoreGradientRow(c, c + WideLanes, accumulate, c00, c01);
        StoreGradientRow(c + ldc, c + ldc + WideLanes, accumulate, c10, c11);
        StoreGradientRow(c + (2L * ldc), c + (2L * ldc) + WideLanes, accumulate, c20, c21);
        StoreGradientRow(c + (3L * ldc), c + (3L * ldc) + WideLanes, accumulate, c30, c31);
        StoreGradientRow(c + (4L * ldc), c + (4L * ldc) + WideLanes, accumulate, c40, c41);
        StoreGradientRow(c + (5L * ldc), c + (5L * ldc) + WideLanes, accumulate, c50, c51);
        StoreGradientRow(c + (6L * ldc), c + (6L * ldc) + WideLanes, accumulate, c60, c61);
        StoreGradientRow(c + (7L * ldc), c + (7L * ldc) + WideLanes, accumulate, c70, c71);
    }

    /// <summary><see cref="WeightKernelWide"/> for one 16-channel panel: C[8×16].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightKernelNarrow(float* img, int d1, int d2, int d3, int d4, int d5, int d6, int d7, int outH, int outW, int rowStride, float* b, float* c, int ldc, bool accumulate)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector512<float> c4 = default, c5 = default, c6 = default, c7 = default;
        for (int oh = 0; oh < outH; oh++, img += rowStride)
        {
            for (int ow = 0; ow < outW; ow++)
            {
                Vector512<float> v = Vector512.Load(b);
                b += Lanes;
                float* x = img + ow;
                c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(x[0]), v, c0);
                c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(x[d1]), v, c1);
                c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(x[d2]), v, c2);
                c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(x[d3]), v, c3);
                c4 = Avx512F.FusedMultiplyAdd(Vector512.Create(x[d4]), v, c4);
                c5 = Avx512F.FusedMultiplyAdd(Vector512.Create(x[d5]), v, c5);
                c6 = Avx512F.FusedMultiplyAdd(Vector512.Create(x[d6]), v, c6);
                c7 = Avx512F.FusedMultiplyAdd(Vector512.Create(x[d7]), v, c7);
            }
        }

        StoreGradient(c, accumulate, c0);
        StoreGradient(c + ldc, accumulate, c1);
        StoreGradient(c + (2L * ldc), accumulate, c2);
        StoreGradient(c + (3L * ldc), accumulate, c3);
        StoreGradient(c + (4L * ldc), accumulate, c4);
        StoreGradient(c + (5L * ldc), accumulate, c5);
        StoreGradient(c + (6L * ldc), accumulate, c6);
        StoreGradient(c + (7L * ldc), accumulate, c7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreGradientRow(float* left, float* right, bool accumulate, Vector512<float> v0, Vector512<float> v1)
    {
        StoreGradient(left, accumulate, v0);
        StoreGradient(right, accumulate, v1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreGradient(float* c, bool accumulate, Vector512<float> v)
    {
        if (accumulate)
        {
            v += Vector512.Load(c);
        }

        Vector512.Store(v, c);
    }
}
