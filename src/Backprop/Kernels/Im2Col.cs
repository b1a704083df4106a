using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Backprop.Kernels;

/// <summary>
/// im2col and col2im for one sample: the column matrix has one row per (channel, kh, kw) tap and
/// one column per output pixel, cols[(c·kH + kh)·kW + kw, oh·OW + ow] = x[c, ih, iw] with
/// ih = oh·sH − pH + kh·dH and iw = ow·sW − pW + kw·dW (zero where that falls in the padding).
/// A convolution is then one GEMM, weight (O × C·kH·kW) · cols (C·kH·kW × OH·OW).
/// </summary>
/// <remarks>
/// A padded sample is first copied into a zero-bordered scratch image, so every tap reads in bounds
/// and each (tap, output row) is one run of OW values (stride 1): a few vector moves instead of a
/// bounds check per element. Output rows are short (14 or 28 here), so runs are copied with
/// overlapping vectors rather than through a general copy routine.
/// </remarks>
internal static class Im2Col
{
    /// <summary>The scratch <see cref="Forward"/> and <see cref="Backward"/> need: the padded image, or nothing without padding.</summary>
    public static int ScratchLength(in Window2d g) =>
        g.PadH == 0 && g.PadW == 0 ? 0 : g.Channels * (g.Height + (2 * g.PadH)) * (g.Width + (2 * g.PadW));

    /// <summary>Fills <paramref name="cols"/> (C·kH·kW × OH·OW) from one sample <paramref name="x"/> (C × H × W).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Forward<T>(ReadOnlySpan<T> x, in Window2d g, Span<T> cols, Span<T> scratch)
        where T : unmanaged, INumberBase<T>
    {
        int paddedH = g.Height + (2 * g.PadH), paddedW = g.Width + (2 * g.PadW);
        ReadOnlySpan<T> image = x;
        if (g.PadH != 0 || g.PadW != 0)
        {
            var padded = scratch[..ScratchLength(g)];
            padded.Clear();
            for (int c = 0; c < g.Channels; c++)
            {
                for (int ih = 0; ih < g.Height; ih++)
                {
                    x.Slice((c * g.InPlane) + (ih * g.Width), g.Width)
                        .CopyTo(padded.Slice((((c * paddedH) + ih + g.PadH) * paddedW) + g.PadW, g.Width));
                }
            }

            image = padded;
        }

        int outPlane = g.OutPlane, outW = g.OutW, rowStep = g.StrideH * paddedW;
        ref T src0 = ref MemoryMarshal.GetReference(image);
        ref T dst0 = ref MemoryMarshal.GetReference(cols);
        int row = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            for (int kh = 0; kh < g.KernelH; kh++)
            {
                for (int kw = 0; kw < g.KernelW; kw++, row++)
                {
                    int from = (((c * paddedH) + (kh * g.DilationH)) * paddedW) + (kw * g.DilationW);
                    int to = row * outPlane;
                    for (int oh = 0; oh < g.OutH; oh++, from += rowStep, to += outW)
                    {
                        if (g.StrideW == 1)
                        {
                            CopyRun(ref Unsafe.Add(ref src0, from), ref Unsafe.Add(ref dst0, to), outW);
                        }
                        else
                        {
                            for (int ow = 0; ow < outW; ow++)
                            {
                                Unsafe.Add(ref dst0, to + ow) = Unsafe.Add(ref src0, from + (ow * g.StrideW));
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
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Backward<T>(ReadOnlySpan<T> cols, in Window2d g, Span<T> x, Span<T> scratch)
        where T : unmanaged, INumberBase<T>
    {
        bool isPadded = g.PadH != 0 || g.PadW != 0;
        int paddedH = g.Height + (2 * g.PadH), paddedW = g.Width + (2 * g.PadW);
        var image = x;
        if (isPadded)
        {
            image = scratch[..ScratchLength(g)];
            image.Clear();
        }

        int outPlane = g.OutPlane, outW = g.OutW, rowStep = g.StrideH * paddedW;
        ref T src0 = ref MemoryMarshal.GetReference(cols);
        ref T dst0 = ref MemoryMarshal.GetReference(image);
        int row = 0;
        for (int c = 0; c < g.Channels; c++)
        {
            for (int kh = 0; kh < g.KernelH; kh++)
            {
                for (int kw = 0; kw < g.KernelW; kw++, row++)
                {
                    int to = (((c * paddedH) + (kh * g.DilationH)) * paddedW) + (kw * g.DilationW);
                    int from = row * outPlane;
                    for (int oh = 0; oh < g.OutH; oh++, to += rowStep, from += outW)
                    {
                        if (g.StrideW == 1)
                        {
                            AddRun(ref Unsafe.Add(ref src0, from), ref Unsafe.Add(ref dst0, to), outW);
                        }
                        else
                        {
                            for (int ow = 0; ow < outW; ow++)
                            {
                                Unsafe.Add(ref dst0, to + (ow * g.StrideW)) += Unsafe.Add(ref src0, from + ow);
                            }
                        }
                    }
                }
            }
        }

        if (isPadded)
        {
            for (int c = 0; c < g.Channels; c++)
            {
                for (int ih = 0; ih < g.Height; ih++)
                {
                    AddRun(
                        ref Unsafe.Add(ref dst0, (((c * paddedH) + ih + g.PadH) * paddedW) + g.PadW),
                        ref x[(c * g.InPlane) + (ih * g.Width)],
                        g.Width);
                }
            }
        }
    }

    /// <summary>dst[0..n) = src[0..n): whole vectors, then one last vector overlapping the previous (same values twice).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void CopyRun<T>(ref T src, ref T dst, int n)
        where T : unmanaged
    {
        int width = Vector<T>.Count;
        if (n < width)
        {
            for (int i = 0; i < n; i++)
            {
                Unsafe.Add(ref dst, i) = Unsafe.Add(ref src, i);
            }

            return;
        }

        int j = 0;
        for (; j <= n - width; j += width)
        {
            Vector.LoadUnsafe(ref src, (nuint)j).StoreUnsafe(ref dst, (nuint)j);
        }

        if (j < n)
        {
            Vector.LoadUnsafe(ref src, (nuint)(n - width)).StoreUnsafe(ref dst, (nuint)(n - width));
        }
    }

    /// <summary>
    /// dst[0..n) += src[0..n): whole vectors, then one last vector overlapping the previous. The last
    /// vector's sum is taken from dst as it was before any store, so overlapping lanes get the same
    /// value twice instead of being added twice.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void AddRun<T>(ref T src, ref T dst, int n)
        where T : unmanaged, INumberBase<T>
    {
        int width = Vector<T>.Count;
        if (n < width)
        {
            for (int i = 0; i < n; i++)
            {
                Unsafe.Add(ref dst, i) += Unsafe.Add(ref src, i);
            }

            return;
        }

        nuint last = (nuint)(n - width);
        var lastSum = Vector.LoadUnsafe(ref dst, last) + Vector.LoadUnsafe(ref src, last);
        for (nuint j = 0; j < last; j += (nuint)width)
        {
            (Vector.LoadUnsafe(ref dst, j) + Vector.LoadUnsafe(ref src, j)).StoreUnsafe(ref dst, j);
        }

        lastSum.StoreUnsafe(ref dst, last);
    }
}
