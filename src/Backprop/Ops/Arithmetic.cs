using System.Numerics;
using System.Numerics.Tensors;
using Backprop.Kernels;

namespace Backprop;

// add, sub, mul, div, neg, pow: forward and backward side by side. Broadcasting is undone by the
// engine (Autograd.LocalGradients), so the backward rules below ignore it.
/// <summary>
/// Elementwise arithmetic of <see cref="Tensor"/> with broadcasting: add, sub, mul, div, neg, pow and the operators <c>+ - * /</c> with tensors and scalars.
/// Extension members in namespace <c>Backprop</c>, so they are called as members of <see cref="Tensor"/>.
/// </summary>
public static partial class ArithmeticOps
{
    extension(Tensor self)
    {
        /// <summary>a + b with broadcasting (<c>torch.add</c>). d/da = 1, d/db = 1.</summary>
        /// <param name="other">The tensor added, broadcast against this one; same dtype.</param>
        /// <returns>A new tensor of the broadcast shape and the inputs' dtype.</returns>
        public Tensor Add(Tensor other)
        {
            var result = Broadcasting.Binary("add", self, other, default(AddKernel));
            return Tensor.Record(AddDefinition.Instance, result, [self, other], g => [g, g]);
        }

        /// <summary>a − b with broadcasting (<c>torch.sub</c>). d/da = 1, d/db = −1.</summary>
        /// <param name="other">The tensor subtracted, broadcast against this one; same dtype.</param>
        /// <returns>A new tensor of the broadcast shape and the inputs' dtype.</returns>
        public Tensor Sub(Tensor other)
        {
            var result = Broadcasting.Binary("sub", self, other, default(SubKernel));
            return Tensor.Record(SubDefinition.Instance, result, [self, other], g => [g, other.RequiresGrad ? -g : null]);
        }

        /// <summary>a · b elementwise with broadcasting (<c>torch.mul</c>). d/da = b, d/db = a.</summary>
        /// <param name="other">The tensor multiplied by, broadcast against this one; same dtype.</param>
        /// <returns>A new tensor of the broadcast shape and the inputs' dtype.</returns>
        public Tensor Mul(Tensor other)
        {
            var result = Broadcasting.Binary("mul", self, other, default(MulKernel));
            var (a, b) = (self, other);
            return Tensor.Record(MulDefinition.Instance, result, [a, b], g => [a.RequiresGrad ? g * b : null, b.RequiresGrad ? g * a : null]);
        }

        /// <summary>a / b elementwise with broadcasting (<c>torch.div</c>). d/da = 1/b, d/db = −a/b².</summary>
        /// <param name="other">The divisor, broadcast against this one; same dtype.</param>
        /// <returns>A new tensor of the broadcast shape and the inputs' dtype.</returns>
        public Tensor Div(Tensor other)
        {
            var result = Broadcasting.Binary("div", self, other, default(DivKernel));
            var (a, b) = (self, other);
            return Tensor.Record(DivDefinition.Instance, result, [a, b], g => [a.RequiresGrad ? g / b : null, b.RequiresGrad ? -g * a / (b * b) : null]);
        }

        /// <summary>−x (<c>torch.neg</c>). d/dx = −1.</summary>
        /// <returns>A new tensor of this one's shape and dtype.</returns>
        public Tensor Neg()
        {
            var result = Tensor.Map("neg", self, TensorPrimitives.Negate, TensorPrimitives.Negate);
            return Tensor.Record(NegDefinition.Instance, result, [self], g => [-g]);
        }

        /// <summary>x^p for a scalar exponent (<c>torch.pow</c>). d/dx = p·x^(p−1).</summary>
        /// <param name="exponent">The exponent p applied to every element, e.g. 2 for a square or 0.5 for a square root.</param>
        /// <returns>A new tensor of this one's shape and dtype.</returns>
        public Tensor Pow(double exponent)
        {
            var x = self;
            var result = Tensor.Map("pow", x, (s, d) => TensorPrimitives.Pow(s, (float)exponent, d), (s, d) => TensorPrimitives.Pow(s, exponent, d));
            return Tensor.Record(new PowDefinition(exponent), result, [x], g => [g * exponent * x.Pow(exponent - 1)]);
        }

        /// <summary>
        /// aᵇ elementwise with a tensor exponent and broadcasting (<c>torch.pow(a, b)</c>).
        /// ∂/∂a = b·a^(b−1) (0 where b = 0), ∂/∂b = aᵇ·ln a (0 where a = 0 and b ≥ 0), PyTorch's conventions.
        /// </summary>
        /// <param name="exponent">The exponent b, broadcasting with this tensor, of its dtype.</param>
        /// <returns>A new tensor of the broadcast shape and the inputs' dtype.</returns>
        /// <exception cref="ArgumentException">The shapes do not broadcast or the dtypes differ.</exception>
        public Tensor Pow(Tensor exponent)
        {
            ArgumentNullException.ThrowIfNull(exponent);
            var (a, b) = (self, exponent);
            var y = Broadcasting.Binary("pow", a, b, default(PowKernel));
            return Tensor.Record(PowTensorDefinition.Instance, y, [a, b], g =>
            {
                if (Autograd.IsGradEnabled)
                {
                    // The backward pass is recorded (createGraph): the slopes as ops.
                    return [a.RequiresGrad ? g * PowBaseSlope(a, b) : null, b.RequiresGrad ? g * PowExponentSlope(a, b) : null];
                }

                var ea = Broadcasting.Expand("pow", a, y._shape);
                var eb = Broadcasting.Expand("pow", b, y._shape);
                Tensor? ga = null, gb = null;
                if (a.RequiresGrad)
                {
                    ga = g * Tensor.Zip(ea, eb, (u, v) => v == 0 ? 0 : v * Math.Pow(u, v - 1));
                }

                if (b.RequiresGrad)
                {
                    gb = g * Tensor.Zip(ea, eb, (u, v) => u == 0 && v >= 0 ? 0 : Math.Pow(u, v) * Math.Log(u));
                }

                return [ga, gb];
            });
        }

        /// <summary>
        /// max(a, b) elementwise with broadcasting (<c>torch.maximum</c>); NaN if either is NaN.
        /// ∂/∂a = 1 where a &gt; b, ½ where a = b, 0 where a &lt; b, and ∂/∂b the mirror: ties split the
        /// gradient half-half, as PyTorch's.
        /// </summary>
        /// <param name="other">The other tensor, broadcasting with this one, of its dtype.</param>
        /// <returns>A new tensor of the broadcast shape and the inputs' dtype.</returns>
        /// <exception cref="ArgumentException">The shapes do not broadcast or the dtypes differ.</exception>
        public Tensor Maximum(Tensor other) => self.Extremum(other, max: true);

        /// <summary>
        /// min(a, b) elementwise with broadcasting (<c>torch.minimum</c>); NaN if either is NaN.
        /// ∂/∂a = 1 where a &lt; b, ½ where a = b, 0 where a &gt; b, and ∂/∂b the mirror (ties split half-half).
        /// </summary>
        /// <param name="other">The other tensor, broadcasting with this one, of its dtype.</param>
        /// <returns>A new tensor of the broadcast shape and the inputs' dtype.</returns>
        /// <exception cref="ArgumentException">The shapes do not broadcast or the dtypes differ.</exception>
        public Tensor Minimum(Tensor other) => self.Extremum(other, max: false);

        private Tensor Extremum(Tensor other, bool max)
        {
            ArgumentNullException.ThrowIfNull(other);
            string op = max ? "maximum" : "minimum";
            var (a, b) = (self, other);
            var y = max ? Broadcasting.Binary(op, a, b, default(MaxKernel)) : Broadcasting.Binary(op, a, b, default(MinKernel));
            var definition = max ? (OpDefinition)MaximumDefinition.Instance : MinimumDefinition.Instance;
            return Tensor.Record(definition, y, [a, b], g =>
            {
                var ea = Broadcasting.Expand(op, a, y._shape);
                var eb = Broadcasting.Expand(op, b, y._shape);

                // PyTorch: g, halved where a = b, zeroed where the other side wins (NaN compares false: both get g).
                static double Share(double mine, double theirs, bool max) =>
                    mine == theirs ? 0.5 : (max ? mine < theirs : mine > theirs) ? 0 : 1;
                return
                [
                    a.RequiresGrad ? g * Tensor.Zip(ea, eb, (u, v) => Share(u, v, max)) : null,
                    b.RequiresGrad ? g * Tensor.Zip(eb, ea, (u, v) => Share(u, v, max)) : null,
                ];
            });
        }
    }

    /// <summary>
    /// ∂aᵇ/∂a = b·aᵇ⁻¹ as recorded ops, 0 where b = 0; a is taken as 1 there, so that no infinite
    /// 0ᵇ⁻¹ enters the graph and the second derivatives stay finite (the "safe where").
    /// </summary>
    internal static Tensor PowBaseSlope(Tensor a, Tensor b)
    {
        var zero = b.Eq(0.0);
        var one = Tensor.Constant(1.0, a);
        var safeA = Tensor.Where(zero, one, a);
        return Tensor.Where(zero, Tensor.Constant(0.0, a), b * safeA.Pow(b - 1.0));
    }

    /// <summary>∂aᵇ/∂b = aᵇ·ln a as recorded ops, 0 where a = 0 and b ≥ 0 (a taken as 1 there, so no ln 0 enters the graph).</summary>
    internal static Tensor PowExponentSlope(Tensor a, Tensor b)
    {
        var zero = a.Eq(0.0) * b.Ge(0.0);
        var safeA = Tensor.Where(zero, Tensor.Constant(1.0, a), a);
        return Tensor.Where(zero, Tensor.Constant(0.0, a), safeA.Pow(b) * safeA.Log());
    }

    extension(Tensor)
    {
        /// <summary>Elementwise sum with broadcasting.</summary>
        /// <param name="a">The left operand.</param>
        /// <param name="b">The right operand, broadcast against <paramref name="a"/>.</param>
        /// <returns><paramref name="a"/> + <paramref name="b"/>, a new tensor of the broadcast shape and their dtype.</returns>
        public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);

        /// <summary>Adds a scalar.</summary>
        /// <param name="a">The tensor.</param>
        /// <param name="b">The number added to every element.</param>
        /// <returns><paramref name="a"/> + <paramref name="b"/>, a new tensor of a's shape and dtype.</returns>
        public static Tensor operator +(Tensor a, double b) => a.Add(Tensor.Constant(b, a));

        /// <summary>Adds a scalar.</summary>
        /// <param name="a">The number added to every element.</param>
        /// <param name="b">The tensor.</param>
        /// <returns><paramref name="a"/> + <paramref name="b"/>, a new tensor of b's shape and dtype.</returns>
        public static Tensor operator +(double a, Tensor b) => Tensor.Constant(a, b).Add(b);

        /// <summary>Elementwise difference with broadcasting.</summary>
        /// <param name="a">The left operand.</param>
        /// <param name="b">The right operand, broadcast against <paramref name="a"/>.</param>
        /// <returns><paramref name="a"/> − <paramref name="b"/>, a new tensor of the broadcast shape and their dtype.</returns>
        public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);

        /// <summary>Subtracts a scalar.</summary>
        /// <param name="a">The tensor.</param>
        /// <param name="b">The number subtracted from every element.</param>
        /// <returns><paramref name="a"/> − <paramref name="b"/>, a new tensor of a's shape and dtype.</returns>
        public static Tensor operator -(Tensor a, double b) => a.Sub(Tensor.Constant(b, a));

        /// <summary>Subtracts from a scalar.</summary>
        /// <param name="a">The number every element is subtracted from.</param>
        /// <param name="b">The tensor.</param>
        /// <returns><paramref name="a"/> − <paramref name="b"/>, a new tensor of b's shape and dtype.</returns>
        public static Tensor operator -(double a, Tensor b) => Tensor.Constant(a, b).Sub(b);

        /// <summary>Elementwise product with broadcasting.</summary>
        /// <param name="a">The left operand.</param>
        /// <param name="b">The right operand, broadcast against <paramref name="a"/>.</param>
        /// <returns><paramref name="a"/> · <paramref name="b"/>, a new tensor of the broadcast shape and their dtype.</returns>
        public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);

        /// <summary>Multiplies by a scalar.</summary>
        /// <param name="a">The tensor.</param>
        /// <param name="b">The number every element is multiplied by.</param>
        /// <returns><paramref name="a"/> · <paramref name="b"/>, a new tensor of a's shape and dtype.</returns>
        public static Tensor operator *(Tensor a, double b) => a.Mul(Tensor.Constant(b, a));

        /// <summary>Multiplies by a scalar.</summary>
        /// <param name="a">The number every element is multiplied by.</param>
        /// <param name="b">The tensor.</param>
        /// <returns><paramref name="a"/> · <paramref name="b"/>, a new tensor of b's shape and dtype.</returns>
        public static Tensor operator *(double a, Tensor b) => Tensor.Constant(a, b).Mul(b);

        /// <summary>Elementwise quotient with broadcasting.</summary>
        /// <param name="a">The dividend.</param>
        /// <param name="b">The divisor, broadcast against <paramref name="a"/>.</param>
        /// <returns><paramref name="a"/> / <paramref name="b"/>, a new tensor of the broadcast shape and their dtype.</returns>
        public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);

        /// <summary>Divides by a scalar.</summary>
        /// <param name="a">The dividend.</param>
        /// <param name="b">The number every element is divided by.</param>
        /// <returns><paramref name="a"/> / <paramref name="b"/>, a new tensor of a's shape and dtype.</returns>
        public static Tensor operator /(Tensor a, double b) => a.Div(Tensor.Constant(b, a));

        /// <summary>Divides a scalar by each element.</summary>
        /// <param name="a">The number divided by every element.</param>
        /// <param name="b">The divisor.</param>
        /// <returns><paramref name="a"/> / <paramref name="b"/>, a new tensor of b's shape and dtype.</returns>
        public static Tensor operator /(double a, Tensor b) => Tensor.Constant(a, b).Div(b);

        /// <summary>Negation.</summary>
        /// <param name="a">The tensor negated.</param>
        /// <returns>−<paramref name="a"/>, a new tensor of its shape and dtype.</returns>
        public static Tensor operator -(Tensor a) => a.Neg();
    }

    /// <summary>
    /// The tangent of maximum (or minimum) of a and b: ȧ where a wins, ḃ where b wins, their mean at a
    /// tie (the backward's half-half split).
    /// </summary>
    internal static Tensor? ExtremumTangent(Tensor a, Tensor b, Tensor? ta, Tensor? tb, bool max)
    {
        var aWins = (max ? a.Gt(b) : a.Lt(b)) + (a.Eq(b) * 0.5);
        return OpDefinition.SumOfTangents(ta is null ? null : ta * aWins, tb is null ? null : tb * (1.0 - aWins));
    }

    /// <summary>
    /// g · factor inside a backward function whose upstream gradient is <paramref name="g"/>: written over
    /// g when the backward's <paramref name="context"/> allows it (<see cref="BackwardContext.TakeReusable"/>)
    /// and the shapes and dtypes agree, else a new tensor. The same products either way.
    /// </summary>
    internal static Tensor MulGradient(BackwardContext context, Tensor g, Tensor factor)
    {
        bool inPlace = g.DType == factor.DType && g._shape.AsSpan().SequenceEqual(factor._shape) && context.TakeReusable(g);
        return inPlace ? Broadcasting.Binary("mul", g, factor, default(MulKernel), into: g) : g * factor;
    }

    /// <summary>max(x, y) elementwise, NaN-propagating (IEEE 754:2019 maximum).</summary>
    internal readonly struct MaxKernel : IBinaryKernel
    {
        public void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Max(x, y, d);

        public void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Max(x, y, d);

        public void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Max(y, x, d);
    }

    /// <summary>min(x, y) elementwise, NaN-propagating (IEEE 754:2019 minimum).</summary>
    internal readonly struct MinKernel : IBinaryKernel
    {
        public void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Min(x, y, d);

        public void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Min(x, y, d);

        public void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Min(y, x, d);
    }

    private readonly struct PowKernel : IBinaryKernel
    {
        public void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Pow(x, y, d);

        public void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Pow(x, y, d);

        public void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Pow(x, y, d);
    }

    private readonly struct AddKernel : IBinaryKernel
    {
        public void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Add(x, y, d);

        public void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Add(x, y, d);

        public void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Add(y, x, d);
    }

    private readonly struct SubKernel : IBinaryKernel
    {
        public void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Subtract(x, y, d);

        public void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Subtract(x, y, d);

        public void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Subtract(x, y, d);
    }

    private readonly struct MulKernel : IBinaryKernel
    {
        public void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(x, y, d);

        public void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(x, y, d);

        public void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(y, x, d);
    }

    private readonly struct DivKernel : IBinaryKernel
    {
        public void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Divide(x, y, d);

        public void Apply<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Divide(x, y, d);

        public void Apply<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Divide(x, y, d);
    }
}

/// <summary>The definition of <see cref="ArithmeticOps.Add"/> (no attributes).</summary>
public sealed class AddDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        SumOfTerms(tangents[0], tangents[1]);

    private AddDefinition()
        : base("add", "y = a + b; ∂y/∂a = 1, ∂y/∂b = 1")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static AddDefinition Instance { get; } = new();

    /// <summary>ONNX Add(a, b), which broadcasts as NumPy does, as add does.</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "Add");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("add", x => x[0] + x[1], OpRegistry.In([3, 4]), OpRegistry.In([3, 4])),
        new("add_broadcast", x => x[0] + x[1], OpRegistry.In([2, 3, 4]), OpRegistry.In([3, 1])),
        new("add_scalar", x => x[0] + 2.5, OpRegistry.In([3, 4])),
    ];
}

/// <summary>The definition of <see cref="ArithmeticOps.Sub"/> (no attributes).</summary>
public sealed class SubDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        SumOfTerms(tangents[0], tangents[1] is { } tb ? -tb : null);

    private SubDefinition()
        : base("sub", "y = a − b; ∂y/∂a = 1, ∂y/∂b = −1")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static SubDefinition Instance { get; } = new();

    /// <summary>ONNX Sub(a, b), broadcasting as NumPy does.</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "Sub");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("sub", x => x[0] - x[1], OpRegistry.In([3, 4]), OpRegistry.In([4])),
        new("rsub_scalar", x => 1.5 - x[0], OpRegistry.In([3, 4])),
    ];
}

/// <summary>The definition of <see cref="ArithmeticOps.Mul"/> (no attributes).</summary>
public sealed class MulDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        SumOfTerms(tangents[0] is { } ta ? ta * inputs[1] : null, tangents[1] is { } tb ? inputs[0] * tb : null);

    private MulDefinition()
        : base("mul", "y = a·b; ∂y/∂a = b, ∂y/∂b = a")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static MulDefinition Instance { get; } = new();

    /// <summary>ONNX Mul(a, b), broadcasting as NumPy does.</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "Mul");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("mul", x => x[0] * x[1], OpRegistry.In([3, 4]), OpRegistry.In([3, 4])),
        new("mul_broadcast", x => x[0] * x[1], OpRegistry.In([4, 1]), OpRegistry.In([1, 3])),
    ];
}

/// <summary>The definition of <see cref="ArithmeticOps.Div"/> (no attributes).</summary>
public sealed class DivDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        SumOfTerms(tangents[0] is { } ta ? ta / inputs[1] : null, tangents[1] is { } tb ? -(tb * output / inputs[1]) : null);

    private DivDefinition()
        : base("div", "y = a/b; ∂y/∂a = 1/b, ∂y/∂b = −a/b²")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static DivDefinition Instance { get; } = new();

    /// <summary>ONNX Div(a, b), broadcasting as NumPy does.</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "Div");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("div", x => x[0] / x[1], OpRegistry.In([3, 4]), OpRegistry.In([3, 4], 0.5, 2)),
        new("div_broadcast", x => x[0] / x[1], OpRegistry.In([2, 3]), OpRegistry.In([3], -2, -0.5)),
    ];
}

/// <summary>The definition of <see cref="ArithmeticOps.Neg"/> (no attributes).</summary>
public sealed class NegDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        -tangents[0]!;

    private NegDefinition()
        : base("neg", "y = −x; ∂y/∂x = −1")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static NegDefinition Instance { get; } = new();

    /// <summary>ONNX Neg(x).</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "Neg");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("neg", x => -x[0], OpRegistry.In([3, 4])),
    ];
}

/// <summary>The definition of <see cref="ArithmeticOps.extension(Tensor).Pow(double)"/> with its scalar exponent.</summary>
public sealed class PowDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]! * Exponent * inputs[0].Pow(Exponent - 1);

    internal PowDefinition(double exponent)
        : base("pow", "y = xᵖ; ∂y/∂x = p·xᵖ⁻¹")
    {
        Exponent = exponent;
    }

    /// <summary>The scalar exponent p (PyTorch's <c>exponent</c>).</summary>
    public double Exponent { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"exponent: {FormatNumber(Exponent)}";

    /// <summary>ONNX Pow(x, p) with the exponent p as a scalar constant.</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        return onnx.Node("Pow", [onnx.Input(0), onnx.Constant([(float)Exponent], [])]);
    }

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("pow", x => x[0].Pow(3), OpRegistry.In([3, 4])),
        new("pow_fractional", x => x[0].Pow(-1.5), OpRegistry.In([3, 4], 0.5, 2)),
    ];
}

/// <summary>The definition of <see cref="ArithmeticOps.extension(Tensor).Pow(Tensor)"/>, a tensor exponent (no attributes).</summary>
public sealed class PowTensorDefinition : OpDefinition, IGradCheckSamples
{
    private PowTensorDefinition()
        : base("pow", "y = aᵇ; ∂y/∂a = b·aᵇ⁻¹ (0 where b = 0), ∂y/∂b = aᵇ·ln a (0 where a = 0, b ≥ 0)")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static PowTensorDefinition Instance { get; } = new();

    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        SumOfTerms(
            tangents[0] is { } ta ? ta * ArithmeticOps.PowBaseSlope(inputs[0], inputs[1]) : null,
            tangents[1] is { } tb ? tb * ArithmeticOps.PowExponentSlope(inputs[0], inputs[1]) : null);

    /// <summary>ONNX Pow(a, b), broadcasting as NumPy does.</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "Pow");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("pow_tensor", x => x[0].Pow(x[1]), OpRegistry.In([3, 4], 0.5, 2), OpRegistry.In([3, 4])),
        new("pow_tensor_broadcast", x => x[0].Pow(x[1]), OpRegistry.In([2, 3], 0.5, 2), OpRegistry.In([3], -1.5, 2.5)),
    ];
}

/// <summary>The definition of <see cref="ArithmeticOps.extension(Tensor).Maximum(Tensor)"/> (no attributes).</summary>
public sealed class MaximumDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        ArithmeticOps.ExtremumTangent(inputs[0], inputs[1], tangents[0], tangents[1], max: true);

    private MaximumDefinition()
        : base("maximum", "y = max(a, b); ∂y/∂a = 1 where a > b, ½ where a = b, else 0; ∂y/∂b the mirror")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static MaximumDefinition Instance { get; } = new();

    /// <summary>ONNX Max(a, b), broadcasting as NumPy does.</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "Max");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("maximum", x => x[0].Maximum(x[1]), OpRegistry.In([3, 4]), OpRegistry.In([3, 4])),
        new("maximum_broadcast", x => x[0].Maximum(x[1]), OpRegistry.In([2, 3]), OpRegistry.In([3])),
    ];
}

/// <summary>The definition of <see cref="ArithmeticOps.extension(Tensor).Minimum(Tensor)"/> (no attributes).</summary>
public sealed class MinimumDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        ArithmeticOps.ExtremumTangent(inputs[0], inputs[1], tangents[0], tangents[1], max: false);

    private MinimumDefinition()
        : base("minimum", "y = min(a, b); ∂y/∂a = 1 where a < b, ½ where a = b, else 0; ∂y/∂b the mirror")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static MinimumDefinition Instance { get; } = new();

    /// <summary>ONNX Min(a, b), broadcasting as NumPy does.</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) => LowerAs(onnx, "Min");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("minimum", x => x[0].Minimum(x[1]), OpRegistry.In([3, 4]), OpRegistry.In([3, 4])),
        new("minimum_broadcast", x => x[0].Minimum(x[1]), OpRegistry.In([4, 1]), OpRegistry.In([1, 3])),
    ];
}
