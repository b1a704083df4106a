using System.Numerics.Tensors;
using Backprop.Kernels;

namespace Backprop;

/// <summary>
/// NumPy broadcasting on tensors: an elementwise binary op over two broadcast shapes, the copy of a
/// tensor into a shape it broadcasts to (<c>expand</c>, the backward of every reduction), and the sum
/// back down to a shape (un-broadcasting a gradient, <c>sum(dim)</c>). Shapes and dtypes are checked
/// here; the loops are the span kernels of <see cref="Broadcast"/>, <see cref="BroadcastCopy"/> and
/// <see cref="Reduce"/>.
/// </summary>
internal static class Broadcasting
{
    /// <summary>
    /// kernel(a, b) broadcast, into a new tensor or into <paramref name="into"/>, which must have the
    /// broadcast shape and dtype and may be a or b itself (every element is read before it is written).
    /// </summary>
    public static Tensor Binary<TKernel>(string op, Tensor a, Tensor b, TKernel kernel, Tensor? into = null)
        where TKernel : struct, IBinaryKernel
    {
        Tensor.RequireFloat(op, a);
        Tensor.RequireFloat(op, b);
        Tensor.RequireSameDType(op, a, b);
        var shape = Shapes.Broadcast(op, a._shape, b._shape);
        if (into is not null && (into.DType != a.DType || !into._shape.AsSpan().SequenceEqual(shape)))
        {
            throw new ArgumentException($"{op}: the destination is {into.DType.Name()} {Shapes.Format(into._shape)}, the result {a.DType.Name()} {Shapes.Format(shape)}");
        }

        var result = into ?? Tensor.Empty(shape, a.DType);
        if (a.DType == DType.Float32)
        {
            Broadcast.Binary(a.F32, a._shape, b.F32, b._shape, result.F32, shape, kernel);
        }
        else
        {
            Broadcast.Binary(a.F64, a._shape, b.F64, b._shape, result.F64, shape, kernel);
        }

        return result;
    }

    /// <summary>
    /// <paramref name="x"/> repeated along every broadcast dimension of <paramref name="shape"/>
    /// (the forward of <c>expand</c>, and the backward of every reduction); x itself when the shapes agree.
    /// </summary>
    public static Tensor Expand(string op, Tensor x, int[] shape)
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
            case float[] f: BroadcastCopy.Copy(f, x._shape, result.F32, shape); break;
            case double[] d: BroadcastCopy.Copy(d, x._shape, result.F64, shape); break;
            case long[] l: BroadcastCopy.Copy(l, x._shape, result.I64, shape); break;
        }

        return result;
    }

    /// <summary>
    /// Sums <paramref name="x"/> down to <paramref name="shape"/>, which must broadcast to x's shape:
    /// leading extra dims and dims of size 1 in <paramref name="shape"/> are summed over.
    /// Returns <paramref name="x"/> itself when the shapes already agree.
    /// </summary>
    public static Tensor SumToShape(string op, Tensor x, int[] shape)
    {
        if (x._shape.AsSpan().SequenceEqual(shape))
        {
            return x;
        }

        if (Shapes.Numel(shape) == 1 && shape.Length <= x.Rank)
        {
            var total = Tensor.Empty(shape, x.DType);
            total.SetDouble(0, x.DType == DType.Float32 ? TensorPrimitives.Sum<float>(x.F32) : TensorPrimitives.Sum<double>(x.F64));
            return total;
        }

        var broadcast = Shapes.Broadcast(op, shape, x._shape);
        if (!broadcast.AsSpan().SequenceEqual(x._shape))
        {
            throw new ArgumentException($"{op}: cannot reduce a gradient of shape {Shapes.Format(x._shape)} to shape {Shapes.Format(shape)}");
        }

        var result = Tensor.Zeros(shape, x.DType);
        var outStrides = Shapes.BroadcastStrides(shape, x._shape);
        if (x.DType == DType.Float32)
        {
            Reduce.SumTo<float>(x.F32, x._shape, result.F32, outStrides);
        }
        else
        {
            Reduce.SumTo<double>(x.F64, x._shape, result.F64, outStrides);
        }

        return result;
    }
}
