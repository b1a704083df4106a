using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels;

/// <summary>
/// The weight gradient along the pixels, for a convolution with one panel of at most 16 output
/// channels on AVX-512 where its tiles waste less than the tap kernel's (the Fashion-MNIST CNN's 1→16
/// layer; <see cref="PixelWeightGradient"/>): g[tap, o] = Σ_{oh, ow}
/// padded[Offsets[tap] + oh·RowStride + ow] · dy[o, oh, ow] as lane-wise products of 16 pixels at a
/// time, dy read as it is stored. The tap-direction kernel (<see cref="WeightGradient"/>) needs dy
/// transposed into a channel panel first and loads 8 broadcast taps and the panel for every 8 FMAs:
/// on that layer it ran at ~40 % of the core's peak, and its transpose cost half as much again
/// (block 15 of docs/performance-history.md). Here a tile is up to 5 neighbouring taps of one kernel
/// row × 4 channels: two image loads give the 5 shifted image vectors (by two-source permutes), and
/// 4 gradient loads feed 20 FMAs.
/// </summary>
/// <remarks>
/// Each sample's products are added lane by lane (a row's pixels in order, rows in order) into a
/// buffer of 16 lanes per (tap, channel), samples in order; <see cref="FinishPixelWeights"/> then sums
/// the lanes of each. A fixed order, so the result does not depend on the thread count, but not the
/// tap-direction kernels' (one FMA chain over the pixels): the bits differ from theirs, and from the
/// AVX2 path's, by rounding.
/// </remarks>
internal static unsafe partial class DirectConv
{
    // Taps of one kernel row per tile (A and C below 4 floats apart) and output channels per tile.
    private const int PixelTileTaps = 5;
    private const int PixelTileChannels = 4;

    /// <summary>Whether <see cref="PixelWeights"/> takes a shape at all: one panel of at most 16 output channels, output rows of at least 16 pixels, kernel columns one apart (no horizontal dilation).</summary>
    public static bool PixelWeightsFit(int outChannels, int outW, int dilationW) => outChannels <= Lanes && outW >= Lanes && dilationW == 1;

    /// <summary>
    /// Whether a convolution's weight gradient goes along the pixels (<see cref="PixelWeights"/>) rather
    /// than along the taps: on AVX-512 (<paramref name="wide"/>), for a shape that fits, when its tiles
    /// leave fewer FMA lanes idle. A pixel tile uses kW of each 5·⌈kW/5⌉ tap slots and O of each
    /// 4·⌈O/4⌉ channel slots; a tap tile (<paramref name="wideWeights"/>: 8 taps, else 6) uses
    /// taps / PanelRows(taps) of its rows and O of its 16 lanes. At a tie the tap kernel stays: the lane
    /// buffer grows with the taps. Measured on the Zen 5 (block 16: conv2d's backward for the weight
    /// and bias at batch 128 on 2 threads, along the pixels / along the taps): 1→16 5×5 0.78, 1→16 3×3
    /// 0.75, 2→16 5×5 0.92, 3→16 5×5 0.90, 3→8 5×5 0.47, 1→4 3×3 0.23, 16→8 5×5 0.83, 8→8 3×3 0.94,
    /// where this picks the pixels; 3→16 3×3 1.12, 8→16 3×3 1.78, 16→16 5×5 1.46, where it keeps the taps.
    /// </summary>
    public static bool PixelWeightGradient(int outChannels, int outW, int dilationW, int kernelW, int taps, bool wideWeights, bool wide)
    {
        if (!wide || !PixelWeightsFit(outChannels, outW, dilationW) || outChannels < 1 || kernelW < 1 || taps < 1)
        {
            return false;
        }

        // Used slots over all slots, compared as cross products (no rounding).
        long pixelUsed = (long)kernelW * outChannels;
        long pixelSlots = (long)PixelTileTaps * ((kernelW + PixelTileTaps - 1) / PixelTileTaps) * PixelTileChannels * ((outChannels + PixelTileChannels - 1) / PixelTileChannels);
        long tapUsed = (long)taps * outChannels;
        long tapSlots = (long)PanelRows(taps, wideWeights) * Lanes;
        return pixelUsed * tapSlots > tapUsed * pixelSlots;
    }

    /// <summary>Floats of the lane buffer <see cref="PixelWeights"/> accumulates into: 16 lanes for each tap and each of 16 channels.</summary>
    public static int PixelWeightLanes(int taps) => taps * Lanes * Lanes;

    /// <summary>
    /// One sample's products added into <paramref name="lanes"/> (<see cref="PixelWeightLanes"/> floats;
    /// written, not added to, when <paramref name="first"/>), from the padded image and dy
    /// (outChannels × OutH × OutW) as stored; taps run along kernel rows of <paramref name="kernelW"/>.
    /// Needs <see cref="PixelWeightsFit"/>.
    /// </summary>
    public static void PixelWeights(Plan plan, int kernelW, float* padded, float* dy, int outChannels, float* lanes, bool first)
    {
        int kernelRows = plan.Taps / kernelW;
        fixed (int* offsets = plan.Offsets)
        {
            for (int r = 0; r < kernelRows; r++)
            {
                for (int k0 = 0; k0 < kernelW; k0 += PixelTileTaps)
                {
                    int t0 = (r * kernelW) + k0, taps = Math.Min(PixelTileTaps, kernelW - k0);
                    for (int o0 = 0; o0 < outChannels; o0 += PixelTileChannels)
                    {
                        PixelTile(plan, padded + offsets[t0], taps, t0, dy, outChannels, o0, lanes, first);
                    }
                }
            }
        }
    }

    /// <summary>
    /// The weight gradient from the lane buffer: g[tap·ld + o] = the sum of the 16 lanes of (tap, o),
    /// every other entry of the <paramref name="rows"/> × <paramref name="ld"/> block zero (the layout
    /// <see cref="WeightGradient"/> writes).
    /// </summary>
    public static void FinishPixelWeights(float* lanes, int taps, int outChannels, float* g, int ld, int rows)
    {
        new Span<float>(g, rows * ld).Clear();
        for (int tap = 0; tap < taps; tap++)
        {
            for (int o = 0; o < outChannels; o++)
            {
                g[((long)tap * ld) + o] = Vector512.Sum(Vector512.Load(lanes + (((long)(tap * Lanes) + o) * Lanes)));
            }
        }
    }

    /// <summary>
    /// Taps t0..t0+taps−1 (neighbours in a kernel row, image at <paramref name="x"/>) × channels
    /// o0..o0+3 of one sample. The image vector of tap j at pixel ow is x[ow + j .. ow + j + 15]: lanes
    /// from A = x[ow ..] and, past its end, from C = x[ow + taps − 1 ..], both read inside the row.
    /// Taps past <paramref name="taps"/> and channels past the last are computed as repeats and not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PixelTile(Plan plan, float* x, int taps, int t0, float* dy, int outChannels, int o0, float* lanes, bool first)
    {
        int outH = plan.OutH, outW = plan.OutW, rowStride = plan.RowStride, pixels = outH * outW, last = taps - 1;
        float* d0 = dy + ((long)o0 * pixels);
        float* d1 = dy + ((long)Math.Min(o0 + 1, outChannels - 1) * pixels);
        float* d2 = dy + ((long)Math.Min(o0 + 2, outChannels - 1) * pixels);
        float* d3 = dy + ((long)Math.Min(o0 + 3, outChannels - 1) * pixels);

        // Lane i of tap j: A[i + j], or C[i + j − last] once i + j passes A's end (index + 16 selects C).
        var index = Vector512<int>.Indices;
        var i1 = Shifted(index, Math.Min(1, last), last);
        var i2 = Shifted(index, Math.Min(2, last), last);
        var i3 = Shifted(index, Math.Min(3, last), last);

        // A row's vectors start at 0, 16, …; a last partial one starts 16 before the row's end and
        // counts only its lanes past the previous vector.
        int whole = outW / Lanes * Lanes, tailStart = outW - Lanes;
        var tailLanes = Vector512.GreaterThanOrEqual(index, Vector512.Create(whole - tailStart)).AsSingle();
        bool tail = whole < outW;

        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        Vector512<float> a40 = default, a41 = default, a42 = default, a43 = default;
        for (int oh = 0; oh < outH; oh++)
        {
            float* xr = x + ((long)oh * rowStride);
            long dr = (long)oh * outW;
            for (int ow = 0; ow <= outW - Lanes; ow += Lanes)
            {
                var v0 = Vector512.Load(d0 + dr + ow);
                var v1 = Vector512.Load(d1 + dr + ow);
                var v2 = Vector512.Load(d2 + dr + ow);
                var v3 = Vector512.Load(d3 + dr + ow);
                var a = Vector512.Load(xr + ow);
                var c = Vector512.Load(xr + ow + last);
                a00 = Avx512F.FusedMultiplyAdd(a, v0, a00);
                a01 = Avx512F.FusedMultiplyAdd(a, v1, a01);
                a02 = Avx512F.FusedMultiplyAdd(a, v2, a02);
                a03 = Avx512F.FusedMultiplyAdd(a, v3, a03);
                var u = Avx512F.PermuteVar16x32x2(a, i1, c);
                a10 = Avx512F.FusedMultiplyAdd(u, v0, a10);
                a11 = Avx512F.FusedMultiplyAdd(u, v1, a11);
                a12 = Avx512F.FusedMultiplyAdd(u, v2, a12);
                a13 = Avx512F.FusedMultiplyAdd(u, v3, a13);
                u = Avx512F.PermuteVar16x32x2(a, i2, c);
                a20 = Avx512F.FusedMultiplyAdd(u, v0, a20);
                a21 = Avx512F.FusedMultiplyAdd(u, v1, a21);
                a22 = Avx512F.FusedMultiplyAdd(u, v2, a22);
                a23 = Avx512F.FusedMultiplyAdd(u, v3, a23);
                u = Avx512F.PermuteVar16x32x2(a, i3, c);
                a30 = Avx512F.FusedMultiplyAdd(u, v0, a30);
                a31 = Avx512F.FusedMultiplyAdd(u, v1, a31);
                a32 = Avx512F.FusedMultiplyAdd(u, v2, a32);
                a33 = Avx512F.FusedMultiplyAdd(u, v3, a33);
                a40 = Avx512F.FusedMultiplyAdd(c, v0, a40);
                a41 = Avx512F.FusedMultiplyAdd(c, v1, a41);
                a42 = Avx512F.FusedMultiplyAdd(c, v2, a42);
                a43 = Avx512F.FusedMultiplyAdd(c, v3, a43);
            }

            if (tail)
            {
                // The overlapped lanes' image and gradient values are both zeroed, so they add exactly 0
                // whatever the values (an infinite pixel times a zeroed gradient alone would give NaN).
                // Written apart from the loop above: one loop masking every vector (all lanes kept for
                // whole ones) ran the 1→16 layer's weight gradient 3–12 % slower.
                int ow = tailStart;
                var m = tailLanes;
                var v0 = Vector512.Load(d0 + dr + ow) & m;
                var v1 = Vector512.Load(d1 + dr + ow) & m;
                var v2 = Vector512.Load(d2 + dr + ow) & m;
                var v3 = Vector512.Load(d3 + dr + ow) & m;
                var a = Vector512.Load(xr + ow);
                var c = Vector512.Load(xr + ow + last);
                var u = a & m;
                a00 = Avx512F.FusedMultiplyAdd(u, v0, a00);
                a01 = Avx512F.FusedMultiplyAdd(u, v1, a01);
                a02 = Avx512F.FusedMultiplyAdd(u, v2, a02);
                a03 = Avx512F.FusedMultiplyAdd(u, v3, a03);
                u = Avx512F.PermuteVar16x32x2(a, i1, c) & m;
                a10 = Avx512F.FusedMultiplyAdd(u, v0, a10);
                a11 = Avx512F.FusedMultiplyAdd(u, v1, a11);
                a12 = Avx512F.FusedMultiplyAdd(u, v2, a12);
                a13 = Avx512F.FusedMultiplyAdd(u, v3, a13);
                u = Avx512F.PermuteVar16x32x2(a, i2, c) & m;
                a20 = Avx512F.FusedMultiplyAdd(u, v0, a20);
                a21 = Avx512F.FusedMultiplyAdd(u, v1, a21);
                a22 = Avx512F.FusedMultiplyAdd(u, v2, a22);
                a23 = Avx512F.FusedMultiplyAdd(u, v3, a23);
                u = Avx512F.PermuteVar16x32x2(a, i3, c) & m;
                a30 = Avx512F.FusedMultiplyAdd(u, v0, a30);
                a31 = Avx512F.FusedMultiplyAdd(u, v1, a31);
                a32 = Avx512F.FusedMultiplyAdd(u, v2, a32);
                a33 = Avx512F.FusedMultiplyAdd(u, v3, a33);
                u = c & m;
                a40 = Avx512F.FusedMultiplyAdd(u, v0, a40);
                a41 = Avx512F.FusedMultiplyAdd(u, v1, a41);
                a42 = Avx512F.FusedMultiplyAdd(u, v2, a42);
                a43 = Avx512F.FusedMultiplyAdd(u, v3, a43);
            }
        }

        // Tap j's vectors: j = 0 is A's, j = taps − 1 is C's (the a4* accumulators), those between the permuted ones.
        int oc = Math.Min(PixelTileChannels, outChannels - o0);
        float* l = lanes + ((((long)t0 * Lanes) + o0) * Lanes);
        AddLanes(l, oc, first, a00, a01, a02, a03);
        if (taps > 1)
        {
            l += Lanes * Lanes;
            if (taps > 2)
            {
                AddLanes(l, oc, first, a10, a11, a12, a13);
                l += Lanes * Lanes;
            }

            if (taps > 3)
            {
                AddLanes(l, oc, first, a20, a21, a22, a23);
                l += Lanes * Lanes;
            }

            if (taps > 4)
            {
                AddLanes(l, oc, first, a30, a31, a32, a33);
                l += Lanes * Lanes;
            }

            AddLanes(l, oc, first, a40, a41, a42, a43);
        }
    }

    /// <summary>Lane i of tap j's image vector: i + j within A, else 16 + (i + j − last) in C.</summary>
    private static Vector512<int> Shifted(Vector512<int> index, int j, int last)
    {
        var shifted = index + Vector512.Create(j);
        var fromC = shifted + Vector512.Create(Lanes - last);
        return Vector512.ConditionalSelect(Vector512.LessThan(shifted, Vector512.Create(Lanes)), shifted, fromC);
    }

    /// <summary>Stores (when <paramref name="first"/>) or adds the first <paramref name="count"/> vectors at 16-lane rows of <paramref name="lanes"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddLanes(float* lanes, int count, bool first, Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3)
    {
        AddLane(lanes, first, s0);
        if (count > 1)
        {
            AddLane(lanes + Lanes, first, s1);
        }

        if (count > 2)
        {
            AddLane(lanes + (2 * Lanes), first, s2);
        }

        if (count > 3)
        {
            AddLane(lanes + (3 * Lanes), first, s3);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddLane(float* lane, bool first, Vector512<float> s) =>
        Vector512.Store(first ? s : s + Vector512.Load(lane), lane);
}
