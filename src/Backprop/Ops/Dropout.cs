namespace Backprop;

// dropout: a primitive because its mask is random: the backward must reuse the forward's mask,
// which a composite would have to carry around as an extra input.
/// <summary>
/// Dropout of <see cref="Tensor"/>: <c>Tensor.Dropout</c> (<c>torch.nn.functional.dropout</c>).
/// Extension members in namespace <c>Backprop</c>, so they are called as members of <see cref="Tensor"/>.
/// </summary>
public static partial class DropoutOps
{
    extension(Tensor)
    {
        /// <summary>
        /// Inverted dropout (<c>torch.dropout(input, p, train)</c>): when <paramref name="train"/>, y = x·m
        /// with mᵢ = 1/(1 − p) with probability 1 − p and 0 otherwise, so E[y] = x; dL/dx = dL/dy·m with
        /// the same mask. The identity (the input itself) when not training or when p = 0. Masks are drawn
        /// from <paramref name="generator"/> (or <see cref="Generator.Default"/>).
        /// </summary>
        /// <param name="input">The tensor, any shape.</param>
        /// <param name="p">The probability of zeroing each element, in [0, 1]; survivors are scaled by 1/(1 − p).</param>
        /// <param name="train">Whether dropout applies; false returns the input unchanged.</param>
        /// <param name="generator">The random source of the mask, or null for <see cref="Generator.Default"/>.</param>
        /// <returns>A new tensor of the input's shape and dtype with the dropped elements 0 and the rest scaled by 1/(1 − p); <paramref name="input"/> itself when not training or p = 0.</returns>
        public static Tensor Dropout(Tensor input, double p, bool train, Generator? generator = null)
        {
            ArgumentNullException.ThrowIfNull(input);
            if (!(p >= 0 && p <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(p), p, $"dropout probability has to be between 0 and 1, but got {p}");
            }

            if (!train || p == 0)
            {
                return input;
            }

            Tensor.RequireFloat("dropout", input);
            generator ??= Generator.Default;
            var mask = Tensor.Empty(input._shape, input.DType);
            double scale = p == 1 ? 0 : 1 / (1 - p);
            if (mask._data is float[] maskF32)
            {
                for (int i = 0; i < maskF32.Length; i++)
                {
                    maskF32[i] = generator.NextDouble() < p ? 0f : (float)scale;
                }
            }
            else
            {
                var maskF64 = mask.F64;
                for (int i = 0; i < maskF64.Length; i++)
                {
                    maskF64[i] = generator.NextDouble() < p ? 0 : scale;
                }
            }

            Tensor output;
            using (Autograd.NoGrad())
            {
                output = input * mask;
            }

            return Tensor.Record(new DropoutDefinition(p), output, [input], (g, context) => [ArithmeticOps.MulGradient(context, g, mask)]);
        }
    }
}

/// <summary>The definition of <see cref="DropoutOps.Dropout"/> when training (evaluation records nothing: it is the identity).</summary>
public sealed class DropoutDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    internal DropoutDefinition(double p)
        : base("dropout", "y = x·m, mᵢ = 1/(1 − p) with probability 1 − p, else 0; ∂L/∂x = g·m (the same mask)")
    {
        P = p;
    }

    /// <summary>The probability of zeroing an element (PyTorch's <c>p</c>).</summary>
    public double P { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"p: {FormatNumber(P)}";

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        // A fresh generator per call, so every evaluation of the function draws the same mask.
        new("dropout", x => Tensor.Dropout(x[0], 0.4, train: true, new Generator(5)), OpRegistry.In([4, 5])),
    ];
}
