using System.Numerics.Tensors;

namespace Backprop;

// exp, log, sqrt, abs, clamp: forward and backward side by side.
/// <summary>
/// Elementwise functions of <see cref="Tensor"/>: exp, log, sqrt, abs, sign and clamp.
/// Extension members in namespace <c>Backprop</c>, so they are called as members of <see cref="Tensor"/>.
/// </summary>
public static partial class UnaryOps
{
    extension(Tensor self)
    {
        /// <summary>e^x (<c>torch.exp</c>). d/dx = e^x, reusing the output.</summary>
        public Tensor Exp()
        {
            var y = Tensor.Map("exp", self, TensorPrimitives.Exp, TensorPrimitives.Exp);
            return Tensor.Record(ExpDefinition.Instance, y, [self], (g, context) => [ArithmeticOps.MulGradient(context, g, y)]);
        }

        /// <summary>Natural logarithm (<c>torch.log</c>). d/dx = 1/x.</summary>
        public Tensor Log()
        {
            var x = self;
            var y = Tensor.Map("log", x, TensorPrimitives.Log, TensorPrimitives.Log);
            return Tensor.Record(LogDefinition.Instance, y, [x], g => [g / x]);
        }

        /// <summary>Square root (<c>torch.sqrt</c>). d/dx = 1/(2√x), reusing the output.</summary>
        public Tensor Sqrt()
        {
            var y = Tensor.Map("sqrt", self, TensorPrimitives.Sqrt, TensorPrimitives.Sqrt);
            return Tensor.Record(SqrtDefinition.Instance, y, [self], g => [g / (2.0 * y)]);
        }

        /// <summary>|x| (<c>torch.abs</c>). d/dx = sign(x), taken as 0 at 0 as PyTorch does.</summary>
        public Tensor Abs()
        {
            var x = self;
            var y = Tensor.Map("abs", x, TensorPrimitives.Abs, TensorPrimitives.Abs);
            return Tensor.Record(AbsDefinition.Instance, y, [x], g => [g * x.Sign()]);
        }

        /// <summary>sign(x) ∈ {−1, 0, 1} (<c>torch.sign</c>); no gradient (zero almost everywhere).</summary>
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
    }
}

/// <summary>The definition of <see cref="UnaryOps.Exp"/> (no attributes).</summary>
public sealed class ExpDefinition : OpDefinition, IGradCheckSamples
{
    private ExpDefinition()
        : base("exp", "y = eˣ; ∂y/∂x = eˣ = y")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static ExpDefinition Instance { get; } = new();

    /// <summary>ONNX Exp(x).</summary>
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
    private LogDefinition()
        : base("log", "y = ln x; ∂y/∂x = 1/x")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static LogDefinition Instance { get; } = new();

    /// <summary>ONNX Log(x).</summary>
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
    private SqrtDefinition()
        : base("sqrt", "y = √x; ∂y/∂x = 1/(2√x) = 1/(2y)")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static SqrtDefinition Instance { get; } = new();

    /// <summary>ONNX Sqrt(x).</summary>
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
    private AbsDefinition()
        : base("abs", "y = |x|; ∂y/∂x = sign(x) (0 at 0)")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static AbsDefinition Instance { get; } = new();

    /// <summary>ONNX Abs(x).</summary>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "Abs");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("abs", x => x[0].Abs(), OpRegistry.In([3, 4])),
    ];
}

/// <summary>The definition of <see cref="UnaryOps.Clamp"/> with its bounds.</summary>
public sealed class ClampDefinition : OpDefinition, IGradCheckSamples
{
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
