using System.Text;

namespace Backprop.Explain;

/// <summary>The output formats of <c>explain</c>.</summary>
public enum ReportFormat
{
    /// <summary>Plain text: aligned columns, Unicode math (∂z/∂y = w3).</summary>
    Text,

    /// <summary>Markdown: pipe tables, fenced code.</summary>
    Markdown,

    /// <summary>A LaTeX document (amsmath, booktabs, longtable) with the math set as math.</summary>
    Tex,
}

/// <summary>Renders a <see cref="Report"/> as plain text, Markdown or LaTeX.</summary>
public static class ReportWriter
{
    /// <summary>
    /// Writes <paramref name="report"/> to <paramref name="writer"/>. In plain text,
    /// <paramref name="pause"/> (if given) is called after each group of rows of a steppable table
    /// but the last, which is how <c>explain --step</c> waits for Enter between nodes.
    /// </summary>
    /// <param name="report">The report written.</param>
    /// <param name="format">The output format.</param>
    /// <param name="writer">Where the text goes.</param>
    /// <param name="pause">Called between groups of rows of a steppable table in plain text, or null for none.</param>
    public static void Write(Report report, ReportFormat format, TextWriter writer, Action? pause = null)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(writer);
        switch (format)
        {
            case ReportFormat.Text:
                WriteText(report, writer, pause);
                break;
            case ReportFormat.Markdown:
                WriteMarkdown(report, writer);
                break;
            case ReportFormat.Tex:
                WriteTex(report, writer);
                break;
            default:
                throw new ArgumentException($"unknown report format {format}");
        }
    }

    /// <summary>The report rendered as a string.</summary>
    /// <param name="report">The report written.</param>
    /// <param name="format">The output format.</param>
    /// <returns>The text in <paramref name="format"/>.</returns>
    public static string ToString(Report report, ReportFormat format)
    {
        using var writer = new StringWriter();
        Write(report, format, writer);
        return writer.ToString();
    }

    private static string Join(IEnumerable<ReportSpan> spans) => string.Concat(spans.Select(s => s.Text));

    // ---- Plain text ----

    private static void WriteText(Report report, TextWriter w, Action? pause)
    {
        foreach (var (i, block) in report.Blocks.Index())
        {
            if (i > 0)
            {
                w.WriteLine();
            }

            switch (block)
            {
                case ReportHeading h:
                    {
                        string title = Join(h.Spans);
                        w.WriteLine(title);
                        w.WriteLine(new string(h.Level == 1 ? '=' : '-', title.Length));
                        break;
                    }

                case ReportParagraph p:
                    w.WriteLine(Join(p.Spans));
                    break;
                case ReportCode c:
                    foreach (string line in c.Text.Split('\n'))
                    {
                        w.WriteLine("    " + line.TrimEnd('\r'));
                    }

                    break;
                case ReportTable t:
                    WriteTextTable(t, w, pause);
                    break;
            }
        }
    }

    private static void WriteTextTable(ReportTable t, TextWriter w, Action? pause)
    {
        int columns = t.Header.Count;
        var widths = new int[columns];
        for (int c = 0; c < columns; c++)
        {
            widths[c] = t.Header[c].Text.Length;
        }

        foreach (var row in t.Groups.SelectMany(g => g))
        {
            for (int c = 0; c < columns; c++)
            {
                widths[c] = Math.Max(widths[c], row[c].Text.Length);
            }
        }

        string Line(IReadOnlyList<ReportSpan> cells) => string.Join("  ", cells.Select((cell, c) =>
            t.RightAligned[c] ? cell.Text.PadLeft(widths[c]) : cell.Text.PadRight(widths[c]))).TrimEnd();

        w.WriteLine(Line(t.Header));
        w.WriteLine(string.Join("  ", widths.Select(width => new string('-', width))));
        for (int g = 0; g < t.Groups.Count; g++)
        {
            foreach (var row in t.Groups[g])
            {
                w.WriteLine(Line(row));
            }

            if (t.Steppable && g + 1 < t.Groups.Count)
            {
                pause?.Invoke();
            }
        }
    }

    // ---- Markdown ----

    private static void WriteMarkdown(Report report, TextWriter w)
    {
        foreach (var (i, block) in report.Blocks.Index())
        {
            if (i > 0)
            {
                w.WriteLine();
            }

            switch (block)
            {
                case ReportHeading h:
                    w.WriteLine(new string('#', h.Level) + " " + Join(h.Spans));
                    break;
                case ReportParagraph p:
                    w.WriteLine(Join(p.Spans));
                    break;
                case ReportCode c:
                    w.WriteLine("```text");
                    w.WriteLine(c.Text.TrimEnd('\n'));
                    w.WriteLine("```");
                    break;
                case ReportTable t:
                    {
                        static string Cell(ReportSpan s) => s.Text.Replace("|", "\\|", StringComparison.Ordinal);
                        w.WriteLine("| " + string.Join(" | ", t.Header.Select(Cell)) + " |");
                        w.WriteLine("|" + string.Join("|", t.RightAligned.Select(r => r ? "---:" : "---")) + "|");
                        foreach (var row in t.Groups.SelectMany(g => g))
                        {
                            w.WriteLine("| " + string.Join(" | ", row.Select(Cell)) + " |");
                        }

                        break;
                    }
            }
        }
    }

    // ---- LaTeX ----

    private static void WriteTex(Report report, TextWriter w)
    {
        w.WriteLine(@"\documentclass{article}");
        w.WriteLine(@"\usepackage[margin=2cm]{geometry}");
        w.WriteLine(@"\usepackage{amsmath,amssymb,booktabs,longtable}");
        w.WriteLine(@"\begin{document}");
        foreach (var block in report.Blocks)
        {
            w.WriteLine();
            switch (block)
            {
                case ReportHeading h:
                    w.WriteLine($@"\{(h.Level == 1 ? "section" : "subsection")}*{{{Tex(h.Spans)}}}");
                    break;
                case ReportParagraph p:
                    w.WriteLine(Tex(p.Spans));
                    break;
                case ReportCode c:
                    w.WriteLine(@"\begin{verbatim}");
                    w.WriteLine(c.Text.TrimEnd('\n'));
                    w.WriteLine(@"\end{verbatim}");
                    break;
                case ReportTable t:
                    w.WriteLine($@"\begin{{longtable}}{{{string.Concat(t.RightAligned.Select(r => r ? 'r' : 'l'))}}}");
                    w.WriteLine(@"\toprule");
                    w.WriteLine(string.Join(" & ", t.Header.Select(s => Tex([s]))) + @" \\");
                    w.WriteLine(@"\midrule");
                    w.WriteLine(@"\endhead");
                    for (int g = 0; g < t.Groups.Count; g++)
                    {
                        if (g > 0 && t.Steppable)
                        {
                            w.WriteLine(@"\addlinespace");
                        }

                        foreach (var row in t.Groups[g])
                        {
                            w.WriteLine(string.Join(" & ", row.Select(s => Tex([s]))) + @" \\");
                        }
                    }

                    w.WriteLine(@"\bottomrule");
                    w.WriteLine(@"\end{longtable}");
                    break;
            }
        }

        w.WriteLine();
        w.WriteLine(@"\end{document}");
    }

    private static string Tex(IEnumerable<ReportSpan> spans)
    {
        var sb = new StringBuilder();
        foreach (var span in spans)
        {
            if (span.Tex is not null)
            {
                sb.Append('$').Append(span.Tex).Append('$');
            }
            else
            {
                foreach (char c in span.Text)
                {
                    sb.Append(EscapeTex(c));
                }
            }
        }

        return sb.ToString();
    }

    /// <summary>One character of plain text in LaTeX; the few Unicode symbols explain uses in words become math.</summary>
    private static string EscapeTex(char c) => c switch
    {
        '\\' => @"\textbackslash{}",
        '&' or '%' or '$' or '#' or '_' or '{' or '}' => "\\" + c,
        '~' => @"\textasciitilde{}",
        '^' => @"\textasciicircum{}",
        '−' => "-",
        '·' => @"$\cdot$",
        '∂' => @"$\partial$",
        'δ' => @"$\delta$",
        '⊙' => @"$\odot$",
        'ᵀ' => @"$^{\top}$",
        'η' => @"$\eta$",
        'σ' => @"$\sigma$",
        'Σ' => @"$\Sigma$",
        '≤' => @"$\le$",
        '≥' => @"$\ge$",
        '→' => @"$\to$",
        '←' => @"$\leftarrow$",
        '²' => @"$^2$",
        '✓' => @"\checkmark{}",
        '…' => @"\dots{}",
        '§' => @"\S{}",
        '½' => @"$\tfrac{1}{2}$",
        'ŷ' => @"$\hat{y}$",
        '×' => @"$\times$",
        '∞' => @"$\infty$",
        '‖' => @"$\|$",
        '√' => @"$\surd$",
        '³' => @"$^3$",
        _ => c < 128 ? c.ToString() : "?", // pdflatex rejects what it has no glyph for
    };
}
