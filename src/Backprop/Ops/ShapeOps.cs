using Backprop.Kernels;
namespace Backprop;

// clone, reshape, view, flatten, squeeze, unsqueeze, permute, transpose, expand, cat, stack: forward and
// backward side by side. Reshapes share storage; permutes and expands are materialized copies
// (storage here is always contiguous, so there are no strided views).
/// <summary>
/// Shape and copy ops of <see cref="Tensor"/>: clone, reshape, view, flatten, squeeze, unsqueeze, permute, transpose, T, mT, expand, cat and stack.
/// Extension members in namespace <c>Backprop</c>, so they are called as members of <see cref="Tensor"/>.
/// </summary>
public static partial class ShapeOps
{
    extension(Tensor self)
    {
        /// <summary>A copy with its own storage, recorded in the graph (<c>tensor.clone()</c>).</summary>
        /// <returns>A new tensor of this one's shape and dtype with its own storage.</returns>
        public Tensor Clone()
        {
            var copy = new Tensor((Array)self._data.Clone(), self._shape);
            return Tensor.Record(CloneDefinition.Instance, copy, [self], g => [g]);
        }

        /// <summary>
        /// The same elements in a new shape, sharing storage (<c>torch.reshape</c>); one dimension may
        /// be −1 and is inferred. y[i] = x[i] in row-major order, so dL/dx = dL/dy reshaped back.
        /// </summary>
        /// <param name="shape">The new sizes, whose product is the element count; one of them may be -1, inferred.</param>
        /// <returns>A new tensor of <paramref name="shape"/> (−1 inferred) over this one's storage.</returns>
        public Tensor Reshape(params int[] shape) => self.ReshapeAs("reshape", shape);

        /// <summary>
        /// Same as <see cref="Reshape"/> (<c>tensor.view</c>): storage is always contiguous here, so every
        /// view is valid. dL/dx = dL/dy reshaped back.
        /// </summary>
        /// <param name="shape">The new sizes, whose product is the element count; one of them may be -1, inferred.</param>
        /// <returns>A new tensor of <paramref name="shape"/> (−1 inferred) over this one's storage.</returns>
        public Tensor View(params int[] shape) => self.ReshapeAs("view", shape);

        /// <summary>
        /// Merges dims <paramref name="startDim"/>..<paramref name="endDim"/> (inclusive, negative from the
        /// end) into one (<c>torch.flatten</c>); a rank-0 tensor becomes shape (1). A reshape: dL/dx = dL/dy reshaped back.
        /// </summary>
        /// <param name="startDim">The first dim merged (PyTorch's <c>start_dim</c>, default 0; negative counts from the end).</param>
        /// <param name="endDim">The last dim merged, inclusive (PyTorch's <c>end_dim</c>, default -1, the last).</param>
        /// <returns>A new tensor over this one's storage, of rank rank − (endDim − startDim) (shape (1) for a rank-0 tensor).</returns>
        public Tensor Flatten(int startDim = 0, int endDim = -1)
        {
            if (self.Rank == 0)
            {
                Shapes.WrapDim("flatten", startDim, 0);
                Shapes.WrapDim("flatten", endDim, 0);
                return self.ReshapeAs("flatten", [1]);
            }

            int start = Shapes.WrapDim("flatten", startDim, self.Rank);
            int end = Shapes.WrapDim("flatten", endDim, self.Rank);
            if (start > end)
            {
                throw new ArgumentException($"flatten: startDim {startDim} comes after endDim {endDim} for a tensor of shape {Shapes.Format(self._shape)}");
            }

            var shape = new List<int>(self._shape[..start]);
            int merged = 1;
            for (int d = start; d <= end; d++)
            {
                merged *= self._shape[d];
            }

            shape.Add(merged);
            shape.AddRange(self._shape[(end + 1)..]);
            return self.ReshapeAs("flatten", [.. shape]);
        }

        /// <summary>Removes every dimension of size 1 (<c>torch.squeeze</c>). A reshape: dL/dx = dL/dy reshaped back.</summary>
        /// <returns>A new tensor over this one's storage, with no dim of size 1.</returns>
        public Tensor Squeeze() => self.ReshapeAs("squeeze", self._shape.Where(s => s != 1).ToArray());

        /// <summary>
        /// Removes <paramref name="dim"/> if its size is 1, else returns the same shape, as PyTorch does
        /// (<c>torch.squeeze(x, dim)</c>). A reshape: dL/dx = dL/dy reshaped back.
        /// </summary>
        /// <param name="dim">The dim removed if its size is 1 (negative counts from the end).</param>
        /// <returns>A new tensor over this one's storage, without <paramref name="dim"/> when its size was 1.</returns>
        public Tensor Squeeze(int dim)
        {
            int d = Shapes.WrapDim("squeeze", dim, self.Rank);
            if (self.Rank == 0 || self._shape[d] != 1)
            {
                return self.ReshapeAs("squeeze", self._shape);
            }

            return self.ReshapeAs("squeeze", [.. self._shape[..d], .. self._shape[(d + 1)..]]);
        }

        /// <summary>
        /// Inserts a dimension of size 1 at <paramref name="dim"/>, in [−rank−1, rank]
        /// (<c>torch.unsqueeze</c>). A reshape: dL/dx = dL/dy reshaped back.
        /// </summary>
        /// <param name="dim">Where the new dim of size 1 goes, in the result's dims: 0 … rank (negative counts from the end of the result).</param>
        /// <returns>A new tensor over this one's storage, of rank one more.</returns>
        public Tensor Unsqueeze(int dim)
        {
            int d = Shapes.WrapDim("unsqueeze", dim, self.Rank + 1);
            return self.ReshapeAs("unsqueeze", [.. self._shape[..d], 1, .. self._shape[d..]]);
        }

        /// <summary>
        /// Returns this tensor (<c>tensor.contiguous()</c>): storage here is always contiguous row-major.
        /// The identity, so dL/dx = dL/dy.
        /// </summary>
        /// <returns>This tensor.</returns>
        public Tensor Contiguous() => self;

        /// <summary>
        /// Reorders the dimensions (<c>torch.permute</c>): y[i_{dims[0]}, …, i_{dims[n−1]}] = x[i_0, …, i_{n−1}],
        /// i.e. y.shape[k] = x.shape[dims[k]]. Materialized copy. dL/dx = dL/dy permuted by the inverse permutation.
        /// </summary>
        /// <param name="dims">The new order: result dim i is this tensor's dim <c>dims[i]</c>; each dim exactly once.</param>
        /// <returns>A new tensor of this one's dtype with shape[k] = this.shape[dims[k]], its own storage.</returns>
        public Tensor Permute(params int[] dims)
        {
            if (dims.Length != self.Rank)
            {
                throw new ArgumentException($"permute: got {dims.Length} dims {Shapes.Format(dims)} for a tensor of shape {Shapes.Format(self._shape)} (rank {self.Rank})");
            }

            var wrapped = new int[self.Rank];
            var seen = new bool[self.Rank];
            for (int k = 0; k < self.Rank; k++)
            {
                wrapped[k] = Shapes.WrapDim("permute", dims[k], self.Rank);
                if (seen[wrapped[k]])
                {
                    throw new ArgumentException($"permute: dims [{string.Join(", ", dims)}] are not a permutation: dim {wrapped[k]} repeats");
                }

                seen[wrapped[k]] = true;
            }

            return self.PermuteAs("permute", wrapped);
        }

        /// <summary>
        /// Swaps two dimensions (<c>torch.transpose</c>); a materialized copy.
        /// dL/dx = dL/dy with the same two dimensions swapped back.
        /// </summary>
        /// <param name="dim0">The first dim swapped (negative counts from the end).</param>
        /// <param name="dim1">The second dim swapped.</param>
        /// <returns>A new tensor of this one's dtype with <paramref name="dim0"/> and <paramref name="dim1"/> swapped, its own storage.</returns>
        public Tensor Transpose(int dim0, int dim1)
        {
            int a = Shapes.WrapDim("transpose", dim0, self.Rank);
            int b = Shapes.WrapDim("transpose", dim1, self.Rank);
            var perm = Enumerable.Range(0, self.Rank).ToArray();
            if (self.Rank > 0)
            {
                (perm[a], perm[b]) = (perm[b], perm[a]);
            }

            return self.PermuteAs("transpose", perm);
        }

        /// <summary>
        /// The transpose of a matrix, yᵢⱼ = xⱼᵢ (<c>tensor.T</c>); a rank-0 or rank-1 tensor is returned as
        /// is, and higher ranks are rejected (use <see cref="extension(Tensor).MT"/> or <see cref="Permute"/>, as PyTorch
        /// deprecates <c>.T</c> on them). dL/dx = (dL/dy)ᵀ.
        /// </summary>
        public Tensor T => self.Rank switch
        {
            < 2 => self,
            2 => self.PermuteAs("t", [1, 0]),
            _ => throw new InvalidOperationException($"T: expected a tensor of rank ≤ 2, got shape {Shapes.Format(self._shape)}; use MT to transpose the last two dims or Permute to reverse them"),
        };

        /// <summary>
        /// Transposes the last two dimensions of a tensor of rank ≥ 2, a batch of matrices (<c>tensor.mT</c>).
        /// dL/dx = dL/dy with the last two dimensions swapped back.
        /// </summary>
        public Tensor MT => self.Rank >= 2
            ? self.Transpose(-2, -1)
            : throw new InvalidOperationException($"MT: expected a tensor of rank ≥ 2, got shape {Shapes.Format(self._shape)}");

        /// <summary>
        /// Repeats size-1 dimensions (and prepends new leading ones) to reach <paramref name="shape"/>
        /// (<c>tensor.expand</c>; also available as <see cref="BroadcastTo"/>);
        /// −1 keeps a dimension's size. Materialized copy: y[i] = x[broadcast index of i].
        /// dL/dx = dL/dy summed over the expanded dimensions, which the engine's un-broadcasting does.
        /// </summary>
        /// <param name="shape">The target sizes; -1 keeps a dim's size, and new leading dims may be added.</param>
        /// <returns>A new tensor of <paramref name="shape"/> and this one's dtype (over this one's storage when the shape is already that).</returns>
        public Tensor Expand(params int[] shape) => self.BroadcastTo(shape);

        /// <summary>The same as <see cref="Expand"/> under NumPy's name (<c>torch.broadcast_to</c>).</summary>
        /// <param name="shape">The target sizes, which this shape must broadcast to; -1 keeps a dim's size.</param>
        /// <returns>A new tensor of <paramref name="shape"/> and this one's dtype (over this one's storage when the shape is already that).</returns>
        public Tensor BroadcastTo(params int[] shape)
        {
            if (shape.Length < self.Rank)
            {
                throw new ArgumentException($"expand: cannot expand shape {Shapes.Format(self._shape)} to {Shapes.Format(shape)} with fewer dimensions");
            }

            var target = (int[])shape.Clone();
            int lead = shape.Length - self.Rank;
            for (int i = 0; i < target.Length; i++)
            {
                if (target[i] == -1)
                {
                    target[i] = i >= lead
                        ? self._shape[i - lead]
                        : throw new ArgumentException($"expand: -1 is not allowed for the new leading dimension {i} in {Shapes.Format(shape)}");
                }
            }

            var x = self;
            var result = Broadcasting.Expand("expand", x, target);
            if (ReferenceEquals(result, x))
            {
                result = x.Detach();
            }

            return Tensor.Record(new ExpandDefinition(target), result, [x], g => [g]);
        }

        private Tensor ReshapeAs(string op, int[] shape)
        {
            var x = self;
            var newShape = Shapes.InferReshape(op, self._shape, shape);
            return Tensor.Record(new ReshapeDefinition(op, newShape), new Tensor(self._data, newShape), [x], g => [g.Reshape(x._shape)]);
        }

        /// <summary>The copy y.shape[k] = x.shape[perm[k]]; perm must already be a validated permutation.</summary>
        private Tensor PermuteAs(string op, int[] perm)
        {
            var strides = Shapes.Strides(self._shape);
            return self.StridedView(new PermuteDefinition(op, perm), 0, perm.Select(p => self._shape[p]).ToArray(), perm.Select(p => strides[p]).ToArray());
        }

        /// <summary>
        /// Materializes the view (offset, shape, strides) of this tensor's storage; every element of the
        /// view is a distinct storage element, so the backward scatters dL/dy into zeros at the same places.
        /// </summary>
        internal Tensor StridedView(OpDefinition op, int offset, int[] shape, int[] strides)
        {
            var x = self;
            var result = Tensor.Empty(shape, self.DType);
            Kernels.Permute.Gather(self._data, offset, shape, strides, result._data);
            return Tensor.Record(op, result, [x], g =>
            {
                if (Autograd.IsGradEnabled)
                {
                    // The backward pass is recorded (createGraph): the scatter as an op of its own.
                    return [g.StridedScatter(x._shape, offset, shape, strides)];
                }

                var grad = Tensor.Zeros(x._shape, x.DType);
                Kernels.Permute.Scatter(g._data, grad._data, offset, shape, strides);
                return [grad];
            });
        }

        /// <summary>
        /// The view (offset, shape, strides) of this tensor's storage, materialized (<c>torch.as_strided</c>
        /// followed by a copy); every element of the view must be a distinct storage element.
        /// </summary>
        internal Tensor AsStrided(int[] shape, int[] strides, int offset) =>
            self.StridedView(new AsStridedDefinition(shape, strides, offset), offset, shape, strides);

        /// <summary>
        /// Writes this tensor, shaped as the view (offset, shape, strides) of a tensor of shape
        /// <paramref name="into"/>, into zeros of that shape at the view's places, recorded: the backward
        /// of <see cref="StridedView"/> as an op, so a gradient through select, slice or permute can be
        /// differentiated again. Its own backward reads the same view back.
        /// </summary>
        internal Tensor StridedScatter(int[] into, int offset, int[] shape, int[] strides)
        {
            var g = self;
            var grad = Tensor.Zeros(into, g.DType);
            Kernels.Permute.Scatter(g._data, grad._data, offset, shape, strides);
            return Tensor.Record(new AsStridedScatterDefinition(into, shape, strides, offset), grad, [g], gg => [gg.AsStrided(shape, strides, offset)]);
        }
    }

    extension(Tensor)
    {
        /// <summary>
        /// Joins tensors along an existing dimension (<c>torch.cat</c>); all must share dtype, rank and
        /// every size except along <paramref name="dim"/>. dL/dx_k = the slice of dL/dy that x_k occupies.
        /// </summary>
        /// <param name="tensors">The tensors joined, in order: one dtype, equal sizes except along <paramref name="dim"/>; at least one.</param>
        /// <param name="dim">The existing dim they are joined along (default 0; negative counts from the end).</param>
        /// <returns>A new tensor of the inputs' dtype and shape, with the sum of their sizes along <paramref name="dim"/>.</returns>
        public static Tensor Concat(IReadOnlyList<Tensor> tensors, int dim = 0)
        {
            if (tensors.Count == 0)
            {
                throw new ArgumentException("cat: expected a non-empty list of tensors");
            }

            var first = tensors[0];
            if (first.Rank == 0)
            {
                throw new ArgumentException("cat: rank-0 tensors cannot be concatenated; use Stack");
            }

            int d = Shapes.WrapDim("cat", dim, first.Rank);
            int total = 0;
            for (int k = 0; k < tensors.Count; k++)
            {
                var t = tensors[k];
                Tensor.RequireSameDType("cat", first, t);
                bool compatible = t.Rank == first.Rank;
                for (int i = 0; compatible && i < t.Rank; i++)
                {
                    compatible = i == d || t._shape[i] == first._shape[i];
                }

                if (!compatible)
                {
                    throw new ArgumentException(
                        $"cat: tensor {k} has shape {Shapes.Format(t._shape)} but tensor 0 has shape {Shapes.Format(first._shape)}; sizes must match except in dim {d}");
                }

                total += t._shape[d];
            }

            var shape = (int[])first._shape.Clone();
            shape[d] = total;
            var result = Tensor.Empty(shape, first.DType);
            int outer = 1, inner = 1;
            for (int i = 0; i < d; i++)
            {
                outer *= shape[i];
            }

            for (int i = d + 1; i < shape.Length; i++)
            {
                inner *= shape[i];
            }

            // Each input contributes one contiguous block of size[d]·inner per outer index.
            int rowLength = total * inner, column = 0;
            foreach (var t in tensors)
            {
                int block = t._shape[d] * inner;
                for (int o = 0; o < outer; o++)
                {
                    Array.Copy(t._data, o * block, result._data, (o * rowLength) + column, block);
                }

                column += block;
            }

            var inputs = tensors.ToArray();
            return Tensor.Record(new CatDefinition(d), result, inputs, g =>
            {
                var grads = new Tensor?[inputs.Length];
                int start = 0;
                for (int k = 0; k < inputs.Length; k++)
                {
                    grads[k] = g.Narrow(d, start, inputs[k]._shape[d]);
                    start += inputs[k]._shape[d];
                }

                return grads;
            });
        }

        /// <summary>Alias of <see cref="Concat"/> (<c>torch.cat</c>).</summary>
        /// <param name="tensors">The tensors joined, in order: one dtype, equal sizes except along <paramref name="dim"/>; at least one.</param>
        /// <param name="dim">The existing dim they are joined along (default 0; negative counts from the end).</param>
        /// <returns>A new tensor of the inputs' dtype and shape, with the sum of their sizes along <paramref name="dim"/>.</returns>
        public static Tensor Cat(IReadOnlyList<Tensor> tensors, int dim = 0) => Concat(tensors, dim);

        /// <summary>
        /// Joins equally shaped tensors along a new dimension <paramref name="dim"/> (<c>torch.stack</c>):
        /// a composite, unsqueeze each then <see cref="Concat"/>, so it has no gradient code of its own.
        /// </summary>
        /// <param name="tensors">The tensors stacked, in order: one dtype and one shape; at least one.</param>
        /// <param name="dim">Where the new dim goes in the result: 0 … rank (default 0; negative counts from the end of the result).</param>
        /// <returns>A new tensor of the inputs' dtype and shape with a new dim of size tensors.Count at <paramref name="dim"/>.</returns>
        public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim = 0)
        {
            if (tensors.Count == 0)
            {
                throw new ArgumentException("stack: expected a non-empty list of tensors");
            }

            for (int k = 1; k < tensors.Count; k++)
            {
                if (!tensors[k]._shape.AsSpan().SequenceEqual(tensors[0]._shape))
                {
                    throw new ArgumentException(
                        $"stack: tensor {k} has shape {Shapes.Format(tensors[k]._shape)} but tensor 0 has shape {Shapes.Format(tensors[0]._shape)}; all must be equal");
                }
            }

            int d = Shapes.WrapDim("stack", dim, tensors[0].Rank + 1);
            return Concat(tensors.Select(t => t.Unsqueeze(d)).ToArray(), d);
        }
    }
}

/// <summary>
/// The definition of the reshapes, which share storage: <see cref="ShapeOps.Reshape"/>, <see cref="ShapeOps.View"/>,
/// <see cref="ShapeOps.Flatten"/>, <see cref="ShapeOps.extension(Tensor).Squeeze()"/> and <see cref="ShapeOps.Unsqueeze"/> (the
/// <see cref="OpDefinition.Name"/> says which was called).
/// </summary>
public sealed class ReshapeDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]!.Reshape([.. output.Shape]);

    internal ReshapeDefinition(string name, int[] shape)
        : base(name, "y = x in a new shape (same elements, row-major order); ∂L/∂x = g reshaped back to x's shape")
    {
        Shape = shape;
    }

    /// <summary>The target shape, with any −1 resolved (PyTorch's <c>shape</c>), which is the output's shape.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"shape: {FormatList(Shape)}";

    /// <summary>
    /// ONNX Reshape(x, target) with a constant target that keeps the batch dynamic: a dim that does
    /// not change with the batch size is its traced size; one that does is written 0 ("copy the
    /// input's") when the input has the same batch-dependent dim at the same place, else −1
    /// (inferred), which ONNX allows once: a reshape needing two is refused, naming it.
    /// </summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        int[] input = onnx.InputShape(0);
        bool[] inputBatch = onnx.InputBatchDims(0), outputBatch = onnx.OutputBatchDims;
        long[] target = new long[Shape.Count];
        int inferred = 0;
        for (int i = 0; i < target.Length; i++)
        {
            bool copied = i < input.Length && inputBatch[i] && input[i] == Shape[i];
            target[i] = !outputBatch[i] ? Shape[i] : copied ? 0 : -1;
            inferred += target[i] == -1 ? 1 : 0;
        }

        if (inferred > 1)
        {
            throw new NotSupportedException(
                $"the op {this} makes {inferred} dims that change with the batch size from a ({string.Join(", ", input)}) input, and an ONNX Reshape can infer only one; export with a fixed batch (DynamicBatch = false)");
        }

        return onnx.Node("Reshape", [onnx.Input(0), onnx.Int64s(target)]);
    }

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("reshape", x => x[0].Reshape(4, -1), OpRegistry.In([2, 3, 4])),
        new("view", x => x[0].View(-1), OpRegistry.In([3, 4])),
        new("flatten", x => x[0].Flatten(1), OpRegistry.In([2, 3, 4])),
        new("squeeze", x => x[0].Squeeze(), OpRegistry.In([3, 1, 4, 1])),
        new("squeeze_dim", x => x[0].Squeeze(1), OpRegistry.In([3, 1, 4])),
        new("unsqueeze", x => x[0].Unsqueeze(-1), OpRegistry.In([3, 4])),
    ];
}

/// <summary>
/// The definition of the dimension reorderings <see cref="ShapeOps.Permute"/>, <see cref="ShapeOps.Transpose"/>
/// and <see cref="ShapeOps.extension(Tensor).T"/> (the <see cref="OpDefinition.Name"/> says which was called).
/// </summary>
public sealed class PermuteDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]!.Permute([.. Dims]);

    internal PermuteDefinition(string name, int[] dims)
        : base(name, "y.shape[k] = x.shape[dims[k]], y[…i_dims[k]…] = x[…]; ∂L/∂x = g permuted by the inverse permutation")
    {
        Dims = dims;
    }

    /// <summary>The permutation, non-negative (PyTorch's <c>dims</c>; for a transpose, the identity with the two dims swapped).</summary>
    public IReadOnlyList<int> Dims { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"dims: {FormatList(Dims)}";

    /// <summary>ONNX Transpose(x, perm = dims).</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "Transpose", new OnnxAttribute("perm", [.. Dims.Select(d => (long)d)]));

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("transpose", x => x[0].Transpose(0, 2), OpRegistry.In([2, 3, 4])),
        new("t", x => x[0].T, OpRegistry.In([3, 4])),
        new("mt", x => x[0].MT, OpRegistry.In([2, 3, 4])),
        new("permute", x => x[0].Permute(2, 0, 1), OpRegistry.In([2, 3, 4])),
    ];
}

/// <summary>The definition of <see cref="ShapeOps.Expand"/> and <see cref="ShapeOps.BroadcastTo"/>.</summary>
public sealed class ExpandDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]!.BroadcastTo([.. output.Shape]);

    internal ExpandDefinition(int[] shape)
        : base("expand", "y = x repeated along size-1 (and new leading) dims; ∂L/∂x = g summed over the expanded dims")
    {
        Shape = shape;
    }

    /// <summary>The target shape, with any −1 resolved (PyTorch's <c>size</c>).</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"shape: {FormatList(Shape)}";

    /// <summary>
    /// ONNX Expand(x, shape), which broadcasts both ways: a dim the input already has (aligned from
    /// the right) is written 1, so it keeps the input's size, the batch included; the others are the traced sizes.
    /// </summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        int[] input = onnx.InputShape(0);
        int lead = Shape.Count - input.Length;
        long[] target = new long[Shape.Count];
        for (int i = 0; i < target.Length; i++)
        {
            target[i] = i >= lead && input[i - lead] == Shape[i] ? 1 : Shape[i];
        }

        return onnx.Node("Expand", [onnx.Input(0), onnx.Int64s(target)]);
    }

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("expand", x => x[0].Expand(2, 3, -1), OpRegistry.In([3, 1])),
        new("broadcast_to", x => x[0].BroadcastTo(2, 3, 4), OpRegistry.In([1, 4])),
    ];
}

/// <summary>The definition of <see cref="ShapeOps.Concat"/> (<c>torch.cat</c>) along a non-negative dim.</summary>
public sealed class CatDefinition : DimOpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        Tensor.Cat([.. inputs.Select((x, i) => tangents[i] ?? Tensor.Zeros([.. x.Shape], x.DType))], Dim);

    internal CatDefinition(int dim)
        : base("cat", "y = [x₁, x₂, …] joined along dim; ∂L/∂xₖ = the slice of g that xₖ occupies", dim)
    {
    }

    /// <summary>ONNX Concat(x₁, x₂, …) along axis = dim.</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "Concat", new OnnxAttribute("axis", Dim));

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("cat", x => Tensor.Concat([x[0], x[1], x[0]], 1), OpRegistry.In([2, 3]), OpRegistry.In([2, 2])),
        new("stack", x => Tensor.Stack([x[0], x[1]], -1), OpRegistry.In([2, 3]), OpRegistry.In([2, 3])),
    ];
}

/// <summary>The definition of <see cref="ShapeOps.Clone"/>: y = x, ∂y/∂x = 1 (no attributes).</summary>
public sealed class CloneDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]!.Clone();

    private CloneDefinition()
        : base("clone", "y = x; ∂y/∂x = 1")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static CloneDefinition Instance { get; } = new();

    /// <summary>ONNX Identity(x): the file has no storage to copy.</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "Identity");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("clone", x => x[0].Clone() * x[0], OpRegistry.In([3, 4])),
    ];
}

/// <summary>
/// The definition of a strided view read out of a tensor and materialized (<c>torch.as_strided</c>): the
/// recorded backward of <see cref="AsStridedScatterDefinition"/>, met when select, slice or permute are
/// differentiated twice.
/// </summary>
public sealed class AsStridedDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]!.AsStrided([.. Size], [.. Stride], StorageOffset);

    internal AsStridedDefinition(int[] size, int[] stride, int storageOffset)
        : base("as_strided", "y[i₀, …] = x.storage[offset + Σₖ iₖ·strideₖ]; ∂L/∂x = g written back at those places, 0 elsewhere")
    {
        Size = size;
        Stride = stride;
        StorageOffset = storageOffset;
    }

    /// <summary>The shape of the view (PyTorch's <c>size</c>).</summary>
    public IReadOnlyList<int> Size { get; }

    /// <summary>The step in the storage per index of each dim (PyTorch's <c>stride</c>).</summary>
    public IReadOnlyList<int> Stride { get; }

    /// <summary>Where the view starts in the storage (PyTorch's <c>storage_offset</c>).</summary>
    public int StorageOffset { get; }

    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"size: {FormatList(Size)}, stride: {FormatList(Stride)}, storageOffset: {StorageOffset}";

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("as_strided", x => x[0].AsStrided([2, 2], [4, 2], 1), OpRegistry.In([3, 4])),
    ];
}

/// <summary>
/// The definition of writing a strided view's values into zeros (<c>torch.as_strided_scatter</c> into a
/// zero tensor): the backward of select, slice, narrow and permute recorded as an op when the backward
/// pass is itself recorded (<c>createGraph</c>).
/// </summary>
public sealed class AsStridedScatterDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]!.StridedScatter([.. Shape], StorageOffset, [.. Size], [.. Stride]);

    internal AsStridedScatterDefinition(int[] into, int[] size, int[] stride, int storageOffset)
        : base("as_strided_scatter", "y = 0 of x's base shape, with y.storage[offset + Σₖ iₖ·strideₖ] = x[i₀, …]; ∂L/∂x = g read at those places")
    {
        Shape = into;
        Size = size;
        Stride = stride;
        StorageOffset = storageOffset;
    }

    /// <summary>The shape of the result, whose storage the view indexes.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>The shape of the view, the input's shape (PyTorch's <c>size</c>).</summary>
    public IReadOnlyList<int> Size { get; }

    /// <summary>The step in the storage per index of each dim (PyTorch's <c>stride</c>).</summary>
    public IReadOnlyList<int> Stride { get; }

    /// <summary>Where the view starts in the storage (PyTorch's <c>storage_offset</c>).</summary>
    public int StorageOffset { get; }

    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    protected override string FormatAttributes() =>
        $"shape: {FormatList(Shape)}, size: {FormatList(Size)}, stride: {FormatList(Stride)}, storageOffset: {StorageOffset}";

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("as_strided_scatter", x => x[0].StridedScatter([3, 4], 1, [2, 2], [4, 2]), OpRegistry.In([2, 2])),
    ];
}
