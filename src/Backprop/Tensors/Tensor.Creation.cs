namespace Backprop;

public sealed partial class Tensor
{
    /// <summary>A new tensor whose storage is allocated but not initialized (<c>torch.empty</c>).</summary>
    internal static Tensor Empty(int[] shape, DType dtype)
    {
        int n = Shapes.Numel(shape);
        Array data = dtype switch
        {
            DType.Float32 => GC.AllocateUninitializedArray<float>(n),
            DType.Float64 => GC.AllocateUninitializedArray<double>(n),
            _ => new long[n],
        };
        return new Tensor(data, shape);
    }

    /// <summary>A tensor of zeros (<c>torch.zeros</c>).</summary>
    /// <param name="shape">The sizes, one per dim; empty for a rank-0 tensor.</param>
    /// <param name="dtype">The element type (default <see cref="DType.Float32"/>).</param>
    /// <param name="requiresGrad">Whether the result is a leaf that collects a gradient (PyTorch's <c>requires_grad</c>).</param>
    /// <returns>A new tensor of shape <paramref name="shape"/> and dtype <paramref name="dtype"/>, all zeros.</returns>
    public static Tensor Zeros(int[] shape, DType dtype = DType.Float32, bool requiresGrad = false)
    {
        int n = Shapes.Numel(shape);
        Array data = dtype switch
        {
            DType.Float32 => new float[n],
            DType.Float64 => new double[n],
            _ => new long[n],
        };
        return new Tensor(data, (int[])shape.Clone()) { RequiresGrad = requiresGrad };
    }

    /// <summary>A float32 tensor of zeros: <c>Tensor.Zeros(2, 3)</c>.</summary>
    /// <param name="shape">The sizes, one per dim; empty for a rank-0 tensor.</param>
    /// <returns>A new float32 tensor of shape <paramref name="shape"/>, all zeros.</returns>
    public static Tensor Zeros(params int[] shape) => Zeros(shape, DType.Float32);

    /// <summary>A tensor filled with ones (<c>torch.ones</c>).</summary>
    /// <param name="shape">The sizes, one per dim; empty for a rank-0 tensor.</param>
    /// <param name="dtype">The element type (default <see cref="DType.Float32"/>).</param>
    /// <param name="requiresGrad">Whether the result is a leaf that collects a gradient (PyTorch's <c>requires_grad</c>).</param>
    /// <returns>A new tensor of shape <paramref name="shape"/> and dtype <paramref name="dtype"/>, all ones.</returns>
    public static Tensor Ones(int[] shape, DType dtype = DType.Float32, bool requiresGrad = false) =>
        Full(shape, 1.0, dtype, requiresGrad);

    /// <summary>A float32 tensor of ones: <c>Tensor.Ones(2, 3)</c>.</summary>
    /// <param name="shape">The sizes, one per dim; empty for a rank-0 tensor.</param>
    /// <returns>A new float32 tensor of shape <paramref name="shape"/>, all ones.</returns>
    public static Tensor Ones(params int[] shape) => Ones(shape, DType.Float32);

    /// <summary>A tensor filled with <paramref name="value"/> (<c>torch.full</c>).</summary>
    /// <param name="shape">The sizes, one per dim; empty for a rank-0 tensor.</param>
    /// <param name="value">The value of every element, converted to <paramref name="dtype"/>.</param>
    /// <param name="dtype">The element type (default <see cref="DType.Float32"/>).</param>
    /// <param name="requiresGrad">Whether the result is a leaf that collects a gradient (PyTorch's <c>requires_grad</c>).</param>
    /// <returns>A new tensor of shape <paramref name="shape"/> and dtype <paramref name="dtype"/>, every element <paramref name="value"/>.</returns>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32, bool requiresGrad = false)
    {
        var t = Empty((int[])shape.Clone(), dtype);
        switch (t._data)
        {
            case float[] f: f.AsSpan().Fill((float)value); break;
            case double[] d: d.AsSpan().Fill(value); break;
            case long[] l: l.AsSpan().Fill((long)value); break;
        }

        t.RequiresGrad = requiresGrad;
        return t;
    }

    /// <summary>Zeros with the shape and dtype of <paramref name="other"/> (<c>torch.zeros_like</c>).</summary>
    /// <param name="other">The tensor whose shape and dtype the result takes.</param>
    /// <returns>A new tensor of <paramref name="other"/>'s shape and dtype, all zeros, not requiring grad.</returns>
    public static Tensor ZerosLike(Tensor other) => Zeros(other._shape, other.DType);

    /// <summary>Ones with the shape and dtype of <paramref name="other"/> (<c>torch.ones_like</c>).</summary>
    /// <param name="other">The tensor whose shape and dtype the result takes.</param>
    /// <returns>A new tensor of <paramref name="other"/>'s shape and dtype, all ones, not requiring grad.</returns>
    public static Tensor OnesLike(Tensor other) => Ones(other._shape, other.DType);

    /// <summary>A rank-0 tensor holding <paramref name="value"/> (<c>torch.tensor(value)</c>).</summary>
    /// <param name="value">The value, converted to <paramref name="dtype"/>.</param>
    /// <param name="dtype">The element type (default <see cref="DType.Float32"/>).</param>
    /// <param name="requiresGrad">Whether the result is a leaf that collects a gradient (PyTorch's <c>requires_grad</c>).</param>
    /// <returns>A new rank-0 tensor (shape <c>()</c>) of dtype <paramref name="dtype"/>.</returns>
    public static Tensor Scalar(double value, DType dtype = DType.Float32, bool requiresGrad = false) =>
        Full([], value, dtype, requiresGrad);

    /// <summary>
    /// Values from <paramref name="start"/> (inclusive) to <paramref name="end"/> (exclusive) spaced by
    /// <paramref name="step"/> (<c>torch.arange</c>).
    /// </summary>
    /// <param name="start">The first value.</param>
    /// <param name="end">The bound, not included.</param>
    /// <param name="step">The spacing, positive or negative but not zero (default 1).</param>
    /// <param name="dtype">The element type (default <see cref="DType.Float32"/>).</param>
    /// <returns>A new 1-D tensor of dtype <paramref name="dtype"/> with ⌈(end − start) / step⌉ elements (none when that is negative).</returns>
    public static Tensor Arange(double start, double end, double step = 1.0, DType dtype = DType.Float32)
    {
        if (step == 0 || double.IsNaN(step))
        {
            throw new ArgumentException($"Arange: step must be non-zero, got {step}");
        }

        int n = Math.Max(0, (int)Math.Ceiling((end - start) / step));
        var t = Empty([n], dtype);
        for (int i = 0; i < n; i++)
        {
            t.SetDouble(i, start + (i * step));
        }

        return t;
    }

    /// <summary>Values 0, 1, ..., <paramref name="end"/> − 1 (<c>torch.arange(end)</c>).</summary>
    /// <param name="end">The bound, not included: the result is 0, 1, …, end − 1.</param>
    /// <param name="dtype">The element type (default <see cref="DType.Float32"/>).</param>
    /// <returns>A new 1-D tensor of dtype <paramref name="dtype"/> with <paramref name="end"/> elements (none when end ≤ 0).</returns>
    public static Tensor Arange(int end, DType dtype = DType.Float32) => Arange(0, end, 1, dtype);

    /// <summary>A float32 tensor holding a copy of <paramref name="data"/> with the given shape (default: 1-D).</summary>
    /// <param name="data">The values in row-major order, copied.</param>
    /// <param name="shape">The sizes, whose product is the length of <paramref name="data"/>.</param>
    /// <returns>A new float32 tensor of shape <paramref name="shape"/>; later changes to <paramref name="data"/> do not reach it.</returns>
    public static Tensor FromArray(float[] data, params int[] shape) => FromStorage((float[])data.Clone(), shape);

    /// <summary>A float64 tensor holding a copy of <paramref name="data"/> with the given shape (default: 1-D).</summary>
    /// <param name="data">The values in row-major order, copied.</param>
    /// <param name="shape">The sizes, whose product is the length of <paramref name="data"/>.</param>
    /// <returns>A new float64 tensor of shape <paramref name="shape"/>; later changes to <paramref name="data"/> do not reach it.</returns>
    public static Tensor FromArray(double[] data, params int[] shape) => FromStorage((double[])data.Clone(), shape);

    /// <summary>An int64 tensor (indices, labels) holding a copy of <paramref name="data"/> with the given shape.</summary>
    /// <param name="data">The values in row-major order, copied.</param>
    /// <param name="shape">The sizes, whose product is the length of <paramref name="data"/>.</param>
    /// <returns>A new int64 tensor of shape <paramref name="shape"/>; later changes to <paramref name="data"/> do not reach it.</returns>
    public static Tensor FromArray(long[] data, params int[] shape) => FromStorage((long[])data.Clone(), shape);

    /// <summary>An int64 tensor (indices, labels) from 32-bit integers.</summary>
    /// <param name="data">The values in row-major order, copied as int64.</param>
    /// <param name="shape">The sizes, whose product is the length of <paramref name="data"/>.</param>
    /// <returns>A new int64 tensor of shape <paramref name="shape"/> holding the values widened to 64 bits.</returns>
    public static Tensor FromArray(int[] data, params int[] shape) => FromStorage(Array.ConvertAll(data, v => (long)v), shape);

    /// <summary>A 2-D float32 tensor from a rectangular array.</summary>
    /// <param name="data">The matrix, copied: its rows become dim 0.</param>
    /// <returns>A new float32 tensor of shape (rows, columns), copied row by row.</returns>
    public static Tensor FromArray(float[,] data) => FromStorage(Flatten2D(data), [data.GetLength(0), data.GetLength(1)]);

    /// <summary>A 2-D float64 tensor from a rectangular array.</summary>
    /// <param name="data">The matrix, copied: its rows become dim 0.</param>
    /// <returns>A new float64 tensor of shape (rows, columns), copied row by row.</returns>
    public static Tensor FromArray(double[,] data) => FromStorage(Flatten2D(data), [data.GetLength(0), data.GetLength(1)]);

    /// <summary>
    /// Uniform samples in [0, 1) (<c>torch.rand</c>), from <paramref name="generator"/>
    /// (or <see cref="Generator.Default"/>).
    /// </summary>
    /// <param name="shape">The sizes, one per dim.</param>
    /// <param name="generator">The random source, or null for <see cref="Generator.Default"/>.</param>
    /// <param name="dtype">A floating-point element type (default <see cref="DType.Float32"/>).</param>
    /// <param name="requiresGrad">Whether the result is a leaf that collects a gradient (PyTorch's <c>requires_grad</c>).</param>
    /// <returns>A new tensor of shape <paramref name="shape"/> and dtype <paramref name="dtype"/>.</returns>
    public static Tensor Rand(int[] shape, Generator? generator = null, DType dtype = DType.Float32, bool requiresGrad = false)
    {
        generator ??= Generator.Default;
        var t = Empty((int[])shape.Clone(), RequireFloatDType("Rand", dtype));
        for (int i = 0; i < t.Numel; i++)
        {
            t.SetDouble(i, generator.NextDouble());
        }

        t.RequiresGrad = requiresGrad;
        return t;
    }

    /// <summary>Uniform samples in [0, 1) from a fresh generator seeded with <paramref name="seed"/>.</summary>
    /// <param name="shape">The sizes, one per dim.</param>
    /// <param name="seed">The seed of the fresh generator: the same seed gives the same values.</param>
    /// <param name="dtype">A floating-point element type (default <see cref="DType.Float32"/>).</param>
    /// <param name="requiresGrad">Whether the result is a leaf that collects a gradient (PyTorch's <c>requires_grad</c>).</param>
    /// <returns>A new tensor of shape <paramref name="shape"/> and dtype <paramref name="dtype"/>.</returns>
    public static Tensor Rand(int[] shape, long seed, DType dtype = DType.Float32, bool requiresGrad = false) =>
        Rand(shape, new Generator(seed), dtype, requiresGrad);

    /// <summary>Standard normal samples (<c>torch.randn</c>), from <paramref name="generator"/> (or the default).</summary>
    /// <param name="shape">The sizes, one per dim.</param>
    /// <param name="generator">The random source, or null for <see cref="Generator.Default"/>.</param>
    /// <param name="dtype">A floating-point element type (default <see cref="DType.Float32"/>).</param>
    /// <param name="requiresGrad">Whether the result is a leaf that collects a gradient (PyTorch's <c>requires_grad</c>).</param>
    /// <returns>A new tensor of shape <paramref name="shape"/> and dtype <paramref name="dtype"/>.</returns>
    public static Tensor Randn(int[] shape, Generator? generator = null, DType dtype = DType.Float32, bool requiresGrad = false)
    {
        generator ??= Generator.Default;
        var t = Empty((int[])shape.Clone(), RequireFloatDType("Randn", dtype));
        for (int i = 0; i < t.Numel; i++)
        {
            t.SetDouble(i, generator.NextNormal());
        }

        t.RequiresGrad = requiresGrad;
        return t;
    }

    /// <summary>Standard normal samples from a fresh generator seeded with <paramref name="seed"/>.</summary>
    /// <param name="shape">The sizes, one per dim.</param>
    /// <param name="seed">The seed of the fresh generator: the same seed gives the same values.</param>
    /// <param name="dtype">A floating-point element type (default <see cref="DType.Float32"/>).</param>
    /// <param name="requiresGrad">Whether the result is a leaf that collects a gradient (PyTorch's <c>requires_grad</c>).</param>
    /// <returns>A new tensor of shape <paramref name="shape"/> and dtype <paramref name="dtype"/>.</returns>
    public static Tensor Randn(int[] shape, long seed, DType dtype = DType.Float32, bool requiresGrad = false) =>
        Randn(shape, new Generator(seed), dtype, requiresGrad);

    /// <summary>Uniform integers in [<paramref name="low"/>, <paramref name="high"/>) as int64 (<c>torch.randint</c>).</summary>
    /// <param name="low">The smallest value drawn.</param>
    /// <param name="high">The bound, not drawn; greater than <paramref name="low"/>.</param>
    /// <param name="shape">The sizes, one per dim.</param>
    /// <param name="generator">The random source, or null for <see cref="Generator.Default"/>.</param>
    /// <returns>A new int64 tensor of shape <paramref name="shape"/>.</returns>
    public static Tensor RandInt(long low, long high, int[] shape, Generator? generator = null)
    {
        if (high <= low)
        {
            throw new ArgumentException($"RandInt: high ({high}) must be greater than low ({low})");
        }

        generator ??= Generator.Default;
        var t = Empty((int[])shape.Clone(), DType.Int64);
        var data = t.I64;
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = low + generator.NextInt64(high - low);
        }

        return t;
    }

    /// <summary>Wraps <paramref name="data"/> without copying; an empty shape means 1-D (use <see cref="Scalar"/> for rank 0).</summary>
    internal static Tensor FromStorage(Array data, int[] shape)
    {
        int[] s = shape.Length == 0 ? [data.Length] : (int[])shape.Clone();
        if (Shapes.Numel(s) != data.Length)
        {
            throw new ArgumentException($"FromArray: {data.Length} elements do not fit shape {Shapes.Format(s)} ({Shapes.Numel(s)} elements)");
        }

        return new Tensor(data, s);
    }

    /// <summary>Writes element <paramref name="flatIndex"/>, converting from double.</summary>
    internal void SetDouble(int flatIndex, double value)
    {
        switch (_data)
        {
            case float[] f: f[flatIndex] = (float)value; break;
            case double[] d: d[flatIndex] = value; break;
            case long[] l: l[flatIndex] = (long)value; break;
        }
    }

    private static T[] Flatten2D<T>(T[,] data)
    {
        var flat = new T[data.Length];
        int k = 0;
        foreach (var v in data)
        {
            flat[k++] = v;
        }

        return flat;
    }

    private static DType RequireFloatDType(string op, DType dtype) => dtype.IsFloatingPoint()
        ? dtype
        : throw new ArgumentException($"{op}: dtype must be float32 or float64, got {dtype.Name()}");
}
