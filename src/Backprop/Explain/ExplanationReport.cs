namespace Backprop.Explain;

/// <summary>
/// Lays out an <see cref="Explanation"/> as a <see cref="Report"/>: 1. the forward pass,
/// 2. the backward pass (version B step by step, then version A's sums for nodes used more than
/// once), 3. the gradients with finite differences, 4. the loss and gradient-descent step.
/// </summary>
public static class ExplanationReport
{
    /// <summary>The report of <paramref name="e"/>.</summary>
    /// <param name="e">The explanation reported.</param>
    /// <returns>A new report.</returns>
    public static Report Create(Explanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var report = new Report();
        AddProgram(report, e);
        AddForward(report, e);
        AddBackward(report, e);
        AddConsumerSums(report, e);
        AddGradients(report, e);
        if (e.Step is not null)
        {
            AddStep(report, e, e.Step);
        }

        return report;
    }

    private static ReportSpan Name(ExpressionNode node) => ReportSpan.Math(node.Reference);

    /// <summary>A relative error with two significant digits, e.g. 1.2E-11.</summary>
    private static ReportSpan Scientific(double value)
    {
        if (double.IsNaN(value))
        {
            return "n/a";
        }

        string text = value.ToString("0.0E+0", System.Globalization.CultureInfo.InvariantCulture);
        int e = text.IndexOf('E', StringComparison.Ordinal);
        return new ReportSpan(text, $@"{text[..e]}\times 10^{{{int.Parse(text[(e + 1)..], System.Globalization.CultureInfo.InvariantCulture)}}}");
    }

    private static ReportSpan Partial(string of, string wrt) => ReportSpan.Math(Formula.Partial(of, wrt));

    private static ReportSpan Eq(Formula lhs, Formula rhs) => ReportSpan.Math(Formula.Equation(lhs, rhs));

    private static void AddProgram(Report report, Explanation e)
    {
        report.Heading(1, "Program");
        report.Add(new ReportCode(e.Program.Source.Trim()));
        var spans = new List<ReportSpan>();
        if (e.Graph.Inputs.Count > 0)
        {
            spans.Add("Inputs: ");
            for (int i = 0; i < e.Graph.Inputs.Count; i++)
            {
                spans.Add(Eq(Formula.Symbol(e.Graph.Inputs[i].Name), Formula.Number(e.Graph.Inputs[i].Value)));
                spans.Add(i + 1 < e.Graph.Inputs.Count ? ", " : ". ");
            }
        }

        spans.Add("Output: ");
        spans.Add(ReportSpan.Math(Formula.Symbol(e.OutputName)));
        spans.Add(".");
        report.Paragraph([.. spans]);
    }

    private static void AddForward(Report report, Explanation e)
    {
        report.Heading(1, "1. Forward pass (topological order)");
        report.Paragraph("Each node is computed from nodes above it and its value is stored for the backward pass.");
        var rows = new List<IReadOnlyList<ReportSpan>>();
        foreach (var node in e.Graph.Nodes)
        {
            if (node.Kind == ExpressionNodeKind.Constant && !node.IsNamed)
            {
                continue; // shown inside the formulas that use it
            }

            ReportSpan formula = node.Kind switch
            {
                ExpressionNodeKind.Input => "input",
                ExpressionNodeKind.Constant => "constant",
                _ => ReportSpan.Math(node.Formula),
            };
            rows.Add([Name(node), formula, ReportSpan.Number(node.Value)]);
        }

        report.Add(new ReportTable(["node", "formula", "value"], [rows], [false, false, true]));
    }

    private static void AddBackward(Report report, Explanation e)
    {
        string y = e.OutputName;
        report.Heading(1, "2. Backward pass (reverse topological order)");
        report.Paragraph(
            "Seed ", Eq(Formula.Partial(y, y), Formula.Number(1)),
            ". Each node u is visited after all of its consumers, so its upstream gradient ", Partial(y, "u"),
            " is complete; it adds the product ", ReportSpan.Math(Formula.Multiply(Formula.Partial(y, "u"), Formula.Partial("u", "v"))),
            " into the gradient of each input v (version B: accumulate).");
        var groups = new List<IReadOnlyList<IReadOnlyList<ReportSpan>>>();
        foreach (var step in e.Backward.Steps)
        {
            var rows = new List<IReadOnlyList<ReportSpan>>();
            if (step.Edges.Count == 0)
            {
                rows.Add([Name(step.Node), ReportSpan.Number(step.Upstream), "", "", "", "", ""]);
            }

            for (int k = 0; k < step.Edges.Count; k++)
            {
                var edge = step.Edges[k];
                rows.Add([
                    k == 0 ? Name(step.Node) : "",
                    k == 0 ? ReportSpan.Number(step.Upstream) : "",
                    Name(edge.Input),
                    Eq(Formula.Partial(step.Node.Name, edge.Input.Name), edge.LocalFormula),
                    ReportSpan.Number(edge.LocalDerivative),
                    ReportSpan.Number(edge.Product),
                    ReportSpan.Number(edge.InputGradient),
                ]);
            }

            groups.Add(rows);
        }

        if (groups.Count == 0)
        {
            report.Paragraph("The output depends on no input: there is nothing to propagate.");
            return;
        }

        report.Add(new ReportTable(
            ["node u", Partial(y, "u"), "input v", ReportSpan.Math(Formula.Partial("u", "v")), "value", "added to v", ReportSpan.Math(Formula.Partial(y, "v")) with { Text = $"∂{y}/∂v so far" }],
            groups,
            [false, true, false, false, true, true, true],
            Steppable: true));
    }

    private static void AddConsumerSums(Report report, Explanation e)
    {
        string y = e.OutputName;
        var shared = e.Consumers.Sums.Where(s => s.Terms.Count > 1).Reverse().ToList();
        report.Heading(2, "Nodes used more than once (version A: sum over consumers)");
        if (shared.Count == 0)
        {
            report.Paragraph("No node is used more than once: every gradient above is a single product, and version A (",
                Eq(Formula.Partial(y, "v"), Formula.Multiply(Formula.Partial(y, "u"), Formula.Partial("u", "v"))),
                " summed over the consumers u of v) gives the same numbers.");
            return;
        }

        bool agree = e.Consumers.Sums.All(s => s.Gradient.Equals(e.Backward.GradientOf(s.Node)));
        report.Paragraph(
            "A node v that feeds several consumers u collects ", Eq(Formula.Partial(y, "v"), Formula.Multiply(Formula.Partial(y, "u"), Formula.Partial("u", "v"))),
            " summed over all of them. ",
            agree ? "Each sum equals the gradient version B accumulated above, to the last bit." : "WARNING: a sum differs from version B's gradient.");
        var groups = new List<IReadOnlyList<IReadOnlyList<ReportSpan>>>();
        foreach (var sum in shared)
        {
            var rows = new List<IReadOnlyList<ReportSpan>>();
            for (int k = 0; k < sum.Terms.Count; k++)
            {
                var term = sum.Terms[k];
                rows.Add([
                    k == 0 ? Name(sum.Node) : "",
                    Name(term.Consumer),
                    ReportSpan.Number(term.ConsumerGradient),
                    Eq(Formula.Partial(term.Consumer.Name, sum.Node.Name), term.LocalFormula),
                    ReportSpan.Number(term.LocalDerivative),
                    ReportSpan.Number(term.Product),
                ]);
            }

            rows.Add(["", ReportSpan.Math(Formula.Partial(y, sum.Node.Name)) with { Text = $"Σ = ∂{y}/∂{sum.Node.Name}" }, "", "", "", ReportSpan.Number(sum.Gradient)]);
            groups.Add(rows);
        }

        report.Add(new ReportTable(
            ["node v", "consumer u", Partial(y, "u"), ReportSpan.Math(Formula.Partial("u", "v")), "value", "term"],
            groups,
            [false, false, true, false, true, true]));
    }

    private static void AddGradients(Report report, Explanation e)
    {
        string y = e.OutputName;
        report.Heading(1, "3. Gradients of ", ReportSpan.Math(Formula.Symbol(y)));
        if (e.Gradients.Count == 0)
        {
            report.Paragraph("The program has no inputs.");
            return;
        }

        report.Paragraph(
            "Checked against the central difference (f(x + h) − f(x − h)) / 2h with h = 1e-6·max(1, |x|); ",
            "relative error = |g − fd| / max(|g|, |fd|, 1e-6).");
        var rows = e.Gradients.Select(g => (IReadOnlyList<ReportSpan>)[
            Name(g.Input),
            ReportSpan.Number(g.Gradient),
            ReportSpan.Number(g.FiniteDifference),
            Scientific(g.RelativeError),
        ]).ToList();
        report.Add(new ReportTable(
            ["input x", ReportSpan.Math(Formula.Partial(y, "x")), "finite difference", "relative error"],
            [rows],
            [false, true, true, true]));
    }

    private static void AddStep(Report report, Explanation e, LossStep step)
    {
        string y = e.OutputName;
        string l = step.Name;
        bool hasTarget = e.Options.Target is not null;
        report.Heading(1, step.LearningRate is null ? "4. Loss" : "4. Loss and one gradient-descent step");
        if (hasTarget)
        {
            report.Paragraph(
                "Target ", Eq(Formula.Symbol("T"), Formula.Number(e.Options.Target!.Value)), ", loss ",
                Eq(Formula.Symbol(l), step.Formula), " = ", ReportSpan.Number(step.Value), "; ",
                Eq(Formula.Partial(l, y), step.OutputGradientFormula),
                e.Options.Loss == ExplainLoss.Difference ? "" : " = ",
                e.Options.Loss == ExplainLoss.Difference ? "" : ReportSpan.Number(step.OutputGradient),
                ", and by the chain rule ", Eq(Formula.Partial(l, "w"), Formula.Multiply(Formula.Partial(l, y), Formula.Partial(y, "w"))), ".");
        }
        else
        {
            report.Paragraph("No target: the step minimizes the output ", ReportSpan.Math(Formula.Symbol(y)), " = ", ReportSpan.Number(step.Value), " itself.");
        }

        var header = new List<ReportSpan> { "input w", "value", Partial(l, "w") };
        if (step.LearningRate is double eta)
        {
            report.Paragraph("Update ", ReportSpan.Math(Formula.Symbol("w")), " ← ",
                ReportSpan.Math(Formula.Subtract(Formula.Symbol("w"), Formula.Multiply(Formula.Symbol("η"), Formula.Partial(l, "w")))) with { Tex = $@"w - \eta \cdot {Formula.Partial(l, "w").ToTex()}" },
                " with ", new ReportSpan($"η = {ExplainNumber.Format(eta)}", $@"\eta = {ExplainNumber.FormatTex(eta)}"), ".");
            header.Add("new value");
        }

        var rows = step.Updates.Select(u =>
        {
            var row = new List<ReportSpan> { Name(u.Input), ReportSpan.Number(u.Input.Value), ReportSpan.Number(u.LossGradient) };
            if (step.LearningRate is not null)
            {
                row.Add(ReportSpan.Number(u.NewValue));
            }

            return (IReadOnlyList<ReportSpan>)row;
        }).ToList();
        report.Add(new ReportTable(header, [rows], [.. header.Select((_, i) => i > 0)]));
        if (step.LearningRate is not null)
        {
            var after = new List<ReportSpan> { "After the step: ", Eq(Formula.Symbol(y), Formula.Number(step.OutputAfter)) };
            if (hasTarget)
            {
                after.Add(", ");
                after.Add(Eq(Formula.Symbol(l), Formula.Number(step.ValueAfter)));
            }

            after.Add($" (was {ExplainNumber.Format(step.Value)}).");
            report.Paragraph([.. after]);
        }
    }
}
