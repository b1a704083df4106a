using System.Globalization;
using Backprop.Kernels;

namespace Backprop;

// softplus, everything about it in one file (the op contract): the forward, its backward beside it,
// and its definition with the attributes, the formula text, the ONNX lowering and the inputs its
// gradient is checked on. A primitive rather than the composite log(1 + exp(βx)) / β for stability:
// exp(βx) overflows for βx > 88 in float32, and the backward then reuses one pass instead of four.
/// <summary>
/// Softplus of <see cref="Tensor"/>: <c>x.Softplus(beta, threshold)</c> (<c>torch.nn.functional.softplus</c>).
/// Extension members in namespace <c>Backprop</c>, so they are called as members of <see cref="Tensor"/>.
/// </summary>
public static partial class SoftplusOps
{
    extension(Tensor self)
    {
        /// <summary>
        /// Softplus y = (1/β)·log(1 + e^(βx)), and y = x where βx &gt; <paramref name="threshold"/>
        /// (<c>torch.nn.functional.softplus(input, beta=1, threshold=20)</c>): a smooth ReLU.
        /// d/dx = σ(βx), and 1 where βx &gt; threshold. Float32 is computed through double.
        /// </summary>
        /// <param name="beta">β, positive: larger values bend closer to ReLU.</param>
        /// <param name="threshold">Above this value of βx the function is linear, as PyTorch's.</param>
        /// <returns>A new tensor of this one's shape and dtype.</returns>
        /// <exception cref="ArgumentOutOfRangeException">β is not positive and finite, or the threshold is NaN.</exception>
        public Tensor Softplus(double beta = 1, double threshold = 20)
        {
            if (!(beta > 0) || double.IsInfinity(beta))
            {
                throw new ArgumentOutOfRangeException(nameof(beta), beta, $"softplus: beta must be a positive number, got {beta.ToString(CultureInfo.InvariantCulture)}");
            }

            if (double.IsNaN(threshold))
            {
                throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "softplus: threshold must be a number, got NaN");
            }

            var x = self;
            double Forward(double v) => beta * v > threshold ? v : SpecialFunctions.Log1P(Math.Exp(beta * v)) / beta;
            double Slope(double v) => beta * v > threshold ? 1 : SpecialFunctions.Sigmoid(beta * v);
            var y = Tensor.Map(
                "softplus",
                x,
                (s, d) => { for (int i = 0; i < s.Length; i++) { d[i] = (float)Forward(s[i]); } },
                (s, d) => { for (int i = 0; i < s.Length; i++) { d[i] = Forward(s[i]); } });
            return Tensor.Record(new SoftplusDefinition(beta, threshold), y, [x], g =>
            {
                if (Autograd.IsGradEnabled)
                {
                    // The backward pass is recorded (createGraph): the slope σ(βx) as ops.
                    return [g * SoftplusDefinition.RecordedSlope(x, beta, threshold)];
                }

                var slope = Tensor.Map(
                    "softplus",
                    x,
                    (s, d) => { for (int i = 0; i < s.Length; i++) { d[i] = (float)Slope(s[i]); } },
                    (s, d) => { for (int i = 0; i < s.Length; i++) { d[i] = Slope(s[i]); } });
                return [g * slope];
            });
        }
    }
}

/// <summary>The definition of <see cref="SoftplusOps.Softplus"/> with its β and threshold.</summary>
public sealed class SoftplusDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]! * RecordedSlope(inputs[0], Beta, Threshold);

    internal SoftplusDefinition(double beta, double threshold)
        : base("softplus", "y = (1/β)·log(1 + e^(βx)), y = x where βx > threshold; ∂y/∂x = σ(βx), 1 where βx > threshold")
    {
        Beta = beta;
        Threshold = threshold;
    }

    /// <summary>The slope ∂y/∂x = σ(βx), 1 where βx > threshold, written with recorded ops.</summary>
    internal static Tensor RecordedSlope(Tensor x, double beta, double threshold)
    {
        var scaled = x * beta;
        return Tensor.Where(scaled.Gt(threshold), Tensor.Ones([], x.DType), scaled.Sigmoid());
    }

    /// <summary>β (PyTorch's <c>beta</c>).</summary>
    public double Beta { get; }

    /// <summary>The value of βx above which the function is x (PyTorch's <c>threshold</c>).</summary>
    public double Threshold { get; }

    /// <summary>The default configuration, β = 1 and threshold 20 where every input is below it, and one where many inputs pass it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("softplus", x => x[0].Softplus(), OpRegistry.In([3, 4], -4, 4)),
        new("softplus_beta2_threshold1", x => x[0].Softplus(beta: 2, threshold: 1), OpRegistry.In([3, 4])),
    ];

    /// <summary>
    /// ONNX Softplus, log(1 + eˣ), for β = 1; Softplus(βx)/β otherwise. ONNX has no threshold: above
    /// it the two differ by log(1 + e^(−βx))/β &lt; 2·10⁻⁹/β at PyTorch's default of 20.
    /// </summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        if (Beta == 1)
        {
            return LowerAs(onnx, "Softplus");
        }

        string beta = onnx.Constant([(float)Beta], []);
        string scaled = onnx.Node("Mul", [onnx.Input(0), beta]);
        return onnx.Node("Div", [onnx.Node("Softplus", [scaled]), beta]);
    }

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"beta: {FormatNumber(Beta)}, threshold: {FormatNumber(Threshold)}";
}
