using System.Numerics;
using Backprop.Kernels;

namespace Backprop;

// matmul: forward and backward side by side.
/// <summary>
/// The matrix product of <see cref="Tensor"/>: <c>a.Matmul(b)</c> (<c>torch.matmul</c>), its alias <c>MM</c> and the form that writes into a given output.
/// Extension members in namespace <c>Backprop</c>, so they are called as members of <see cref="Tensor"/>.
/// </summary>
public static partial class MatmulOps
{
    extension(Tensor self)
    {
        /// <summary>
        /// Matrix product (<c>torch.matmul</c>): 2-D × 2-D, batched (…×n×k) × (…×k×m) with broadcast
        /// batch dims, and 1-D operands treated as a row (left) or column (right) vector that is
        /// removed from the result. For C = A·B: dL/dA = dL/dC · Bᵀ, dL/dB = Aᵀ · dL/dC.
        /// </summary>
        /// <param name="other">The right operand: a vector, a matrix or a batch of matrices whose second-to-last dim matches this one's last.</param>
        /// <returns>A new tensor of the inputs' dtype: (…, n, m) with the broadcast batch dims, less the dim of a 1-D operand.</returns>
        public Tensor Matmul(Tensor other)
        {
            Tensor.RequireFloat("matmul", self);
            Tensor.RequireFloat("matmul", other);
            Tensor.RequireSameDType("matmul", self, other);
            if (self.Rank == 0 || other.Rank == 0)
            {
                throw new ArgumentException($"matmul: both operands need at least one dimension, got {Shapes.Format(self._shape)} @ {Shapes.Format(other._shape)}");
            }

            if (self.Rank == 1 || other.Rank == 1)
            {
                var a = self.Rank == 1 ? self.Reshape(1, self._shape[0]) : self;
                var b = other.Rank == 1 ? other.Reshape(other._shape[0], 1) : other;
                var product = a.Matmul(b);
                var shape = product.Shape.ToList();
                if (other.Rank == 1)
                {
                    shape.RemoveAt(shape.Count - 1);
                }

                if (self.Rank == 1)
                {
                    shape.RemoveAt(shape.Count - (other.Rank == 1 ? 1 : 2));
                }

                return product.Reshape([.. shape]);
            }

            var (x, y) = (self, other);
            var result = BatchedGemm(x, false, y, false);
            return Tensor.Record(MatmulDefinition.Instance, result, [x, y], g => Autograd.IsGradEnabled
                ? [
                    // The backward pass is recorded (createGraph): the same products as ops.
                    x.RequiresGrad ? g.Matmul(y.Transpose(-2, -1)) : null,
                    y.RequiresGrad ? x.Transpose(-2, -1).Matmul(g) : null,
                ]
                : [
                    x.RequiresGrad ? BatchedGemm(g, false, y, true) : null,
                    y.RequiresGrad ? BatchedGemm(x, true, g, false) : null,
                ]);
        }

        /// <summary>Matrix product (<c>a @ b</c>); an alias of <see cref="MatmulOps.extension(Tensor).Matmul(Tensor)"/>.</summary>
        /// <param name="other">The right matrix, (k, n) for this (m, k).</param>
        /// <returns>A new tensor of shape (m, n) and the inputs' dtype.</returns>
        public Tensor MM(Tensor other) => self.Matmul(other);
    }

    extension(Tensor)
    {
        /// <summary>
        /// Matrix product of two matrices or batches written into an existing tensor
        /// (<c>torch.matmul(input, other, out=output)</c>): the same values as <see cref="MatmulOps.extension(Tensor).Matmul(Tensor)"/>, with no
        /// new allocation, for loops that multiply the same shapes again and again. Like PyTorch's out=
        /// variants it is not differentiable: with grad mode on, no operand may require a gradient.
        /// Returns <paramref name="output"/>.
        /// </summary>
        /// <param name="input">The left operand, as for <c>input.Matmul(other)</c>.</param>
        /// <param name="other">The right operand.</param>
        /// <param name="output">The tensor written into: the product's shape and dtype, not requiring a gradient.</param>
        /// <returns><paramref name="output"/>, holding the product.</returns>
        public static Tensor Matmul(Tensor input, Tensor other, Tensor output)
        {
            ArgumentNullException.ThrowIfNull(input);
            ArgumentNullException.ThrowIfNull(other);
            ArgumentNullException.ThrowIfNull(output);
            Tensor.RequireFloat("matmul", input);
            Tensor.RequireSameDType("matmul", input, other);
            Tensor.RequireSameDType("matmul", input, output);
            if (input.Rank < 2 || other.Rank < 2)
            {
                throw new ArgumentException($"matmul with an output tensor needs operands of at least two dimensions, got {Shapes.Format(input._shape)} @ {Shapes.Format(other._shape)}");
            }

            if (ReferenceEquals(output._data, input._data) || ReferenceEquals(output._data, other._data))
            {
                throw new ArgumentException("matmul: the output tensor shares memory with an operand; the product would overwrite values it still reads (pass a separate tensor)");
            }

            if (Autograd.IsGradEnabled && (input.RequiresGrad || other.RequiresGrad || output.RequiresGrad))
            {
                throw new ArgumentException("matmul with an output tensor does not support automatic differentiation, but one of the arguments requires grad (use Matmul(other), or run under NoGrad)");
            }

            BatchedGemm(input, false, other, false, output);
            return output;
        }
    }

    /// <summary>
    /// op(a)·op(b) over broadcast batch dims, where op transposes the last two dims when its flag is set.
    /// The result has the broadcast batch shape; the engine sums it back to each input's shape.
    /// </summary>
    private static Tensor BatchedGemm(Tensor a, bool transA, Tensor b, bool transB, Tensor? destination = null)
    {
        int ra = a.Rank, rb = b.Rank;
        int m = transA ? a._shape[ra - 1] : a._shape[ra - 2];
        int ka = transA ? a._shape[ra - 2] : a._shape[ra - 1];
        int kb = transB ? b._shape[rb - 1] : b._shape[rb - 2];
        int n = transB ? b._shape[rb - 2] : b._shape[rb - 1];
        if (ka != kb)
        {
            throw new ArgumentException(
                $"matmul: {Shapes.Format(a._shape)} @ {Shapes.Format(b._shape)}: inner dimensions {ka} and {kb} differ");
        }

        var batchA = a._shape[..^2];
        var batchB = b._shape[..^2];
        var batch = Shapes.Broadcast("matmul", batchA, batchB);
        int[] shape = [.. batch, m, n];
        if (destination is not null && !destination._shape.AsSpan().SequenceEqual(shape))
        {
            throw new ArgumentException($"matmul: {Shapes.Format(a._shape)} @ {Shapes.Format(b._shape)} gives {Shapes.Format(shape)}, but the output tensor has shape {Shapes.Format(destination._shape)}");
        }

        var result = destination ?? Tensor.Empty(shape, a.DType);
        int count = Shapes.Numel(batch);
        var strideA = Shapes.BroadcastStrides(batchA, batch);
        var strideB = Shapes.BroadcastStrides(batchB, batch);
        for (int i = 0; i < count; i++)
        {
            // Offsets (in matrices) of this batch element in a and b.
            int rem = i, offA = 0, offB = 0;
            for (int d = batch.Length - 1; d >= 0; d--)
            {
                int idx = rem % batch[d];
                rem /= batch[d];
                offA += idx * strideA[d];
                offB += idx * strideB[d];
            }

            if (a.DType == DType.Float32)
            {
                Run<float>(a.F32, b.F32, result.F32);
            }
            else
            {
                Run<double>(a.F64, b.F64, result.F64);
            }

            void Run<T>(T[] da, T[] db, T[] dc)
                where T : unmanaged, IFloatingPointIeee754<T>
            {
                Gemm.Multiply<T>(
                    transA,
                    transB,
                    m,
                    n,
                    ka,
                    new ArraySegment<T>(da, offA * m * ka, m * ka),
                    new ArraySegment<T>(db, offB * ka * n, ka * n),
                    new ArraySegment<T>(dc, i * m * n, m * n));
            }
        }

        return result;
    }
}

/// <summary>The definition of <see cref="MatmulOps.extension(Tensor).Matmul(Tensor)"/> (no attributes).</summary>
public sealed class MatmulDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        SumOfTerms(tangents[0]?.Matmul(inputs[1]), tangents[1] is { } tb ? inputs[0].Matmul(tb) : null);

    private MatmulDefinition()
        : base("matmul", "Y = A·B; ∂L/∂A = G·Bᵀ, ∂L/∂B = Aᵀ·G")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static MatmulDefinition Instance { get; } = new();

    /// <summary>ONNX MatMul(a, b), batched and broadcasting as torch.matmul (the 1-D cases are recorded as reshapes around a 2-D matmul).</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "MatMul");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("matmul", x => x[0].Matmul(x[1]), OpRegistry.In([3, 4]), OpRegistry.In([4, 2])),
        new("matmul_batched", x => x[0].Matmul(x[1]), OpRegistry.In([2, 3, 4]), OpRegistry.In([2, 4, 2])),
        new("matmul_broadcast", x => x[0].Matmul(x[1]), OpRegistry.In([2, 3, 4]), OpRegistry.In([4, 2])),
        new("matmul_vector", x => x[0].Matmul(x[1]), OpRegistry.In([3, 4]), OpRegistry.In([4])),
        new("matmul_vector_left", x => x[0].Matmul(x[1]), OpRegistry.In([4]), OpRegistry.In([2, 4, 3])),
    ];
}
