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

    public static ReportFormat ParseFormat(string format) => format switch
    {
        "md" or "markdown" => ReportFormat.Markdown,
        "tex" or "latex" => ReportFormat.Tex,
        _ => ReportFormat.Text,
    };
}
