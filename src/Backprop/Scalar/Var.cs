using System.Globalization;
using R = Backprop.Scalar.ScalarRules<double, Backprop.Scalar.Numbers>;

namespace Backprop.Scalar;

/// <summary>
/// A scalar on a <see cref="Tape"/>: a handle (the tape and a slot) with the operators of
/// <see cref="Value"/>. Every operation records one node on the tape, holding the forward value and,
/// computed right beside it, ∂out/∂input for each input; <see cref="Backward"/> applies the chain
/// rule over the tape in reverse. The formulas are those of <see cref="Value"/> (both read <see cref="ScalarRules{T, TAlgebra}"/>), composites included, so
/// both engines compute the same forward values bit for bit, and the same gradients up to the order in
/// which a node used several times adds up its terms (recording order here, depth-first order there).
/// </summary>
/// <example>
/// <c>var t = new Tape(); Var a = t.Leaf(2), b = t.Leaf(-3); Var f = a * b + 1; f.Backward();</c>
/// leaves ∂f/∂a = b = −3 in <c>a.Grad</c> and ∂f/∂b = a = 2 in <c>b.Grad</c>.
/// </example>
public readonly struct Var
{
    private readonly Tape? _tape;
    private readonly int _index;

    internal Var(Tape tape, int index)
    {
        _tape = tape;
        _index = index;
    }

    /// <summary>The tape that recorded this node.</summary>
    /// <exception cref="InvalidOperationException">This is <c>default(Var)</c>, which belongs to no tape.</exception>
    public Tape Tape => _tape ?? throw new InvalidOperationException(
        "This Var is default(Var) and belongs to no tape; make one with Tape.Leaf or an operation on another Var.");

    /// <summary>The value computed by the forward pass; on a leaf, set it to update a parameter (<c>w.Data -= η * w.Grad</c>).</summary>
    public double Data
    {
        get => Tape.GetData(_index);
        set => Tape.SetData(_index, value);
    }

    /// <summary>∂y/∂this, accumulated by <see cref="Backward"/> (PyTorch: <c>tensor.grad</c>); set it to 0 before a fresh backward pass.</summary>
    public double Grad
    {
        get => Tape.GetGrad(_index);
        set => Tape.SetGrad(_index, value);
    }

    /// <summary>The operation that recorded this node, <see cref="TapeOp.Leaf"/> for an input, parameter or constant.</summary>
    public TapeOp Op => Tape.GetOp(_index);

    // ---- Primitive ops: the forward value, then ∂out/∂input for each input from the rule table (ScalarRules), as in Value. ----

    /// <summary>a + b; ∂/∂a = 1, ∂/∂b = 1 (PyTorch: <c>torch.add</c>).</summary>
    /// <param name="a">Left operand.</param>
    /// <param name="b">Right operand.</param>
    /// <returns>A new variable on the same tape holding a + b.</returns>
    /// <exception cref="ArgumentException">a and b are on different tapes.</exception>
    public static Var operator +(Var a, Var b) =>
        Binary(TapeOp.Add, a, b, a.Data + b.Data, R.AddDerivatives());

    /// <summary>a · b; ∂/∂a = b, ∂/∂b = a (PyTorch: <c>torch.mul</c>).</summary>
    /// <param name="a">Left operand.</param>
    /// <param name="b">Right operand.</param>
    /// <returns>A new variable on the same tape holding a · b.</returns>
    /// <exception cref="ArgumentException">a and b are on different tapes.</exception>
    public static Var operator *(Var a, Var b)
    {
        double x = a.Data, y = b.Data;
        return Binary(TapeOp.Mul, a, b, x * y, R.MultiplyDerivatives(x, y));
    }

    /// <summary>xᵖ for a constant p; d/dx = p·xᵖ⁻¹ (PyTorch: <c>torch.pow</c>).</summary>
    /// <param name="exponent">The constant exponent p.</param>
    /// <returns>A new variable on the same tape holding xᵖ.</returns>
    public Var Pow(double exponent)
    {
        double x = Data;
        return Unary(TapeOp.Pow, Math.Pow(x, exponent), R.PowerBaseDerivative(x, exponent));
    }

    /// <summary>eˣ; d/dx = eˣ, the output itself (PyTorch: <c>torch.exp</c>).</summary>
    /// <returns>A new variable on the same tape holding eˣ.</returns>
    public Var Exp()
    {
        double e = Math.Exp(Data);
        return Unary(TapeOp.Exp, e, R.ExpDerivative(e));
    }

    /// <summary>ln x for x &gt; 0; d/dx = 1/x (PyTorch: <c>torch.log</c>).</summary>
    /// <returns>A new variable on the same tape holding ln x.</returns>
    /// <exception cref="ArgumentOutOfRangeException">This value is zero or negative.</exception>
    public Var Log()
    {
        double x = Data;
        if (x <= 0)
        {
            throw new ArgumentOutOfRangeException("value", x,
                $"Log is defined for positive numbers only, but the value is {x.ToString(CultureInfo.InvariantCulture)}.");
        }

        return Unary(TapeOp.Log, Math.Log(x), R.LogDerivative(x));
    }

    /// <summary>tanh x; d/dx = 1 − tanh²x (PyTorch: <c>torch.tanh</c>).</summary>
    /// <returns>A new variable on the same tape holding tanh x, in (−1, 1).</returns>
    public Var Tanh()
    {
        double t = Math.Tanh(Data);
        return Unary(TapeOp.Tanh, t, R.TanhDerivative(t));
    }

    /// <summary>σ(x) = 1 / (1 + e⁻ˣ); d/dx = σ(1 − σ) (PyTorch: <c>torch.sigmoid</c>).</summary>
    /// <returns>A new variable on the same tape holding σ(x), in [0, 1].</returns>
    /// <remarks>As in <see cref="Value.Sigmoid"/>, e⁻ˣ is only evaluated for x ≥ 0, so no intermediate overflows.</remarks>
    public Var Sigmoid()
    {
        double s = ScalarForward.Sigmoid(Data);
        return Unary(TapeOp.Sigmoid, s, R.SigmoidDerivative(s));
    }

    /// <summary>max(0, x); d/dx = 1 if x &gt; 0, else 0 (PyTorch: <c>torch.relu</c>).</summary>
    /// <returns>A new variable on the same tape holding max(0, x).</returns>
    public Var Relu()
    {
        double x = Data;
        return Unary(TapeOp.Relu, Math.Max(0, x), R.ReluDerivative(x));
    }

    // ---- Constants: a double operand becomes a leaf, as Value's implicit conversion does. ----

    /// <summary>a + c, with c recorded as a constant leaf.</summary>
    /// <param name="a">Left operand.</param>
    /// <param name="c">The constant.</param>
    /// <returns>A new variable on a's tape holding a + c.</returns>
    public static Var operator +(Var a, double c) => a + a.Tape.Leaf(c);

    /// <summary>c + a, with c recorded as a constant leaf.</summary>
    /// <param name="c">The constant.</param>
    /// <param name="a">Right operand.</param>
    /// <returns>A new variable on a's tape holding c + a.</returns>
    public static Var operator +(double c, Var a) => a.Tape.Leaf(c) + a;

    /// <summary>a · c, with c recorded as a constant leaf.</summary>
    /// <param name="a">Left operand.</param>
    /// <param name="c">The constant.</param>
    /// <returns>A new variable on a's tape holding a · c.</returns>
    public static Var operator *(Var a, double c) => a * a.Tape.Leaf(c);

    /// <summary>c · a, with c recorded as a constant leaf.</summary>
    /// <param name="c">The constant.</param>
    /// <param name="a">Right operand.</param>
    /// <returns>A new variable on a's tape holding c · a.</returns>
    public static Var operator *(double c, Var a) => a.Tape.Leaf(c) * a;

    // ---- Composites: rewritten in terms of the primitives, as in Value. ----

    /// <summary>−a = a · (−1).</summary>
    /// <param name="a">The operand.</param>
    /// <returns>A new variable on a's tape holding −a.</returns>
    public static Var operator -(Var a) => a * -1;

    /// <summary>a − b = a + (−b).</summary>
    /// <param name="a">Left operand.</param>
    /// <param name="b">Right operand.</param>
    /// <returns>A new variable on the same tape holding a − b.</returns>
    public static Var operator -(Var a, Var b) => a + (-b);

    /// <summary>a − c = a + (−c), with c recorded as a constant leaf.</summary>
    /// <param name="a">Left operand.</param>
    /// <param name="c">The constant.</param>
    /// <returns>A new variable on a's tape holding a − c.</returns>
    public static Var operator -(Var a, double c) => a - a.Tape.Leaf(c);

    /// <summary>c − a = c + (−a), with c recorded as a constant leaf.</summary>
    /// <param name="c">The constant.</param>
    /// <param name="a">Right operand.</param>
    /// <returns>A new variable on a's tape holding c − a.</returns>
    public static Var operator -(double c, Var a) => a.Tape.Leaf(c) - a;

    /// <summary>a / b = a · b⁻¹.</summary>
    /// <param name="a">Numerator.</param>
    /// <param name="b">Denominator.</param>
    /// <returns>A new variable on the same tape holding a / b.</returns>
    public static Var operator /(Var a, Var b) => a * b.Pow(-1);

    /// <summary>a / c = a · c⁻¹, with c recorded as a constant leaf.</summary>
    /// <param name="a">Numerator.</param>
    /// <param name="c">The constant denominator.</param>
    /// <returns>A new variable on a's tape holding a / c.</returns>
    public static Var operator /(Var a, double c) => a / a.Tape.Leaf(c);

    /// <summary>c / a = c · a⁻¹, with c recorded as a constant leaf.</summary>
    /// <param name="c">The constant numerator.</param>
    /// <param name="a">Denominator.</param>
    /// <returns>A new variable on a's tape holding c / a.</returns>
    public static Var operator /(double c, Var a) => a.Tape.Leaf(c) / a;

    // ---- The backward pass. ----

    /// <summary>
    /// Back-propagates from this value y over its tape: seeds ∂y/∂y = 1, then visits the nodes recorded
    /// up to y from last to first (a reverse topological order, since a node is recorded after its inputs)
    /// and adds ∂y/∂u · ∂u/∂v into each input v of each node u (PyTorch: <c>loss.backward()</c>).
    /// Every node's <see cref="Grad"/> is increased by ∂y/∂node, so gradients accumulate across calls
    /// until they are set to 0 (<see cref="Tape.ZeroGrad"/>).
    /// </summary>
    public void Backward() => Tape.Backward(_index);

    /// <summary>Formats as <c>Var(data=…, grad=…)</c>, like <see cref="Value.ToString"/>.</summary>
    /// <returns>The text, e.g. <c>Var(data=0.5, grad=1)</c>.</returns>
    public override string ToString() =>
        _tape is null ? "Var(default)" : string.Create(CultureInfo.InvariantCulture, $"Var(data={Data}, grad={Grad})");

    private Var Unary(TapeOp op, double data, double derivative) =>
        Tape.Record(op, data, _index, derivative);

    private static Var Binary(TapeOp op, Var a, Var b, double data, (double DA, double DB) derivatives) =>
        SameTape(a, b).Record(op, data, a._index, derivatives.DA, b._index, derivatives.DB);

    private static Tape SameTape(Var a, Var b)
    {
        Tape tape = a.Tape;
        if (!ReferenceEquals(tape, b.Tape))
        {
            throw new ArgumentException("The operands of an operation on Vars must be on the same tape; these are on two different tapes.");
        }

        return tape;
    }
}
