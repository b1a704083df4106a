using Backprop.Visualization;

namespace Backprop.Serve.Explainer;

/// <summary>
/// The explain pages' graph layout, shared by the scalar and the matrix form: an edge from every
/// drawn input to its drawn node, laid out, each with its route and label position rounded to a
/// tenth of a pixel for the page.
/// </summary>
internal static class GraphEdges
{
    /// <summary>Adds the edges between drawn nodes to <paramref name="drawing"/>, lays it out, and returns the layout with the edges for the page.</summary>
    /// <param name="drawing">The drawing whose nodes are added already.</param>
    /// <param name="drawnId">Each drawn node's drawing id, by its index in the explanation.</param>
    /// <param name="nodes">Every node of the explanation as (its index, its inputs' indexes in order).</param>
    /// <returns>The layout and the edges (from, to, input number, route, label position).</returns>
    public static (GraphLayout Layout, List<EdgeDto> Edges) LayOut(ComputationGraph drawing, Dictionary<int, int> drawnId, IEnumerable<(int Index, IReadOnlyList<int> Inputs)> nodes)
    {
        var edgeEnds = new List<(int From, int To, int InputIndex)>();
        foreach (var (index, inputs) in nodes)
        {
            for (int j = 0; j < inputs.Count; j++)
            {
                if (drawnId.TryGetValue(inputs[j], out int from))
                {
                    drawing.AddEdge(from, drawnId[index]);
                    edgeEnds.Add((inputs[j], index, j));
                }
            }
        }

        var layout = LayeredLayout.Compute(drawing);
        var edges = edgeEnds.Select((end, i) => new EdgeDto(end.From, end.To, end.InputIndex,
            layout.Edges[i].Select(p => new[] { Round(p.X), Round(p.Y) }).ToList(),
            [Round(layout.LabelPositions[i].X), Round(layout.LabelPositions[i].Y)])).ToList();
        return (layout, edges);
    }

    /// <summary>A coordinate rounded to a tenth of a pixel.</summary>
    public static double Round(double value) => Math.Round(value, 1);
}
