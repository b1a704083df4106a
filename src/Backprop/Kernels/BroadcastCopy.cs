namespace Backprop.Kernels;

/// <summary>Materializes a broadcast: copies a tensor into a larger shape it broadcasts to.</summary>
internal static class BroadcastCopy
{
    /// <summary>
    /// <paramref name="x"/> repeated along every broadcast dimension of <paramref name="shape"/>
    /// (the forward of <c>expand</c>, and the backward of every reduction).
    /// </summary>
    public static Tensor To(string op, Tensor x, int[] shape)
    {
        if (x._shape.AsSpan().SequenceEqual(shape))
        {
            return x;
        }

        var full = Shapes.Broadcast(op, x._shape, shape);
        if (!full.AsSpan().SequenceEqual(shape))
        {
            throw new ArgumentException($"{op}: shape {Shapes.Format(x._shape)} cannot be expanded to {Shapes.Format(shape)}");
        }

        var result = Tensor.Empty(shape, x.DType);
        switch (x._data)
        {
            case float[] f: Copy(f, x._shape, result.F32, shape); break;
            case double[] d: Copy(d, x._shape, result.F64, shape); break;
            case long[] l: Copy(l, x._shape, result.I64, shape); break;
        }

        return result;
    }

    private static void Copy<T>(T[] src, int[] srcShape, T[] dst, int[] shape)
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
        var strides = Shapes.BroadcastStrides(srcShape, shape);
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
