namespace Backprop.Kernels;

/// <summary>Materializes a broadcast: copies an array into a larger shape it broadcasts to (<see cref="Broadcasting.Expand"/>).</summary>
internal static class BroadcastCopy
{
    /// <summary>
    /// Fills <paramref name="dst"/> (of <paramref name="shape"/>) with <paramref name="src"/> (of
    /// <paramref name="srcShape"/>, which broadcasts to shape) repeated along every broadcast dimension.
    /// </summary>
    public static void Copy<T>(T[] src, int[] srcShape, T[] dst, int[] shape)
    {
        if (dst.Length == 0)
        {
            return;
        }

        if (src.Length == 1)
        {
            dst.AsSpan().Fill(src[0]);
            return;
        }

        int rank = shape.Length;
        var strides = Strides.Broadcast(srcShape, shape);
        int inner = shape[rank - 1];
        int innerStride = strides[rank - 1];
        var index = new int[rank];
        int offset = 0;
        for (int start = 0; start < dst.Length; start += inner)
        {
            var d = dst.AsSpan(start, inner);
            if (innerStride == 0)
            {
                d.Fill(src[offset]);
            }
            else
            {
                src.AsSpan(offset, inner).CopyTo(d);
            }

            for (int dim = rank - 2; dim >= 0; dim--)
            {
                offset += strides[dim];
                if (++index[dim] < shape[dim])
                {
                    break;
                }

                offset -= strides[dim] * shape[dim];
                index[dim] = 0;
            }
        }
    }
}
