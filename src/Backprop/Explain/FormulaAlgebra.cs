using Backprop.Scalar;

namespace Backprop.Explain;

/// <summary>
/// The scalar rules (<see cref="ScalarRules{T, TAlgebra}"/>) evaluated on formulas, for the local
/// derivatives explain prints. Numbers are folded (2 − 1 is 1, a¹ is a, a⁰ is 1, 1 · 1 is 1), so a
/// constant exponent reads 2·a, not 2·a^(2 − 1); symbols are never folded away.
/// </summary>
internal readonly struct FormulaAlgebra : IScalarAlgebra<Formula>
{
    public static Formula Constant(double value) => Formula.Number(value);

    public static bool IsZero(Formula a) => a.IsNumber(out double v) && v == 0;

    public static Formula Add(Formula a, Formula b) =>
        a.IsNumber(out double x) && b.IsNumber(out double y) ? Formula.Number(x + y) : Formula.Add(a, b);

    public static Formula Subtract(Formula a, Formula b) =>
        a.IsNumber(out double x) && b.IsNumber(out double y) ? Formula.Number(x - y) : Formula.Subtract(a, b);

    public static Formula Multiply(Formula a, Formula b) =>
        a.IsNumber(out double x) && b.IsNumber(out double y) ? Formula.Number(x * y) : Formula.Multiply(a, b);

    public static Formula Divide(Formula a, Formula b) => Formula.Divide(a, b);

    public static Formula Negate(Formula a) => Formula.Negate(a);

    public static Formula Square(Formula a) => Formula.Power(a, Formula.Number(2));

    public static Formula Power(Formula a, Formula b) =>
        !b.IsNumber(out double p) ? Formula.Power(a, b)
        : p == 1 ? a
        : p == 0 ? Formula.Number(1)
        : Formula.Power(a, b);

    public static Formula Log(Formula a) => Formula.Call("log", a);

    public static Formula Sign(Formula a) => Formula.Call("sign", a);

    public static Formula Positive(Formula a) => Formula.Positive(a);
}
