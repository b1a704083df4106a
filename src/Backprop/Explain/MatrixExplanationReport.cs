using System.Globalization;

namespace Backprop.Explain;

/// <summary>
/// Lays out a <see cref="MatrixExplanation"/> as a <see cref="Report"/>: the program and its shapes,
/// 1. the forward pass with every node's shape and value, 2. the backward pass in matrix form (each
/// node's δ, the rule it applies to each input with its value, and the scalar chain rule beside it),
/// 3. the input gradients with finite differences, 4. the optional gradient-descent step.
/// </summary>
public static class MatrixExplanationReport
{
    /// <summary>The report of <paramref name="e"/>.</summary>
    /// <param name="e">The explanation reported.</param>
    /// <returns>A new report.</returns>
    public static Report Create(MatrixExplanation e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var report = new Report();
        AddProgram(report, e);
        AddForward(report, e);
        AddBackward(report, e);
        AddGradients(report, e);
        if (e.LearningRate is not null)
        {
            AddStep(report, e);
        }

        return report;
    }

    private static string Shape(MatrixNode node) => ExplainArray.FormatShape(node.Shape);

    private static ReportSpan Value(Tensor value) => MatrixTex.Value(value);

    private static ReportSpan Named(MatrixNode node) => $"{node.Name} ({Shape(node)})";

    private static void AddProgram(Report report, MatrixExplanation e)
    {
        report.Heading(1, "Program (matrix form)");
        report.Add(new ReportCode(e.Program.Source.Trim()));
        var spans = new List<ReportSpan>();
        if (e.Inputs.Count > 0)
        {
            spans.Add("Inputs: ");
            for (int i = 0; i < e.Inputs.Count; i++)
            {
                spans.Add($"{e.Inputs[i].Name} ({Shape(e.Inputs[i])}) = ");
                spans.Add(Value(e.Inputs[i].Value));
                spans.Add(i + 1 < e.Inputs.Count ? ", " : ". ");
            }
        }

        if (e.Target is MatrixNode target)
        {
            MatrixNode y = e.ProgramOutput;
            spans.Add($"Output: {y.Name} ({Shape(y)}). Target {target.Name} ({Shape(target)}) = ");
            spans.Add(Value(target.Value));
            spans.Add(", with the loss ");
            spans.Add(MatrixTex.Rule($"{e.OutputName} = {e.Output.Formula}"));
            spans.Add($" on top of {y.Name} (scalar): ");
            spans.Add(MatrixTex.Rule(e.Loss == ExplainLoss.Squared
                ? $"∂{e.OutputName}/∂{y.Name} = −2({target.Name} − {y.Name})"
                : $"∂{e.OutputName}/∂{y.Name} = −1"));
            spans.Add(y.Shape.Count == 0 ? "." : e.Loss == ExplainLoss.Squared ? " entry by entry." : " for every entry.");
        }
        else
        {
            spans.Add($"Output: {e.OutputName} (scalar).");
        }

        report.Paragraph([.. spans]);
        report.Paragraph(
            "Shapes: a vector of n numbers has shape n and is a column in W @ x; an m×n matrix has m rows and n columns. ",
            "A @ B is the matrix product, ⊙ the elementwise product; + − ⊙ / ^ work entry by entry, a scalar or a vector stretching (broadcasting) to match a matrix; ",
            "xᵀ is the transpose; sum and mean add up all entries. Values are float64, computed by the library's tensor ops.");
    }

    private static void AddForward(Report report, MatrixExplanation e)
    {
        report.Heading(1, "1. Forward pass (topological order)");
        report.Paragraph("Each node is computed from nodes above it; its value (a scalar, vector or matrix) is stored for the backward pass.");
        var rows = new List<IReadOnlyList<ReportSpan>>();
        foreach (var node in e.Nodes)
        {
            if (node.Kind == ExpressionNodeKind.Constant && !node.IsNamed)
            {
                continue; // shown inside the formulas that use it
            }

            rows.Add([node.Name, node.Kind == ExpressionNodeKind.Operation ? MatrixTex.Rule(node.Formula) : node.Formula, MatrixTex.Shape(node.Shape), Value(node.Value)]);
        }

        report.Add(new ReportTable(["node", "formula", "shape", "value"], [rows], [false, false, true, false]));
    }

    private static void AddBackward(Report report, MatrixExplanation e)
    {
        string l = e.OutputName;
        report.Heading(1, "2. Backward pass in matrix form (reverse topological order)");
        report.Paragraph(
            $"Seed ∂{l}/∂{l} = 1. For each node u, δ_u = ∂{l}/∂u has u's shape and is complete when u is visited (all its consumers come later). ",
            "u sends δ_u to each input v by the matrix-form rule of its operation; the line \"scalar:\" below a rule is the chain rule for one entry ",
            "that the rule computes for all entries at once, and for an elementwise operation the diagonal of its Jacobian is shown with its values.");
        var groups = new List<IReadOnlyList<IReadOnlyList<ReportSpan>>>();
        foreach (var step in e.Steps)
        {
            var rows = new List<IReadOnlyList<ReportSpan>>();
            if (step.Edges.Count == 0)
            {
                rows.Add([Named(step.Node), Value(step.Upstream), "", "", ""]);
            }

            for (int k = 0; k < step.Edges.Count; k++)
            {
                var edge = step.Edges[k];
                rows.Add([k == 0 ? Named(step.Node) : "", k == 0 ? Value(step.Upstream) : "", Named(edge.Input), MatrixTex.Rule(edge.Rule), Value(edge.Contribution)]);
                rows.Add(["", "", "", new ReportSpan("  scalar: " + edge.ScalarRule, @"\text{scalar: }" + MatrixTex.Math(edge.ScalarRule)), ""]);
                if (edge.LocalRule is not null && edge.Local is not null)
                {
                    rows.Add(["", "", "", new ReportSpan("  " + edge.LocalRule, MatrixTex.Math(edge.LocalRule)), Value(edge.Local)]);
                }
            }

            groups.Add(rows);
        }

        if (groups.Count == 0)
        {
            report.Paragraph("The output depends on no input: there is nothing to propagate.");
            return;
        }

        report.Add(new ReportTable(
            ["node u", $"δ_u = ∂{l}/∂u", "input v", "rule (matrix form)", "value"],
            groups,
            [false, false, false, false, false],
            Steppable: true));

        var shared = e.Nodes
            .Select(n => (Node: n, Edges: e.Steps.SelectMany(s => s.Edges.Select(edge => (Step: s, Edge: edge))).Where(x => x.Edge.Input == n).ToList()))
            .Where(x => x.Edges.Count > 1)
            .ToList();
        foreach (var (node, edges) in shared)
        {
            report.Paragraph(
                $"{node.Name} is used {edges.Count} times: ∂{l}/∂{node.Name} is the sum of what {string.Join(" and ", edges.Select(x => x.Step.Node.Name))} send it, ",
                Value(e.GradientOf(node)!), ".");
        }

        report.Paragraph(
            $"Every δ above is the engine's gradient (Autograd.Grad, float64), and at each node the rules' values add up to it: ",
            $"the largest difference is {ExplainNumber.Format(e.LargestRuleDifference)}.");
    }

    private static string Scientific(double value) =>
        double.IsNaN(value) ? "n/a" : value.ToString("0.0E+0", CultureInfo.InvariantCulture);

    private static void AddGradients(Report report, MatrixExplanation e)
    {
        string l = e.OutputName;
        report.Heading(1, $"3. Gradients of {l}");
        if (e.Gradients.Count == 0)
        {
            report.Paragraph("The program has no inputs.");
            return;
        }

        bool checkedAny = e.Gradients.Any(g => g.FiniteDifference is not null);
        report.Paragraph(checkedAny
            ? "Each entry checked against the central difference (f(x + h) − f(x − h)) / 2h with h = 1e-6·max(1, |x|); relative error = |g − fd| / max(|g|, |fd|, 1e-6), the largest over the entries."
            : $"No finite-difference check (turned off, or more than {MatrixExplanation.MaxFiniteDifferenceEntries} input entries).");
        var rows = e.Gradients.Select(g => (IReadOnlyList<ReportSpan>)[
            g.Input.Name,
            MatrixTex.Shape(g.Input.Shape),
            Value(g.Gradient),
            g.FiniteDifference is null ? "n/a" : Value(g.FiniteDifference),
            Scientific(g.MaxRelativeError),
        ]).ToList();
        report.Add(new ReportTable(["input x", "shape", $"∂{l}/∂x", "finite difference", "relative error"], [rows], [false, true, false, false, true]));
    }

    private static void AddStep(Report report, MatrixExplanation e)
    {
        string l = e.OutputName;
        report.Heading(1, "4. One gradient-descent step");
        report.Paragraph($"Update w ← w − η·∂{l}/∂w for every input w, entry by entry, with η = {ExplainNumber.Format(e.LearningRate!.Value)}.");
        var rows = e.Updates.Select(u => (IReadOnlyList<ReportSpan>)[u.Input.Name, Value(u.Input.Value), Value(u.NewValue)]).ToList();
        report.Add(new ReportTable(["input w", "value", "new value"], [rows], [false, false, false]));
        report.Paragraph($"After the step: {l} = {ExplainNumber.Format(e.OutputAfter)} (was {ExplainNumber.Format(e.Output.Value.Item())}).");
    }
}
