namespace Backprop.Explain;

/// <summary>
/// The operations of explain programs. Each case computes the forward value and, right beside it,
/// the local derivative with respect to each input, as a number and as a formula, so one can be
/// checked against the other by reading them together (as in micrograd and <see cref="Scalar.Value"/>).
/// Derivatives that are the output itself (exp, tanh, sigmoid, sqrt) are written with the output's
/// name: the backward pass reuses the stored forward value instead of recomputing it.
/// </summary>
internal static class ExpressionOps
{
    public readonly record struct Result(double Value, double[] Local, Formula[] LocalFormulas);

    /// <summary>Applies <paramref name="op"/> named <paramref name="name"/> to <paramref name="inputs"/>; a domain error names the operation and its position.</summary>
    public static Result Apply(string op, ExpressionNode[] inputs, string name, Formula formula, SourcePosition at)
    {
        ExpressionNode a = inputs[0];
        Formula aRef = a.Reference, self = Formula.Symbol(name);
        Formula one = Formula.Number(1);
        double x = a.Value;
        string Where() => $"'{formula.ToText()}'";

        switch (op)
        {
            case "+":
                return new(x + inputs[1].Value, [1, 1], [one, one]);
            case "-":
                return new(x - inputs[1].Value, [1, -1], [one, Formula.Number(-1)]);
            case "*":
                {
                    ExpressionNode b = inputs[1];
                    return new(x * b.Value, [b.Value, x], [b.Reference, aRef]);        // ∂/∂a = b, ∂/∂b = a
                }

            case "/":
                {
                    ExpressionNode b = inputs[1];
                    double y = b.Value;
                    if (y == 0)
                    {
                        throw at.Error($"division by zero in {Where()}: {b.Name} is 0");
                    }

                    return new(x / y, [1 / y, -x / (y * y)],                       // ∂/∂a = 1/b, ∂/∂b = −a/b²
                        [Formula.Divide(one, b.Reference), Formula.Negate(Formula.Divide(aRef, Formula.Power(b.Reference, Formula.Number(2))))]);
                }

            case "^":
                return Power(a, inputs[1], self, Where(), at);
            case "neg":
                return new(-x, [-1], [Formula.Number(-1)]);
            case "=":
                return new(x, [1], [one]);
            case "exp":
                {
                    double e = Math.Exp(x);
                    return new(e, [e], [self]);                                     // d/dx eˣ = eˣ, the output
                }

            case "log":
                if (x <= 0)
                {
                    throw at.Error($"log of {ExplainNumber.Format(x)} is undefined (log needs a positive argument) in {Where()}");
                }

                return new(Math.Log(x), [1 / x], [Formula.Divide(one, aRef)]);        // d/dx ln x = 1/x
            case "sqrt":
                {
                    if (x < 0)
                    {
                        throw at.Error($"sqrt of {ExplainNumber.Format(x)} is undefined (sqrt needs a non-negative argument) in {Where()}");
                    }

                    double s = Math.Sqrt(x);
                    return new(s, [1 / (2 * s)], [Formula.Divide(one, Formula.Multiply(Formula.Number(2), self))]); // 1/(2√x)
                }

            case "tanh":
                {
                    double t = Math.Tanh(x);
                    return new(t, [1 - (t * t)], [Formula.Subtract(one, Formula.Power(self, Formula.Number(2)))]); // 1 − tanh²
                }

            case "sigmoid":
                {
                    // Evaluated so that no intermediate overflows: e⁻ˣ only for x ≥ 0.
                    double s = x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
                    return new(s, [s * (1 - s)], [Formula.Multiply(self, Formula.Subtract(one, self))]); // σ(1 − σ)
                }

            case "relu":
                return new(Math.Max(0, x), [x > 0 ? 1 : 0], [Formula.Positive(aRef)]); // 1 if x > 0, else 0
            case "abs":
                return new(Math.Abs(x), [Math.Sign(x)], [Formula.Call("sign", aRef)]); // sign(x), 0 at 0 as in PyTorch
            default:
                throw new InvalidOperationException($"explain: unknown operation '{op}'");
        }
    }

    /// <summary>aᵇ: ∂/∂a = b·aᵇ⁻¹; ∂/∂b = aᵇ·ln a, needed (and defined) only when b depends on the inputs and a &gt; 0.</summary>
    private static Result Power(ExpressionNode a, ExpressionNode b, Formula self, string where, SourcePosition at)
    {
        double x = a.Value, p = b.Value;
        if (x == 0 && p < 0)
        {
            throw at.Error($"division by zero in {where}: {a.Name} is 0 and the exponent is negative");
        }

        if (x < 0 && p != Math.Round(p))
        {
            throw at.Error($"{ExplainNumber.Format(x)}^{ExplainNumber.Format(p)} is undefined (a negative base needs an integer exponent) in {where}");
        }

        if (b.RequiresGrad && x <= 0)
        {
            throw at.Error($"the exponent of {where} depends on the inputs, so its derivative a^b·log(a) needs a positive base, but {a.Name} is {ExplainNumber.Format(x)}");
        }

        double value = Math.Pow(x, p);
        Formula aRef = a.Reference, bRef = b.Reference;
        Formula dBase;
        if (b.Kind == ExpressionNodeKind.Constant)
        {
            double q = p - 1;
            dBase = q == 0 ? Formula.Number(p)
                : q == 1 ? Formula.Multiply(Formula.Number(p), aRef)
                : Formula.Multiply(Formula.Number(p), Formula.Power(aRef, Formula.Number(q)));
        }
        else
        {
            dBase = Formula.Multiply(bRef, Formula.Power(aRef, Formula.Subtract(bRef, Formula.Number(1))));
        }

        double dBaseValue = p == 0 ? 0 : p * Math.Pow(x, p - 1);
        double dExponentValue = x > 0 ? value * Math.Log(x) : double.NaN;
        return new(value, [dBaseValue, dExponentValue], [dBase, Formula.Multiply(self, Formula.Call("log", aRef))]);
    }
}
