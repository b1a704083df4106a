using System.Globalization;
using System.Text;

namespace Backprop.Explain;

/// <summary>An array literal's numbers (row-major), its shape (rank 0, 1 or 2) and its text as written.</summary>
internal sealed record ArrayLiteral(double[] Data, int[] Shape, string Text);

/// <summary>
/// The values of explain's matrix form: a number (shape <c>()</c>, a scalar), a vector <c>[0.05, 0.10]</c>
/// (shape <c>(2)</c>, a column in <c>W @ x</c>) or a matrix <c>[[0.15, 0.20], [0.25, 0.30]]</c>
/// (rows in order, shape <c>(2×2)</c>), parsed into float64 tensors and printed back in the same syntax.
/// </summary>
public static class ExplainArray
{
    /// <summary>
    /// Parses a number, <c>[n, n, …]</c> or <c>[[n, …], [n, …], …]</c> (spaces allowed, rows of equal length).
    /// </summary>
    /// <param name="text">The value as written, e.g. <c>[[0.15,0.20],[0.25,0.30]]</c>.</param>
    /// <returns>A new float64 tensor of rank 0, 1 or 2, not requiring grad.</returns>
    /// <exception cref="ExplainException">The text is not such a value; the message says what is wrong and where (the character's 1-based offset).</exception>
    public static Tensor Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var literal = Parse(text, (offset, message) => new ExplainException($"{message} at character {offset + 1} of '{text}'", 0, 0));
        return Create(literal.Data, literal.Shape);
    }

    /// <summary>
    /// Formats <paramref name="value"/> as it is parsed: <c>0.5</c>, <c>[0.5, 1]</c>, <c>[[1, 2], [3, 4]]</c>,
    /// each number as <see cref="ExplainNumber.Format"/> prints it.
    /// </summary>
    /// <param name="value">A tensor of rank 0, 1 or 2.</param>
    /// <returns>The text.</returns>
    public static string Format(Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        double[] data = value.To(DType.Float64).ToArray();
        int[] shape = value.Shape;
        return shape.Length switch
        {
            0 => ExplainNumber.Format(data[0]),
            1 => Row(data, 0, shape[0]),
            2 => "[" + string.Join(", ", Enumerable.Range(0, shape[0]).Select(r => Row(data, r * shape[1], shape[1]))) + "]",
            _ => throw new ArgumentException($"explain formats values of rank 0, 1 or 2, got shape {Shapes.Format(shape)}", nameof(value)),
        };
    }

    /// <summary>A shape as explain writes it: <c>scalar</c>, <c>2</c> (a vector of 2) or <c>2×3</c> (2 rows, 3 columns).</summary>
    /// <param name="shape">A shape of rank 0, 1 or 2.</param>
    /// <returns>The text.</returns>
    public static string FormatShape(IReadOnlyList<int> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return shape.Count == 0 ? "scalar" : string.Join("×", shape.Select(s => s.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// Splits a list of values such as <c>W=[[1,2],[3,4]],x=[5,6],c=7</c> at the commas outside brackets
    /// (the commas inside a vector or matrix belong to it), each part trimmed.
    /// </summary>
    /// <param name="text">The list as written.</param>
    /// <returns>The parts in order, e.g. <c>W=[[1,2],[3,4]]</c>, <c>x=[5,6]</c>, <c>c=7</c>.</returns>
    public static List<string> SplitTopLevel(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '[')
            {
                depth++;
            }
            else if (text[i] == ']')
            {
                depth--;
            }
            else if (text[i] == ',' && depth == 0)
            {
                parts.Add(text[start..i].Trim());
                start = i + 1;
            }
        }

        parts.Add(text[start..].Trim());
        return parts;
    }

    private static string Row(double[] data, int start, int count) =>
        "[" + string.Join(", ", Enumerable.Range(start, count).Select(i => ExplainNumber.Format(data[i]))) + "]";

    /// <summary>Parses <paramref name="text"/>; <paramref name="error"/> makes the exception for a 0-based offset into it.</summary>
    internal static ArrayLiteral Parse(string text, Func<int, string, ExplainException> error)
    {
        int i = 0;
        SkipSpaces(text, ref i);
        ArrayLiteral result;
        if (i < text.Length && text[i] == '[')
        {
            var rows = new List<(double[] Values, int At)>();
            int start = i;
            bool nested = false;
            i++;
            SkipSpaces(text, ref i);
            if (i < text.Length && text[i] == '[')
            {
                nested = true;
                while (true)
                {
                    SkipSpaces(text, ref i);
                    if (i >= text.Length || text[i] != '[')
                    {
                        throw error(Math.Min(i, text.Length), "expected '[' to start a row (a matrix is [[a, b], [c, d]])");
                    }

                    int at = i;
                    rows.Add((ReadList(text, ref i, error, inner: true), at));
                    SkipSpaces(text, ref i);
                    if (i < text.Length && text[i] == ',')
                    {
                        i++;
                        continue;
                    }

                    break;
                }
            }
            else
            {
                i = start;
                rows.Add((ReadList(text, ref i, error, inner: false), start));
            }

            if (nested)
            {
                SkipSpaces(text, ref i);
                if (i >= text.Length || text[i] != ']')
                {
                    throw error(Math.Min(i, text.Length), i >= text.Length ? "unclosed '[' (a matrix ends with ']]')" : $"expected ',' or ']' after a row, got '{text[i]}'");
                }

                i++;
                int columns = rows[0].Values.Length;
                foreach (var (values, at) in rows)
                {
                    if (values.Length != columns)
                    {
                        throw error(at, $"the rows of a matrix need the same length: row {rows.FindIndex(r => r.At == at) + 1} has {values.Length} number{(values.Length == 1 ? "" : "s")}, row 1 has {columns}");
                    }
                }

                result = new ArrayLiteral([.. rows.SelectMany(r => r.Values)], [rows.Count, columns], text[start..i]);
            }
            else
            {
                result = new ArrayLiteral(rows[0].Values, [rows[0].Values.Length], text[start..i]);
            }
        }
        else
        {
            int start = i;
            double value = ReadNumber(text, ref i, error);
            result = new ArrayLiteral([value], [], text[start..i]);
        }

        SkipSpaces(text, ref i);
        if (i < text.Length)
        {
            throw error(i, $"unexpected '{text[i]}' after the value");
        }

        return result;
    }

    /// <summary>Reads <c>[n, n, …]</c> starting at the '['; <paramref name="inner"/> when it is a matrix's row, where a '[' would be a third level.</summary>
    private static double[] ReadList(string text, ref int i, Func<int, string, ExplainException> error, bool inner)
    {
        i++; // '['
        var values = new List<double>();
        while (true)
        {
            SkipSpaces(text, ref i);
            if (i < text.Length && text[i] == '[')
            {
                throw error(i, inner && values.Count == 0
                    ? "too deeply nested: explain takes numbers, vectors [a, b] and matrices [[a, b], [c, d]]"
                    : "unexpected '[' among the numbers of a vector (a matrix is [[a, b], [c, d]])");
            }

            if (i < text.Length && text[i] == ']' && values.Count == 0)
            {
                throw error(i, "an empty array has no numbers (write e.g. [1, 2])");
            }

            values.Add(ReadNumber(text, ref i, error));
            SkipSpaces(text, ref i);
            if (i >= text.Length)
            {
                throw error(text.Length, "unclosed '['");
            }

            if (text[i] == ',')
            {
                i++;
                continue;
            }

            if (text[i] == ']')
            {
                i++;
                return [.. values];
            }

            throw error(i, $"expected ',' or ']' after a number, got '{text[i]}'");
        }
    }

    private static double ReadNumber(string text, ref int i, Func<int, string, ExplainException> error)
    {
        int start = i;
        if (i < text.Length && text[i] is '+' or '-' or '\u2212')
        {
            i++;
        }

        while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] is '.' or 'e' or 'E' || (text[i] is '+' or '-' && i > start && text[i - 1] is 'e' or 'E')))
        {
            i++;
        }

        string number = text[start..i].Replace('\u2212', '-');
        if (number.Length == 0 || !double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
        {
            throw error(start, number.Length == 0
                ? start < text.Length ? $"expected a number, got '{text[start]}'" : "expected a number, got the end"
                : $"malformed number '{number}'");
        }

        if (!double.IsFinite(value))
        {
            throw error(start, $"number '{number}' is too large");
        }

        return value;
    }

    private static void SkipSpaces(string text, ref int i)
    {
        while (i < text.Length && text[i] is ' ' or '\t')
        {
            i++;
        }
    }

    /// <summary>A float64 tensor of <paramref name="data"/> with <paramref name="shape"/>, rank 0 included (FromArray reads an empty shape as 1-D).</summary>
    internal static Tensor Create(double[] data, int[] shape) =>
        shape.Length == 0 ? Tensor.Scalar(data[0], DType.Float64) : Tensor.FromArray(data, shape);

    /// <summary>The literal's text with single spaces after commas, for formulas.</summary>
    internal static string Compact(ArrayLiteral literal)
    {
        var sb = new StringBuilder();
        foreach (char c in literal.Text)
        {
            if (c is ' ' or '\t')
            {
                continue;
            }

            sb.Append(c);
            if (c == ',')
            {
                sb.Append(' ');
            }
        }

        return sb.ToString();
    }
}
