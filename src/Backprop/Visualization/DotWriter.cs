using System.Globalization;
using System.Text;

namespace Backprop.Visualization;

/// <summary>
/// Writes a <see cref="ComputationGraph"/> in Graphviz's DOT language (<c>dot -Tsvg graph.dot</c>),
/// left to right, one boxed node per graph node with its title and lines, one edge per edge.
/// </summary>
public static class DotWriter
{
    /// <summary>The DOT text of <paramref name="graph"/>.</summary>
    /// <param name="graph">The graph written.</param>
    /// <returns>The DOT text.</returns>
    public static string ToDot(ComputationGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var sb = new StringBuilder();
        sb.Append("digraph backprop {\n");
        sb.Append("  rankdir=LR;\n");
        sb.Append("  node [shape=box, style=\"rounded,filled\", fontname=\"monospace\", fontsize=11];\n");
        sb.Append("  edge [fontname=\"monospace\", fontsize=9, color=\"#6b7280\"];\n");
        foreach (var node in graph.Nodes)
        {
            string label = string.Join("\\n", node.Lines.Prepend(node.Title).Select(Escape));
            string fill = node.Kind switch
            {
                GraphNodeKind.Input => "#dbeafe",
                GraphNodeKind.Parameter => "#fef3c7",
                GraphNodeKind.Constant => "#f3f4f6",
                GraphNodeKind.Output => "#fee2e2",
                _ => "#ffffff",
            };
            sb.Append(CultureInfo.InvariantCulture, $"  n{node.Id} [label=\"{label}\", fillcolor=\"{fill}\"];\n");
        }

        foreach (var edge in graph.Edges)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  n{edge.From} -> n{edge.To}");
            if (edge.Label is not null)
            {
                sb.Append(CultureInfo.InvariantCulture, $" [label=\"{Escape(edge.Label)}\"]");
            }

            sb.Append(";\n");
        }

        sb.Append("}\n");
        return sb.ToString();
    }

    /// <summary>Escapes a label for a double-quoted DOT string: backslashes and quotes; new lines become \n.</summary>
    private static string Escape(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\r", "", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal);
}
