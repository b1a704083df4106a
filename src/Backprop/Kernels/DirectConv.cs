using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels;

/// <summary>
/// Stride-1 float32 convolution straight from a zero-bordered image, with no column matrix: the
/// GEMM micro-kernel's 6×16 register tile (6 output channels × 16 consecutive output pixels of one
/// row) reads, for each tap (c, kh, kw), 16 consecutive floats of the padded image at that tap's
/// offset. im2col would first copy those same floats into a column matrix and the GEMM would then
/// copy them again into packed panels; here they are read once, from a sample that fits in L1/L2.
/// </summary>
/// <remarks>
/// A row of OW outputs takes ceil(OW/16) tiles; the last one computes a few lanes past the row's
/// end from the zero border (wasted work, never stored), so callers use this only where the tiles are
/// mostly full (<see cref="SuitsWidth"/>). The same kernel computes a convolution's input gradient
/// (a stride-1 correlation of the padded output gradient with the flipped, transposed weights), and
/// a second kernel its weight gradient (6 taps × 16 output channels, summed over the pixels).
/// Each output element is summed over the taps (or pixels) in a fixed order by one FMA chain, so
/// results do not depend on how samples are spread over threads.
/// </remarks>
internal static unsafe partial class DirectConv
{
    /// <summary>Output channels (or taps, for the weight gradient) per register tile.</summary>
    public const int Rows = 6;

    /// <summary>Output pixels of one row (or output channels, for the weight gradient) per register tile.</summary>
    public const int Lanes = 16;

    // A padded sample larger than this (4 MB) no longer stays in cache across taps; im2col + GEMM then wins.
    private const long MaxImageFloats = 1 << 20;

    /// <summary>Whether conv2d uses these kernels: on CPUs that run them (AVX2 with FMA; AVX-512 CPUs have both), unless switched off (tests compare both paths).</summary>
    public static bool IsSupported => Enabled && Avx2.IsSupported && Fma.IsSupported;

    /// <summary>False sends every convolution through im2col + GEMM.</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>Whether the CPU runs the AVX-512 kernels (8-row tiles, DirectConv.Avx512.cs): Vector512 accelerated.</summary>
    public static bool WideSupported { get; } = Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>Whether conv2d takes the AVX-512 kernels: where supported, unless switched off (benchmarks compare both; never set while a convolution runs).</summary>
    internal static bool Wide { get; set; } = WideSupported;

    /// <summary>True when rows of <paramref name="outW"/> pixels fill at least 3/4 of their 16-wide tiles.</summary>
    public static bool SuitsWidth(int outW) => outW > 0 && 4L * outW >= 3L * Lanes * TilesPerRow(outW);

    /// <summary>True when a padded image of this plan is small enough to be read from cache tap after tap.</summary>
    public static bool Fits(Plan plan) => plan.ImageLength <= MaxImageFloats;

    private static int TilesPerRow(int outW) => (outW + Lanes - 1) / Lanes;

    /// <summary>Rows rounded up to whole panels of <see cref="Rows"/> (<see cref="WideRows"/> when <paramref name="wide"/>): the rows a packed weight matrix, a bias or a weight-gradient partial holds.</summary>
    public static int PanelRows(int rows, bool wide) => Sgemm.RoundUp(rows, PanelHeight(wide));

    /// <summary>The output channels one panel of the correlation kernel holds (8 for AVX-512, else 6).</summary>
    public static int PanelHeight(bool wide) => wide ? WideRows : Rows;

    /// <summary>
    /// Whether the weight gradient of <paramref name="taps"/> taps takes the AVX-512 kernel, given that
    /// the CPU runs it (<paramref name="wide"/>). Where a 512-bit FMA takes one pass
    /// (<see cref="CpuModel.FullWidthFma512"/>, Zen 5) always: it does twice the arithmetic per
    /// instruction (the 1→16 layer's forward and weight gradient at batch 128: 1488 → 1341–1357 µs,
    /// block 11). Elsewhere only when its 8-tap panels hold no more rows than the AVX2 kernel's 6-tap
    /// ones: both kernels run near the FMA units' peak on Zen 4, so spare rows decide (9 taps: 16 rows
    /// against 12; 25: 32 against 30; 400: 400 against 402). Both give the same bits.
    /// </summary>
    public static bool WideWeightGradient(int taps, bool wide) =>
        wide && (CpuModel.FullWidthFma512 || PanelRows(taps, true) <= PanelRows(taps, false));

    /// <summary>
    /// A stride-1 correlation of a C×H×W image with a kH×kW kernel dilated by (dH, dW), producing
    /// OH×OW per output channel, read from a zero-bordered copy of the image: PaddedH rows of
    /// RowStride floats per channel, the image placed at (PadTop, PadLeft). RowStride leaves room for
    /// the last tile of every row, so every tap's 16-float read stays inside the channel's plane.
    /// Tap (c, kh, kw) of output pixel (oh, ow) is padded[Offsets[tap] + oh·RowStride + ow].
    /// </summary>
    internal sealed class Plan
    {
        public Plan(int channels, int height, int width, int padTop, int padLeft, int kernelH, int kernelW, int dilationH, int dilationW, int outH, int outW)
        {
            (Channels, Height, Width, PadTop, PadLeft, OutH, OutW) = (channels, height, width, padTop, padLeft, outH, outW);
            RowStride = (TilesPerRow(outW) * Lanes) + ((kernelW - 1) * dilationW);
            PaddedH = outH + ((kernelH - 1) * dilationH);
            Offsets = new int[channels * kernelH * kernelW];
            int tap = 0;
            for (int c = 0; c < channels; c++)
            {
                for (int kh = 0; kh < kernelH; kh++)
                {
                    for (int kw = 0; kw < kernelW; kw++)
                    {
                        Offsets[tap++] = (c * PaddedH * RowStride) + (kh * dilationH * RowStride) + (kw * dilationW);
                    }
                }
            }
        }

        public int Channels { get; }

        public int Height { get; }

        public int Width { get; }

        public int PadTop { get; }

        public int PadLeft { get; }

        public int OutH { get; }

        public int OutW { get; }

        public int RowStride { get; }

        public int PaddedH { get; }

        /// <summary>The offset of every tap (c, kh, kw), in that order, from an output pixel's position.</summary>
        public int[] Offsets { get; }

        public int Taps => Offsets.Length;

        /// <summary>Floats in one padded image.</summary>
        public long ImageLength => (long)Channels * PaddedH * RowStride;

        /// <summary>Writes the zero-bordered copy of one C×H×W image <paramref name="x"/> into <paramref name="padded"/>.</summary>
        public void Pad(float* x, float* padded)
        {
            new Span<float>(padded, (int)ImageLength).Clear();
            int plane = PaddedH * RowStride;
            for (int c = 0; c < Channels; c++)
            {
                for (int ih = 0; ih < Height; ih++)
                {
                    new ReadOnlySpan<float>(x + (((long)c * Height) + ih) * Width, Width)
                        .CopyTo(new Span<float>(padded + ((long)c * plane) + ((long)(ih + PadTop) * RowStride) + PadLeft, Width));
                }
            }
        }
    }

    /// <summary>
    /// A row-major rows×taps matrix packed as the GEMM packs op(A), in panels of <see cref="Rows"/> rows
    /// (panel p holds rows 6p.. as taps groups of 6 values; 8 when <paramref name="wide"/>), rows past the end zero.
    /// </summary>
    public static float[] PackRows(float[] matrix, int rows, int taps, bool wide)
    {
        var packed = GC.AllocateUninitializedArray<float>(PanelRows(rows, wide) * taps);
        fixed (float* source = matrix, destination = packed)
        {
            Sgemm.PackA(false, source, taps, 0, 0, rows, taps, PanelHeight(wide), destination);
        }

        return packed;
    }

    /// <summary>
    /// y[o, oh, ow] = bias[o] + Σ_tap a[o, tap] · padded[Offsets[tap] + oh·RowStride + ow] for one
    /// image, every o &lt; <paramref name="outChannels"/>, oh &lt; OutH, ow &lt; OutW; y is
    /// outChannels×OutH×OutW and is overwritten. <paramref name="packed"/> is the weight matrix as
    /// <see cref="PackRows"/> lays it out; <paramref name="bias"/> holds PanelRows(outChannels) values
    /// (zeros for none); <paramref name="tile"/> is 6·16 floats of scratch. <paramref name="wide"/>
    /// takes the AVX-512 kernel (weights packed for it, no scratch needed).
    /// </summary>
    /// <remarks>
    /// A row's last tile writes its 16 lanes whole when the lanes past the row's end land on the
    /// next row of the same channel, which a later tile overwrites (tiles run in row order); on the
    /// last row it goes through the scratch. A last panel of fewer than 6 channels stores only those.
    /// </remarks>
    public static void Correlate(Plan plan, bool wide, float* packed, int outChannels, float* bias, float* padded, float* y, float* tile)
    {
        if (wide)
        {
            CorrelateWide(plan, packed, outChannels, bias, padded, y);
            return;
        }

        int taps = plan.Taps, outH = plan.OutH, outW = plan.OutW, plane = outH * outW;
        fixed (int* offsets = plan.Offsets)
        {
            for (int o0 = 0; o0 < outChannels; o0 += Rows)
            {
                int rows = Math.Min(Rows, outChannels - o0);
                float* a = packed + ((long)o0 * taps);
                for (int oh = 0; oh < outH; oh++)
                {
                    float* src = padded + ((long)oh * plan.RowStride);
                    for (int col = 0; col < outW; col += Lanes)
                    {
                        int lanes = Math.Min(Lanes, outW - col);
                        float* dst = y + ((long)o0 * plane) + ((long)oh * outW) + col;
                        if (lanes == Lanes || oh < outH - 1)
                        {
                            Kernel(taps, a, src + col, offsets, bias + o0, dst, plane, rows);
                            continue;
                        }

                        Kernel(taps, a, src + col, offsets, bias + o0, tile, Lanes, rows);
                        for (int r = 0; r < rows; r++)
                        {
                            new ReadOnlySpan<float>(tile + (r * Lanes), lanes).CopyTo(new Span<float>(dst + ((long)r * plane), lanes));
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Lays out the gradient of one sample's output, dy (outChannels × pixels), as panels of 16
    /// channels: dyT[(p·pixels + pixel)·16 + j] = dy[16p + j, pixel]. Lanes past outChannels are left
    /// as they are (the caller zeroes them once). Blocks of 8 channels × 8 pixels are transposed in
    /// registers; the ragged edges go one value at a time.
    /// </summary>
    public static void TransposeOutputGradient(float* dy, int outChannels, int pixels, float* dyT)
    {
        int fullChannels = outChannels / 8 * 8, fullPixels = pixels / 8 * 8;
        for (int o = 0; o < fullChannels; o += 8)
        {
            float* dst = dyT + ((long)(o / Lanes) * pixels * Lanes) + (o % Lanes);
            for (int p = 0; p < fullPixels; p += 8)
            {
                Transpose8x8(dy + ((long)o * pixels) + p, pixels, dst + ((long)p * Lanes), Lanes);
            }
        }

        for (int o = 0; o < outChannels; o++)
        {
            float* src = dy + ((long)o * pixels);
            float* dst = dyT + ((long)(o / Lanes) * pixels * Lanes) + (o % Lanes);
            for (int p = o < fullChannels ? fullPixels : 0; p < pixels; p++)
            {
                dst[p * Lanes] = src[p];
            }
        }
    }

    /// <summary>dst[j·ldDst + i] = src[i·ldSrc + j] for an 8×8 block (unpack, shuffle, then swap 128-bit halves).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, int ldSrc, float* dst, int ldDst)
    {
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + ldSrc);
        Vector256<float> r2 = Avx.LoadVector256(src + (2L * ldSrc)), r3 = Avx.LoadVector256(src + (3L * ldSrc));
        Vector256<float> r4 = Avx.LoadVector256(src + (4L * ldSrc)), r5 = Avx.LoadVector256(src + (5L * ldSrc));
        Vector256<float> r6 = Avx.LoadVector256(src + (6L * ldSrc)), r7 = Avx.LoadVector256(src + (7L * ldSrc));

        // Pairs of rows interleaved: t0 = r0[0] r1[0] r0[1] r1[1] | r0[4] r1[4] r0[5] r1[5], …
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);

        // Quads: s0 = column 0 of rows 0..3 | column 4 of rows 0..3, and so on.
        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);

        Avx.Store(dst, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(dst + ldDst, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(dst + (2L * ldDst), Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(dst + (3L * ldDst), Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(dst + (4L * ldDst), Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(dst + (5L * ldDst), Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(dst + (6L * ldDst), Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(dst + (7L * ldDst), Avx.Permute2x128(s3, s7, 0x31));
    }

    /// <summary>
    /// The weight gradient of one sample, transposed: g[tap, o] (+)= Σ_{oh, ow}
    /// padded[Offsets[tap] + oh·RowStride + ow] · dy[o, oh, ow], where g is PanelRows(taps) ×
    /// outPanels·16 (rows past the taps and columns past the channels receive unused values) and
    /// <paramref name="dyT"/> is laid out by <see cref="TransposeOutputGradient"/>; <paramref name="wide"/>
    /// takes the AVX-512 kernel (PanelRows(taps, wide) rows).
    /// </summary>
    public static void WeightGradient(Plan plan, bool wide, float* padded, float* dyT, int outPanels, float* g, bool accumulate)
    {
        if (wide)
        {
            WeightGradientWide(plan, padded, dyT, outPanels, g, accumulate);
            return;
        }

        int taps = plan.Taps, ld = outPanels * Lanes, pixels = plan.OutH * plan.OutW;
        Span<int> d = stackalloc int[Rows];
        fixed (int* offsets = plan.Offsets)
        {
            for (int t0 = 0; t0 < taps; t0 += Rows)
            {
                // A last panel of fewer than 6 taps repeats its last tap in the spare rows.
                for (int r = 0; r < Rows; r++)
                {
                    d[r] = offsets[Math.Min(t0 + r, taps - 1)] - offsets[t0];
                }

                for (int p = 0; p < outPanels; p++)
                {
                    WeightKernel(padded + offsets[t0], d[1], d[2], d[3], d[4], d[5], plan.OutH, plan.OutW, plan.RowStride, dyT + ((long)p * pixels * Lanes), g + ((long)t0 * ld) + (p * Lanes), ld, accumulate);
                }
            }
        }
    }

    /// <summary>
    /// C[6×16] = bias (per row) + Σ_p a[p·6 + r] · src[offsets[p] + j]: one register tile of
    /// <see cref="Correlate"/>, rows <paramref name="ldc"/> floats apart, the first <paramref name="rows"/> stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel(int taps, float* a, float* src, int* offsets, float* bias, float* c, int ldc, int rows)
    {
        Vector256<float> c00 = Vector256.Create(bias[0]), c01 = c00;
        Vector256<float> c10 = Vector256.Create(bias[1]), c11 = c10;
        Vector256<float> c20 = Vector256.Create(bias[2]), c21 = c20;
        Vector256<float> c30 = Vector256.Create(bias[3]), c31 = c30;
        Vector256<float> c40 = Vector256.Create(bias[4]), c41 = c40;
        Vector256<float> c50 = Vector256.Create(bias[5]), c51 = c50;
        for (int p = 0; p < taps; p++)
        {
            float* row = src + offsets[p];
            Vector256<float> b0 = Vector256.Load(row);
            Vector256<float> b1 = Vector256.Load(row + 8);
            Vector256<float> a0 = Vector256.Create(a[0]);
            c00 = Fma.MultiplyAdd(a0, b0, c00);
            c01 = Fma.MultiplyAdd(a0, b1, c01);
            Vector256<float> a1 = Vector256.Create(a[1]);
            c10 = Fma.MultiplyAdd(a1, b0, c10);
            c11 = Fma.MultiplyAdd(a1, b1, c11);
            Vector256<float> a2 = Vector256.Create(a[2]);
            c20 = Fma.MultiplyAdd(a2, b0, c20);
            c21 = Fma.MultiplyAdd(a2, b1, c21);
            Vector256<float> a3 = Vector256.Create(a[3]);
            c30 = Fma.MultiplyAdd(a3, b0, c30);
            c31 = Fma.MultiplyAdd(a3, b1, c31);
            Vector256<float> a4 = Vector256.Create(a[4]);
            c40 = Fma.MultiplyAdd(a4, b0, c40);
            c41 = Fma.MultiplyAdd(a4, b1, c41);
            Vector256<float> a5 = Vector256.Create(a[5]);
            c50 = Fma.MultiplyAdd(a5, b0, c50);
            c51 = Fma.MultiplyAdd(a5, b1, c51);
            a += Rows;
        }

        Store(c, ldc, rows, false, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51);
    }

    /// <summary>
    /// C[6×16] (+)= Σ_{oh, ow} x[r-th tap at (oh, ow)] · b[pixel·16 + j], where the r-th tap of pixel
    /// (oh, ow) is img[oh·rowStride + ow + d_r] (d_0 = 0): one register tile of <see cref="WeightGradient"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightKernel(float* img, int d1, int d2, int d3, int d4, int d5, int outH, int outW, int rowStride, float* b, float* c, int ldc, bool accumulate)
    {
        Vector256<float> c00 = default, c01 = default;
        Vector256<float> c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default;
        Vector256<float> c50 = default, c51 = default;
        for (int oh = 0; oh < outH; oh++, img += rowStride)
        {
            for (int ow = 0; ow < outW; ow++)
            {
                Vector256<float> b0 = Vector256.Load(b);
                Vector256<float> b1 = Vector256.Load(b + 8);
                b += Lanes;
                float* x = img + ow;
                Vector256<float> a0 = Vector256.Create(x[0]);
                c00 = Fma.MultiplyAdd(a0, b0, c00);
                c01 = Fma.MultiplyAdd(a0, b1, c01);
                Vector256<float> a1 = Vector256.Create(x[d1]);
                c10 = Fma.MultiplyAdd(a1, b0, c10);
                c11 = Fma.MultiplyAdd(a1, b1, c11);
                Vector256<float> a2 = Vector256.Create(x[d2]);
                c20 = Fma.MultiplyAdd(a2, b0, c20);
                c21 = Fma.MultiplyAdd(a2, b1, c21);
                Vector256<float> a3 = Vector256.Create(x[d3]);
                c30 = Fma.MultiplyAdd(a3, b0, c30);
                c31 = Fma.MultiplyAdd(a3, b1, c31);
                Vector256<float> a4 = Vector256.Create(x[d4]);
                c40 = Fma.MultiplyAdd(a4, b0, c40);
                c41 = Fma.MultiplyAdd(a4, b1, c41);
                Vector256<float> a5 = Vector256.Create(x[d5]);
                c50 = Fma.MultiplyAdd(a5, b0, c50);
                c51 = Fma.MultiplyAdd(a5, b1, c51);
            }
        }

        Store(c, ldc, Rows, accumulate, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(
        float* c,
        int ldc,
        int rows,
        bool accumulate,
        Vector256<float> c00,
        Vector256<float> c01,
        Vector256<float> c10,
        Vector256<float> c11,
        Vector256<float> c20,
        Vector256<float> c21,
        Vector256<float> c30,
        Vector256<float> c31,
        Vector256<float> c40,
        Vector256<float> c41,
        Vector256<float> c50,
        Vector256<float> c51)
    {
        StoreRow(c, accumulate, c00, c01);
        if (rows == Rows)
        {
            StoreRow(c + ldc, accumulate, c10, c11);
            StoreRow(c + (2L * ldc), accumulate, c20, c21);
            StoreRow(c + (3L * ldc), accumulate, c30, c31);
            StoreRow(c + (4L * ldc), accumulate, c40, c41);
            StoreRow(c + (5L * ldc), accumulate, c50, c51);
            return;
        }

        // A last panel of fewer than 6 rows.
        if (rows > 1)
        {
            StoreRow(c + ldc, accumulate, c10, c11);
        }

        if (rows > 2)
        {
            StoreRow(c + (2L * ldc), accumulate, c20, c21);
        }

        if (rows > 3)
        {
            StoreRow(c + (3L * ldc), accumulate, c30, c31);
        }

        if (rows > 4)
        {
            StoreRow(c + (4L * ldc), accumulate, c40, c41);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, bool accumulate, Vector256<float> left, Vector256<float> right)
    {
        if (accumulate)
        {
            left += Vector256.Load(c);
            right += Vector256.Load(c + 8);
        }

        Vector256.Store(left, c);
        Vector256.Store(right, c + 8);
    }
}
