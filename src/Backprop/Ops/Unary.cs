using System.Numerics.Tensors;

namespace Backprop;

// exp, log, sqrt, abs, clamp: forward and backward side by side.
/// <summary>
/// Elementwise functions of <see cref="Tensor"/>: exp, log, sqrt, abs, sign and clamp (with number or tensor bounds).
/// Extension members in namespace <c>Backprop</c>, so they are called as members of <see cref="Tensor"/>.
/// </summary>
public static partial class UnaryOps
{
    extension(Tensor self)
    {
        /// <summary>e^x (<c>torch.exp</c>). d/dx = e^x, reusing the output.</summary>
        /// <returns>A new tensor of this one's shape and dtype, with positive values.</returns>
        public Tensor Exp()
        {
            var y = Tensor.Map("exp", self, TensorPrimitives.Exp, TensorPrimitives.Exp);
            return Tensor.Record(ExpDefinition.Instance, y, [self], (g, context) => [ArithmeticOps.MulGradient(context, g, y)]);
        }

        /// <summary>Natural logarithm (<c>torch.log</c>). d/dx = 1/x.</summary>
        /// <returns>A new tensor of this one's shape and dtype (NaN for negative elements, −∞ for 0).</returns>
        public Tensor Log()
        {
            var x = self;
            var y = Tensor.Map("log", x, TensorPrimitives.Log, TensorPrimitives.Log);
            return Tensor.Record(LogDefinition.Instance, y, [x], g => [g / x]);
        }

        /// <summary>Square root (<c>torch.sqrt</c>). d/dx = 1/(2√x), reusing the output.</summary>
        /// <returns>A new tensor of this one's shape and dtype (NaN for negative elements).</returns>
        public Tensor Sqrt()
        {
            var y = Tensor.Map("sqrt", self, TensorPrimitives.Sqrt, TensorPrimitives.Sqrt);
            return Tensor.Record(SqrtDefinition.Instance, y, [self], g => [g / (2.0 * y)]);
        }

        /// <summary>|x| (<c>torch.abs</c>). d/dx = sign(x), taken as 0 at 0 as PyTorch does.</summary>
        /// <returns>A new tensor of this one's shape and dtype.</returns>
        public Tensor Abs()
        {
            var x = self;
            var y = Tensor.Map("abs", x, TensorPrimitives.Abs, TensorPrimitives.Abs);
            return Tensor.Record(AbsDefinition.Instance, y, [x], g => [g * x.Sign()]);
        }

        /// <summary>sign(x) ∈ {−1, 0, 1} (<c>torch.sign</c>); no gradient (zero almost everywhere).</summary>
        /// <returns>A new tensor of this one's shape and dtype holding −1, 0 or 1.</returns>
        public Tensor Sign()
        {
            return Tensor.Map(
                "sign",
                self,
                (s, d) => { for (int i = 0; i < s.Length; i++) { d[i] = MathF.Sign(s[i]); } },
                (s, d) => { for (int i = 0; i < s.Length; i++) { d[i] = Math.Sign(s[i]); } });
        }

        /// <summary>
        /// Limits each element to [<paramref name="min"/>, <paramref name="max"/>] (<c>torch.clamp</c>);
        /// either bound may be null. d/dx = 1 where min ≤ x ≤ max, else 0 (PyTorch's convention at the bounds).
        /// </summary>
        /// <param name="min">The lower bound, or null for none.</param>
        /// <param name="max">The upper bound, or null for none.</param>
        /// <returns>A new tensor of this one's shape and dtype.</returns>
        public Tensor Clamp(double? min = null, double? max = null)
        {
            var x = self;
            double lo = min ?? double.NegativeInfinity, hi = max ?? double.PositiveInfinity;
            if (lo > hi)
            {
                throw new ArgumentException($"clamp: min ({lo}) is greater than max ({hi})");
            }

            var y = Tensor.Map(
                "clamp",
                x,
                (s, d) => { TensorPrimitives.Max(s, (float)lo, d); TensorPrimitives.Min(d, (float)hi, d); },
                (s, d) => { TensorPrimitives.Max(s, lo, d); TensorPrimitives.Min(d, hi, d); });
            return Tensor.Record(new ClampDefinition(min, max), y, [x], g =>
            {
                var inside = Tensor.Map(
                    "clamp",
                    x,
                    (s, d) => { for (int i = 0; i < s.Length; i++) { d[i] = s[i] >= lo && s[i] <= hi ? 1f : 0f; } },
                    (s, d) => { for (int i = 0; i < s.Length; i++) { d[i] = s[i] >= lo && s[i] <= hi ? 1.0 : 0.0; } });
                return [g * inside];
            });
        }

        /// <summary>
        /// Limits each element to tensor bounds, y = min(max(x, lo), hi) with broadcasting over all three
        /// (<c>torch.clamp(x, min, max)</c> with tensors); either bound may be null, not both. Where lo &gt; hi
        /// the result is hi, as PyTorch's. ∂y/∂x = 1 where lo ≤ x ≤ hi, else 0; ∂y/∂lo = 1 where x &lt; lo
        /// and lo &lt; hi (lo alone: where x &lt; lo); ∂y/∂hi = 1 where x &gt; hi or hi &lt; lo (hi alone: where x &gt; hi).
        /// </summary>
        /// <param name="min">The lower bound lo, broadcasting with x, of its dtype; null for none.</param>
        /// <param name="max">The upper bound hi, broadcasting with x, of its dtype; null for none.</param>
        /// <returns>A new tensor of the broadcast shape of this tensor and the bounds, in this one's dtype.</returns>
        /// <exception cref="ArgumentException">Both bounds are null, or the shapes do not broadcast, or the dtypes differ.</exception>
        public Tensor Clamp(Tensor? min = null, Tensor? max = null)
        {
            const string op = "clamp";
            if (min is null && max is null)
            {
                throw new ArgumentException($"{op}: at least one of min and max must be a tensor, got neither");
            }

            var x = self;
            var y = x;
            if (min is not null)
            {
                y = Broadcasting.Binary(op, y, min, default(ArithmeticOps.MaxKernel));
            }

            if (max is not null)
            {
                y = Broadcasting.Binary(op, y, max, default(ArithmeticOps.MinKernel));
            }

            Tensor[] inputs = min is null ? [x, max!] : max is null ? [x, min] : [x, min, max];
            var shape = y._shape;
            return Tensor.Record(new ClampTensorDefinition(min is not null, max is not null), y, inputs, g =>
            {
                var ex = Broadcasting.Expand(op, x, shape);
                var lo = min is null ? null : Broadcasting.Expand(op, min, shape);
                var hi = max is null ? null : Broadcasting.Expand(op, max, shape);
                var (xs, los, his) = (ex.ToArray(), lo?.ToArray(), hi?.ToArray());
                Tensor Mask(Func<int, bool> where)
                {
                    var m = Tensor.Empty(shape, x.DType);
                    for (int i = 0; i < xs.Length; i++)
                    {
                        m.SetDouble(i, where(i) ? 1 : 0);
                    }

                    return g * m;
                }

                var gx = x.RequiresGrad
                    ? Mask(i => (los is null || xs[i] >= los[i]) && (his is null || xs[i] <= his[i]))
                    : null;
                var gmin = min is { RequiresGrad: true }
                    ? Mask(i => xs[i] < los![i] && (his is null || los[i] < his[i]))
                    : null;
                var gmax = max is { RequiresGrad: true }
                    ? Mask(i => xs[i] > his![i] || (los is not null && his[i] < los[i]))
                    : null;
                return min is null ? [gx, gmax] : max is null ? [gx, gmin] : [gx, gmin, gmax];
            });
        }
    }
}

/// <summary>The definition of <see cref="UnaryOps.Exp"/> (no attributes).</summary>
public sealed class ExpDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]! * output;

    private ExpDefinition()
        : base("exp", "y = eˣ; ∂y/∂x = eˣ = y")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static ExpDefinition Instance { get; } = new();

    /// <summary>ONNX Exp(x).</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "Exp");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("exp", x => x[0].Exp(), OpRegistry.In([3, 4])),
    ];
}

/// <summary>The definition of <see cref="UnaryOps.Log"/> (no attributes).</summary>
public sealed class LogDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]! / inputs[0];

    private LogDefinition()
        : base("log", "y = ln x; ∂y/∂x = 1/x")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static LogDefinition Instance { get; } = new();

    /// <summary>ONNX Log(x).</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "Log");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("log", x => x[0].Log(), OpRegistry.In([3, 4], 0.1, 3)),
    ];
}

/// <summary>The definition of <see cref="UnaryOps.Sqrt"/> (no attributes).</summary>
public sealed class SqrtDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]! / (2.0 * output);

    private SqrtDefinition()
        : base("sqrt", "y = √x; ∂y/∂x = 1/(2√x) = 1/(2y)")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static SqrtDefinition Instance { get; } = new();

    /// <summary>ONNX Sqrt(x).</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "Sqrt");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("sqrt", x => x[0].Sqrt(), OpRegistry.In([3, 4], 0.1, 3)),
    ];
}

/// <summary>The definition of <see cref="UnaryOps.Abs"/> (no attributes).</summary>
public sealed class AbsDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]! * inputs[0].Sign();

    private AbsDefinition()
        : base("abs", "y = |x|; ∂y/∂x = sign(x) (0 at 0)")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static AbsDefinition Instance { get; } = new();

    /// <summary>ONNX Abs(x).</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "Abs");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("abs", x => x[0].Abs(), OpRegistry.In([3, 4])),
    ];
}

/// <summary>The definition of <see cref="UnaryOps.extension(Tensor).Clamp(double?, double?)"/> with its number bounds.</summary>
public sealed class ClampDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        (Min is { } lo ? tangents[0]! * inputs[0].Ge(lo) : tangents[0]!) * (Max is { } hi ? inputs[0].Le(hi) : Tensor.Ones([], output.DType));

    internal ClampDefinition(double? min, double? max)
        : base("clamp", "y = min(max(x, lo), hi); ∂y/∂x = 1 if lo ≤ x ≤ hi, else 0")
    {
        Min = min;
        Max = max;
    }

    /// <summary>The lower bound lo, or null for none (PyTorch's <c>min</c>).</summary>
    public double? Min { get; }

    /// <summary>The upper bound hi, or null for none (PyTorch's <c>max</c>).</summary>
    public double? Max { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() =>
        $"min: {(Min is { } lo ? FormatNumber(lo) : "none")}, max: {(Max is { } hi ? FormatNumber(hi) : "none")}";

    /// <summary>ONNX Clip(x, lo, hi) with each bound a scalar constant, or left out ("") where it is none.</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        string lo = Min is { } min ? onnx.Constant([(float)min], []) : "";
        string hi = Max is { } max ? onnx.Constant([(float)max], []) : "";
        return Max is null
            ? onnx.Node("Clip", Min is null ? [onnx.Input(0)] : [onnx.Input(0), lo])
            : onnx.Node("Clip", [onnx.Input(0), lo, hi]);
    }

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("clamp", x => x[0].Clamp(-1, 1), OpRegistry.In([3, 4])),
        new("clamp_min", x => x[0].Clamp(min: 0.5), OpRegistry.In([3, 4])),
    ];
}

/// <summary>
/// The definition of <see cref="UnaryOps.extension(Tensor).Clamp(Tensor, Tensor)"/> with tensor bounds: the
/// node's inputs are x, then lo when given, then hi when given.
/// </summary>
public sealed class ClampTensorDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    internal ClampTensorDefinition(bool hasMin, bool hasMax)
        : base("clamp", "y = min(max(x, lo), hi); ∂y/∂x = 1 if lo ≤ x ≤ hi; ∂y/∂lo = 1 if x < lo < hi; ∂y/∂hi = 1 if x > hi or hi < lo")
    {
        HasMin = hasMin;
        HasMax = hasMax;
    }

    /// <summary>Whether a lower-bound tensor is the node's second input (PyTorch's <c>min</c>).</summary>
    public bool HasMin { get; }

    /// <summary>Whether an upper-bound tensor is the node's last input (PyTorch's <c>max</c>).</summary>
    public bool HasMax { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"min: {(HasMin ? "tensor" : "none")}, max: {(HasMax ? "tensor" : "none")}";

    /// <summary>ONNX Max(x, lo) then Min(·, hi), which broadcast as NumPy does (Clip takes only scalar bounds).</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        string y = onnx.Input(0);
        if (HasMin)
        {
            y = onnx.Node("Max", [y, onnx.Input(1)]);
        }

        return HasMax ? onnx.Node("Min", [y, onnx.Input(HasMin ? 2 : 1)]) : y;
    }

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("clamp_tensor", x => x[0].Clamp(x[1], x[2]), OpRegistry.In([3, 4]), OpRegistry.In([3, 4], -1.5, 0), OpRegistry.In([4], 0, 1.5)),
        new("clamp_tensor_min", x => x[0].Clamp(x[1]), OpRegistry.In([3, 4]), OpRegistry.In([3, 1])),
        new("clamp_tensor_max", x => x[0].Clamp(max: x[1]), OpRegistry.In([3, 4]), OpRegistry.In([4])),
        new("clamp_tensor_crossed", x => x[0].Clamp(x[1], x[2]), OpRegistry.In([3, 4]), OpRegistry.In([3, 4], 0.5, 1.5), OpRegistry.In([3, 4], -1.5, -0.5)),
    ];
}
