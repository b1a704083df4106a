namespace Backprop;

/// <summary>Shape arithmetic shared by every op: element counts, strides, broadcasting, dim wrapping.</summary>
internal static class Shapes
{
    /// <summary>Number of elements of a shape, with an overflow check (a rank-0 shape has one element).</summary>
    public static int Numel(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"shape {Format(shape)}: negative dimension {d}");
            }

            n *= d;
            if (n > Array.MaxLength)
            {
                throw new ArgumentException($"shape {Format(shape)}: more than {Array.MaxLength} elements");
            }
        }

        return (int)n;
    }

    /// <summary>Row-major (C-order) strides in elements.</summary>
    public static int[] Strides(ReadOnlySpan<int> shape) => Kernels.Strides.RowMajor(shape);

    /// <summary>Formats a shape as PyTorch error messages do in this library: <c>(128x784)</c>; rank 0 is <c>()</c>.</summary>
    public static string Format(ReadOnlySpan<int> shape)
    {
        return "(" + string.Join("x", shape.ToArray()) + ")";
    }

    /// <summary>Maps a possibly negative dim to [0, rank), or throws naming the op.</summary>
    public static int WrapDim(string op, int dim, int rank)
    {
        int r = Math.Max(rank, 1);
        int d = dim < 0 ? dim + r : dim;
        if (d < 0 || d >= r)
        {
            throw new ArgumentOutOfRangeException(nameof(dim), $"{op}: dim {dim} is out of range for a tensor of rank {rank} (expected [{-r}, {r - 1}])");
        }

        return d;
    }

    /// <summary>
    /// The NumPy broadcast of two shapes: aligned from the right, each pair of sizes must be
    /// equal or one of them 1.
    /// </summary>
    public static int[] Broadcast(string op, int[] a, int[] b)
    {
        if (a.AsSpan().SequenceEqual(b))
        {
            return a;
        }

        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
            {
                throw new ArgumentException($"{op}: shapes {Format(a)} and {Format(b)} cannot be broadcast (dimension {i}: {da} vs {db})");
            }

            result[i] = da == 1 ? db : da;
        }

        return result;
    }

    /// <summary>
    /// Strides of <paramref name="shape"/> seen through the broadcast shape <paramref name="outShape"/>:
    /// zero along every dimension that is broadcast (missing or of size 1).
    /// </summary>
    public static int[] BroadcastStrides(int[] shape, int[] outShape) => Kernels.Strides.Broadcast(shape, outShape);

    /// <summary>Resolves one <c>-1</c> in a requested shape (as <c>view(-1, 784)</c>) and checks the element count.</summary>
    public static int[] InferReshape(string op, int[] from, int[] to)
    {
        int numel = Numel(from);
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < to.Length; i++)
        {
            if (to[i] == -1)
            {
                if (inferred >= 0)
                {
                    throw new ArgumentException($"{op}: only one dimension can be -1 in {Format(to)}");
                }

                inferred = i;
            }
            else if (to[i] < 0)
            {
                throw new ArgumentException($"{op}: invalid dimension {to[i]} in {Format(to)}");
            }
            else
            {
                known *= to[i];
            }
        }

        var result = (int[])to.Clone();
        if (inferred >= 0)
        {
            if (known == 0 || numel % known != 0)
            {
                throw new ArgumentException($"{op}: cannot reshape {Format(from)} ({numel} elements) into {Format(to)}");
            }

            result[inferred] = (int)(numel / known);
        }
        else if (known != numel)
        {
            throw new ArgumentException($"{op}: cannot reshape {Format(from)} ({numel} elements) into {Format(to)} ({known} elements)");
        }

        return result;
    }
}
