namespace Backprop.Scalar;

/// <summary>
/// The scalar engines' one rule table: for each primitive, its forward value and, right beside it,
/// its local derivatives ∂out/∂input, each written once. <see cref="Value"/> and <see cref="Tape"/>
/// evaluate the derivatives on doubles (<c>ScalarRules&lt;double, Numbers&gt;</c>); explain evaluates
/// them on doubles for its numbers and on formulas for the text it prints, so the formula a student
/// reads is the one the number came from. Derivatives that are the output itself (exp, tanh,
/// sigmoid, sqrt) take the output <c>y</c>: the backward pass reuses the stored forward value.
/// </summary>
/// <typeparam name="T">A number or a formula.</typeparam>
/// <typeparam name="TAlgebra">The arithmetic on <typeparamref name="T"/>.</typeparam>
public static class ScalarRules<T, TAlgebra>
    where TAlgebra : IScalarAlgebra<T>
{
    /// <summary>a + b: ∂/∂a = 1, ∂/∂b = 1.</summary>
    /// <returns>(∂/∂a, ∂/∂b) = (1, 1).</returns>
    public static (T DA, T DB) AddDerivatives() => (TAlgebra.Constant(1), TAlgebra.Constant(1));

    /// <summary>a − b: ∂/∂a = 1, ∂/∂b = −1.</summary>
    /// <returns>(∂/∂a, ∂/∂b) = (1, −1).</returns>
    public static (T DA, T DB) SubtractDerivatives() => (TAlgebra.Constant(1), TAlgebra.Constant(-1));

    /// <summary>a · b: ∂/∂a = b, ∂/∂b = a.</summary>
    /// <param name="a">The left factor.</param>
    /// <param name="b">The right factor.</param>
    /// <returns>(∂/∂a, ∂/∂b) = (b, a).</returns>
    public static (T DA, T DB) MultiplyDerivatives(T a, T b) => (b, a);

    /// <summary>a / b: ∂/∂a = 1/b, ∂/∂b = −a/b².</summary>
    /// <param name="a">The dividend.</param>
    /// <param name="b">The divisor.</param>
    /// <returns>(∂/∂a, ∂/∂b) = (1/b, −a/b²).</returns>
    public static (T DA, T DB) DivideDerivatives(T a, T b) =>
        (TAlgebra.Divide(TAlgebra.Constant(1), b), TAlgebra.Negate(TAlgebra.Divide(a, TAlgebra.Square(b))));

    /// <summary>y = aᵇ: ∂/∂a = b·aᵇ⁻¹, and 0 when b is 0 (also at a = 0, as PyTorch).</summary>
    /// <param name="a">The base.</param>
    /// <param name="b">The exponent.</param>
    /// <returns>∂y/∂a = b·aᵇ⁻¹, or 0 when b is 0.</returns>
    public static T PowerBaseDerivative(T a, T b) =>
        TAlgebra.IsZero(b) ? TAlgebra.Constant(0) : TAlgebra.Multiply(b, TAlgebra.Power(a, TAlgebra.Subtract(b, TAlgebra.Constant(1))));

    /// <summary>y = aᵇ: ∂/∂b = aᵇ·ln a = y·ln a, defined for a &gt; 0 (a constant exponent needs none).</summary>
    /// <param name="a">The base.</param>
    /// <param name="y">The forward's output a^b.</param>
    /// <returns>∂y/∂b = y·ln a.</returns>
    public static T PowerExponentDerivative(T a, T y) => TAlgebra.Multiply(y, TAlgebra.Log(a));

    /// <summary>−a: d/da = −1.</summary>
    /// <returns>The constant −1.</returns>
    public static T NegateDerivative() => TAlgebra.Constant(-1);

    /// <summary>y = a (a named copy): d/da = 1.</summary>
    /// <returns>The constant 1.</returns>
    public static T IdentityDerivative() => TAlgebra.Constant(1);

    /// <summary>y = eᵃ: d/da = eᵃ = y.</summary>
    /// <param name="y">The forward's output, from which the derivative is computed.</param>
    /// <returns>dy/da = y.</returns>
    public static T ExpDerivative(T y) => y;

    /// <summary>y = ln a (a &gt; 0): d/da = 1/a.</summary>
    /// <param name="a">The forward's input.</param>
    /// <returns>dy/da = 1/a.</returns>
    public static T LogDerivative(T a) => TAlgebra.Divide(TAlgebra.Constant(1), a);

    /// <summary>y = √a (a ≥ 0): d/da = 1/(2√a) = 1/(2y).</summary>
    /// <param name="y">The forward's output, from which the derivative is computed.</param>
    /// <returns>dy/da = 1/(2y).</returns>
    public static T SqrtDerivative(T y) => TAlgebra.Divide(TAlgebra.Constant(1), TAlgebra.Multiply(TAlgebra.Constant(2), y));

    /// <summary>y = tanh a: d/da = 1 − tanh²a = 1 − y².</summary>
    /// <param name="y">The forward's output, from which the derivative is computed.</param>
    /// <returns>dy/da = 1 − y².</returns>
    public static T TanhDerivative(T y) => TAlgebra.Subtract(TAlgebra.Constant(1), TAlgebra.Square(y));

    /// <summary>y = σ(a): d/da = σ(a)(1 − σ(a)) = y(1 − y).</summary>
    /// <param name="y">The forward's output, from which the derivative is computed.</param>
    /// <returns>dy/da = y(1 − y).</returns>
    public static T SigmoidDerivative(T y) => TAlgebra.Multiply(y, TAlgebra.Subtract(TAlgebra.Constant(1), y));

    /// <summary>y = max(0, a): d/da = 1 if a &gt; 0, else 0 (0 at 0, as PyTorch).</summary>
    /// <param name="a">The forward's input.</param>
    /// <returns>dy/da: 1 where a &gt; 0, else 0.</returns>
    public static T ReluDerivative(T a) => TAlgebra.Positive(a);

    /// <summary>y = |a|: d/da = sign(a) (0 at 0, as PyTorch).</summary>
    /// <param name="a">The forward's input.</param>
    /// <returns>dy/da = sign(a).</returns>
    public static T AbsDerivative(T a) => TAlgebra.Sign(a);
}

/// <summary>The forward value of the scalar primitive whose evaluation needs care; the rest are one operator or one <see cref="Math"/> call.</summary>
public static class ScalarForward
{
    /// <summary>
    /// σ(x) = 1 / (1 + e⁻ˣ), evaluated so that no intermediate overflows (the same function the
    /// tensor ops use, <see cref="Kernels.SpecialFunctions.Sigmoid"/>).
    /// </summary>
    /// <param name="x">The input.</param>
    /// <returns>σ(x), in [0, 1].</returns>
    public static double Sigmoid(double x) => Kernels.SpecialFunctions.Sigmoid(x);
}
