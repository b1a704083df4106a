namespace Backprop.Scalar;

/// <summary>
/// The arithmetic a <see cref="ScalarRules{T, TAlgebra}"/> derivative is written in. The engines
/// (<see cref="Value"/>, <see cref="Tape"/>) instantiate the rules with <see cref="Numbers"/>, plain
/// doubles; explain instantiates them with formulas, so the number an engine uses and the text a
/// student reads come from the same line of the same rule.
/// </summary>
/// <typeparam name="T">What the rules compute with: a number or a formula.</typeparam>
public interface IScalarAlgebra<T>
{
    /// <summary>The constant <paramref name="value"/>.</summary>
    /// <param name="value">The number.</param>
    /// <returns>The constant as a <typeparamref name="T"/>.</returns>
    static abstract T Constant(double value);

    /// <summary>Whether <paramref name="a"/> is the constant 0 (for a formula: the number 0, not a symbol that happens to be 0).</summary>
    /// <param name="a">The value tested.</param>
    /// <returns>True only for the constant 0.</returns>
    static abstract bool IsZero(T a);

    /// <summary>a + b.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    /// <returns>The sum.</returns>
    static abstract T Add(T a, T b);

    /// <summary>a − b.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    /// <returns>The difference.</returns>
    static abstract T Subtract(T a, T b);

    /// <summary>a · b.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    /// <returns>The product.</returns>
    static abstract T Multiply(T a, T b);

    /// <summary>a / b.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    /// <returns>The quotient.</returns>
    static abstract T Divide(T a, T b);

    /// <summary>−a.</summary>
    /// <param name="a">The operand.</param>
    /// <returns>The negation.</returns>
    static abstract T Negate(T a);

    /// <summary>a², computed as a · a.</summary>
    /// <param name="a">The operand.</param>
    /// <returns>The square.</returns>
    static abstract T Square(T a);

    /// <summary>aᵇ.</summary>
    /// <param name="a">The base.</param>
    /// <param name="b">The exponent.</param>
    /// <returns>The power.</returns>
    static abstract T Power(T a, T b);

    /// <summary>ln a.</summary>
    /// <param name="a">The operand.</param>
    /// <returns>The natural logarithm.</returns>
    static abstract T Log(T a);

    /// <summary>sign(a): −1, 0 or 1.</summary>
    /// <param name="a">The operand.</param>
    /// <returns>The sign, −1, 0 or 1.</returns>
    static abstract T Sign(T a);

    /// <summary>The indicator [a &gt; 0]: 1 where a is positive, else 0.</summary>
    /// <param name="a">The operand.</param>
    /// <returns>1 or 0.</returns>
    static abstract T Positive(T a);
}

/// <summary>The rules evaluated on doubles: what <see cref="Value"/>, <see cref="Tape"/> and explain's numbers use.</summary>
public readonly struct Numbers : IScalarAlgebra<double>
{
    /// <inheritdoc/>
    public static double Constant(double value) => value;

    /// <inheritdoc/>
    public static bool IsZero(double a) => a == 0;

    /// <inheritdoc/>
    public static double Add(double a, double b) => a + b;

    /// <inheritdoc/>
    public static double Subtract(double a, double b) => a - b;

    /// <inheritdoc/>
    public static double Multiply(double a, double b) => a * b;

    /// <inheritdoc/>
    public static double Divide(double a, double b) => a / b;

    /// <inheritdoc/>
    public static double Negate(double a) => -a;

    /// <inheritdoc/>
    public static double Square(double a) => a * a;

    /// <inheritdoc/>
    public static double Power(double a, double b) => Math.Pow(a, b);

    /// <inheritdoc/>
    public static double Log(double a) => Math.Log(a);

    /// <inheritdoc/>
    public static double Sign(double a) => Math.Sign(a);

    /// <inheritdoc/>
    public static double Positive(double a) => a > 0 ? 1 : 0;
}
