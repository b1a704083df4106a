namespace Backprop.Kernels;

/// <summary>
/// Strided copies between a strided view of a row-major buffer and a contiguous one: the single
/// kernel behind permute, transpose, select, narrow and slice (forward gathers, backward scatters).
/// Element-type agnostic: it only moves values.
/// </summary>
internal static class Permute
{
    /// <summary>
    /// dst[i] = src[offset + Σ_d index_d(i)·strides[d]] for every i in row-major order of
    /// <paramref name="shape"/>: reads the view (offset, shape, strides) of src into contiguous dst.
    /// </summary>
    public static void Gather(Array src, int offset, int[] shape, int[] strides, Array dst)
    {
        switch (src)
        {
            case float[] f: Gather(f, offset, shape, strides, (float[])dst); break;
            case double[] d: Gather(d, offset, shape, strides, (double[])dst); break;
            case long[] l: Gather(l, offset, shape, strides, (long[])dst); break;
            default: throw new NotSupportedException(src.GetType().Name);
        }
    }

    /// <summary>The inverse of <see cref="Gather(Array, int, int[], int[], Array)"/>: dst[offset + Σ index·strides] = src[i].</summary>
    public static void Scatter(Array src, Array dst, int offset, int[] shape, int[] strides)
    {
        switch (src)
        {
            case float[] f: Scatter(f, (float[])dst, offset, shape, strides); break;
            case double[] d: Scatter(d, (double[])dst, offset, shape, strides); break;
            case long[] l: Scatter(l, (long[])dst, offset, shape, strides); break;
            default: throw new NotSupportedException(src.GetType().Name);
        }
    }

    /// <summary>Typed <see cref="Gather(Array, int, int[], int[], Array)"/>.</summary>
    public static void Gather<T>(T[] src, int offset, int[] shape, int[] strides, T[] dst) =>
        Walk(src, dst, offset, shape, strides, toView: false);

    /// <summary>Typed <see cref="Scatter(Array, Array, int, int[], int[])"/>.</summary>
    public static void Scatter<T>(T[] src, T[] dst, int offset, int[] shape, int[] strides) =>
        Walk(dst, src, offset, shape, strides, toView: true);

    /// <summary>
    /// Copies between the view and the contiguous buffer: a large copy in pieces of whole innermost runs
    /// on several threads (each piece starts its own odometer at its first run), a small one on this
    /// thread. Every element goes to the same place whatever the split.
    /// </summary>
    private static void Walk<T>(T[] view, T[] flat, int offset, int[] shape, int[] strides, bool toView)
    {
        if (flat.Length == 0)
        {
            return;
        }

        int rank = shape.Length;
        if (rank == 0)
        {
            if (toView)
            {
                view[offset] = flat[0];
            }
            else
            {
                flat[0] = view[offset];
            }

            return;
        }

        int inner = shape[rank - 1];
        int runs = flat.Length / inner;
        // A run's cost in multiply-add units for Threading.For: its elements (a copy is memory-bound,
        // so it takes about as long as a pass of the same length).
        Threading.For(runs, inner, (first, end) => WalkRuns(view, flat, offset, shape, strides, toView, first, end));
    }

    // Odometer over all dims but the last from run `first`; the innermost run is a block copy when its
    // stride is 1.
    private static void WalkRuns<T>(T[] view, T[] flat, int offset, int[] shape, int[] strides, bool toView, int first, int end)
    {
        int rank = shape.Length;
        int inner = shape[rank - 1];
        int innerStride = strides[rank - 1];
        var index = new int[rank];
        int pos = offset;
        for (int dim = rank - 2, rest = first; dim >= 0; dim--)
        {
            index[dim] = rest % shape[dim];
            rest /= shape[dim];
            pos += index[dim] * strides[dim];
        }

        for (int start = first * inner; start < end * inner; start += inner)
        {
            var run = flat.AsSpan(start, inner);
            if (innerStride == 1)
            {
                if (toView)
                {
                    run.CopyTo(view.AsSpan(pos, inner));
                }
                else
                {
                    view.AsSpan(pos, inner).CopyTo(run);
                }
            }
            else if (toView)
            {
                for (int k = 0, p = pos; k < inner; k++, p += innerStride)
                {
                    view[p] = run[k];
                }
            }
            else
            {
                for (int k = 0, p = pos; k < inner; k++, p += innerStride)
                {
                    run[k] = view[p];
                }
            }

            for (int dim = rank - 2; dim >= 0; dim--)
            {
                pos += strides[dim];
                if (++index[dim] < shape[dim])
                {
                    break;
                }

                pos -= strides[dim] * shape[dim];
                index[dim] = 0;
            }
        }
    }
}
