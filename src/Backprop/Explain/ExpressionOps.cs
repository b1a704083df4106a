using Backprop.Scalar;
using F = Backprop.Scalar.ScalarRules<Backprop.Explain.Formula, Backprop.Explain.FormulaAlgebra>;
using N = Backprop.Scalar.ScalarRules<double, Backprop.Scalar.Numbers>;

namespace Backprop.Explain;

/// <summary>
/// The operations of explain programs. Each case computes the forward value and takes the local
/// derivative with respect to each input from the scalar rule table (<see cref="ScalarRules{T, TAlgebra}"/>,
/// which <see cref="Value"/> and <see cref="Tape"/> use too), evaluated twice: on numbers for the
/// value, on formulas for the text, so the two cannot disagree. Derivatives that are the output
/// itself (exp, tanh, sigmoid, sqrt) are written with the output's name: the backward pass reuses
/// the stored forward value instead of recomputing it.
/// </summary>
internal static class ExpressionOps
{
    public readonly record struct Result(double Value, double[] Local, Formula[] LocalFormulas);

    /// <summary>Applies <paramref name="op"/> named <paramref name="name"/> to <paramref name="inputs"/>; a domain error names the operation and its position.</summary>
    public static Result Apply(string op, ExpressionNode[] inputs, string name, Formula formula, SourcePosition at)
    {
        ExpressionNode a = inputs[0];
        Formula aRef = a.Reference, self = Formula.Symbol(name);
        double x = a.Value;
        string Where() => $"'{formula.ToText()}'";

        switch (op)
        {
            case "+":
                return Two(x + inputs[1].Value, N.AddDerivatives(), F.AddDerivatives());
            case "-":
                return Two(x - inputs[1].Value, N.SubtractDerivatives(), F.SubtractDerivatives());
            case "*":
                {
                    ExpressionNode b = inputs[1];
                    return Two(x * b.Value, N.MultiplyDerivatives(x, b.Value), F.MultiplyDerivatives(aRef, b.Reference));
                }

            case "/":
                {
                    ExpressionNode b = inputs[1];
                    double y = b.Value;
                    if (y == 0)
                    {
                        throw at.Error($"division by zero in {Where()}: {b.Name} is 0");
                    }

                    return Two(x / y, N.DivideDerivatives(x, y), F.DivideDerivatives(aRef, b.Reference));
                }

            case "^":
                return Power(a, inputs[1], self, Where(), at);
            case "neg":
                return One(-x, N.NegateDerivative(), F.NegateDerivative());
            case "=":
                return One(x, N.IdentityDerivative(), F.IdentityDerivative());
            case "exp":
                {
                    double e = Math.Exp(x);
                    return One(e, N.ExpDerivative(e), F.ExpDerivative(self));
                }

            case "log":
                if (x <= 0)
                {
                    throw at.Error($"log of {ExplainNumber.Format(x)} is undefined (log needs a positive argument) in {Where()}");
                }

                return One(Math.Log(x), N.LogDerivative(x), F.LogDerivative(aRef));
            case "sqrt":
                {
                    if (x < 0)
                    {
                        throw at.Error($"sqrt of {ExplainNumber.Format(x)} is undefined (sqrt needs a non-negative argument) in {Where()}");
                    }

                    double s = Math.Sqrt(x);
                    return One(s, N.SqrtDerivative(s), F.SqrtDerivative(self));
                }

            case "tanh":
                {
                    double t = Math.Tanh(x);
                    return One(t, N.TanhDerivative(t), F.TanhDerivative(self));
                }

            case "sigmoid":
                {
                    double s = ScalarForward.Sigmoid(x);
                    return One(s, N.SigmoidDerivative(s), F.SigmoidDerivative(self));
                }

            case "relu":
                return One(Math.Max(0, x), N.ReluDerivative(x), F.ReluDerivative(aRef));
            case "abs":
                return One(Math.Abs(x), N.AbsDerivative(x), F.AbsDerivative(aRef));
            default:
                throw new InvalidOperationException($"explain: unknown operation '{op}'");
        }
    }

    private static Result One(double value, double local, Formula formula) => new(value, [local], [formula]);

    private static Result Two(double value, (double DA, double DB) local, (Formula DA, Formula DB) formulas) =>
        new(value, [local.DA, local.DB], [formulas.DA, formulas.DB]);

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

        // A constant exponent enters the formula as its number, so the rule's folding gives 2·a, not b·a^(b − 1).
        Formula aRef = a.Reference, bRef = b.Kind == ExpressionNodeKind.Constant ? Formula.Number(p) : b.Reference;
        double dExponent = x > 0 ? N.PowerExponentDerivative(x, value) : double.NaN;
        return new(value, [N.PowerBaseDerivative(x, p), dExponent], [F.PowerBaseDerivative(aRef, bRef), F.PowerExponentDerivative(aRef, self)]);
    }
}
