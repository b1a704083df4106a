namespace Backprop.Kernels;

/// <summary>Row-major strides of a shape, plain or seen through a broadcast: the index arithmetic kernels need.</summary>
internal static class Strides
{
    /// <summary>The row-major (C-contiguous) strides of <paramref name="shape"/>, in elements.</summary>
    public static int[] RowMajor(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= shape[i];
        }

        return strides;
    }

    /// <summary>
    /// Strides of <paramref name="shape"/> seen through the broadcast shape <paramref name="outShape"/>:
    /// zero along every dimension that is broadcast (missing or of size 1).
    /// </summary>
    public static int[] Broadcast(int[] shape, int[] outShape)
    {
        var own = RowMajor(shape);
        var result = new int[outShape.Length];
        int offset = outShape.Length - shape.Length;
        for (int i = offset; i < outShape.Length; i++)
        {
            result[i] = shape[i - offset] == 1 ? 0 : own[i - offset];
        }

        return result;
    }
}
