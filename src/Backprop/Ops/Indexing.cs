using Backprop.Kernels;
using System.Numerics;

namespace Backprop;

// select, narrow, slice, gather, index_select, where: forward and backward side by side.
/// <summary>
/// Indexing of <see cref="Tensor"/>: select, narrow, slice, gather, index_select and where (the indexer <c>x[...]</c> stays on <see cref="Tensor"/> and is made of select and slice).
/// Extension members in namespace <c>Backprop</c>, so they are called as members of <see cref="Tensor"/>.
/// </summary>
public static partial class IndexingOps
{
    extension(Tensor self)
    {
        /// <summary>
        /// The sub-tensor at position <paramref name="index"/> of <paramref name="dim"/>, which is removed
        /// (<c>torch.select</c>, <c>x[..., i]</c>); a negative index counts from the end.
        /// dL/dx = dL/dy at that position and 0 elsewhere.
        /// </summary>
        /// <param name="dim">The dim indexed and removed (negative counts from the end).</param>
        /// <param name="index">The position along it (negative counts from the end).</param>
        /// <returns>A new tensor of this one's dtype and shape without <paramref name="dim"/>.</returns>
        public Tensor Select(int dim, int index)
        {
            if (self.Rank == 0)
            {
                throw new ArgumentException("select: cannot select from a rank-0 tensor");
            }

            int d = Shapes.WrapDim("select", dim, self.Rank);
            int i = self.WrapIndex("select", index, d);
            var strides = Shapes.Strides(self._shape);
            return self.StridedView(new SelectDefinition(d, i), i * strides[d], [.. self._shape[..d], .. self._shape[(d + 1)..]], [.. strides[..d], .. strides[(d + 1)..]]);
        }

        /// <summary>
        /// Positions <paramref name="start"/> .. start+<paramref name="length"/>−1 of <paramref name="dim"/>
        /// (<c>torch.narrow</c>); a negative start counts from the end. Bounds are checked, not clamped.
        /// dL/dx = dL/dy inside the range and 0 outside.
        /// </summary>
        /// <param name="dim">The dim narrowed (negative counts from the end).</param>
        /// <param name="start">The first position kept (negative counts from the end).</param>
        /// <param name="length">How many positions are kept, ≥ 0.</param>
        /// <returns>A new tensor of this one's dtype and shape, with <paramref name="length"/> along <paramref name="dim"/>.</returns>
        public Tensor Narrow(int dim, int start, int length)
        {
            int d = self.RequireDim("narrow", dim);
            int n = self._shape[d];
            int s = start < 0 ? start + n : start;
            if (s < 0 || s > n)
            {
                throw new ArgumentOutOfRangeException(nameof(start), $"narrow: start {start} is out of range for dim {dim} of size {n}");
            }

            if (length < 0 || s + length > n)
            {
                throw new ArgumentOutOfRangeException(nameof(length), $"narrow: start {start} + length {length} exceeds dim {dim} of size {n}");
            }

            return self.SliceAs("narrow", d, s, length, 1);
        }

        /// <summary>
        /// Python's <c>x[..., start:end:step]</c> along <paramref name="dim"/> (<c>torch.Tensor.__getitem__</c>
        /// with a slice): y[k] = x[start + k·step]. Negative bounds count from the end; out-of-range bounds are
        /// clamped; the step must be positive. dL/dx = dL/dy at the picked positions and 0 elsewhere.
        /// </summary>
        /// <param name="dim">The dim sliced (negative counts from the end).</param>
        /// <param name="start">The first position taken; null for 0.</param>
        /// <param name="end">The bound, not taken; null for the dim's size.</param>
        /// <param name="step">The stride, positive (default 1).</param>
        /// <returns>A new tensor of this one's dtype and shape, with ⌈(end − start)/step⌉ (at least 0) along <paramref name="dim"/>.</returns>
        public Tensor Slice(int dim, int? start = null, int? end = null, int step = 1)
        {
            int d = self.RequireDim("slice", dim);
            if (step <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(step), $"slice: step must be positive, got {step}");
            }

            int n = self._shape[d];
            int s = ClampBound(start ?? 0, n);
            int e = ClampBound(end ?? n, n);
            int length = e > s ? ((e - s + step - 1) / step) : 0;
            return self.SliceAs("slice", d, s, length, step);
        }

        /// <summary>
        /// Picks along <paramref name="dim"/> by an int64 <paramref name="index"/> of the same rank
        /// (<c>torch.gather</c>): for dim 1, y[i, j, k] = x[i, index[i, j, k], k]; y has index's shape, which
        /// may not exceed x's in the other dims. dL/dx[i, index[i, j, k], k] += dL/dy[i, j, k] (a scatter-add).
        /// </summary>
        /// <param name="dim">The dim picked along (negative counts from the end).</param>
        /// <param name="index">Int64 positions along <paramref name="dim"/>, this tensor's rank.</param>
        /// <returns>A new tensor of <paramref name="index"/>'s shape and this one's dtype.</returns>
        public Tensor Gather(int dim, Tensor index)
        {
            int d = self.RequireDim("gather", dim);
            RequireIndex("gather", index);
            if (index.Rank != self.Rank)
            {
                throw new ArgumentException($"gather: index of shape {Shapes.Format(index._shape)} must have the rank of the input {Shapes.Format(self._shape)}");
            }

            for (int i = 0; i < self.Rank; i++)
            {
                if (i != d && index._shape[i] > self._shape[i])
                {
                    throw new ArgumentException(
                        $"gather: index of shape {Shapes.Format(index._shape)} is larger than the input {Shapes.Format(self._shape)} in dim {i}");
                }
            }

            var offsets = GatherOffsets(self._shape, d, index, dim);
            var x = self;
            var result = Tensor.Empty(index.Shape, self.DType);
            switch (self._data)
            {
                case float[] f: GatherAt(f, offsets, result.F32); break;
                case double[] dd: GatherAt(dd, offsets, result.F64); break;
                case long[] l: GatherAt(l, offsets, result.I64); break;
            }

            return Tensor.Record(new GatherDefinition(d), result, [x, index], g =>
            {
                if (Autograd.IsGradEnabled)
                {
                    // The backward pass is recorded (createGraph): the scatter-add as an op whose backward is the gather.
                    return [GatherMap(x._shape, index._shape, offsets).Transposed.ApplyRecorded(g), null];
                }

                var grad = Tensor.Zeros(x._shape, x.DType);
                if (x.DType == DType.Float32)
                {
                    ScatterAddAt(g.F32, offsets, grad.F32);
                }
                else
                {
                    ScatterAddAt(g.F64, offsets, grad.F64);
                }

                return [grad, null];
            });
        }

        /// <summary>
        /// Picks whole slices along <paramref name="dim"/> at the positions listed in a 1-D int64
        /// <paramref name="index"/> (<c>torch.index_select</c>): y[..., k, ...] = x[..., index[k], ...].
        /// dL/dx[..., i, ...] = Σ_{k: index[k] = i} dL/dy[..., k, ...] (an index-add: repeats accumulate).
        /// </summary>
        /// <param name="dim">The dim picked along (negative counts from the end).</param>
        /// <param name="index">1-D int64 positions along <paramref name="dim"/>; repeats allowed.</param>
        /// <returns>A new tensor of this one's dtype and shape, with the length of <paramref name="index"/> along <paramref name="dim"/>.</returns>
        public Tensor IndexSelect(int dim, Tensor index)
        {
            int d = self.RequireDim("index_select", dim);
            RequireIndex("index_select", index);
            if (index.Rank > 1)
            {
                throw new ArgumentException($"index_select: index must be 1-D, got shape {Shapes.Format(index._shape)}");
            }

            var idx = index.I64;
            int n = self._shape[d];
            foreach (long v in idx)
            {
                if (v < 0 || v >= n)
                {
                    throw new ArgumentOutOfRangeException(nameof(index), $"index_select: index {v} is out of range for dim {dim} of size {n}");
                }
            }

            int outer = 1, inner = 1;
            for (int i = 0; i < d; i++)
            {
                outer *= self._shape[i];
            }

            for (int i = d + 1; i < self.Rank; i++)
            {
                inner *= self._shape[i];
            }

            var shape = (int[])self._shape.Clone();
            shape[d] = idx.Length;
            var x = self;
            var result = Tensor.Empty(shape, self.DType);
            for (int o = 0; o < outer; o++)
            {
                for (int k = 0; k < idx.Length; k++)
                {
                    Array.Copy(self._data, ((o * n) + (int)idx[k]) * inner, result._data, ((o * idx.Length) + k) * inner, inner);
                }
            }

            return Tensor.Record(new IndexSelectDefinition(d), result, [x, index], g =>
            {
                if (Autograd.IsGradEnabled)
                {
                    // The backward pass is recorded (createGraph): the index-add as an op whose backward is the selection.
                    return [IndexSelectMap(x._shape, shape, idx, outer, n, inner).Transposed.ApplyRecorded(g), null];
                }

                var grad = Tensor.Zeros(x._shape, x.DType);
                if (x.DType == DType.Float32)
                {
                    IndexAdd(g.F32, grad.F32, idx, outer, n, inner);
                }
                else
                {
                    IndexAdd(g.F64, grad.F64, idx, outer, n, inner);
                }

                return [grad, null];
            });
        }

        /// <summary>length positions start, start+step, … of dim d, as a materialized copy.</summary>
        private Tensor SliceAs(string op, int d, int start, int length, int step)
        {
            var strides = Shapes.Strides(self._shape);
            var shape = (int[])self._shape.Clone();
            shape[d] = length;
            var viewStrides = (int[])strides.Clone();
            viewStrides[d] *= step;
            return self.StridedView(new SliceDefinition(op, d, start, length, step), length == 0 ? 0 : start * strides[d], shape, viewStrides);
        }

        /// <summary>
        /// x with <paramref name="value"/> where <paramref name="mask"/> is nonzero (<c>x.masked_fill(mask, value)</c>),
        /// the mask broadcasting with x (any dtype: a comparison's 0/1 result serves). dL/dx = dL/dy where the
        /// mask is 0, else 0. A composite: <see cref="Where"/> of the mask, the value and x.
        /// </summary>
        /// <param name="mask">Where to write the value (nonzero), broadcasting with this tensor.</param>
        /// <param name="value">The value written.</param>
        /// <returns>A new tensor of this one's dtype and of its shape broadcast with the mask's.</returns>
        /// <exception cref="ArgumentException">The shapes do not broadcast, or this tensor is not float.</exception>
        public Tensor MaskedFill(Tensor mask, double value)
        {
            ArgumentNullException.ThrowIfNull(mask);
            Tensor.RequireFloat("masked_fill", self);
            Shapes.Broadcast("masked_fill", mask._shape, self._shape);
            return Tensor.Where(mask, Tensor.Constant(value, self), self);
        }

        private int RequireDim(string op, int dim) => self.Rank == 0
            ? throw new ArgumentException($"{op}: expected a tensor with at least one dimension, got a rank-0 tensor")
            : Shapes.WrapDim(op, dim, self.Rank);

        private int WrapIndex(string op, int index, int d)
        {
            int n = self._shape[d];
            if (index < -n || index >= n)
            {
                throw new ArgumentOutOfRangeException(nameof(index), $"{op}: index {index} is out of range for dim {d} of size {n}");
            }

            return index < 0 ? index + n : index;
        }
    }

    extension(Tensor)
    {
        /// <summary>
        /// Elementwise choice with broadcasting over all three (<c>torch.where</c>): out = x where
        /// <paramref name="condition"/> ≠ 0, else y (the condition may have any dtype; x and y share one).
        /// dL/dx = dL/dout where the condition holds, 0 elsewhere; dL/dy the complement.
        /// </summary>
        /// <param name="condition">Where non-zero, the result takes <paramref name="x"/>; any dtype, broadcast with both.</param>
        /// <param name="x">The values taken where the condition holds.</param>
        /// <param name="y">The values taken elsewhere; the same dtype as <paramref name="x"/>.</param>
        /// <returns>A new tensor of the three inputs' broadcast shape and <paramref name="x"/>'s dtype.</returns>
        public static Tensor Where(Tensor condition, Tensor x, Tensor y)
        {
            Tensor.RequireSameDType("where", x, y);
            var shape = Shapes.Broadcast("where", Shapes.Broadcast("where", condition._shape, x._shape), y._shape);
            var mask = new bool[Shapes.Numel(shape)];
            var c = Broadcasting.Expand("where", condition, shape);
            for (int i = 0; i < mask.Length; i++)
            {
                mask[i] = c.GetDouble(i) != 0;
            }

            var result = Choose(mask, Broadcasting.Expand("where", x, shape), Broadcasting.Expand("where", y, shape));
            return Tensor.Record(new WhereDefinition(condition), result, [x, y], g =>
            {
                if (Autograd.IsGradEnabled)
                {
                    // The backward pass is recorded (createGraph): the same choice as ops.
                    var zero = Tensor.Zeros([], g.DType);
                    return [Tensor.Where(condition, g, zero), Tensor.Where(condition, zero, g)];
                }

                var zeros = Tensor.Zeros(g._shape, g.DType);
                return [Choose(mask, g, zeros), Choose(mask, zeros, g)];
            });
        }
    }

    /// <summary>
    /// offsets[j] = the storage position in a tensor of <paramref name="shape"/> that element j of
    /// gather(<paramref name="d"/>, <paramref name="index"/>) reads, checking each index (named as <paramref name="dim"/> was given).
    /// </summary>
    internal static int[] GatherOffsets(int[] shape, int d, Tensor index, int dim)
    {
        var idx = index.I64;
        var offsets = new int[idx.Length];
        var strides = Shapes.Strides(shape);
        var coords = new int[shape.Length];
        for (int j = 0; j < idx.Length; j++)
        {
            long v = idx[j];
            if (v < 0 || v >= shape[d])
            {
                throw new ArgumentOutOfRangeException(nameof(index), $"gather: index {v} is out of range for dim {dim} of size {shape[d]}");
            }

            int offset = 0;
            for (int i = 0; i < shape.Length; i++)
            {
                offset += (i == d ? (int)v : coords[i]) * strides[i];
            }

            offsets[j] = offset;
            for (int i = shape.Length - 1; i >= 0 && ++coords[i] == index._shape[i]; i--)
            {
                coords[i] = 0;
            }
        }

        return offsets;
    }

    /// <summary>
    /// A gather with its positions fixed as a linear map: P reads x (of <paramref name="inputShape"/>) at
    /// <paramref name="offsets"/> into a tensor of <paramref name="outputShape"/>; Pᵀ scatter-adds back.
    /// Gather's recorded backward is Pᵀ, max/min along a dim is P at the argmax positions.
    /// </summary>
    internal static LinearMapDefinition GatherMap(int[] inputShape, int[] outputShape, int[] offsets) =>
        new(
            "gather_positions",
            "y[j] = x at position j's offset (positions fixed); ∂L/∂x = g scatter-added at those offsets",
            x =>
            {
                var y = Tensor.Empty(outputShape, x.DType);
                if (x.DType == DType.Float32)
                {
                    GatherAt(x.F32, offsets, y.F32);
                }
                else
                {
                    GatherAt(x.F64, offsets, y.F64);
                }

                return y;
            },
            g =>
            {
                var grad = Tensor.Zeros(inputShape, g.DType);
                if (g.DType == DType.Float32)
                {
                    ScatterAddAt(g.F32, offsets, grad.F32);
                }
                else
                {
                    ScatterAddAt(g.F64, offsets, grad.F64);
                }

                return grad;
            });

    /// <summary>index_select with its index fixed as a linear map: P copies the slices at <paramref name="idx"/>, Pᵀ adds them back (index_add).</summary>
    private static LinearMapDefinition IndexSelectMap(int[] inputShape, int[] outputShape, long[] idx, int outer, int n, int inner) =>
        new(
            "index_select_positions",
            "y = the slices x[…, index[k], …] (index fixed); ∂L/∂x = g added back at the indices",
            x =>
            {
                var y = Tensor.Empty(outputShape, x.DType);
                for (int o = 0; o < outer; o++)
                {
                    for (int k = 0; k < idx.Length; k++)
                    {
                        Array.Copy(x._data, ((o * n) + (int)idx[k]) * inner, y._data, ((o * idx.Length) + k) * inner, inner);
                    }
                }

                return y;
            },
            g =>
            {
                var grad = Tensor.Zeros(inputShape, g.DType);
                if (g.DType == DType.Float32)
                {
                    IndexAdd(g.F32, grad.F32, idx, outer, n, inner);
                }
                else
                {
                    IndexAdd(g.F64, grad.F64, idx, outer, n, inner);
                }

                return grad;
            });

    /// <summary>The registry's sample of gather's positions: dim 1 of a (3, 4) input at a fixed (2, 5) index with repeats.</summary>
    internal static LinearMapDefinition SampleGatherMap()
    {
        var index = Tensor.FromArray(new long[] { 0, 3, 3, 1, 2, 1, 0, 0, 2, 3 }, [2, 5]);
        return GatherMap([3, 4], [2, 5], GatherOffsets([3, 4], 1, index, 1));
    }

    /// <summary>The registry's sample of index_select's positions: dim 0 of a (3, 4) input at [2, 0, 2, 1, 2].</summary>
    internal static LinearMapDefinition SampleIndexSelectMap() => IndexSelectMap([3, 4], [5, 4], [2, 0, 2, 1, 2], 1, 3, 4);

    /// <summary>out[i] = mask[i] ? a[i] : b[i] over equally shaped tensors.</summary>
    private static Tensor Choose(bool[] mask, Tensor a, Tensor b)
    {
        var result = Tensor.Empty(a._shape, a.DType);
        switch (result._data)
        {
            case float[] f: Choose(mask, a.F32, b.F32, f); break;
            case double[] d: Choose(mask, a.F64, b.F64, d); break;
            case long[] l: Choose(mask, a.I64, b.I64, l); break;
        }

        return result;
    }

    private static void Choose<T>(bool[] mask, T[] a, T[] b, T[] dst)
    {
        for (int i = 0; i < dst.Length; i++)
        {
            dst[i] = mask[i] ? a[i] : b[i];
        }
    }

    private static void GatherAt<T>(T[] src, int[] offsets, T[] dst)
    {
        for (int j = 0; j < dst.Length; j++)
        {
            dst[j] = src[offsets[j]];
        }
    }

    private static void ScatterAddAt<T>(T[] src, int[] offsets, T[] dst)
        where T : INumber<T>
    {
        for (int j = 0; j < src.Length; j++)
        {
            dst[offsets[j]] += src[j];
        }
    }

    private static void IndexAdd<T>(T[] g, T[] grad, long[] idx, int outer, int n, int inner)
        where T : INumber<T>
    {
        for (int o = 0; o < outer; o++)
        {
            for (int k = 0; k < idx.Length; k++)
            {
                int src = ((o * idx.Length) + k) * inner, dst = ((o * n) + (int)idx[k]) * inner;
                for (int i = 0; i < inner; i++)
                {
                    grad[dst + i] += g[src + i];
                }
            }
        }
    }

    private static void RequireIndex(string op, Tensor index)
    {
        if (index.DType != DType.Int64)
        {
            throw new ArgumentException($"{op}: index must be an int64 tensor, got {index.DType.Name()}");
        }
    }

    /// <summary>A Python slice bound: negative counts from the end, then clamped to [0, n].</summary>
    private static int ClampBound(int bound, int n) => Math.Clamp(bound < 0 ? (int)Math.Max((long)bound + n, 0) : bound, 0, n);
}

/// <summary>The definition of <see cref="IndexingOps.Select"/> (<c>torch.select</c>, <c>x[..., i]</c>).</summary>
public sealed class SelectDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]!.Select(Dim, Index);

    internal SelectDefinition(int dim, int index)
        : base("select", "y = x[…, i, …] at dim (which is removed); ∂L/∂x = g at position i, 0 elsewhere")
    {
        Dim = dim;
        Index = index;
    }

    /// <summary>The dim selected from, non-negative (PyTorch's <c>dim</c>).</summary>
    public int Dim { get; }

    /// <summary>The position selected, non-negative (PyTorch's <c>index</c>).</summary>
    public int Index { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"dim: {Dim}, index: {Index}";

    /// <summary>ONNX Gather(x, [index], axis = dim) then Squeeze of that axis, which the selection removes.</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        string picked = onnx.Node("Gather", [onnx.Input(0), onnx.Int64s([Index])], new OnnxAttribute("axis", Dim));
        return onnx.Node("Squeeze", [picked, onnx.Int64s([Dim])]);
    }

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("select", x => x[0].Select(1, -1), OpRegistry.In([2, 3, 4])),
    ];
}

/// <summary>
/// The definition of <see cref="IndexingOps.Narrow"/> and <see cref="IndexingOps.Slice"/> (the
/// <see cref="OpDefinition.Name"/> says which was called): positions start, start + step, … of one dim.
/// </summary>
public sealed class SliceDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]!.Slice(Dim, Start, Length == 0 ? Start : Start + ((Length - 1) * Step) + 1, Step);

    internal SliceDefinition(string name, int dim, int start, int length, int step)
        : base(name, "y[k] = x[start + k·step] along dim; ∂L/∂x = g at the picked positions, 0 elsewhere")
    {
        Dim = dim;
        Start = start;
        Length = length;
        Step = step;
    }

    /// <summary>The dim sliced, non-negative (PyTorch's <c>dim</c>).</summary>
    public int Dim { get; }

    /// <summary>The first position, non-negative and clamped to the dim (PyTorch's <c>start</c>).</summary>
    public int Start { get; }

    /// <summary>How many positions are taken (PyTorch's <c>length</c> for narrow).</summary>
    public int Length { get; }

    /// <summary>The distance between taken positions, 1 for narrow (PyTorch's <c>step</c>).</summary>
    public int Step { get; }

    /// <summary>One past the last position taken, start + length·step clamped as Python's slice end would be.</summary>
    public int End => Start + (Length == 0 ? 0 : ((Length - 1) * Step) + 1);

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"dim: {Dim}, start: {Start}, end: {End}, step: {Step}";

    /// <summary>ONNX Slice(x, starts = [start], ends = [end], axes = [dim], steps = [step]).</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        return onnx.Node("Slice", [onnx.Input(0), onnx.Int64s([Start]), onnx.Int64s([End]), onnx.Int64s([Dim]), onnx.Int64s([Step])]);
    }

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("narrow", x => x[0].Narrow(2, 1, 2), OpRegistry.In([2, 3, 4])),
        new("slice_step", x => x[0].Slice(1, -4, null, 2), OpRegistry.In([3, 5])),
        new("index", x => x[0][^1, 1..3], OpRegistry.In([2, 3, 4])),
    ];
}

/// <summary>The definition of <see cref="IndexingOps.Gather"/> (<c>torch.gather</c>) along a non-negative dim; the index is the second input.</summary>
public sealed class GatherDefinition : DimOpDefinition, IGradCheckSamples
{
    internal GatherDefinition(int dim)
        : base("gather", "y[…, j, …] = x[…, index[…, j, …], …] along dim; ∂L/∂x = g scatter-added at the indices", dim)
    {
    }

    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]?.Gather(Dim, inputs[1]);

    /// <summary>ONNX GatherElements(x, index, axis = dim), which is torch.gather.</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "GatherElements", new OnnxAttribute("axis", Dim));

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("gather", x => x[0].Gather(1, x[1]), OpRegistry.In([3, 4]), InputSpec.Index([2, 5], 4)),
        new("gather_positions", x => IndexingOps.SampleGatherMap().ApplyRecorded(x[0]), OpRegistry.In([3, 4])),
        new("gather_positions_backward", x => IndexingOps.SampleGatherMap().Transposed.ApplyRecorded(x[0]), OpRegistry.In([2, 5])),
    ];
}

/// <summary>The definition of <see cref="IndexingOps.IndexSelect"/> (<c>torch.index_select</c>) along a non-negative dim; the index is the second input.</summary>
public sealed class IndexSelectDefinition : DimOpDefinition, IGradCheckSamples
{
    internal IndexSelectDefinition(int dim)
        : base("index_select", "y = the slices x[…, index[k], …] along dim; ∂L/∂x = g added back at the indices", dim)
    {
    }

    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]?.IndexSelect(Dim, inputs[1]);

    /// <summary>ONNX Gather(x, index, axis = dim) with the 1-D index, which is torch.index_select.</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "Gather", new OnnxAttribute("axis", Dim));

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("index_select", x => x[0].IndexSelect(0, x[1]), OpRegistry.In([3, 4]), InputSpec.Index([6], 3)),
        new("index_select_positions", x => IndexingOps.SampleIndexSelectMap().ApplyRecorded(x[0]), OpRegistry.In([3, 4])),
        new("index_select_positions_backward", x => IndexingOps.SampleIndexSelectMap().Transposed.ApplyRecorded(x[0]), OpRegistry.In([5, 4])),
    ];
}

/// <summary>
/// The definition of <see cref="IndexingOps.Where"/> (<c>torch.where(condition, x, y)</c>): x and y are the
/// node's inputs; the condition, which gets no gradient, is held here.
/// </summary>
public sealed class WhereDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        Tensor.Where(Condition, tangents[0] ?? Tensor.Zeros([], output.DType), tangents[1] ?? Tensor.Zeros([], output.DType));

    internal WhereDefinition(Tensor condition)
        : base("where", "out = x where condition, else y; ∂L/∂x = g where condition, ∂L/∂y = g elsewhere")
    {
        Condition = condition;
    }

    /// <summary>The condition tensor as given (nonzero = take x; PyTorch's <c>condition</c>).</summary>
    public Tensor Condition { get; }

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("where", x => Tensor.Where(x[0].Gt(0.0), x[1], x[2]), InputSpec.Constant([3, 1]), OpRegistry.In([3, 4]), OpRegistry.In([4])),
        new("masked_fill", x => x[0].MaskedFill(x[1].Gt(0.0), -1.5), OpRegistry.In([3, 4]), InputSpec.Constant([4])),
    ];
}
