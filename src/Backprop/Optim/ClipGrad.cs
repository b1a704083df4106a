using System.Globalization;
using System.Numerics.Tensors;

namespace Backprop.Optim;

/// <summary>Gradient clipping, applied between <c>Backward()</c> and <c>Step()</c> (<c>torch.nn.utils.clip_grad_*</c>).</summary>
public static class ClipGrad
{
    /// <summary>
    /// Rescales the gradients of <paramref name="parameters"/> in place so their joint norm is at most
    /// <paramref name="maxNorm"/> (<c>torch.nn.utils.clip_grad_norm_</c>). The total norm is the
    /// p-norm of all gradients taken as one vector, ‖g‖_p = (Σ|gᵢ|ᵖ)^(1/p) (max |gᵢ| for p = ∞);
    /// every gradient is multiplied by min(1, maxNorm / (‖g‖_p + 10⁻⁶)). Parameters without a
    /// gradient are skipped.
    /// </summary>
    /// <param name="parameters">The tensors whose gradients are scaled in place; those without a gradient are skipped.</param>
    /// <param name="maxNorm">The largest total norm allowed.</param>
    /// <param name="normType">The p of the p-norm over all gradients together (default 2; <see cref="double.PositiveInfinity"/> for the largest absolute value).</param>
    /// <param name="errorIfNonfinite">Whether a NaN or infinite total norm throws instead of being applied (default false).</param>
    /// <returns>The total norm before clipping (0 when no parameter has a gradient).</returns>
    /// <exception cref="InvalidOperationException">The total norm is NaN or infinite and <paramref name="errorIfNonfinite"/> is true.</exception>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, double normType = 2.0, bool errorIfNonfinite = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm >= 0) || double.IsInfinity(maxNorm))
        {
            throw new ArgumentException($"ClipGradNorm: maxNorm must be a finite number ≥ 0, got {maxNorm.ToString(CultureInfo.InvariantCulture)}");
        }

        if (!(normType > 0))
        {
            throw new ArgumentException($"ClipGradNorm: normType must be > 0 (or double.PositiveInfinity), got {normType.ToString(CultureInfo.InvariantCulture)}");
        }

        var grads = Grads(parameters);
        double total = 0;
        foreach (var g in grads)
        {
            double part = g.DType == DType.Float32 ? NormPart(g.F32, normType) : NormPart(g.F64, normType);
            total = double.IsPositiveInfinity(normType) ? Math.Max(total, part) : total + part;
        }

        if (!double.IsPositiveInfinity(normType))
        {
            total = normType == 2 ? Math.Sqrt(total) : Math.Pow(total, 1 / normType);
        }

        if (errorIfNonfinite && !double.IsFinite(total))
        {
            throw new InvalidOperationException(
                $"ClipGradNorm: the total {normType.ToString(CultureInfo.InvariantCulture)}-norm of the gradients is {total.ToString(CultureInfo.InvariantCulture)}; a gradient contains NaN or infinity");
        }

        // Math.Min keeps a NaN coefficient, so non-finite gradients stay visibly non-finite, as in PyTorch.
        double scale = Math.Min(1.0, maxNorm / (total + 1e-6));
        if (scale != 1)
        {
            foreach (var g in grads)
            {
                if (g.DType == DType.Float32)
                {
                    TensorPrimitives.Multiply(g.F32, (float)scale, g.F32);
                }
                else
                {
                    TensorPrimitives.Multiply(g.F64, scale, g.F64);
                }
            }
        }

        return total;
    }

    /// <summary>
    /// Clamps every gradient element of <paramref name="parameters"/> into [−clipValue, clipValue], in
    /// place (<c>torch.nn.utils.clip_grad_value_</c>). Parameters without a gradient are skipped.
    /// </summary>
    /// <param name="parameters">The tensors whose gradients are clamped in place; those without a gradient are skipped.</param>
    /// <param name="clipValue">The bound c: each gradient element is clamped to [−c, c].</param>
    public static void ClipGradValue(IEnumerable<Tensor> parameters, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(clipValue >= 0))
        {
            throw new ArgumentException($"ClipGradValue: clipValue must be ≥ 0, got {clipValue.ToString(CultureInfo.InvariantCulture)}");
        }

        foreach (var g in Grads(parameters))
        {
            if (g.DType == DType.Float32)
            {
                TensorPrimitives.Min(g.F32, (float)clipValue, g.F32);
                TensorPrimitives.Max(g.F32, (float)-clipValue, g.F32);
            }
            else
            {
                TensorPrimitives.Min(g.F64, clipValue, g.F64);
                TensorPrimitives.Max(g.F64, -clipValue, g.F64);
            }
        }
    }

    private static List<Tensor> Grads(IEnumerable<Tensor> parameters) =>
        parameters.Select(p => p.Grad).OfType<Tensor>().ToList();

    /// <summary>Σ|gᵢ|ᵖ of one tensor in double precision (max |gᵢ| for p = ∞).</summary>
    private static double NormPart<T>(T[] g, double p)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        if (g.Length == 0)
        {
            return 0;
        }

        if (double.IsPositiveInfinity(p))
        {
            return double.CreateChecked(T.Abs(TensorPrimitives.MaxMagnitude<T>(g)));
        }

        if (p == 2)
        {
            return double.CreateChecked(TensorPrimitives.SumOfSquares<T>(g));
        }

        double sum = 0;
        foreach (var x in g)
        {
            sum += Math.Pow(Math.Abs(double.CreateChecked(x)), p);
        }

        return sum;
    }
}
