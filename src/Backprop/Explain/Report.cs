namespace Backprop.Explain;

/// <summary>
/// A piece of text in a <see cref="Report"/>: plain words, or math (a <see cref="Formula"/> or a
/// number) that the LaTeX writer sets between <c>$…$</c> and the other writers print as Unicode text.
/// </summary>
/// <param name="Text">The plain text or Unicode form.</param>
/// <param name="Tex">The LaTeX math form, or null for plain words.</param>
public readonly record struct ReportSpan(string Text, string? Tex)
{
    /// <summary>Plain words.</summary>
    /// <param name="text">The text, as it is.</param>
    /// <returns>A span of plain text.</returns>
    public static ReportSpan Plain(string text) => new(text, null);

    /// <summary>A formula.</summary>
    /// <param name="formula">The formula, written as text or TeX by each format.</param>
    /// <returns>A span with the formula's plain text and LaTeX forms.</returns>
    public static ReportSpan Math(Formula formula) => new(formula.ToText(), formula.ToTex());

    /// <summary>A number, as <see cref="ExplainNumber"/> formats it.</summary>
    /// <param name="value">The number, formatted as the explanations format numbers.</param>
    /// <returns>A span with the number's plain text and LaTeX forms.</returns>
    public static ReportSpan Number(double value) => new(ExplainNumber.Format(value), ExplainNumber.FormatTex(value));

    /// <summary>Plain words from a string.</summary>
    /// <param name="text">The text, as it is.</param>
    /// <returns>A span of plain text.</returns>
    public static implicit operator ReportSpan(string text) => Plain(text);
}

/// <summary>One block of a <see cref="Report"/>.</summary>
public abstract record ReportBlock;

/// <summary>A section title (level 1) or a subsection title (level 2).</summary>
/// <param name="Spans">The title.</param>
/// <param name="Level">1 or 2.</param>
public sealed record ReportHeading(IReadOnlyList<ReportSpan> Spans, int Level = 1) : ReportBlock;

/// <summary>A paragraph of text and math.</summary>
/// <param name="Spans">The paragraph's pieces, in order.</param>
public sealed record ReportParagraph(IReadOnlyList<ReportSpan> Spans) : ReportBlock;

/// <summary>Verbatim text (a program).</summary>
/// <param name="Text">The text, lines separated by <c>\n</c>.</param>
public sealed record ReportCode(string Text) : ReportBlock;

/// <summary>
/// A table whose rows come in groups (one group per node of the backward pass, so
/// <c>--step</c> can pause between them).
/// </summary>
/// <param name="Header">The column titles.</param>
/// <param name="Groups">Groups of rows; each row has one span per column.</param>
/// <param name="RightAligned">Per column: true for numbers.</param>
/// <param name="Steppable">True if an interactive viewer should pause after each group.</param>
public sealed record ReportTable(
    IReadOnlyList<ReportSpan> Header,
    IReadOnlyList<IReadOnlyList<IReadOnlyList<ReportSpan>>> Groups,
    IReadOnlyList<bool> RightAligned,
    bool Steppable = false) : ReportBlock;

/// <summary>
/// A document written by <c>explain</c>: headings, paragraphs, code and tables, rendered as plain
/// text, Markdown or LaTeX by <see cref="ReportWriter"/>.
/// </summary>
public sealed class Report
{
    private readonly List<ReportBlock> _blocks = [];

    /// <summary>The blocks in order.</summary>
    public IReadOnlyList<ReportBlock> Blocks => _blocks;

    /// <summary>Appends a block.</summary>
    /// <param name="block">The block appended.</param>
    /// <returns>This report, for chaining.</returns>
    public Report Add(ReportBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        _blocks.Add(block);
        return this;
    }

    /// <summary>Appends every block of <paramref name="other"/>.</summary>
    /// <param name="other">The report whose blocks are appended, in order.</param>
    /// <returns>This report, for chaining.</returns>
    public Report Add(Report other)
    {
        ArgumentNullException.ThrowIfNull(other);
        _blocks.AddRange(other._blocks);
        return this;
    }

    /// <summary>Appends a heading.</summary>
    /// <param name="level">The heading level, 1 for the top.</param>
    /// <param name="spans">The heading's text.</param>
    /// <returns>This report, for chaining.</returns>
    public Report Heading(int level, params ReportSpan[] spans) => Add(new ReportHeading(spans, level));

    /// <summary>Appends a paragraph.</summary>
    /// <param name="spans">The paragraph's text.</param>
    /// <returns>This report, for chaining.</returns>
    public Report Paragraph(params ReportSpan[] spans) => Add(new ReportParagraph(spans));
}
