using System.Numerics.Tensors;

namespace Backprop.Kernels;

internal static unsafe partial class Sgemm
{
    /// <summary>
    /// What a product does to each element of C once its sum is complete: add a bias per column, then
    /// max(·, 0) when <see cref="Relu"/> (a Linear layer's y = x·Wᵀ + b and its fused ReLU). The nests
    /// apply it to each tile as the last depth block writes it, while the tile is in L1 and on the thread
    /// that computed it, instead of a pass over all of C afterwards on the calling thread (which cost the
    /// frozen MLP's batch-256 forward 2-7 %, block 16 of docs/performance-history.md). The operations are
    /// those of the pass (the sum, then + b, then the IEEE maximum with 0, which keeps NaN), so the bits
    /// are too. The default applies nothing.
    /// </summary>
    internal readonly struct Epilogue(float* bias, bool relu)
    {
        /// <summary>The bias of column 0 of the C this epilogue is handed with, or 0 for none.</summary>
        public readonly nint Bias = (nint)bias;

        /// <summary>Whether max(·, 0) follows the bias.</summary>
        public readonly bool Relu = relu;

        /// <summary>Whether it changes nothing.</summary>
        public bool IsNone => Bias == 0 && !Relu;

        /// <summary>The same epilogue for a C that starts <paramref name="j0"/> columns further on.</summary>
        public Epilogue Columns(int j0) => Bias == 0 ? this : new((float*)Bias + j0, Relu);

        /// <summary>This epilogue when <paramref name="last"/> (the depth block that completes the sums), else none.</summary>
        public Epilogue If(bool last) => last ? this : default;

        /// <summary>
        /// Applies it to the rows×cols block of C at <paramref name="c"/> (rows <paramref name="ldc"/> apart),
        /// which starts at column <paramref name="j0"/>, with the element-wise primitives a separate pass
        /// over C would use (tiles the kernel did not finish in registers: partial ones, and the tiles
        /// that have no finishing kernel).
        /// </summary>
        public void Apply(float* c, int ldc, int rows, int cols, int j0)
        {
            if (IsNone)
            {
                return;
            }

            var bias = Bias == 0 ? default : new ReadOnlySpan<float>((float*)Bias + j0, cols);
            for (int r = 0; r < rows; r++, c += ldc)
            {
                var row = new Span<float>(c, cols);
                if (!bias.IsEmpty)
                {
                    TensorPrimitives.Add(row, bias, row);
                }

                if (Relu)
                {
                    TensorPrimitives.Max(row, 0f, row);
                }
            }
        }
    }
}
