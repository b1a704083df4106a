using System.Numerics;
using System.Numerics.Tensors;

namespace Backprop.Kernels;

/// <summary>
/// im2col and col2im for one sample: the column matrix has one row per (channel, kh, kw) tap and
/// one column per output pixel, cols[(c·kH + kh)·kW + kw, oh·OW + ow] = x[c, ih, iw] with
/// ih = oh·sH − pH + kh·dH and iw = ow·sW − pW + kw·dW (zero where that falls in the padding).
/// A convolution is then one GEMM, weight (O × C·kH·kW) · cols (C·kH·kW × OH·OW).
/// </summary>
internal static class Im2Col
{
    /// <summary>Fills <paramref name="cols"/> (C·kH·kW × OH·OW) from one sample <paramref name="x"/> (C × H × W).</summary>
    public static void Forward<T>(ReadOnlySpan<T> x, in Window2d g, Span<T> cols)
        where T : unmanaged, INumberBase<T>
    {
        int outPlane = g.OutPlane;
        for (int c = 0; c < g.Channels; c++)
        {
            var plane = x.Slice(c * g.InPlane, g.InPlane);
            for (int kh = 0; kh < g.KernelH; kh++)
            {
                for (int kw = 0; kw < g.KernelW; kw++)
                {
                    int row = (((c * g.KernelH) + kh) * g.KernelW) + kw;
                    var dst = cols.Slice(row * outPlane, outPlane);
                    int offsetH = (kh * g.DilationH) - g.PadH;
                    int offsetW = (kw * g.DilationW) - g.PadW;
                    var (owLo, owHi) = ValidRange(offsetW, g.StrideW, g.Width, g.OutW);
                    for (int oh = 0; oh < g.OutH; oh++)
                    {
                        var dstRow = dst.Slice(oh * g.OutW, g.OutW);
                        int ih = (oh * g.StrideH) + offsetH;
                        if ((uint)ih >= (uint)g.Height)
                        {
                            dstRow.Clear();
                            continue;
                        }

                        var src = plane.Slice(ih * g.Width, g.Width);
                        dstRow[..owLo].Clear();
                        dstRow[owHi..].Clear();
                        if (g.StrideW == 1)
                        {
                            src.Slice(owLo + offsetW, owHi - owLo).CopyTo(dstRow[owLo..owHi]);
                        }
                        else
                        {
                            for (int ow = owLo, iw = (owLo * g.StrideW) + offsetW; ow < owHi; ow++, iw += g.StrideW)
                            {
                                dstRow[ow] = src[iw];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The adjoint of <see cref="Forward"/>: adds every entry of <paramref name="cols"/> into the input
    /// position it was read from, x[c, ih, iw] += cols[row, col] (padding taps are dropped). Overlapping
    /// windows sum. <paramref name="x"/> is accumulated into, not cleared.
    /// </summary>
    public static void Backward<T>(ReadOnlySpan<T> cols, in Window2d g, Span<T> x)
        where T : unmanaged, INumberBase<T>
    {
        int outPlane = g.OutPlane;
        for (int c = 0; c < g.Channels; c++)
        {
            var plane = x.Slice(c * g.InPlane, g.InPlane);
            for (int kh = 0; kh < g.KernelH; kh++)
            {
                for (int kw = 0; kw < g.KernelW; kw++)
                {
                    int row = (((c * g.KernelH) + kh) * g.KernelW) + kw;
                    var src = cols.Slice(row * outPlane, outPlane);
                    int offsetH = (kh * g.DilationH) - g.PadH;
                    int offsetW = (kw * g.DilationW) - g.PadW;
                    var (owLo, owHi) = ValidRange(offsetW, g.StrideW, g.Width, g.OutW);
                    if (owHi <= owLo)
                    {
                        continue;
                    }

                    for (int oh = 0; oh < g.OutH; oh++)
                    {
                        int ih = (oh * g.StrideH) + offsetH;
                        if ((uint)ih >= (uint)g.Height)
                        {
                            continue;
                        }

                        var srcRow = src.Slice(oh * g.OutW, g.OutW);
                        var dst = plane.Slice(ih * g.Width, g.Width);
                        if (g.StrideW == 1)
                        {
                            var d = dst.Slice(owLo + offsetW, owHi - owLo);
                            TensorPrimitives.Add(d, srcRow[owLo..owHi], d);
                        }
                        else
                        {
                            for (int ow = owLo, iw = (owLo * g.StrideW) + offsetW; ow < owHi; ow++, iw += g.StrideW)
                            {
                                dst[iw] += srcRow[ow];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// The output columns [lo, hi) whose input column ow·stride + offset lies inside [0, size),
    /// clamped to [0, outSize).
    /// </summary>
    internal static (int Lo, int Hi) ValidRange(int offset, int stride, int size, int outSize)
    {
        int lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        int hi = size - offset <= 0 ? 0 : ((size - offset - 1) / stride) + 1;
        lo = Math.Min(lo, outSize);
        hi = Math.Clamp(hi, lo, outSize);
        return (lo, hi);
    }
}
