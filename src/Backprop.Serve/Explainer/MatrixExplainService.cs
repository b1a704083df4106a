using System.Globalization;
using Backprop.Explain;
using Backprop.Visualization;

namespace Backprop.Serve.Explainer;

/// <summary>
/// Answers an <see cref="ExplainRequest"/> for a program in matrix form with the library's own
/// <see cref="MatrixExplanation"/> (the code behind <c>backprop explain --example mazur-matrix</c>):
/// every value, δ, rule and rule value is the library's; here only the page's bookkeeping (the steps,
/// the running sum of a node's gradient as its consumers send it, the layout of the graph).
/// </summary>
internal static class MatrixExplainService
{
    /// <summary>Explains a matrix-form example, or a program with vector/matrix values or matrix-form operations.</summary>
    public static MatrixExplainResponse Explain(ExplainRequest request, ExplainProgram? program)
    {
        ArgumentNullException.ThrowIfNull(request);
        MatrixWorkedExample? example = request.Example is null ? null : WorkedExamples.GetMatrix(request.Example);
        IReadOnlyList<KeyValuePair<string, Tensor>> values;
        ExplainOptions options;
        if (example is not null)
        {
            program = ExplainProgram.Parse(example.Program);
            values = example.Inputs;
            options = request.LearningRate is null ? example.Options : example.Options with { LearningRate = request.LearningRate };
        }
        else
        {
            ArgumentNullException.ThrowIfNull(program);
            values = request.Arrays ?? [.. request.Values.Select(v => KeyValuePair.Create(v.Key, Tensor.Scalar(v.Value, DType.Float64)))];
            options = new ExplainOptions { Target = request.Target, TargetArray = request.TargetArray, Loss = request.Loss, LearningRate = request.LearningRate };
        }

        options = options with { MaxEntries = ServeLimits.MaxEntries };

        // Forward and backward alone are cheap (every value bounded by MaxEntries); the finite
        // differences cost two forward passes per input entry, so the graph's size is checked first.
        var probe = MatrixExplanation.Create(program, values, options with { FiniteDifferences = false });
        ServeLimits.RequireNodes(probe.Nodes.Count);

        long entries = probe.Nodes.Sum(n => (long)n.Value.Numel);
        if (entries > ServeLimits.MaxTotalEntries)
        {
            throw new RequestException($"the program's values have {entries:N0} entries in all; the limit is {ServeLimits.MaxTotalEntries:N0}");
        }

        return Describe(MatrixExplanation.Create(program, values, options), example);
    }

    /// <summary>The answer for a matrix-form explanation already computed.</summary>
    public static MatrixExplainResponse Describe(MatrixExplanation e, MatrixWorkedExample? example)
    {
        ArgumentNullException.ThrowIfNull(e);
        MatrixNode output = e.Output;
        string l = e.OutputName;

        // How many inputs' worth each node receives in the backward pass (more than one for a node used twice).
        var uses = new Dictionary<int, int>();
        foreach (var edge in e.Steps.SelectMany(s => s.Edges))
        {
            uses[edge.Input.Index] = uses.GetValueOrDefault(edge.Input.Index) + 1;
        }

        var steps = new List<MatrixStepDto> { new(0, "start", null, null, []) };
        var forwardStep = new Dictionary<int, int>();
        foreach (var node in e.Nodes.Where(n => n.Kind == ExpressionNodeKind.Operation))
        {
            forwardStep[node.Index] = steps.Count;
            steps.Add(new MatrixStepDto(steps.Count, "forward", node.Index, null, []));
        }

        steps.Add(new MatrixStepDto(steps.Count, "seed", output.Index, Value(e.GradientOf(output) ?? Tensor.Scalar(1, DType.Float64)), []));

        // The gradient each node holds so far, and per node the longest line of its gradient at any step, for its box.
        var soFar = new Dictionary<int, Tensor>();
        var received = new Dictionary<int, int>();
        var gradientLines = new Dictionary<int, List<string>>();
        foreach (var step in e.Steps)
        {
            var contributions = new List<MatrixContributionDto>();
            foreach (var edge in step.Edges)
            {
                int v = edge.Input.Index;
                Tensor? before = soFar.GetValueOrDefault(v);
                Tensor after;
                using (Autograd.NoGrad())
                {
                    after = before is null ? edge.Contribution : before.Add(edge.Contribution);
                }

                soFar[v] = after;
                int use = received[v] = received.GetValueOrDefault(v) + 1;
                var afterDto = Value(after);
                Longest(gradientLines, v, afterDto.Lines);
                contributions.Add(new MatrixContributionDto(v, edge.InputIndex, edge.Rule, edge.ScalarRule, edge.LocalRule,
                    edge.Local is null ? null : Value(edge.Local), Value(edge.Contribution), before is null ? null : Value(before), afterDto, use, uses[v]));
            }

            steps.Add(new MatrixStepDto(steps.Count, "backward", step.Node.Index, Value(step.Upstream), contributions));
        }

        steps.Add(new MatrixStepDto(steps.Count, "done", null, null, []));

        // The drawing: numbers and arrays written in the program appear inside the formulas that use them.
        var drawing = new ComputationGraph();
        var drawnId = new Dictionary<int, int>();
        var nodeValues = new Dictionary<int, ValueDto>();
        var nodeGradients = new Dictionary<int, ValueDto?>();
        foreach (var node in e.Nodes)
        {
            var value = nodeValues[node.Index] = Value(node.Value);
            var gradient = nodeGradients[node.Index] = e.GradientOf(node) is { } g ? Value(g) : null;
            if (node.Kind == ExpressionNodeKind.Constant && !node.IsNamed)
            {
                continue;
            }

            // The lines the page shows in the box, at their longest, so the box fits every state.
            var lines = new List<string>();
            if (node.Kind == ExpressionNodeKind.Operation)
            {
                lines.Add("= " + node.Formula);
            }

            lines.AddRange(Prefixed("value ", value.Lines));
            if (gradient is not null)
            {
                Longest(gradientLines, node.Index, gradient.Lines);
                lines.AddRange(Prefixed($"∂{l}/∂{node.Name} {(uses.GetValueOrDefault(node.Index) > 1 ? "so far" : "=")} ", gradientLines[node.Index]));
            }

            var kind = node == output ? GraphNodeKind.Output : node.Kind switch
            {
                ExpressionNodeKind.Input => GraphNodeKind.Input,
                ExpressionNodeKind.Constant => GraphNodeKind.Constant,
                _ => GraphNodeKind.Operation,
            };
            drawnId[node.Index] = drawing.AddNode(Title(node), lines, kind);
        }

        var (layout, edges) = GraphEdges.LayOut(drawing, drawnId, e.Nodes.Select(n => (n.Index, (IReadOnlyList<int>)n.Inputs.Select(i => i.Index).ToList())));

        var nodes = e.Nodes.Select(node =>
        {
            BoxDto? box = null;
            if (drawnId.TryGetValue(node.Index, out int id))
            {
                var b = layout.Boxes[id];
                box = new BoxDto(Round(b.X), Round(b.Y), Round(b.Width), Round(b.Height));
            }

            return new MatrixNodeDto(
                node.Index,
                node.Name,
                node.Kind.ToString().ToLowerInvariant(),
                node == output,
                node.Op,
                node.Formula,
                nodeValues[node.Index],
                node.RequiresGrad,
                nodeGradients[node.Index] is not null,
                node.Inputs.Select(i => i.Index).ToList(),
                nodeGradients[node.Index],
                uses.GetValueOrDefault(node.Index),
                forwardStep.GetValueOrDefault(node.Index),
                box);
        }).ToList();

        var gradients = e.Gradients.Select(g => new MatrixGradientDto(
            g.Input.Index,
            g.Input.Name,
            Value(g.Gradient),
            g.FiniteDifference is null ? null : Value(g.FiniteDifference),
            double.IsNaN(g.MaxRelativeError) ? new NumberDto(null, "n/a") : new NumberDto(g.MaxRelativeError, g.MaxRelativeError.ToString("0.0E+0", CultureInfo.InvariantCulture)),
            double.IsNaN(g.MaxRelativeError) ? null : g.MaxRelativeError < ExplainService.AgreementTolerance)).ToList();

        MatrixDescentDto? descent = null;
        if (e.LearningRate is double eta)
        {
            var byInput = e.Gradients.ToDictionary(g => g.Input.Index);
            descent = new MatrixDescentDto(
                Number(eta),
                e.Updates.Select(u => new MatrixUpdateDto(u.Input.Index, u.Input.Name, Value(u.Input.Value), Value(byInput[u.Input.Index].Gradient), Value(u.NewValue))).ToList(),
                Number(output.Value.Item()),
                Number(e.OutputAfter));
        }

        return new MatrixExplainResponse(
            "matrix",
            e.Program.Source,
            example is null ? null : new MatrixExampleDto(example.Name, example.Title, example.Expected),
            e.Inputs.Select(i => new MatrixInputDto(i.Index, i.Name, nodeValues[i.Index])).ToList(),
            string.Join(",", e.Inputs.Select(i => i.Name + "=" + RoundTrip(i.Value))),
            new MatrixOptionsDto(
                e.Target is null ? null : RoundTrip(e.Target.Value),
                e.Target is not null && e.Loss == ExplainLoss.Difference ? "difference" : "squared",
                e.LearningRate),
            output.Index,
            l,
            nodes,
            edges,
            Round(layout.Width),
            Round(layout.Height),
            steps,
            gradients,
            Number(e.LargestRuleDifference),
            descent);
    }

    /// <summary>A node's title in its box: its name and shape, e.g. <c>W1 (2×2)</c>.</summary>
    internal static string Title(MatrixNode node) => $"{node.Name} ({ExplainArray.FormatShape(node.Shape)})";

    /// <summary>The value's shape, entries and text; a matrix's text is cut after each row for the box.</summary>
    internal static ValueDto Value(Tensor tensor)
    {
        double[] data = tensor.Detach().To(DType.Float64).ToArray();
        int[] shape = tensor.Shape;
        var entries = data.Select(ExplainNumber.Format).ToList();
        string text = ExplainArray.Format(tensor.Detach());
        List<string> lines;
        if (shape.Length == 2)
        {
            lines = [];
            for (int r = 0; r < shape[0]; r++)
            {
                string row = "[" + string.Join(", ", entries.Skip(r * shape[1]).Take(shape[1])) + "]";
                lines.Add((r == 0 ? "[" : " ") + row + (r + 1 < shape[0] ? "," : "]"));
            }
        }
        else
        {
            lines = [text];
        }

        return new ValueDto(shape, ExplainArray.FormatShape(shape), data.Select(v => double.IsFinite(v) ? v : (double?)null).ToList(), entries, text, lines);
    }

    /// <summary>The lines of a value after a label: the first carries the label, the others are indented under the value.</summary>
    private static IEnumerable<string> Prefixed(string prefix, IReadOnlyList<string> lines) =>
        lines.Select((line, i) => (i == 0 ? prefix : new string(' ', prefix.Length)) + line);

    /// <summary>Keeps, line by line, the longest text seen for a node's gradient.</summary>
    private static void Longest(Dictionary<int, List<string>> longest, int node, IReadOnlyList<string> lines)
    {
        if (!longest.TryGetValue(node, out var current))
        {
            longest[node] = [.. lines];
            return;
        }

        for (int i = 0; i < lines.Count && i < current.Count; i++)
        {
            if (lines[i].Length > current[i].Length)
            {
                current[i] = lines[i];
            }
        }
    }

    /// <summary>A value in the syntax of <c>at</c> with every number round-tripping (<c>[[0.15,0.2],[0.25,0.3]]</c>), so a link gives the same value.</summary>
    private static string RoundTrip(Tensor value)
    {
        double[] data = value.Detach().ToArray();
        string Number(double x) => x.ToString("R", CultureInfo.InvariantCulture);
        string Row(int start, int count) => "[" + string.Join(",", data.Skip(start).Take(count).Select(Number)) + "]";
        return value.Shape.Length switch
        {
            0 => Number(data[0]),
            1 => Row(0, data.Length),
            _ => "[" + string.Join(",", Enumerable.Range(0, value.Shape[0]).Select(r => Row(r * value.Shape[1], value.Shape[1]))) + "]",
        };
    }

    private static NumberDto Number(double value) => new(double.IsFinite(value) ? value : null, ExplainNumber.Format(value));

    private static double Round(double value) => GraphEdges.Round(value);
}
