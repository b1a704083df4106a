using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Backprop.Kernels;

namespace Backprop;

// tanh, sigmoid, relu, leaky_relu, gelu, softmax, log_softmax: forward and backward side by side.
// Softmax and log-softmax are primitives rather than composites of exp/sum/div for numerical
// stability: they subtract each row's maximum before exponentiating, so logits of ±1000 stay finite.
/// <summary>
/// The activation functions of <see cref="Tensor"/>: tanh, sigmoid, relu, leaky_relu, gelu, softmax and log_softmax (<c>x.Relu()</c>, <c>x.Softmax(-1)</c>).
/// Extension members in namespace <c>Backprop</c>, so they are called as members of <see cref="Tensor"/>.
/// </summary>
public static partial class ActivationOps
{
    extension(Tensor self)
    {
        /// <summary>Hyperbolic tangent (<c>torch.tanh</c>). d/dx = 1 − tanh²(x) = 1 − y², reusing the output.</summary>
        /// <returns>A new tensor of this one's shape and dtype, with values in (−1, 1).</returns>
        public Tensor Tanh()
        {
            var y = Tensor.Map("tanh", self, TensorPrimitives.Tanh, TensorPrimitives.Tanh);
            return Tensor.Record(TanhDefinition.Instance, y, [self], (g, context) => [ArithmeticOps.MulGradient(context, g, 1.0 - (y * y))]);
        }

        /// <summary>
        /// Logistic sigmoid σ(x) = 1/(1 + e^(−x)) (<c>torch.sigmoid</c>). d/dx = σ(x)(1 − σ(x)) = y(1 − y).
        /// Stable for large |x|: e^(−x) overflowing to ∞ gives exactly 0, never NaN.
        /// </summary>
        /// <returns>A new tensor of this one's shape and dtype, with values in [0, 1].</returns>
        public Tensor Sigmoid()
        {
            var y = Tensor.Map("sigmoid", self, TensorPrimitives.Sigmoid, TensorPrimitives.Sigmoid);
            return Tensor.Record(SigmoidDefinition.Instance, y, [self], g => [g * y * (1.0 - y)]);
        }

        /// <summary>Rectified linear unit max(x, 0) (<c>torch.relu</c>). d/dx = 1 where x &gt; 0, else 0 (0 at x = 0, as PyTorch).</summary>
        /// <returns>A new tensor of this one's shape and dtype, with no negative values.</returns>
        public Tensor Relu()
        {
            var x = self;
            var y = Tensor.Map("relu", x, s_reluF32, s_reluF64);
            return Tensor.Record(ReluDefinition.Instance, y, [x], (g, context) =>
            {
                if (Autograd.IsGradEnabled)
                {
                    // The backward pass is recorded (createGraph): g times the constant mask x > 0.
                    return [g * x.Gt(0.0).To(x.DType)];
                }

                // Fused: one pass computes g where x > 0 and 0 elsewhere, with no mask tensor, over g
                // itself when the engine allows it.
                var gx = context.TakeReusable(g) ? g : Tensor.Empty(x._shape, x.DType);
                Threading.ForElements(x.Numel, (start, end) =>
                {
                    if (x.DType == DType.Float32)
                    {
                        PassWherePositive<float>(x.F32.AsSpan(start, end - start), g.F32.AsSpan(start, end - start), gx.F32.AsSpan(start, end - start));
                    }
                    else
                    {
                        PassWherePositive<double>(x.F64.AsSpan(start, end - start), g.F64.AsSpan(start, end - start), gx.F64.AsSpan(start, end - start));
                    }
                });

                return [gx];
            });
        }

        /// <summary>
        /// Leaky ReLU: x where x &gt; 0, else <paramref name="negativeSlope"/>·x
        /// (<c>torch.nn.functional.leaky_relu</c>). d/dx = 1 where x &gt; 0, else negativeSlope.
        /// </summary>
        /// <param name="negativeSlope">The slope for x &lt; 0 (PyTorch's <c>negative_slope</c>, default 0.01).</param>
        /// <returns>A new tensor of this one's shape and dtype.</returns>
        public Tensor LeakyRelu(double negativeSlope = 0.01)
        {
            var x = self;
            float slope32 = (float)negativeSlope;
            var y = Tensor.Map(
                "leaky_relu",
                x,
                (s, d) => { for (int i = 0; i < s.Length; i++) { d[i] = s[i] > 0 ? s[i] : s[i] * slope32; } },
                (s, d) => { for (int i = 0; i < s.Length; i++) { d[i] = s[i] > 0 ? s[i] : s[i] * negativeSlope; } });
            return Tensor.Record(new LeakyReluDefinition(negativeSlope), y, [x], (g, context) => [ArithmeticOps.MulGradient(context, g, Step("leaky_relu", x, 1.0, negativeSlope))]);
        }

        /// <summary>
        /// Gaussian error linear unit, exact form x·Φ(x) = x·½(1 + erf(x/√2))
        /// (<c>torch.nn.functional.gelu</c> with its default <c>approximate='none'</c>).
        /// d/dx = Φ(x) + x·φ(x), with φ the standard normal density. Float32 is computed through double.
        /// </summary>
        /// <returns>A new tensor of this one's shape and dtype.</returns>
        public Tensor Gelu()
        {
            var x = self;
            var y = Tensor.Map(
                "gelu",
                x,
                (s, d) => { for (int i = 0; i < s.Length; i++) { d[i] = (float)(s[i] * SpecialFunctions.NormalCdf(s[i])); } },
                (s, d) => { for (int i = 0; i < s.Length; i++) { d[i] = s[i] * SpecialFunctions.NormalCdf(s[i]); } });
            return Tensor.Record(GeluDefinition.Instance, y, [x], g => [g * x.GeluSlope()]);
        }

        /// <summary>
        /// GELU's derivative Φ(x) + x·φ(x) as an op of its own (PyTorch's <c>gelu_backward</c>), so a recorded
        /// backward pass can differentiate it again: its derivative is φ(x)·(2 − x²).
        /// </summary>
        internal Tensor GeluSlope()
        {
            var x = self;
            var slope = Tensor.Map(
                "gelu_slope",
                x,
                (s, d) => { for (int i = 0; i < s.Length; i++) { d[i] = (float)GeluDerivative(s[i]); } },
                (s, d) => { for (int i = 0; i < s.Length; i++) { d[i] = GeluDerivative(s[i]); } });
            return Tensor.Record(GeluSlopeDefinition.Instance, slope, [x], g => [g * GeluCurvature(x)]);
        }

        /// <summary>
        /// Softmax along <paramref name="dim"/>: yᵢ = e^(xᵢ − m) / Σⱼ e^(xⱼ − m) with m = maxⱼ xⱼ
        /// (<c>torch.softmax(x, dim)</c>). Backward: dL/dxᵢ = yᵢ(gᵢ − Σⱼ gⱼyⱼ).
        /// </summary>
        /// <param name="dim">The dim the probabilities sum to 1 along (negative counts from the end).</param>
        /// <returns>A new tensor of this one's shape and dtype whose slices along <paramref name="dim"/> are positive and sum to 1.</returns>
        public Tensor Softmax(int dim) => self.SoftmaxAlong(new SoftmaxDefinition(dim), dim, log: false);

        /// <summary>
        /// Log-softmax along <paramref name="dim"/> via log-sum-exp: yᵢ = xᵢ − m − log Σⱼ e^(xⱼ − m) with
        /// m = maxⱼ xⱼ (<c>torch.log_softmax(x, dim)</c>). Backward: dL/dxᵢ = gᵢ − softmax(x)ᵢ·Σⱼ gⱼ.
        /// </summary>
        /// <param name="dim">The dim normalized along (negative counts from the end).</param>
        /// <returns>A new tensor of this one's shape and dtype whose slices along <paramref name="dim"/> are log-probabilities (≤ 0, their exponentials summing to 1).</returns>
        public Tensor LogSoftmax(int dim) => self.SoftmaxAlong(new LogSoftmaxDefinition(dim), dim, log: true);

        /// <summary>Softmax or log-softmax along a dim: one stable row kernel for both, forward and backward.</summary>
        private Tensor SoftmaxAlong(OpDefinition op, int dim, bool log)
        {
            var x = self;
            var (outer, n, inner) = self.SplitAroundDim(op.Name, dim);
            var y = Tensor.Empty(x._shape, x.DType);
            if (x.DType == DType.Float32)
            {
                SoftmaxRows<float>(x.F32, y.F32, outer, n, inner, log);
            }
            else
            {
                SoftmaxRows<double>(x.F64, y.F64, outer, n, inner, log);
            }

            return Tensor.Record(op, y, [x], g =>
            {
                if (Autograd.IsGradEnabled)
                {
                    // The backward pass is recorded (createGraph): the same rule written with ops.
                    return [SoftmaxBackwardRecorded(g, y, dim, log)];
                }

                var gx = Tensor.Empty(y._shape, y.DType);
                if (y.DType == DType.Float32)
                {
                    SoftmaxBackwardRows<float>(g.F32, y.F32, gx.F32, outer, n, inner, log);
                }
                else
                {
                    SoftmaxBackwardRows<double>(g.F64, y.F64, gx.F64, outer, n, inner, log);
                }

                return [gx];
            });
        }

        /// <summary>
        /// Views this float tensor as [outer, n, inner] around <paramref name="dim"/>, so element k of
        /// row (o, i) sits at (o·n + k)·inner + i. A rank-0 tensor is one row of length 1.
        /// </summary>
        private (int Outer, int N, int Inner) SplitAroundDim(string op, int dim)
        {
            Tensor.RequireFloat(op, self);
            int d = Shapes.WrapDim(op, dim, self.Rank);
            if (self.Rank == 0)
            {
                return (1, 1, 1);
            }

            return (Shapes.Numel(self._shape.AsSpan(0, d)), self._shape[d], Shapes.Numel(self._shape.AsSpan(d + 1)));
        }
    }

    // ReLU's kernel, max(x, 0): one definition for the recorded op and the in-place inference pass.
    private static readonly Tensor.SpanMap<float> s_reluF32 = (s, d) => TensorPrimitives.Max(s, 0f, d);
    private static readonly Tensor.SpanMap<double> s_reluF64 = (s, d) => TensorPrimitives.Max(s, 0.0, d);

    /// <summary>
    /// max(x, 0) written over x itself, with <see cref="ActivationOps.Relu"/>'s kernel and nothing
    /// recorded: for an inference forward (<c>Sequential</c> with grad mode off) whose x is a fresh
    /// intermediate no one else holds.
    /// </summary>
    internal static void ReluInPlace(Tensor x)
    {
        Tensor.RequireFloat("relu", x);
        Tensor.MapInto(x, x, s_reluF32, s_reluF64);
    }

    /// <summary>destination[i] = gradient[i] where x[i] &gt; 0, else 0 (ReLU's backward).</summary>
    private static void PassWherePositive<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gradient, Span<T> destination)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var xv = MemoryMarshal.Cast<T, Vector<T>>(x);
            var gv = MemoryMarshal.Cast<T, Vector<T>>(gradient);
            var dv = MemoryMarshal.Cast<T, Vector<T>>(destination);
            for (int k = 0; k < xv.Length; k++)
            {
                dv[k] = Vector.ConditionalSelect(
                    Vector.GreaterThan(xv[k], Vector<T>.Zero), gv[k], Vector<T>.Zero);
            }

            i = xv.Length * Vector<T>.Count;
        }

        for (; i < x.Length; i++)
        {
            destination[i] = x[i] > T.Zero ? gradient[i] : T.Zero;
        }
    }

    /// <summary>d/dx x·Φ(x) = Φ(x) + x·φ(x).</summary>
    /// <summary>φ(x)·(2 − x²), GELU's second derivative, elementwise (a constant for the graph).</summary>
    internal static Tensor GeluCurvature(Tensor x) => Tensor.Map(
        "gelu_slope",
        x,
        (s, d) => { for (int i = 0; i < s.Length; i++) { d[i] = (float)(SpecialFunctions.NormalPdf(s[i]) * (2 - (s[i] * s[i]))); } },
        (s, d) => { for (int i = 0; i < s.Length; i++) { d[i] = SpecialFunctions.NormalPdf(s[i]) * (2 - (s[i] * s[i])); } });

    private static double GeluDerivative(double x) => SpecialFunctions.NormalCdf(x) + (x * SpecialFunctions.NormalPdf(x));

    /// <summary>A tensor of x's shape holding <paramref name="above"/> where x &gt; 0 and <paramref name="below"/> elsewhere.</summary>
    private static Tensor Step(string op, Tensor x, double above, double below)
    {
        float above32 = (float)above, below32 = (float)below;
        return Tensor.Map(
            op,
            x,
            (s, d) => { for (int i = 0; i < s.Length; i++) { d[i] = s[i] > 0 ? above32 : below32; } },
            (s, d) => { for (int i = 0; i < s.Length; i++) { d[i] = s[i] > 0 ? above : below; } });
    }

    /// <summary>
    /// Softmax (or log-softmax when <paramref name="log"/>) of every row of the [outer, n, inner]
    /// view: subtract the row maximum, exponentiate, normalize (or subtract the log of the sum).
    /// </summary>
    internal static void SoftmaxRows<T>(ReadOnlySpan<T> x, Span<T> y, int outer, int n, int inner, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0)
        {
            return;
        }

        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int start = (o * n * inner) + i;
                T max = T.NegativeInfinity;
                for (int k = 0; k < n; k++)
                {
                    max = T.Max(max, x[start + (k * inner)]);
                }

                // A row of all −∞ (or one holding +∞) gives NaN, as in PyTorch.
                T sum = T.Zero;
                for (int k = 0; k < n; k++)
                {
                    T e = T.Exp(x[start + (k * inner)] - max);
                    sum += e;
                    y[start + (k * inner)] = e;
                }

                if (log)
                {
                    T shift = max + T.Log(sum);
                    for (int k = 0; k < n; k++)
                    {
                        y[start + (k * inner)] = x[start + (k * inner)] - shift;
                    }
                }
                else
                {
                    T scale = T.One / sum;
                    for (int k = 0; k < n; k++)
                    {
                        y[start + (k * inner)] *= scale;
                    }
                }
            }
        }
    }

    /// <summary>
    /// The backward of softmax or log-softmax written with recorded ops, for a recorded backward pass
    /// (createGraph): softmax gx = y(g − Σ g·y), log-softmax gx = g − e^y·Σ g, sums along <paramref name="dim"/>.
    /// </summary>
    private static Tensor SoftmaxBackwardRecorded(Tensor g, Tensor y, int dim, bool log)
    {
        if (y.Rank == 0)
        {
            // One element: softmax is the constant 1 and log-softmax the constant 0.
            return g * 0.0;
        }

        return log ? g - (y.Exp() * g.Sum(dim, keepDim: true)) : y * (g - (g * y).Sum(dim, keepDim: true));
    }

    /// <summary>
    /// Backward of <see cref="SoftmaxRows"/> per row: softmax gx = y(g − Σ g·y); log-softmax
    /// gx = g − e^y·Σ g (e^y being the softmax).
    /// </summary>
    private static void SoftmaxBackwardRows<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> y, Span<T> gx, int outer, int n, int inner, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int start = (o * n * inner) + i;
                T sum = T.Zero;
                for (int k = 0; k < n; k++)
                {
                    int at = start + (k * inner);
                    sum += log ? g[at] : g[at] * y[at];
                }

                for (int k = 0; k < n; k++)
                {
                    int at = start + (k * inner);
                    gx[at] = log ? g[at] - (T.Exp(y[at]) * sum) : y[at] * (g[at] - sum);
                }
            }
        }
    }
}

/// <summary>The definition of <see cref="ActivationOps.Tanh"/> (no attributes).</summary>
public sealed class TanhDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]! * (1.0 - (output * output));

    private TanhDefinition()
        : base("tanh", "y = tanh(x); ∂y/∂x = 1 − y²")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static TanhDefinition Instance { get; } = new();

    /// <summary>ONNX Tanh(x).</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "Tanh");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("tanh", x => x[0].Tanh(), OpRegistry.In([3, 4])),
    ];
}

/// <summary>The definition of <see cref="ActivationOps.Sigmoid"/> (no attributes).</summary>
public sealed class SigmoidDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]! * output * (1.0 - output);

    private SigmoidDefinition()
        : base("sigmoid", "y = σ(x) = 1/(1 + e^(−x)); ∂y/∂x = y(1 − y)")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static SigmoidDefinition Instance { get; } = new();

    /// <summary>ONNX Sigmoid(x).</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "Sigmoid");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("sigmoid", x => x[0].Sigmoid(), OpRegistry.In([3, 4], -6, 6)),
    ];
}

/// <summary>The definition of <see cref="ActivationOps.Relu"/> (no attributes).</summary>
public sealed class ReluDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]! * inputs[0].Gt(0.0);

    private ReluDefinition()
        : base("relu", "y = max(x, 0); ∂y/∂x = 1 if x > 0, else 0")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static ReluDefinition Instance { get; } = new();

    /// <summary>ONNX Relu(x).</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "Relu");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("relu", x => x[0].Relu(), OpRegistry.In([3, 4])),
    ];
}

/// <summary>The definition of <see cref="ActivationOps.LeakyRelu"/> with its negative slope.</summary>
public sealed class LeakyReluDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]! * ((inputs[0].Gt(0.0) * (1.0 - NegativeSlope)) + NegativeSlope);

    internal LeakyReluDefinition(double negativeSlope)
        : base("leaky_relu", "y = x if x > 0, else a·x; ∂y/∂x = 1 if x > 0, else a")
    {
        NegativeSlope = negativeSlope;
    }

    /// <summary>The slope a for x ≤ 0 (PyTorch's <c>negative_slope</c>).</summary>
    public double NegativeSlope { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"negativeSlope: {FormatNumber(NegativeSlope)}";

    /// <summary>ONNX LeakyRelu(x) with alpha = the negative slope.</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "LeakyRelu", new OnnxAttribute("alpha", (float)NegativeSlope));

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("leaky_relu", x => x[0].LeakyRelu(0.2), OpRegistry.In([3, 4])),
    ];
}

/// <summary>The definition of <see cref="ActivationOps.Gelu"/>, the exact (erf) form (no attributes).</summary>
public sealed class GeluDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]! * inputs[0].GeluSlope();

    private GeluDefinition()
        : base("gelu", "y = x·Φ(x) = x·½(1 + erf(x/√2)); ∂y/∂x = Φ(x) + x·φ(x)")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static GeluDefinition Instance { get; } = new();

    /// <summary>
    /// ONNX Gelu(x, approximate="none") from opset 20; before that its definition x·½(1 + erf(x/√2))
    /// written with Div, Erf, Add and two Muls.
    /// </summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        if (onnx.Opset >= 20)
        {
            return LowerAs(onnx, "Gelu", new OnnxAttribute("approximate", "none"));
        }

        string x = onnx.Input(0);
        string erf = onnx.Node("Erf", [onnx.Node("Div", [x, onnx.Constant([MathF.Sqrt(2)], [])])]);
        string onePlus = onnx.Node("Add", [erf, onnx.Constant([1f], [])]);
        return onnx.Node("Mul", [onnx.Node("Mul", [x, onePlus]), onnx.Constant([0.5f], [])]);
    }

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("gelu", x => x[0].Gelu(), OpRegistry.In([3, 4], -4, 4)),
    ];
}

/// <summary>
/// The definition of GELU's derivative as an op (PyTorch's <c>gelu_backward</c>): what a recorded backward
/// pass through <see cref="ActivationOps.Gelu"/> records, so its gradient can be differentiated once more.
/// </summary>
public sealed class GeluSlopeDefinition : OpDefinition, IGradCheckSamples
{
    private GeluSlopeDefinition()
        : base("gelu_slope", "y = Φ(x) + x·φ(x) (GELU's derivative); ∂y/∂x = φ(x)·(2 − x²)")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static GeluSlopeDefinition Instance { get; } = new();

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]! * ActivationOps.GeluCurvature(inputs[0]);

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("gelu_slope", x => x[0].GeluSlope(), OpRegistry.In([3, 4], -3, 3)),
    ];
}

/// <summary>The definition of <see cref="ActivationOps.Softmax"/> with the dim it normalizes along, as given (may be negative).</summary>
public sealed class SoftmaxDefinition : DimOpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        output.Rank == 0 ? tangents[0]! * 0.0 : output * (tangents[0]! - (tangents[0]! * output).Sum(Dim, keepDim: true));

    internal SoftmaxDefinition(int dim)
        : base("softmax", "yᵢ = e^xᵢ / Σⱼ e^xⱼ; ∂L/∂xᵢ = yᵢ(gᵢ − Σⱼ gⱼyⱼ)", dim)
    {
    }

    /// <summary>ONNX Softmax(x) along axis = dim (opset 13+ semantics: that axis only, as PyTorch's dim).</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        return LowerAs(onnx, "Softmax", new OnnxAttribute("axis", Axis(Dim, onnx.InputShape(0).Length)));
    }

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("softmax", x => x[0].Softmax(-1), OpRegistry.In([3, 5])),
        new("softmax_middle_dim", x => x[0].Softmax(1), OpRegistry.In([2, 3, 4])),
    ];
}

/// <summary>The definition of <see cref="ActivationOps.LogSoftmax"/> with the dim it normalizes along, as given (may be negative).</summary>
public sealed class LogSoftmaxDefinition : DimOpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        output.Rank == 0 ? tangents[0]! * 0.0 : tangents[0]! - (output.Exp() * tangents[0]!).Sum(Dim, keepDim: true);

    internal LogSoftmaxDefinition(int dim)
        : base("log_softmax", "yᵢ = xᵢ − log Σⱼ e^xⱼ; ∂L/∂xᵢ = gᵢ − softmax(x)ᵢ·Σⱼ gⱼ", dim)
    {
    }

    /// <summary>ONNX LogSoftmax(x) along axis = dim.</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        return LowerAs(onnx, "LogSoftmax", new OnnxAttribute("axis", Axis(Dim, onnx.InputShape(0).Length)));
    }

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("log_softmax", x => x[0].LogSoftmax(-1), OpRegistry.In([3, 5])),
        new("log_softmax_middle_dim", x => x[0].LogSoftmax(1), OpRegistry.In([2, 3, 4])),
    ];
}
