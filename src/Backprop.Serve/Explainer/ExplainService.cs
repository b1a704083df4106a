using System.Globalization;
using Backprop.Explain;
using Backprop.Visualization;

namespace Backprop.Serve.Explainer;

/// <summary>
/// Answers an <see cref="ExplainRequest"/> with the library's own explanation
/// (<see cref="Explanation.Create(ExplainProgram, IEnumerable{KeyValuePair{string, double}}, ExplainOptions?)"/>,
/// the code behind <c>backprop explain</c>): nothing is computed here but bookkeeping for the page,
/// the steps it walks and the layered layout of the graph (<see cref="LayeredLayout"/>, as <c>backprop graph</c> draws it).
/// </summary>
internal static class ExplainService
{
    /// <summary>Relative error below which a gradient and its finite difference are said to agree.</summary>
    public const double AgreementTolerance = 1e-6;

    /// <summary>
    /// The answer for <paramref name="request"/>: an <see cref="ExplainResponse"/>, or a
    /// <see cref="MatrixExplainResponse"/> (<see cref="MatrixExplainService"/>) for a matrix-form
    /// example, values with brackets, or a program that uses the matrix form (as <c>backprop explain</c> decides).
    /// </summary>
    public static object Explain(ExplainRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Example is not null && WorkedExamples.MatrixNames.Contains(request.Example))
        {
            return MatrixExplainService.Explain(request, null);
        }

        if (request.Example is null)
        {
            var parsed = ExplainProgram.Parse(request.Program!);
            if (request.Arrays is not null || request.TargetArray is not null || parsed.UsesMatrixForm)
            {
                return MatrixExplainService.Explain(request, parsed);
            }
        }

        return ExplainScalar(request);
    }

    private static ExplainResponse ExplainScalar(ExplainRequest request)
    {
        WorkedExample? example = request.Example is null ? null : WorkedExamples.Get(request.Example);
        ExplainProgram program;
        IReadOnlyList<KeyValuePair<string, double>> values;
        ExplainOptions options;
        if (example is not null)
        {
            program = ExplainProgram.Parse(example.Program);
            values = example.Inputs;
            options = request.LearningRate is null ? example.Options : example.Options with { LearningRate = request.LearningRate };
        }
        else
        {
            program = ExplainProgram.Parse(request.Program!);
            values = request.Values;
            options = new ExplainOptions { Target = request.Target, Loss = request.Loss, LearningRate = request.LearningRate };
        }

        // The graph alone is cheap (one node per operation of a program of bounded length); the
        // explanation costs a finite-difference check per input over the whole graph, so the node
        // count is checked first.
        ServeLimits.RequireNodes(ExpressionGraph.Build(program, values).Nodes.Count);

        return Describe(Explanation.Create(program, values, options), example);
    }

    /// <summary>The answer for an explanation already computed.</summary>
    public static ExplainResponse Describe(Explanation e, WorkedExample? example)
    {
        ArgumentNullException.ThrowIfNull(e);
        var graph = e.Graph;
        ExpressionNode output = graph.Output;
        string y = output.Name;

        // Backward pass bookkeeping: which step visits each node, each contribution's before/after.
        var sums = e.Consumers.Sums.ToDictionary(s => s.Node.Index);
        int Uses(ExpressionNode v) => sums.TryGetValue(v.Index, out var s) ? s.Terms.Count : 0;
        var operations = graph.Nodes.Where(n => n.Kind == ExpressionNodeKind.Operation).ToList();
        var forwardStep = new Dictionary<int, int>();
        var steps = new List<StepDto> { new(0, "start", null, null, []) };
        foreach (var node in operations)
        {
            forwardStep[node.Index] = steps.Count;
            steps.Add(new StepDto(steps.Count, "forward", node.Index, null, []));
        }

        steps.Add(new StepDto(steps.Count, "seed", output.Index, Number(1), []));
        var backwardStep = new Dictionary<int, int>();
        var soFar = new Dictionary<int, double>();
        var received = new Dictionary<int, int>();
        var longestGradient = new Dictionary<int, string>();
        foreach (var step in e.Backward.Steps)
        {
            backwardStep[step.Node.Index] = steps.Count;
            var contributions = new List<ContributionDto>();
            foreach (var edge in step.Edges)
            {
                int v = edge.Input.Index;
                double before = soFar.GetValueOrDefault(v);
                soFar[v] = edge.InputGradient;
                int use = received[v] = received.GetValueOrDefault(v) + 1;
                contributions.Add(new ContributionDto(v, edge.InputIndex, edge.LocalFormula.ToText(), Number(edge.LocalDerivative),
                    Number(edge.Product), Number(before), Number(edge.InputGradient), use, Uses(edge.Input)));
                Longest(longestGradient, v, ExplainNumber.Format(edge.InputGradient));
            }

            steps.Add(new StepDto(steps.Count, "backward", step.Node.Index, Number(step.Upstream), contributions));
        }

        steps.Add(new StepDto(steps.Count, "done", null, null, []));

        // The drawing: numbers written in the program appear inside formulas, not as boxes.
        var drawing = new ComputationGraph();
        var drawnId = new Dictionary<int, int>();
        foreach (var node in graph.Nodes)
        {
            if (node.Kind == ExpressionNodeKind.Constant && !node.IsNamed)
            {
                continue;
            }

            // The lines the page shows in the box, at their longest, so the box fits every state.
            var lines = new List<string>();
            if (node.Kind == ExpressionNodeKind.Operation)
            {
                lines.Add("= " + node.Formula.ToText());
            }

            lines.Add("value " + ExplainNumber.Format(node.Value));
            if (node.RequiresGrad)
            {
                Longest(longestGradient, node.Index, ExplainNumber.Format(e.Backward.GradientOf(node)));
                // While a node used more than once collects its terms the page says "so far" instead of "=".
                lines.Add($"∂{y}/∂{node.Name} {(Uses(node) > 1 ? "so far" : "=")} {longestGradient[node.Index]}");
            }

            var kind = node == output ? GraphNodeKind.Output : node.Kind switch
            {
                ExpressionNodeKind.Input => GraphNodeKind.Input,
                ExpressionNodeKind.Constant => GraphNodeKind.Constant,
                _ => GraphNodeKind.Operation,
            };
            drawnId[node.Index] = drawing.AddNode(node.Name, lines, kind);
        }

        var (layout, edges) = GraphEdges.LayOut(drawing, drawnId, graph.Nodes.Select(n => (n.Index, (IReadOnlyList<int>)n.Inputs.Select(i => i.Index).ToList())));

        var nodes = graph.Nodes.Select(node =>
        {
            bool onPath = node == output || graph.IsOnPathToOutput(node);
            BoxDto? box = null;
            if (drawnId.TryGetValue(node.Index, out int id))
            {
                var b = layout.Boxes[id];
                box = new BoxDto(Round(b.X), Round(b.Y), Round(b.Width), Round(b.Height));
            }

            return new NodeDto(
                node.Index,
                node.Name,
                node.Kind.ToString().ToLowerInvariant(),
                node == output,
                node.Op,
                node.Formula.ToText(),
                Number(node.Value),
                node.RequiresGrad,
                onPath,
                node.Inputs.Select(i => i.Index).ToList(),
                node.Inputs.Select((input, j) => new LocalDto(input.Index, node.LocalDerivativeFormulas[j].ToText(), Number(node.LocalDerivatives[j]))).ToList(),
                node == output ? Number(1) : node.RequiresGrad && onPath ? Number(e.Backward.GradientOf(node)) : new NumberDto(null, "n/a"),
                Uses(node),
                forwardStep.GetValueOrDefault(node.Index),
                box);
        }).ToList();

        var shared = e.Consumers.Sums.Where(s => s.Terms.Count > 1).Select(s => new SumDto(
            s.Node.Index,
            s.Terms.Select(t => new TermDto(t.Consumer.Index, t.InputIndex, Number(t.ConsumerGradient), t.LocalFormula.ToText(), Number(t.LocalDerivative), Number(t.Product), backwardStep.GetValueOrDefault(t.Consumer.Index))).ToList(),
            Number(s.Gradient),
            s.Gradient.Equals(e.Backward.GradientOf(s.Node)))).ToList();

        var gradients = e.Gradients.Select(g => new GradientDto(
            g.Input.Index,
            g.Input.Name,
            Number(g.Gradient),
            Number(g.FiniteDifference),
            double.IsNaN(g.RelativeError) ? new NumberDto(null, "n/a") : new NumberDto(g.RelativeError, g.RelativeError.ToString("0.0E+0", CultureInfo.InvariantCulture)),
            double.IsNaN(g.RelativeError) ? null : g.RelativeError < AgreementTolerance)).ToList();

        return new ExplainResponse(
            e.Program.Source,
            example is null ? null : new ExampleDto(example.Name, example.Title, example.Expected, example.Rows.Count, example.Epochs, example.Steps),
            graph.Inputs.Select(i => new InputDto(i.Index, i.Name, Number(i.Value))).ToList(),
            string.Join(",", e.InputValues.Select(kv => kv.Key + "=" + kv.Value.ToString("R", CultureInfo.InvariantCulture))),
            new OptionsDto(e.Options.Target, e.Options.Loss == ExplainLoss.Difference ? "difference" : "squared", e.Options.LearningRate),
            output.Index,
            y,
            nodes,
            edges,
            Round(layout.Width),
            Round(layout.Height),
            steps,
            shared,
            gradients,
            e.Step is null ? null : Descent(e.Step, e.Options.Target is not null));
    }

    private static DescentDto Descent(LossStep step, bool hasTarget) => new(
        step.Name,
        step.Formula.ToText(),
        Number(step.Value),
        step.OutputGradientFormula.ToText(),
        Number(step.OutputGradient),
        step.LearningRate is double eta ? Number(eta) : null,
        step.Updates.Select(u => new UpdateDto(u.Input.Index, u.Input.Name, Number(u.Input.Value), Number(u.LossGradient), Number(u.NewValue))).ToList(),
        Number(step.OutputAfter),
        Number(step.ValueAfter),
        hasTarget);

    private static NumberDto Number(double value) => new(double.IsFinite(value) ? value : null, ExplainNumber.Format(value));

    private static double Round(double value) => GraphEdges.Round(value);

    private static void Longest(Dictionary<int, string> longest, int node, string text)
    {
        if (!longest.TryGetValue(node, out var current) || text.Length > current.Length)
        {
            longest[node] = text;
        }
    }
}
