using System.Globalization;

namespace Backprop.NN;

/// <summary>
/// Layer normalization over the last dims (<c>torch.nn.LayerNorm(normalized_shape, eps=1e-05,
/// elementwise_affine=True, bias=True)</c>): y = (x − μ)/√(σ² + eps)·weight + bias with μ and the biased
/// σ² taken over the trailing <see cref="NormalizedShape"/> of each sample, in training and evaluation
/// alike. Weight (ones) and bias (zeros) have the normalized shape; see <see cref="NormalizationOps.LayerNorm"/>.
/// </summary>
public sealed class LayerNorm : Module
{
    /// <summary>Normalizes over the last dim, of size <paramref name="normalizedShape"/>.</summary>
    public LayerNorm(int normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true, DType dtype = DType.Float32)
        : this([normalizedShape], eps, elementwiseAffine, bias, dtype)
    {
    }

    /// <summary>Normalizes over the last <c>normalizedShape.Length</c> dims, which must have these sizes.</summary>
    public LayerNorm(int[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(s => s < 1))
        {
            throw new ArgumentException($"LayerNorm: normalized_shape must be non-empty with positive sizes, got {Shapes.Format(normalizedShape)}");
        }

        if (!dtype.IsFloatingPoint())
        {
            throw new ArgumentException($"LayerNorm: dtype must be float32 or float64, got {dtype.Name()}");
        }

        NormalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        ElementwiseAffine = elementwiseAffine;
        if (elementwiseAffine)
        {
            Weight = Tensor.Ones(NormalizedShape, dtype, requiresGrad: true);
            Bias = bias ? Tensor.Zeros(NormalizedShape, dtype, requiresGrad: true) : null;
        }
    }

    /// <summary>The per-element scale, ones at first; null without elementwise affine (<c>ln.weight</c>).</summary>
    public Tensor? Weight { get; set; }

    /// <summary>The per-element shift, zeros at first; null without it (<c>ln.bias</c>).</summary>
    public Tensor? Bias { get; set; }

    /// <summary>The sizes of the trailing dims that are normalized (<c>normalized_shape</c>).</summary>
    public int[] NormalizedShape { get; }

    /// <summary>Added to the variance for stability (<c>eps</c>).</summary>
    public double Eps { get; }

    /// <summary>Whether the layer has a learnable weight (and bias) (<c>elementwise_affine</c>).</summary>
    public bool ElementwiseAffine { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Tensor.LayerNorm(input, NormalizedShape, Weight, Bias, Eps);

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(
        CultureInfo.InvariantCulture,
        $"({string.Join(", ", NormalizedShape)}{(NormalizedShape.Length == 1 ? "," : "")}), eps={BatchNormBase.PythonFloat(Eps)}, elementwise_affine={(ElementwiseAffine ? "True" : "False")}");
}
