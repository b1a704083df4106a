using System.Globalization;
using System.Text;

namespace Backprop;

/// <summary>
/// An n-dimensional array with contiguous row-major storage that records the operations applied
/// to it, so <see cref="Backward"/> can apply the chain rule in reverse (as <c>torch.Tensor</c>).
/// Tensors are managed memory: there is nothing to dispose.
/// </summary>
public sealed partial class Tensor
{
    internal readonly Array _data;
    internal readonly int[] _shape;

    internal Tensor(Array data, int[] shape)
    {
        _data = data;
        _shape = shape;
        DType = data switch
        {
            float[] => DType.Float32,
            double[] => DType.Float64,
            long[] => DType.Int64,
            _ => throw new ArgumentException($"unsupported storage type {data.GetType().Name}"),
        };
        if (data.Length != Shapes.Numel(shape))
        {
            throw new ArgumentException($"storage of {data.Length} elements does not fit shape {Shapes.Format(shape)}");
        }
    }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The sizes of each dimension (a copy; <c>tensor.shape</c>).</summary>
    public int[] Shape => (int[])_shape.Clone();

    /// <summary>Number of dimensions (<c>tensor.dim()</c>).</summary>
    public int Rank => _shape.Length;

    /// <summary>Total number of elements (<c>tensor.numel()</c>).</summary>
    public int Numel => _data.Length;

    /// <summary>Size of one dimension; negative dims count from the end (<c>tensor.size(dim)</c>).</summary>
    /// <param name="dim">The dim (negative counts from the end).</param>
    /// <returns>The number of elements along <paramref name="dim"/>.</returns>
    public int Size(int dim) => _shape[Shapes.WrapDim("Size", dim, Rank)];

    /// <summary>The storage as a span of <typeparamref name="T"/>, which must match <see cref="DType"/>.</summary>
    internal Span<T> AsSpan<T>() => Storage<T>().AsSpan();

    /// <summary>The storage array itself (throws if <typeparamref name="T"/> is not the dtype's element type).</summary>
    internal T[] Storage<T>() => (T[])_data;

    /// <summary>The float32 storage (throws for other dtypes).</summary>
    internal float[] F32 => _data as float[] ?? throw DTypeError("float32");

    /// <summary>The float64 storage (throws for other dtypes).</summary>
    internal double[] F64 => _data as double[] ?? throw DTypeError("float64");

    /// <summary>The int64 storage (throws for other dtypes).</summary>
    internal long[] I64 => _data as long[] ?? throw DTypeError("int64");

    /// <summary>The value of a one-element tensor (<c>tensor.item()</c>).</summary>
    /// <returns>The element, converted to double (exact for float32, and for int64 up to 2⁵³).</returns>
    public double Item()
    {
        if (Numel != 1)
        {
            throw new InvalidOperationException($"Item: tensor of shape {Shapes.Format(_shape)} has {Numel} elements, expected exactly 1");
        }

        return GetDouble(0);
    }

    /// <summary>
    /// Python indexing, applied left to right: an int selects (and removes) a dimension, a range or
    /// <see cref="TensorIndex.Slice"/> slices one; dims not mentioned are kept whole
    /// (<c>x[0]</c>, <c>x[.., 1..3]</c>, <c>x[^1]</c> as PyTorch's <c>x[0]</c>, <c>x[:, 1:3]</c>, <c>x[-1]</c>).
    /// The gradient is that of the <see cref="IndexingOps.Select"/> and <see cref="IndexingOps.Slice"/> it is made of.
    /// </summary>
    [System.Runtime.CompilerServices.IndexerName("GetItem")] // Item is taken by Item(), as tensor.item()
    public Tensor this[params TensorIndex[] indices]
    {
        get
        {
            if (indices.Length > Rank)
            {
                throw new ArgumentException($"index: too many indices ({indices.Length}) for a tensor of shape {Shapes.Format(_shape)}");
            }

            var result = this;
            int dim = 0;
            foreach (var index in indices)
            {
                if (index.IsSelect)
                {
                    result = result.Select(dim, index.Index);
                }
                else
                {
                    result = result.Slice(dim, index.Start, index.End, index.Step);
                    dim++;
                }
            }

            return result;
        }
    }

    /// <summary>Element <paramref name="flatIndex"/> of the row-major storage, as a double.</summary>
    internal double GetDouble(int flatIndex) => _data switch
    {
        float[] f => f[flatIndex],
        double[] d => d[flatIndex],
        long[] l => l[flatIndex],
        _ => throw new InvalidOperationException(),
    };

    /// <summary>A copy of the elements in row-major order, converted to double (exact for float32 and float64).</summary>
    /// <returns>A new array of <see cref="Numel"/> doubles.</returns>
    public double[] ToArray() => ToArray<double>();

    /// <summary>A copy of the elements in row-major order, converted to <typeparamref name="T"/> (float, double, long or int).</summary>
    /// <returns>A new array of <see cref="Numel"/> elements of type <typeparamref name="T"/>.</returns>
    public T[] ToArray<T>()
        where T : struct
    {
        if (_data is T[] same)
        {
            return (T[])same.Clone();
        }

        var result = new T[Numel];
        for (int i = 0; i < result.Length; i++)
        {
            double v = GetDouble(i);
            result[i] = result switch
            {
                float[] => (T)(object)(float)v,
                double[] => (T)(object)v,
                long[] => (T)(object)(long)v,
                int[] => (T)(object)(int)v,
                _ => throw new NotSupportedException($"ToArray: element type {typeof(T).Name} is not supported"),
            };
        }

        return result;
    }

    /// <summary>Elements in PyTorch's print format, summarized with "..." beyond 1000 elements.</summary>
    /// <returns>The text, e.g. <c>tensor([1., 2.], requires_grad=True)</c>, with the dtype unless float32 and the grad_fn when recorded.</returns>
    public override string ToString()
    {
        var sb = new StringBuilder("tensor(");
        bool summarize = Numel > 1000;
        AppendDim(sb, 0, 0, "tensor(".Length, summarize);
        if (DType != DType.Float32)
        {
            sb.Append(", dtype=").Append(DType.Name());
        }

        if (GradFn is { } fn)
        {
            sb.Append(", grad_fn=<").Append(fn.Name).Append('>');
        }
        else if (RequiresGrad)
        {
            sb.Append(", requires_grad=True");
        }

        return sb.Append(')').ToString();
    }

    private void AppendDim(StringBuilder sb, int dim, int offset, int indent, bool summarize)
    {
        if (dim == Rank)
        {
            sb.Append(FormatElement(GetDouble(offset)));
            return;
        }

        int n = _shape[dim];
        int stride = 1;
        for (int d = dim + 1; d < Rank; d++)
        {
            stride *= _shape[d];
        }

        sb.Append('[');
        for (int i = 0; i < n; i++)
        {
            if (summarize && n > 6 && i == 3)
            {
                sb.Append(dim == Rank - 1 ? "..., " : "...,\n" + new string(' ', indent + dim + 1));
                i = n - 3;
            }

            AppendDim(sb, dim + 1, offset + (i * stride), indent, summarize);
            if (i < n - 1)
            {
                sb.Append(dim == Rank - 1 ? ", " : "," + new string('\n', Rank - dim - 1) + new string(' ', indent + dim + 1));
            }
        }

        sb.Append(']');
    }

    private string FormatElement(double v) => DType == DType.Int64
        ? ((long)v).ToString(CultureInfo.InvariantCulture)
        : v.ToString(DType == DType.Float32 ? "0.0000" : "0.00000000", CultureInfo.InvariantCulture);

    private InvalidOperationException DTypeError(string expected) =>
        new($"expected a {expected} tensor, got {DType.Name()}");

    /// <summary>A rank-0 constant with the dtype of <paramref name="like"/> (float32 if it is int64, so the op reports the dtype).</summary>
    internal static Tensor Constant(double value, Tensor like) =>
        Full([], value, like.DType.IsFloatingPoint() ? like.DType : DType.Float32);

    internal delegate void SpanMap<T>(ReadOnlySpan<T> x, Span<T> destination);

    /// <summary>f(aᵢ, bᵢ) for tensors of one shape, computed in double, stored in a's dtype (for loss values and backward rules).</summary>
    internal static Tensor Zip(Tensor a, Tensor b, Func<double, double, double> f)
    {
        var result = Tensor.Empty(a._shape, a.DType);
        if (a.DType == DType.Float32)
        {
            float[] x = a.F32, y = b.F32, d = result.F32;
            for (int i = 0; i < d.Length; i++)
            {
                d[i] = (float)f(x[i], y[i]);
            }
        }
        else
        {
            double[] x = a.F64, y = b.F64, d = result.F64;
            for (int i = 0; i < d.Length; i++)
            {
                d[i] = f(x[i], y[i]);
            }
        }

        return result;
    }

    /// <summary>Applies an elementwise kernel to a float tensor into a new tensor of the same shape.</summary>
    internal static Tensor Map(string op, Tensor x, SpanMap<float> f32, SpanMap<double> f64)
    {
        RequireFloat(op, x);
        var result = Empty(x._shape, x.DType);
        MapInto(x, result, f32, f64);
        return result;
    }

    /// <summary>
    /// Applies an elementwise kernel from a float tensor into <paramref name="result"/>, a tensor of its
    /// shape and dtype; <paramref name="result"/> may be <paramref name="x"/> itself (an in-place map).
    /// </summary>
    internal static void MapInto(Tensor x, Tensor result, SpanMap<float> f32, SpanMap<double> f64)
    {
        if (x.Numel == 0)
        {
            // Some TensorPrimitives kernels (Sigmoid) reject empty spans; an empty map is a no-op.
            return;
        }

        if (x.DType == DType.Float32)
        {
            float[] source = x.F32, destination = result.F32;
            Threading.ForElements(x.Numel, (start, end) => f32(source.AsSpan(start, end - start), destination.AsSpan(start, end - start)));
        }
        else
        {
            double[] source = x.F64, destination = result.F64;
            Threading.ForElements(x.Numel, (start, end) => f64(source.AsSpan(start, end - start), destination.AsSpan(start, end - start)));
        }
    }

    /// <summary>Throws unless <paramref name="x"/> is floating point (arithmetic is not defined on int64 here).</summary>
    internal static void RequireFloat(string op, Tensor x)
    {
        if (!x.DType.IsFloatingPoint())
        {
            throw new ArgumentException($"{op}: expected a float32 or float64 tensor, got {x.DType.Name()}");
        }
    }

    /// <summary>Throws unless both tensors have the same dtype, naming both.</summary>
    internal static void RequireSameDType(string op, Tensor a, Tensor b)
    {
        if (a.DType != b.DType)
        {
            throw new ArgumentException($"{op}: dtype mismatch: {a.DType.Name()} and {b.DType.Name()}");
        }
    }
}
