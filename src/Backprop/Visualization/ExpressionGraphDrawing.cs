using Backprop.Explain;

namespace Backprop.Visualization;

/// <summary>Turns the scalar graph of an explain program into a <see cref="ComputationGraph"/> to draw.</summary>
public static class ExpressionGraphDrawing
{
    /// <summary>
    /// One node per input, named constant and operation (unnamed numbers appear inside the formulas
    /// that use them), each showing its formula, value and ∂output/∂node; each edge is labeled with
    /// the local derivative ∂consumer/∂input.
    /// </summary>
    /// <param name="graph">The evaluated expression graph drawn.</param>
    /// <param name="gradients">Its backward pass, whose gradients label the nodes.</param>
    /// <returns>A new graph, ready for <see cref="LayeredLayout.Compute"/>.</returns>
    public static ComputationGraph Create(ExpressionGraph graph, GradientPass gradients)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(gradients);
        var drawing = new ComputationGraph();
        var ids = new Dictionary<ExpressionNode, int>(ReferenceEqualityComparer.Instance);
        foreach (var node in graph.Nodes)
        {
            if (node.Kind == ExpressionNodeKind.Constant && !node.IsNamed)
            {
                continue;
            }

            var lines = new List<string>();
            if (node.Kind == ExpressionNodeKind.Operation)
            {
                lines.Add("= " + node.Formula.ToText());
            }

            lines.Add("value " + ExplainNumber.Format(node.Value));
            if (node.RequiresGrad)
            {
                lines.Add($"∂{graph.Output.Name}/∂{node.Name} {ExplainNumber.Format(gradients.GradientOf(node))}");
            }

            var kind = node == graph.Output ? GraphNodeKind.Output : node.Kind switch
            {
                ExpressionNodeKind.Input => GraphNodeKind.Input,
                ExpressionNodeKind.Constant => GraphNodeKind.Constant,
                _ => GraphNodeKind.Operation,
            };
            ids[node] = drawing.AddNode(node.Name, lines, kind);
        }

        foreach (var node in graph.Nodes)
        {
            for (int j = 0; j < node.Inputs.Count; j++)
            {
                if (ids.TryGetValue(node.Inputs[j], out int from))
                {
                    string? label = node.Inputs[j].RequiresGrad ? ExplainNumber.Format(node.LocalDerivatives[j]) : null;
                    drawing.AddEdge(from, ids[node], label);
                }
            }
        }

        return drawing;
    }
}
