using Backprop.Explain;

namespace Backprop.Tests.Explain;

public class ReportWriterTests
{
    private static Report W123() => WorkedExamples.Get("w123").ToReport();

    [Fact]
    public void TextTablesAlignTheirColumns()
    {
        string text = ReportWriter.ToString(Explanation.Create("z = x*y", [KeyValuePair.Create("x", 2.0), KeyValuePair.Create("y", -30.5)]).ToReport(), ReportFormat.Text);
        var lines = text.Split('\n');
        int header = Array.FindIndex(lines, l => l.StartsWith("node  formula", StringComparison.Ordinal));
        Assert.True(header >= 0, text);
        Assert.Matches(@"^-+  -+  -+$", lines[header + 1]);

        // Numbers are right-aligned under "value".
        int end = lines[header].Length;
        Assert.EndsWith("    2", lines[header + 2]);
        Assert.Equal(end, lines[header + 2].Length);
        Assert.EndsWith("-30.5", lines[header + 3]);
        Assert.EndsWith("  -61", lines[header + 4]);
    }

    [Fact]
    public void MarkdownTablesHaveOneCellPerColumnOnEveryRow()
    {
        string md = ReportWriter.ToString(WorkedExamples.Get("mazur").ToReport(), ReportFormat.Markdown);
        var tableLines = md.Split('\n').Where(l => l.StartsWith('|')).ToList();
        Assert.NotEmpty(tableLines);
        foreach (var block in md.Split("\n\n").Where(b => b.StartsWith('|')))
        {
            var rows = block.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            int columns = Cells(rows[0]);
            Assert.Matches(@"^\|(---:?\|)+$", rows[1]);
            Assert.All(rows, r => Assert.Equal(columns, Cells(r)));
        }

        Assert.Contains("# 1. Forward pass (topological order)", md);
        Assert.Contains("| out_h1 | σ(net_h1) | 0.5932699921 |", md);
    }

    private static int Cells(string row) => row.Replace("\\|", "", StringComparison.Ordinal).Count(c => c == '|') - 1;

    [Fact]
    public void TexIsACompleteDocumentWithMathAndBalancedBraces()
    {
        string tex = ReportWriter.ToString(W123(), ReportFormat.Tex);
        Assert.StartsWith(@"\documentclass{article}", tex);
        Assert.EndsWith("\\end{document}\n", tex);
        Assert.Contains(@"\frac{\partial g}{\partial w_{1}}", tex);
        Assert.Contains(@"\begin{longtable}", tex);
        Assert.Equal(tex.Count(c => c == '{') - Escaped(tex, '{'), tex.Count(c => c == '}') - Escaped(tex, '}'));
        Assert.Equal(0, tex.Count(c => c == '$') % 2);

        AssertTexIsAscii(tex);
    }

    /// <summary>pdflatex without Unicode setup: only ASCII outside verbatim blocks.</summary>
    internal static void AssertTexIsAscii(string tex)
    {
        var outside = tex.Split(@"\begin{verbatim}").Select((part, i) => i == 0 ? part : part[part.IndexOf(@"\end{verbatim}", StringComparison.Ordinal)..]);
        foreach (string part in outside)
        {
            int bad = part.IndexOf(part.FirstOrDefault(c => c >= 128));
            Assert.True(part.All(c => c < 128), $"non-ASCII text in LaTeX: …{(bad < 0 ? "" : part[Math.Max(0, bad - 40)..Math.Min(part.Length, bad + 40)])}…");
        }
    }

    private static int Escaped(string s, char c) => s.Split("\\" + c).Length - 1;

    [Fact]
    public void TexEscapesPlainText()
    {
        var report = new Report().Paragraph("50% of a_b & {c} #1 $ ~ ^ \\");
        string tex = ReportWriter.ToString(report, ReportFormat.Tex);
        Assert.Contains(@"50\% of a\_b \& \{c\} \#1 \$ \textasciitilde{} \textasciicircum{} \textbackslash{}", tex);
    }

    [Fact]
    public void StepModePausesBetweenTheNodesOfTheBackwardPass()
    {
        var report = WorkedExamples.Get("w123").ToReport();
        int pauses = 0;
        var writer = new StringWriter();
        ReportWriter.Write(report, ReportFormat.Text, writer, () =>
        {
            pauses++;
            writer.Write("<PAUSE>");
        });

        Assert.Equal(2, pauses); // three nodes z, y, g: a pause after each but the last
        string text = writer.ToString();
        Assert.True(text.IndexOf("<PAUSE>", StringComparison.Ordinal) > text.IndexOf("∂z/∂w3 = y", StringComparison.Ordinal));
        Assert.True(text.IndexOf("<PAUSE>", StringComparison.Ordinal) < text.IndexOf("∂y/∂w2 = 1", StringComparison.Ordinal));
        Assert.Equal(ReportWriter.ToString(report, ReportFormat.Text), text.Replace("<PAUSE>", "", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(-10.0, "-10", "-10")]
    [InlineData(0.5932699921400337, "0.5932699921", "0.5932699921")]
    [InlineData(3.5101877829e-05, "3.510187783E-05", @"3.510187783\times 10^{-5}")]
    [InlineData(-0.0, "0", "0")]
    [InlineData(double.NaN, "n/a", @"\text{n/a}")]
    public void Numbers(double value, string text, string tex)
    {
        Assert.Equal(text, ExplainNumber.Format(value));
        Assert.Equal(tex, ExplainNumber.FormatTex(value));
    }

    [Theory]
    [InlineData("y = a - (b - c)", "a − u1")]
    [InlineData("y = a*(b + c)", "a·u1")]
    public void FormulasShowTheNodesInputs(string program, string formula)
    {
        var graph = ExpressionGraph.Build(ExplainProgram.Parse(program), [KeyValuePair.Create("a", 1.0), KeyValuePair.Create("b", 2.0), KeyValuePair.Create("c", 3.0)]);
        Assert.Equal(formula, graph.Output.Formula.ToText());
    }

    [Fact]
    public void FormulaParenthesesFollowPrecedence()
    {
        Formula a = Formula.Symbol("a"), b = Formula.Symbol("b"), c = Formula.Symbol("c");
        Assert.Equal("a − (b + c)", Formula.Subtract(a, Formula.Add(b, c)).ToText());
        Assert.Equal("a − b + c", Formula.Add(Formula.Subtract(a, b), c).ToText());
        Assert.Equal("(a + b)·c", Formula.Multiply(Formula.Add(a, b), c).ToText());
        Assert.Equal("a/(b·c)", Formula.Divide(a, Formula.Multiply(b, c)).ToText());
        Assert.Equal("a·(−2)", Formula.Multiply(a, Formula.Number(-2)).ToText());
        Assert.Equal("−2·a", Formula.Multiply(Formula.Number(-2), a).ToText());
        Assert.Equal("(−a)²", Formula.Power(Formula.Negate(a), Formula.Number(2)).ToText());
        Assert.Equal("−a²", Formula.Negate(Formula.Power(a, Formula.Number(2))).ToText());
        Assert.Equal("a^(b − 1)", Formula.Power(a, Formula.Subtract(b, Formula.Number(1))).ToText());
        Assert.Equal(@"\frac{a}{b \cdot c}", Formula.Divide(a, Formula.Multiply(b, c)).ToTex());
        Assert.Equal(@"\mathrm{out}_{\mathrm{h1}}", Formula.Symbol("out_h1").ToTex());
    }
}
