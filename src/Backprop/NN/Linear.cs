using System.Globalization;

namespace Backprop.NN;

/// <summary>
/// Fully connected layer y = x·Wᵀ + b (<c>torch.nn.Linear(in_features, out_features, bias=True)</c>),
/// applied over the last dimension of the input. Weight has shape (out, in), bias (out); both are
/// initialized as PyTorch does, U(−1/√in, 1/√in) (kaiming_uniform with a = √5 for the weight).
/// </summary>
public sealed class Linear : Module
{
    /// <summary>Creates the layer and initializes its parameters from <paramref name="generator"/> (weight first, then bias).</summary>
    /// <param name="inFeatures">The size of each input's last dim (PyTorch's <c>in_features</c>).</param>
    /// <param name="outFeatures">The size of each output's last dim (PyTorch's <c>out_features</c>).</param>
    /// <param name="bias">Whether the layer learns an additive bias b (default true).</param>
    /// <param name="generator">The random source of the initial weights, or null for <see cref="Generator.Default"/>.</param>
    /// <param name="dtype">The parameters' element type (default <see cref="DType.Float32"/>).</param>
    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
    {
        if (inFeatures < 0 || outFeatures < 0)
        {
            throw new ArgumentException($"Linear: feature counts must be non-negative, got in_features={inFeatures}, out_features={outFeatures}");
        }

        if (!dtype.IsFloatingPoint())
        {
            throw new ArgumentException($"Linear: dtype must be float32 or float64, got {dtype.Name()}");
        }

        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = Tensor.Zeros([outFeatures, inFeatures], dtype, requiresGrad: true);
        Bias = bias ? Tensor.Zeros([outFeatures], dtype, requiresGrad: true) : null;
        ResetParameters(generator);
    }

    /// <summary>The weight W of shape (out_features, in_features) (<c>linear.weight</c>).</summary>
    public Tensor Weight { get; set; }

    /// <summary>The bias b of shape (out_features), or null when created with <c>bias: false</c> (<c>linear.bias</c>).</summary>
    public Tensor? Bias { get; set; }

    /// <summary>Size of each input sample (<c>linear.in_features</c>).</summary>
    public int InFeatures { get; }

    /// <summary>Size of each output sample (<c>linear.out_features</c>).</summary>
    public int OutFeatures { get; }

    /// <summary>
    /// Re-draws the parameters as PyTorch's <c>reset_parameters</c>: W ~ kaiming_uniform(a = √5) =
    /// U(−1/√in, 1/√in) and b ~ U(−1/√in, 1/√in) (b = 0 when in_features is 0).
    /// </summary>
    /// <param name="generator">The random source, or null for <see cref="Generator.Default"/>.</param>
    public void ResetParameters(Generator? generator = null)
    {
        if (InFeatures > 0)
        {
            Init.KaimingUniform(Weight, a: Math.Sqrt(5), generator: generator);
        }

        if (Bias is not null)
        {
            double bound = InFeatures > 0 ? 1 / Math.Sqrt(InFeatures) : 0;
            Init.Uniform(Bias, -bound, bound, generator);
        }
    }

    /// <summary>y = x·Wᵀ + b for x of shape (…, in_features); see <see cref="F.Linear"/>.</summary>
    /// <param name="input">(…, in_features): any leading dims, the last one the features.</param>
    /// <returns>A new tensor (…, out_features) of the input's dtype.</returns>
    public override Tensor Forward(Tensor input) => F.Linear(input, Weight, Bias);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        string.Create(CultureInfo.InvariantCulture, $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias is null ? "False" : "True")}");
}
