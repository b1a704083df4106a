using System.Globalization;

namespace Backprop.Explain;

/// <summary>How explain prints numbers: 10 significant digits, invariant culture, no "-0".</summary>
public static class ExplainNumber
{
    /// <summary>
    /// Formats <paramref name="value"/> for text and Markdown, e.g. <c>0.5932699921</c>, <c>-10</c>,
    /// <c>3.510187783E-05</c>; NaN prints as <c>n/a</c> (a quantity that could not be computed).
    /// </summary>
    /// <param name="value">The number formatted.</param>
    /// <returns>The text.</returns>
    public static string Format(double value)
    {
        if (double.IsNaN(value))
        {
            return "n/a";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "∞" : "-∞";
        }

        return (value == 0 ? 0.0 : value).ToString("G10", CultureInfo.InvariantCulture);
    }

    /// <summary>Formats <paramref name="value"/> as LaTeX math, e.g. <c>-10</c>, <c>3.51\times 10^{-5}</c>.</summary>
    /// <param name="value">The number formatted.</param>
    /// <returns>The LaTeX text.</returns>
    public static string FormatTex(double value)
    {
        if (double.IsNaN(value))
        {
            return @"\text{n/a}";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? @"\infty" : @"-\infty";
        }

        string text = Format(value);
        int e = text.IndexOf('E', StringComparison.Ordinal);
        if (e < 0)
        {
            return text;
        }

        int exponent = int.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return $@"{text[..e]}\times 10^{{{exponent.ToString(CultureInfo.InvariantCulture)}}}";
    }
}
