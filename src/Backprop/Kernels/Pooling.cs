using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Kernels;

/// <summary>
/// 2-D pooling over planes of H×W (one per sample and channel), forward and backward. Windows follow
/// <see cref="Window2d"/>; positions in the padding never win a max and count for an average only when
/// asked. Planes run in parallel; each plane's backward writes only into its own input plane.
/// </summary>
internal static class Pooling
{
    /// <summary>
    /// y[p, oh, ow] = max over the window of x[p], and <paramref name="indices"/> (when given) the flat
    /// position ih·W + iw of that max inside its plane (the first one on ties). A NaN wins, so it propagates as in PyTorch.
    /// </summary>
    public static void MaxForward<T>(T[] x, in Window2d g, int planes, T[] y, int[]? indices)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var w = g;
        bool twoByTwo = g.IsTwoByTwoStrideTwo && 2 * g.OutH <= g.Height && 2 * g.OutW <= g.Width;
        Threading.For(planes, (long)g.OutPlane * g.KernelArea, (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                var plane = new ReadOnlySpan<T>(x, p * w.InPlane, w.InPlane);
                var outPlane = new Span<T>(y, p * w.OutPlane, w.OutPlane);
                var outIndex = indices is null ? default : new Span<int>(indices, p * w.OutPlane, w.OutPlane);
                if (twoByTwo)
                {
                    MaxForward2x2(plane, w, outPlane, outIndex);
                    continue;
                }

                for (int oh = 0; oh < w.OutH; oh++)
                {
                    int h0 = (oh * w.StrideH) - w.PadH;
                    for (int ow = 0; ow < w.OutW; ow++)
                    {
                        int w0 = (ow * w.StrideW) - w.PadW;
                        T max = T.NegativeInfinity;
                        int argMax = -1;
                        for (int kh = 0; kh < w.KernelH; kh++)
                        {
                            int ih = h0 + (kh * w.DilationH);
                            if ((uint)ih >= (uint)w.Height)
                            {
                                continue;
                            }

                            for (int kw = 0; kw < w.KernelW; kw++)
                            {
                                int iw = w0 + (kw * w.DilationW);
                                if ((uint)iw >= (uint)w.Width)
                                {
                                    continue;
                                }

                                int at = (ih * w.Width) + iw;
                                T v = plane[at];
                                if (argMax < 0 || Wins(v, max))
                                {
                                    max = v;
                                    argMax = at;
                                }
                            }
                        }

                        outPlane[(oh * w.OutW) + ow] = max;
                        if (!outIndex.IsEmpty)
                        {
                            outIndex[(oh * w.OutW) + ow] = argMax;
                        }
                    }
                }
            }
        });
    }

    /// <summary>
    /// Max pooling of <paramref name="planes"/> float32 planes with 2×2, stride-2 windows of
    /// <paramref name="g"/> (which must fit the planes: 2·OutH ≤ H, 2·OutW ≤ W), values only, on the
    /// calling thread: the values <see cref="MaxForward{T}"/> gives.
    /// </summary>
    public static void MaxForward2x2Planes(ReadOnlySpan<float> x, in Window2d g, int planes, Span<float> y)
    {
        if (!g.IsTwoByTwoStrideTwo || 2 * g.OutH > g.Height || 2 * g.OutW > g.Width)
        {
            throw new ArgumentException($"MaxForward2x2Planes: the window must be 2×2 with stride 2 and fit a {g.Height}×{g.Width} plane");
        }

        for (int p = 0; p < planes; p++)
        {
            MaxForward2x2(x.Slice(p * g.InPlane, g.InPlane), g, y.Slice(p * g.OutPlane, g.OutPlane), default);
        }
    }

    /// <summary>
    /// The common 2×2, stride 2, unpadded, undilated window, with PyTorch's choice among equal values:
    /// scanning top-left, top-right, bottom-left, bottom-right, a value replaces the current one when
    /// larger or NaN, so a tie goes to the first and a NaN to the last NaN. That is each row's pair
    /// first, then the bottom winner over the top one on the same rule. No data-dependent branch (random
    /// data would mispredict); float32 rows of four or more outputs go four at a time.
    /// </summary>
    private static void MaxForward2x2<T>(ReadOnlySpan<T> plane, in Window2d g, Span<T> outPlane, Span<int> outIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = g.Width, outW = g.OutW;
        ref T out0 = ref MemoryMarshal.GetReference(outPlane);
        ref int index0 = ref MemoryMarshal.GetReference(outIndex);
        bool withIndex = !outIndex.IsEmpty;
        for (int oh = 0; oh < g.OutH; oh++)
        {
            ref T top = ref Unsafe.AsRef(in plane[2 * oh * width]);
            ref T bottom = ref Unsafe.Add(ref top, width);
            if (typeof(T) == typeof(float) && Sse.IsSupported && outW >= Vector128<float>.Count)
            {
                MaxRow2x2(
                    ref Unsafe.As<T, float>(ref top),
                    width,
                    outW,
                    2 * oh * width,
                    ref Unsafe.As<T, float>(ref Unsafe.Add(ref out0, oh * outW)),
                    withIndex,
                    ref Unsafe.Add(ref index0, oh * outW));
                continue;
            }

            for (int ow = 0; ow < outW; ow++)
            {
                // Bools become 0/1 through BitCast, not a conditional: the JIT would branch on random data.
                int left = 2 * ow;
                int topColumn = left + Unsafe.BitCast<bool, byte>(Wins(Unsafe.Add(ref top, left + 1), Unsafe.Add(ref top, left)));
                int bottomColumn = left + Unsafe.BitCast<bool, byte>(Wins(Unsafe.Add(ref bottom, left + 1), Unsafe.Add(ref bottom, left)));
                int down = Unsafe.BitCast<bool, byte>(Wins(Unsafe.Add(ref bottom, bottomColumn), Unsafe.Add(ref top, topColumn)));
                int at = (((2 * oh) + down) * width) + topColumn + (down * (bottomColumn - topColumn));
                Unsafe.Add(ref out0, (oh * outW) + ow) = plane[at];
                if (withIndex)
                {
                    Unsafe.Add(ref index0, (oh * outW) + ow) = at;
                }
            }
        }
    }

    /// <summary>PyTorch's max-pool update rule: <paramref name="candidate"/> replaces <paramref name="current"/> when larger or NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Wins<T>(T candidate, T current)
        where T : IFloatingPointIeee754<T> => (candidate > current) | T.IsNaN(candidate);

    /// <summary>
    /// One float32 output row of <see cref="MaxForward2x2"/>, eight outputs at a time with AVX2 where the
    /// row has eight or more, else four: each input row is split into its even and odd columns, and the
    /// rule of <see cref="Wins"/> is applied lane-wise. The last group overlaps the one before when the
    /// row is not a multiple of the group (same values written twice).
    /// </summary>
    private static void MaxRow2x2(ref float top, int width, int outW, int topRow, ref float output, bool withIndex, ref int index)
    {
        if (Avx2.IsSupported && outW >= Vector256<float>.Count)
        {
            MaxRow2x2By8(ref top, width, outW, topRow, ref output, withIndex, ref index);
        }
        else
        {
            MaxRow2x2By4(ref top, width, outW, topRow, ref output, withIndex, ref index);
        }
    }

    /// <summary><see cref="MaxRow2x2"/> four outputs at a time.</summary>
    private static void MaxRow2x2By4(ref float top, int width, int outW, int topRow, ref float output, bool withIndex, ref int index)
    {
        var evenColumns = Vector128.Create(0, 2, 4, 6);
        var rowBelow = Vector128.Create(width);
        ref float bottom = ref Unsafe.Add(ref top, width);
        for (int ow = 0; ; ow += Vector128<float>.Count)
        {
            ow = Math.Min(ow, outW - Vector128<float>.Count);
            var (topLeft, topRight) = Deinterleave(ref top, 2 * ow);
            var (bottomLeft, bottomRight) = Deinterleave(ref bottom, 2 * ow);
            var topPick = WinsLanes(topRight, topLeft);
            var bottomPick = WinsLanes(bottomRight, bottomLeft);
            var topMax = Vector128.ConditionalSelect(topPick, topRight, topLeft);
            var bottomMax = Vector128.ConditionalSelect(bottomPick, bottomRight, bottomLeft);
            var down = WinsLanes(bottomMax, topMax);
            Vector128.ConditionalSelect(down, bottomMax, topMax).StoreUnsafe(ref output, (nuint)ow);
            if (withIndex)
            {
                var right = Vector128.ConditionalSelect(down, bottomPick, topPick).AsInt32() & Vector128<int>.One;
                var at = Vector128.Create(topRow + (2 * ow)) + evenColumns + right + (down.AsInt32() & rowBelow);
                at.StoreUnsafe(ref index, (nuint)ow);
            }

            if (ow + Vector128<float>.Count >= outW)
            {
                break;
            }
        }
    }

    /// <summary><see cref="MaxRow2x2"/> eight outputs at a time (AVX2), the same choices lane for lane.</summary>
    private static void MaxRow2x2By8(ref float top, int width, int outW, int topRow, ref float output, bool withIndex, ref int index)
    {
        var evenColumns = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
        var rowBelow = Vector256.Create(width);
        ref float bottom = ref Unsafe.Add(ref top, width);
        for (int ow = 0; ; ow += Vector256<float>.Count)
        {
            ow = Math.Min(ow, outW - Vector256<float>.Count);
            var (topLeft, topRight) = Deinterleave256(ref top, 2 * ow);
            var (bottomLeft, bottomRight) = Deinterleave256(ref bottom, 2 * ow);
            var topPick = WinsLanes(topRight, topLeft);
            var bottomPick = WinsLanes(bottomRight, bottomLeft);
            var topMax = Vector256.ConditionalSelect(topPick, topRight, topLeft);
            var bottomMax = Vector256.ConditionalSelect(bottomPick, bottomRight, bottomLeft);
            var down = WinsLanes(bottomMax, topMax);
            Vector256.ConditionalSelect(down, bottomMax, topMax).StoreUnsafe(ref output, (nuint)ow);
            if (withIndex)
            {
                var right = Vector256.ConditionalSelect(down, bottomPick, topPick).AsInt32() & Vector256<int>.One;
                var at = Vector256.Create(topRow + (2 * ow)) + evenColumns + right + (down.AsInt32() & rowBelow);
                at.StoreUnsafe(ref index, (nuint)ow);
            }

            if (ow + Vector256<float>.Count >= outW)
            {
                break;
            }
        }
    }

    /// <summary>Lane-wise <see cref="Wins"/> on eight lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> WinsLanes(Vector256<float> candidate, Vector256<float> current) =>
        Vector256.GreaterThan(candidate, current) | ~Vector256.Equals(candidate, candidate);

    /// <summary>Columns j, j+2, …, j+14 and j+1, j+3, …, j+15 of a row: the in-lane shuffle, then the 64-bit pairs put in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Even, Vector256<float> Odd) Deinterleave256(ref float row, int j)
    {
        var a = Vector256.LoadUnsafe(ref row, (nuint)j);
        var b = Vector256.LoadUnsafe(ref row, (nuint)(j + Vector256<float>.Count));
        var even = Avx2.Permute4x64(Avx.Shuffle(a, b, 0x88).AsDouble(), 0xD8).AsSingle();
        var odd = Avx2.Permute4x64(Avx.Shuffle(a, b, 0xDD).AsDouble(), 0xD8).AsSingle();
        return (even, odd);
    }

    /// <summary>Lane-wise <see cref="Wins"/>: all ones where candidate &gt; current or candidate is NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> WinsLanes(Vector128<float> candidate, Vector128<float> current) =>
        Vector128.GreaterThan(candidate, current) | ~Vector128.Equals(candidate, candidate);

    /// <summary>Columns j, j+2, j+4, j+6 and j+1, j+3, j+5, j+7 of a row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector128<float> Even, Vector128<float> Odd) Deinterleave(ref float row, int j)
    {
        var a = Vector128.LoadUnsafe(ref row, (nuint)j);
        var b = Vector128.LoadUnsafe(ref row, (nuint)(j + Vector128<float>.Count));
        return (Sse.Shuffle(a, b, 0x88), Sse.Shuffle(a, b, 0xDD));
    }

    /// <summary>dx[p, indices[p, o]] += dy[p, o]: each output's gradient goes to the input that won its window. <paramref name="dx"/> is overwritten: each plane is cleared while it is in cache, then accumulated into.</summary>
    public static void MaxBackward<T>(T[] dy, int[] indices, in Window2d g, int planes, T[] dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var w = g;
        // 2×2 windows with stride 2 that tile the plane exactly: each input belongs to one window, so
        // every input is written once, four outputs at a time, with no clearing pass.
        bool tiles2x2 = typeof(T) == typeof(float) && Sse.IsSupported && w.OutW >= Vector128<float>.Count
            && g.IsTwoByTwoStrideTwo && w.Height == 2 * w.OutH && w.Width == 2 * w.OutW;
        Threading.For(planes, w.OutPlane, (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                if (tiles2x2)
                {
                    MaxBackwardTiled2x2(
                        MemoryMarshal.Cast<T, float>(new ReadOnlySpan<T>(dy, p * w.OutPlane, w.OutPlane)),
                        new ReadOnlySpan<int>(indices, p * w.OutPlane, w.OutPlane),
                        w.OutH,
                        w.OutW,
                        MemoryMarshal.Cast<T, float>(new Span<T>(dx, p * w.InPlane, w.InPlane)));
                    continue;
                }

                var grad = new Span<T>(dx, p * w.InPlane, w.InPlane);
                grad.Clear();
                var upstream = new ReadOnlySpan<T>(dy, p * w.OutPlane, w.OutPlane);
                var index = new ReadOnlySpan<int>(indices, p * w.OutPlane, w.OutPlane);
                for (int o = 0; o < upstream.Length; o++)
                {
                    grad[index[o]] += upstream[o];
                }
            }
        });
    }

    /// <summary>
    /// One plane of <see cref="MaxBackward"/> for 2×2 windows of stride 2 that tile it exactly, four
    /// outputs at a time: each window's four inputs get +0 + dy where the index points and +0 elsewhere,
    /// the values the clear-then-add scatter leaves (+0 + dy turns −0 into +0, as it does there). The
    /// last group overlaps the one before when the row is not a multiple of four (same values twice).
    /// </summary>
    private static void MaxBackwardTiled2x2(ReadOnlySpan<float> dy, ReadOnlySpan<int> index, int outH, int outW, Span<float> grad)
    {
        int width = 2 * outW;
        var evenColumns = Vector128.Create(0, 2, 4, 6);
        var right = Vector128.Create(1);
        var below = Vector128.Create(width);
        var belowRight = Vector128.Create(width + 1);
        for (int oh = 0; oh < outH; oh++)
        {
            int topRow = 2 * oh * width;
            ref float top = ref grad[topRow];
            ref float bottom = ref grad[topRow + width];
            ref readonly float upstream = ref dy[oh * outW];
            ref readonly int at = ref index[oh * outW];
            for (int ow = 0; ; ow += Vector128<float>.Count)
            {
                ow = Math.Min(ow, outW - Vector128<float>.Count);
                var g = Vector128.LoadUnsafe(in upstream, (nuint)ow) + Vector128<float>.Zero;
                var offset = Vector128.LoadUnsafe(in at, (nuint)ow) - (Vector128.Create(topRow + (2 * ow)) + evenColumns);
                var topLeft = Vector128.Equals(offset, Vector128<int>.Zero).AsSingle() & g;
                var topRight = Vector128.Equals(offset, right).AsSingle() & g;
                var bottomLeft = Vector128.Equals(offset, below).AsSingle() & g;
                var bottomRight = Vector128.Equals(offset, belowRight).AsSingle() & g;
                Sse.UnpackLow(topLeft, topRight).StoreUnsafe(ref top, (nuint)(2 * ow));
                Sse.UnpackHigh(topLeft, topRight).StoreUnsafe(ref top, (nuint)((2 * ow) + 4));
                Sse.UnpackLow(bottomLeft, bottomRight).StoreUnsafe(ref bottom, (nuint)(2 * ow));
                Sse.UnpackHigh(bottomLeft, bottomRight).StoreUnsafe(ref bottom, (nuint)((2 * ow) + 4));
                if (ow + Vector128<float>.Count >= outW)
                {
                    break;
                }
            }
        }
    }

    /// <summary>
    /// y[p, oh, ow] = (Σ over the window's in-bounds taps of x[p]) / divisor, where the divisor counts the
    /// window clipped to the padded input (<paramref name="countIncludePad"/>) or to the input alone.
    /// </summary>
    public static void AvgForward<T>(T[] x, in Window2d g, int planes, bool countIncludePad, T[] y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var w = g;
        Threading.For(planes, (long)g.OutPlane * g.KernelArea, (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                var plane = new ReadOnlySpan<T>(x, p * w.InPlane, w.InPlane);
                var outPlane = new Span<T>(y, p * w.OutPlane, w.OutPlane);
                for (int oh = 0; oh < w.OutH; oh++)
                {
                    var (h0, h1, countH) = AvgWindow(oh, w.StrideH, w.PadH, w.KernelH, w.Height, countIncludePad);
                    for (int ow = 0; ow < w.OutW; ow++)
                    {
                        var (w0, w1, countW) = AvgWindow(ow, w.StrideW, w.PadW, w.KernelW, w.Width, countIncludePad);
                        T sum = T.Zero;
                        for (int ih = h0; ih < h1; ih++)
                        {
                            for (int iw = w0; iw < w1; iw++)
                            {
                                sum += plane[(ih * w.Width) + iw];
                            }
                        }

                        outPlane[(oh * w.OutW) + ow] = sum / T.CreateTruncating(countH * countW);
                    }
                }
            }
        });
    }

    /// <summary>dx[p, window] += dy[p, o] / divisor for every output o: the adjoint of <see cref="AvgForward"/>. <paramref name="dx"/> is overwritten: each plane is cleared while it is in cache, then accumulated into.</summary>
    public static void AvgBackward<T>(T[] dy, in Window2d g, int planes, bool countIncludePad, T[] dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var w = g;
        Threading.For(planes, (long)g.OutPlane * g.KernelArea, (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                var grad = new Span<T>(dx, p * w.InPlane, w.InPlane);
                grad.Clear();
                var upstream = new ReadOnlySpan<T>(dy, p * w.OutPlane, w.OutPlane);
                for (int oh = 0; oh < w.OutH; oh++)
                {
                    var (h0, h1, countH) = AvgWindow(oh, w.StrideH, w.PadH, w.KernelH, w.Height, countIncludePad);
                    for (int ow = 0; ow < w.OutW; ow++)
                    {
                        var (w0, w1, countW) = AvgWindow(ow, w.StrideW, w.PadW, w.KernelW, w.Width, countIncludePad);
                        T share = upstream[(oh * w.OutW) + ow] / T.CreateTruncating(countH * countW);
                        for (int ih = h0; ih < h1; ih++)
                        {
                            for (int iw = w0; iw < w1; iw++)
                            {
                                grad[(ih * w.Width) + iw] += share;
                            }
                        }
                    }
                }
            }
        });
    }

    /// <summary>
    /// One side of an average-pooling window: the in-bounds range [start, end) and the count the divisor
    /// uses, as PyTorch computes it (the window clipped to size + pad first, then to the input).
    /// </summary>
    private static (int Start, int End, int Count) AvgWindow(int o, int stride, int pad, int kernel, int size, bool countIncludePad)
    {
        int start = (o * stride) - pad;
        int end = Math.Min(start + kernel, size + pad);
        int padded = end - start;
        start = Math.Max(start, 0);
        end = Math.Min(end, size);
        return (start, end, countIncludePad ? padded : end - start);
    }

    /// <summary>
    /// Adaptive average pooling: output (oh, ow) averages input rows [⌊oh·H/OH⌋, ⌈(oh+1)·H/OH⌉) and the
    /// matching columns, so every input pixel is covered whatever the sizes.
    /// </summary>
    public static void AdaptiveAvgForward<T>(T[] x, int planes, int height, int width, int outH, int outW, T[] y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Threading.For(planes, (long)height * width, (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                var plane = new ReadOnlySpan<T>(x, p * height * width, height * width);
                var outPlane = new Span<T>(y, p * outH * outW, outH * outW);
                for (int oh = 0; oh < outH; oh++)
                {
                    var (h0, h1) = AdaptiveRange(oh, height, outH);
                    for (int ow = 0; ow < outW; ow++)
                    {
                        var (w0, w1) = AdaptiveRange(ow, width, outW);
                        T sum = T.Zero;
                        for (int ih = h0; ih < h1; ih++)
                        {
                            for (int iw = w0; iw < w1; iw++)
                            {
                                sum += plane[(ih * width) + iw];
                            }
                        }

                        outPlane[(oh * outW) + ow] = sum / T.CreateTruncating((h1 - h0) * (w1 - w0));
                    }
                }
            }
        });
    }

    /// <summary>The adjoint of <see cref="AdaptiveAvgForward"/>: dx[window] += dy / window area. <paramref name="dx"/> is overwritten: each plane is cleared while it is in cache, then accumulated into.</summary>
    public static void AdaptiveAvgBackward<T>(T[] dy, int planes, int height, int width, int outH, int outW, T[] dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Threading.For(planes, (long)height * width, (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                var grad = new Span<T>(dx, p * height * width, height * width);
                grad.Clear();
                var upstream = new ReadOnlySpan<T>(dy, p * outH * outW, outH * outW);
                for (int oh = 0; oh < outH; oh++)
                {
                    var (h0, h1) = AdaptiveRange(oh, height, outH);
                    for (int ow = 0; ow < outW; ow++)
                    {
                        var (w0, w1) = AdaptiveRange(ow, width, outW);
                        T share = upstream[(oh * outW) + ow] / T.CreateTruncating((h1 - h0) * (w1 - w0));
                        for (int ih = h0; ih < h1; ih++)
                        {
                            for (int iw = w0; iw < w1; iw++)
                            {
                                grad[(ih * width) + iw] += share;
                            }
                        }
                    }
                }
            }
        });
    }

    /// <summary>[⌊o·size/outSize⌋, ⌈(o+1)·size/outSize⌉).</summary>
    private static (int Start, int End) AdaptiveRange(int o, int size, int outSize) =>
        ((int)((long)o * size / outSize), (int)((((long)(o + 1) * size) + outSize - 1) / outSize));
}
