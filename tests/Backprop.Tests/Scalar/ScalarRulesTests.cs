using Backprop.Scalar;
using R = Backprop.Scalar.ScalarRules<double, Backprop.Scalar.Numbers>;

namespace Backprop.Tests.Scalar;

/// <summary>
/// The scalar rule table that Value, Tape and explain share: each derivative against the central
/// difference of its forward function, and the engines agreeing with it where they used to differ.
/// </summary>
public class ScalarRulesTests
{
    private const double H = 1e-6;

    public static TheoryData<string, double> UnaryPoints()
    {
        var data = new TheoryData<string, double>();
        foreach (string op in new[] { "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "neg", "identity", "pow3", "pow-1.5" })
        {
            foreach (double x in new[] { 0.3, 1.7, 4.2 })
            {
                data.Add(op, x);
            }

            if (op is "tanh" or "sigmoid" or "relu" or "abs" or "neg" or "identity" or "exp" or "pow3")
            {
                data.Add(op, -2.2);
            }
        }

        return data;
    }

    private static (Func<double, double> Forward, Func<double, double, double> Derivative) Unary(string op) => op switch
    {
        "exp" => (Math.Exp, (_, y) => R.ExpDerivative(y)),
        "log" => (Math.Log, (x, _) => R.LogDerivative(x)),
        "sqrt" => (Math.Sqrt, (_, y) => R.SqrtDerivative(y)),
        "tanh" => (Math.Tanh, (_, y) => R.TanhDerivative(y)),
        "sigmoid" => (ScalarForward.Sigmoid, (_, y) => R.SigmoidDerivative(y)),
        "relu" => (x => Math.Max(0, x), (x, _) => R.ReluDerivative(x)),
        "abs" => (Math.Abs, (x, _) => R.AbsDerivative(x)),
        "neg" => (x => -x, (_, _) => R.NegateDerivative()),
        "identity" => (x => x, (_, _) => R.IdentityDerivative()),
        "pow3" => (x => Math.Pow(x, 3), (x, _) => R.PowerBaseDerivative(x, 3)),
        "pow-1.5" => (x => Math.Pow(x, -1.5), (x, _) => R.PowerBaseDerivative(x, -1.5)),
        _ => throw new ArgumentException(op),
    };

    [Theory]
    [MemberData(nameof(UnaryPoints))]
    public void UnaryDerivativeMatchesCentralDifference(string op, double x)
    {
        var (forward, derivative) = Unary(op);
        double numeric = (forward(x + H) - forward(x - H)) / (2 * H);
        Assert.Equal(numeric, derivative(x, forward(x)), 6);
    }

    [Theory]
    [InlineData("add", 1.5, -0.7)]
    [InlineData("subtract", 1.5, -0.7)]
    [InlineData("multiply", 1.5, -0.7)]
    [InlineData("divide", 1.5, -0.7)]
    [InlineData("power", 1.5, -0.7)]
    [InlineData("power", 2.5, 3.0)]
    public void BinaryDerivativesMatchCentralDifferences(string op, double a, double b)
    {
        Func<double, double, double> f = op switch
        {
            "add" => (x, y) => x + y,
            "subtract" => (x, y) => x - y,
            "multiply" => (x, y) => x * y,
            "divide" => (x, y) => x / y,
            _ => Math.Pow,
        };
        var (da, db) = op switch
        {
            "add" => R.AddDerivatives(),
            "subtract" => R.SubtractDerivatives(),
            "multiply" => R.MultiplyDerivatives(a, b),
            "divide" => R.DivideDerivatives(a, b),
            _ => (R.PowerBaseDerivative(a, b), R.PowerExponentDerivative(a, Math.Pow(a, b))),
        };

        Assert.Equal((f(a + H, b) - f(a - H, b)) / (2 * H), da, 6);
        Assert.Equal((f(a, b + H) - f(a, b - H)) / (2 * H), db, 6);
    }

    /// <summary>
    /// d/dx x⁰ = 0 everywhere, also at x = 0 (PyTorch gives 0 there). Value and Tape computed
    /// 0 · 0⁻¹ = 0 · ∞ = NaN before they shared explain's rule, which had the zero exponent right.
    /// </summary>
    [Fact]
    public void PowerWithExponentZeroHasDerivativeZeroAtZeroInBothEngines()
    {
        var v = new Value(0.0);
        v.Pow(0).Backward();
        Assert.Equal(0.0, v.Grad);

        var tape = new Tape();
        var t = tape.Leaf(0.0);
        t.Pow(0).Backward();
        Assert.Equal(0.0, t.Grad);
    }
}
