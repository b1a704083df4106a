using System.Numerics;

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
        Threading.For(planes, (long)g.OutPlane * g.KernelArea, (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                var plane = new ReadOnlySpan<T>(x, p * w.InPlane, w.InPlane);
                var outPlane = new Span<T>(y, p * w.OutPlane, w.OutPlane);
                var outIndex = indices is null ? default : new Span<int>(indices, p * w.OutPlane, w.OutPlane);
                if (w is { KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0 })
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
                                if (argMax < 0 || v > max || T.IsNaN(v))
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

    /// <summary>The common 2×2, stride 2, unpadded window, without bounds checks per tap.</summary>
    private static void MaxForward2x2<T>(ReadOnlySpan<T> plane, in Window2d g, Span<T> outPlane, Span<int> outIndex)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = g.Width;
        for (int oh = 0; oh < g.OutH; oh++)
        {
            var top = plane.Slice(2 * oh * width, width);
            var bottom = plane.Slice(((2 * oh) + 1) * width, width);
            var dst = outPlane.Slice(oh * g.OutW, g.OutW);
            int rowAt = 2 * oh * width;
            for (int ow = 0; ow < g.OutW; ow++)
            {
                int c = 2 * ow;
                T max = top[c];
                int at = c;
                Take(ref max, ref at, top[c + 1], c + 1);
                Take(ref max, ref at, bottom[c], width + c);
                Take(ref max, ref at, bottom[c + 1], width + c + 1);
                dst[ow] = max;
                if (!outIndex.IsEmpty)
                {
                    outIndex[(oh * g.OutW) + ow] = rowAt + at;
                }
            }
        }
    }

    /// <summary>The max-pool update, as PyTorch's: a larger value or a NaN takes the window.</summary>
    private static void Take<T>(ref T max, ref int at, T value, int position)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (value > max || T.IsNaN(value))
        {
            max = value;
            at = position;
        }
    }

    /// <summary>dx[p, indices[p, o]] += dy[p, o]: each output's gradient goes to the input that won its window. <paramref name="dx"/> must be zeroed.</summary>
    public static void MaxBackward<T>(T[] dy, int[] indices, in Window2d g, int planes, T[] dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var w = g;
        Threading.For(planes, w.OutPlane, (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                var grad = new Span<T>(dx, p * w.InPlane, w.InPlane);
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

    /// <summary>dx[p, window] += dy[p, o] / divisor for every output o: the adjoint of <see cref="AvgForward"/>. <paramref name="dx"/> must be zeroed.</summary>
    public static void AvgBackward<T>(T[] dy, in Window2d g, int planes, bool countIncludePad, T[] dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var w = g;
        Threading.For(planes, (long)g.OutPlane * g.KernelArea, (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                var grad = new Span<T>(dx, p * w.InPlane, w.InPlane);
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

    /// <summary>The adjoint of <see cref="AdaptiveAvgForward"/>: dx[window] += dy / window area. <paramref name="dx"/> must be zeroed.</summary>
    public static void AdaptiveAvgBackward<T>(T[] dy, int planes, int height, int width, int outH, int outW, T[] dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Threading.For(planes, (long)height * width, (start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                var grad = new Span<T>(dx, p * height * width, height * width);
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
