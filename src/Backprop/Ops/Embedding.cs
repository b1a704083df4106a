namespace Backprop;

// embedding: a lookup table. A primitive because its backward is a scatter-add of rows that skips
// the padding row, which no composite of the other ops expresses.
/// <summary>
/// The embedding lookup of <see cref="Tensor"/>: <c>Tensor.Embedding</c> (<c>torch.nn.functional.embedding</c>).
/// Extension members in namespace <c>Backprop</c>, so they are called as members of <see cref="Tensor"/>.
/// </summary>
public static partial class EmbeddingOps
{
    extension(Tensor)
    {
        /// <summary>
        /// Looks up rows of <paramref name="weight"/> (num_embeddings, embedding_dim) at the int64 indices
        /// of <paramref name="input"/> (<c>torch.nn.functional.embedding(input, weight, padding_idx=None)</c>):
        /// y[…, :] = W[index[…], :], of shape input.shape + (embedding_dim). Backward is a scatter-add,
        /// dL/dW[i, :] = Σ over positions p with index[p] = i of dL/dy[p, :], except that the row
        /// <paramref name="paddingIdx"/> (negative counts from the end) gets no gradient.
        /// </summary>
        /// <param name="input">Int64 indices of any shape, each in [0, num_embeddings).</param>
        /// <param name="weight">The table, (num_embeddings, embedding_dim).</param>
        /// <param name="paddingIdx">An index whose row gets no gradient, or null for none (negative counts from the end).</param>
        /// <returns>A new tensor of shape input.shape + (embedding_dim) and the weight's dtype.</returns>
        public static Tensor Embedding(Tensor input, Tensor weight, int? paddingIdx = null)
        {
            ArgumentNullException.ThrowIfNull(input);
            ArgumentNullException.ThrowIfNull(weight);
            if (input.DType != DType.Int64)
            {
                throw new ArgumentException($"embedding: indices must be an int64 tensor, got {input.DType.Name()}");
            }

            Tensor.RequireFloat("embedding", weight);
            if (weight.Rank != 2)
            {
                throw new ArgumentException($"embedding: weight must have shape (num_embeddings x embedding_dim), got {Shapes.Format(weight._shape)}");
            }

            int num = weight._shape[0], dim = weight._shape[1];
            int? padding = paddingIdx switch
            {
                null => null,
                int p when p >= 0 && p < num => p,
                int p when p < 0 && p >= -num => p + num,
                int p => throw new ArgumentException($"embedding: padding_idx {p} must be within num_embeddings {num} (from {-num} to {num - 1})"),
            };

            var indices = input.I64;
            for (int j = 0; j < indices.Length; j++)
            {
                if (indices[j] < 0 || indices[j] >= num)
                {
                    throw new ArgumentException($"embedding: index {indices[j]} (at flat position {j}) is out of range for num_embeddings {num}: indices must be in [0, {num - 1}]");
                }
            }

            var output = Tensor.Empty([.. input._shape, dim], weight.DType);
            for (int j = 0; j < indices.Length; j++)
            {
                Array.Copy(weight._data, (int)indices[j] * dim, output._data, j * dim, dim);
            }

            return Tensor.Record(padding is null ? EmbeddingDefinition.NoPadding : new EmbeddingDefinition(padding), output, [input, weight], g =>
            {
                if (Autograd.IsGradEnabled)
                {
                    // The backward pass is recorded (createGraph): the scatter-add of rows as an op whose backward is the lookup.
                    return [null, RowsMap(weight._shape, input._shape, indices, padding).Transposed.ApplyRecorded(g)];
                }

                var grad = Tensor.Zeros(weight._shape, weight.DType);
                if (g.DType == DType.Float32)
                {
                    ScatterAddRows(g.F32, indices, grad.F32, dim, padding);
                }
                else
                {
                    ScatterAddRows(g.F64, indices, grad.F64, dim, padding);
                }

                return [null, grad];
            });
        }
    }

    /// <summary>
    /// The lookup with its indices fixed as a linear map of the table: P copies row index[j] to position j
    /// (zeros where it is the padding row, which the loss does not depend on through the gradient), Pᵀ
    /// scatter-adds the rows back skipping the padding row. The recorded backward is Pᵀ; the forward
    /// derivative is P applied to the table's tangent, so it agrees with the backward (PyTorch's forward
    /// mode, unlike its backward, passes the padding row's tangent through).
    /// </summary>
    internal static LinearMapDefinition RowsMap(int[] weightShape, int[] indexShape, long[] indices, int? padding)
    {
        int dim = weightShape[1];
        return new(
            "embedding_rows",
            "y[…, :] = W[index[…], :] (indices fixed; 0 at the padding row); ∂L/∂W[i, :] = Σ g over the positions holding i",
            w =>
            {
                var y = Tensor.Zeros([.. indexShape, dim], w.DType);
                for (int j = 0; j < indices.Length; j++)
                {
                    if (indices[j] != padding)
                    {
                        Array.Copy(w._data, (int)indices[j] * dim, y._data, j * dim, dim);
                    }
                }

                return y;
            },
            g =>
            {
                var grad = Tensor.Zeros(weightShape, g.DType);
                if (g.DType == DType.Float32)
                {
                    ScatterAddRows(g.F32, indices, grad.F32, dim, padding);
                }
                else
                {
                    ScatterAddRows(g.F64, indices, grad.F64, dim, padding);
                }

                return grad;
            });
    }

    /// <summary>The registry's sample of the lookup's rows: a (5, 3) table at indices [[1, 4, 1], [0, 2, 4]] with padding row 4.</summary>
    internal static LinearMapDefinition SampleRowsMap() => RowsMap([5, 3], [2, 3], [1, 4, 1, 0, 2, 4], 4);

    /// <summary>grad[index[j], :] += g[j, :] for every j whose index is not the padding row.</summary>
    private static void ScatterAddRows<T>(T[] g, long[] indices, T[] grad, int dim, int? padding)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        for (int j = 0; j < indices.Length; j++)
        {
            int row = (int)indices[j];
            if (row != padding)
            {
                var destination = grad.AsSpan(row * dim, dim);
                System.Numerics.Tensors.TensorPrimitives.Add(destination, g.AsSpan(j * dim, dim), destination);
            }
        }
    }
}

/// <summary>The definition of <see cref="EmbeddingOps.Embedding"/> (<c>torch.nn.functional.embedding</c>); the indices and the weight are its inputs.</summary>
public sealed class EmbeddingDefinition : OpDefinition, IGradCheckSamples
{
    internal EmbeddingDefinition(int? paddingIdx)
        : base("embedding", "y[…, :] = W[index[…], :]; ∂L/∂W[i, :] = Σ of g over the positions holding i (none for the padding row)")
    {
        PaddingIdx = paddingIdx;
    }

    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[1] is not { } tangent ? null
        : PaddingIdx is null ? Tensor.Embedding(inputs[0], tangent)
        : EmbeddingOps.RowsMap([.. tangent.Shape], [.. inputs[0].Shape], inputs[0].I64, PaddingIdx).Apply(tangent);

    /// <summary>The shared instance without a padding row.</summary>
    internal static EmbeddingDefinition NoPadding { get; } = new(null);

    /// <summary>The row that gets no gradient, non-negative, or null (PyTorch's <c>padding_idx</c>).</summary>
    public int? PaddingIdx { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() => PaddingIdx is { } p ? $"paddingIdx: {p}" : string.Empty;

    /// <summary>ONNX Gather(W, indices, axis = 0): the rows of the weight at the indices (the padding row only matters to the gradient).</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        return onnx.Node("Gather", [onnx.Input(1), onnx.Input(0)], new OnnxAttribute("axis", 0));
    }

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("embedding", x => Tensor.Embedding(x[0], x[1]), InputSpec.Index([2, 3], 5), OpRegistry.In([5, 4])),
        new("embedding_rows", x => EmbeddingOps.SampleRowsMap().ApplyRecorded(x[0]), OpRegistry.In([5, 3])),
        new("embedding_rows_backward", x => EmbeddingOps.SampleRowsMap().Transposed.ApplyRecorded(x[0]), OpRegistry.In([2, 3, 3])),
    ];
}
