using System.Globalization;
using Backprop.Explain;

namespace Backprop.Cli.Commands;

/// <summary>Arguments shared by <c>explain</c> and <c>graph</c>: the <c>--at</c> list and the output format.</summary>
internal static class ExplainArguments
{
    /// <summary>Parses <c>w1=3,w2=4,w3=-5</c> (spaces allowed) into name/value pairs in the given order.</summary>
    public static List<KeyValuePair<string, double>> ParseAt(string? text)
    {
        var values = new List<KeyValuePair<string, double>>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return values;
        }

        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !double.TryParse(part[(eq + 1)..].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
            {
                throw new ArgumentException($"--at: expected NAME=NUMBER separated by commas (e.g. --at w1=3,w2=4), got '{part}'");
            }

            values.Add(KeyValuePair.Create(part[..eq].Trim(), value));
        }

        return values;
    }

    /// <summary>True if an --at list holds an array value (a '['), which selects explain's matrix form.</summary>
    public static bool HasArrays(string? text) => text is not null && text.Contains('[', StringComparison.Ordinal);

    /// <summary>
    /// Parses <c>W=[[1,2],[3,4]],x=[5,6],c=7</c> into name/value pairs in the given order: a value is a
    /// number, a vector or a matrix (<see cref="ExplainArray.Parse(string)"/>); the commas inside brackets belong to the value.
    /// </summary>
    public static List<KeyValuePair<string, Tensor>> ParseArrays(string? text)
    {
        var values = new List<KeyValuePair<string, Tensor>>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return values;
        }

        foreach (string part in ExplainArray.SplitTopLevel(text))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ArgumentException($"--at: expected NAME=VALUE separated by commas, a VALUE being a number, [a, b] or [[a, b], [c, d]] (e.g. --at \"W=[[1,2],[3,4]],x=[5,6]\"), got '{part}'");
            }

            string name = part[..eq].Trim();
            try
            {
                values.Add(KeyValuePair.Create(name, ExplainArray.Parse(part[(eq + 1)..].Trim())));
            }
            catch (ExplainException e)
            {
                throw new ArgumentException($"--at {name}: {e.Message}");
            }
        }

        return values;
    }

    /// <summary>The scalar form's <c>--target</c>: a number, or null when not given.</summary>
    public static double? ParseTarget(string? text)
    {
        if (text is null)
        {
            return null;
        }

        return double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : throw new ArgumentException($"--target: expected a number (or, in the matrix form, an array such as [0.01,0.99]), got '{text}'");
    }

    /// <summary>The matrix form's <c>--target</c>: a number, vector or matrix (<see cref="ExplainArray.Parse(string)"/>), or null when not given.</summary>
    public static Tensor? ParseTargetArray(string? text)
    {
        if (text is null)
        {
            return null;
        }

        try
        {
            return ExplainArray.Parse(text.Trim());
        }
        catch (ExplainException e)
        {
            throw new ArgumentException($"--target: {e.Message}");
        }
    }

    public static ReportFormat ParseFormat(string format) => format switch
    {
        "md" or "markdown" => ReportFormat.Markdown,
        "tex" or "latex" => ReportFormat.Tex,
        _ => ReportFormat.Text,
    };
}
