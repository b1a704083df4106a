namespace Backprop.Explain;

/// <summary>
/// Checks a gradient numerically (docs/design.md §1.4): the central difference
/// (f(x + h) − f(x − h)) / 2h, whose error is O(h²), with h = 10⁻⁶·max(1, |x|).
/// </summary>
public static class FiniteDifference
{
    /// <summary>
    /// ∂output/∂<paramref name="name"/> of <paramref name="program"/> at <paramref name="inputs"/> by a central difference;
    /// NaN when the program is undefined at x ± h (e.g. sqrt at 0).
    /// </summary>
    /// <param name="program">The parsed program.</param>
    /// <param name="inputs">The value of each input variable, by name.</param>
    /// <param name="name">The input differentiated with respect to.</param>
    /// <returns>The numeric derivative, or NaN.</returns>
    public static double Central(ExplainProgram program, IReadOnlyList<KeyValuePair<string, double>> inputs, string name)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(inputs);
        int index = -1;
        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].Key == name)
            {
                index = i;
            }
        }

        if (index < 0)
        {
            throw new ArgumentException($"FiniteDifference: '{name}' is not an input (inputs: {string.Join(", ", inputs.Select(i => i.Key))})");
        }

        double x = inputs[index].Value;
        double h = 1e-6 * Math.Max(1, Math.Abs(x));
        try
        {
            double plus = Evaluate(program, inputs, index, x + h);
            double minus = Evaluate(program, inputs, index, x - h);
            return (plus - minus) / (2 * h);
        }
        catch (ExplainException)
        {
            return double.NaN;
        }
    }

    /// <summary>
    /// |g − n| / max(|g|, |n|, 10⁻⁶): the relative disagreement of an analytic gradient g and a numeric
    /// one n; the floor keeps a gradient of 0 and a finite-difference noise of 10⁻¹¹ from reading as 100 %.
    /// </summary>
    /// <param name="analytic">The gradient by backpropagation.</param>
    /// <param name="numeric">The gradient by finite differences.</param>
    /// <returns>The relative error, 0 or more.</returns>
    public static double RelativeError(double analytic, double numeric) =>
        Math.Abs(analytic - numeric) / Math.Max(Math.Max(Math.Abs(analytic), Math.Abs(numeric)), 1e-6);

    private static double Evaluate(ExplainProgram program, IReadOnlyList<KeyValuePair<string, double>> inputs, int index, double value)
    {
        var shifted = inputs.Select((kv, i) => i == index ? new KeyValuePair<string, double>(kv.Key, value) : kv);
        return ExpressionGraph.Build(program, shifted).Output.Value;
    }
}
