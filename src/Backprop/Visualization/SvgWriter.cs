using System.Globalization;
using System.Text;
using System.Xml;

namespace Backprop.Visualization;

/// <summary>
/// Writes a <see cref="GraphLayout"/> as a standalone SVG document: one <c>&lt;g class="node"&gt;</c>
/// per node (a box with its title and lines, and a tooltip) and one <c>&lt;g class="edge"&gt;</c> per
/// edge (a curve with an arrowhead, and its label). Written through <see cref="XmlWriter"/>, so any
/// text is escaped and the file is well-formed XML that a browser renders directly.
/// </summary>
public static class SvgWriter
{
    private const string Namespace = "http://www.w3.org/2000/svg";

    private const string Style =
        """
        .node rect { stroke: #374151; stroke-width: 1; rx: 4; }
        .node[data-kind=input] rect { fill: #dbeafe; }
        .node[data-kind=parameter] rect { fill: #fef3c7; }
        .node[data-kind=constant] rect { fill: #f3f4f6; }
        .node[data-kind=operation] rect { fill: #ffffff; }
        .node[data-kind=output] rect { fill: #fee2e2; stroke-width: 2; }
        .node text { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; fill: #111827; }
        .node .title { font-weight: bold; }
        .edge path { fill: none; stroke: #6b7280; stroke-width: 1.2; }
        .edge text { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 10px; fill: #4b5563; paint-order: stroke; stroke: #ffffff; stroke-width: 3px; }
        """;

    /// <summary>The SVG document as a string.</summary>
    /// <param name="layout">The placed graph drawn.</param>
    /// <returns>The SVG text.</returns>
    public static string ToSvg(GraphLayout layout)
    {
        var sb = new StringBuilder();
        using (var writer = new StringWriter(sb, CultureInfo.InvariantCulture))
        {
            Write(layout, writer);
        }

        return sb.ToString();
    }

    /// <summary>Writes the SVG document to <paramref name="output"/>.</summary>
    /// <param name="layout">The placed graph drawn.</param>
    /// <param name="output">Where the SVG text goes.</param>
    public static void Write(GraphLayout layout, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(output);
        // No XML declaration: its encoding would name the TextWriter's (UTF-16 for a string), while files are UTF-8, which is also the default without one.
        var settings = new XmlWriterSettings { Indent = true, OmitXmlDeclaration = true, NewLineChars = "\n" };
        using var w = XmlWriter.Create(output, settings);
        w.WriteStartDocument();
        w.WriteStartElement("svg", Namespace);
        w.WriteAttributeString("width", Number(layout.Width));
        w.WriteAttributeString("height", Number(layout.Height));
        w.WriteAttributeString("viewBox", $"0 0 {Number(layout.Width)} {Number(layout.Height)}");

        w.WriteStartElement("defs", Namespace);
        w.WriteStartElement("marker", Namespace);
        w.WriteAttributeString("id", "arrow");
        w.WriteAttributeString("viewBox", "0 0 10 10");
        w.WriteAttributeString("refX", "10");
        w.WriteAttributeString("refY", "5");
        w.WriteAttributeString("markerWidth", "7");
        w.WriteAttributeString("markerHeight", "7");
        w.WriteAttributeString("orient", "auto");
        w.WriteStartElement("path", Namespace);
        w.WriteAttributeString("d", "M 0 0 L 10 5 L 0 10 z");
        w.WriteAttributeString("fill", "#6b7280");
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndElement();

        w.WriteStartElement("style", Namespace);
        w.WriteString(Style);
        w.WriteEndElement();

        w.WriteStartElement("rect", Namespace);
        w.WriteAttributeString("width", "100%");
        w.WriteAttributeString("height", "100%");
        w.WriteAttributeString("fill", "white");
        w.WriteEndElement();

        var graph = layout.Graph;
        for (int i = 0; i < graph.Edges.Count; i++)
        {
            WriteEdge(w, graph, graph.Edges[i], layout.Edges[i], layout.LabelPositions[i]);
        }

        foreach (var node in graph.Nodes)
        {
            WriteNode(w, node, layout.Boxes[node.Id]);
        }

        w.WriteEndElement();
        w.WriteEndDocument();
    }

    private static void WriteEdge(XmlWriter w, ComputationGraph graph, GraphEdge edge, IReadOnlyList<Point> points, Point labelAt)
    {
        w.WriteStartElement("g", Namespace);
        w.WriteAttributeString("class", "edge");
        w.WriteAttributeString("data-from", edge.From.ToString(CultureInfo.InvariantCulture));
        w.WriteAttributeString("data-to", edge.To.ToString(CultureInfo.InvariantCulture));
        w.WriteElementString("title", Namespace, Clean($"{graph.Nodes[edge.From].Title} → {graph.Nodes[edge.To].Title}{(edge.Label is null ? "" : ": " + edge.Label)}"));

        // Cubic curves with horizontal tangents at every point: smooth, and straight when aligned.
        var d = new StringBuilder($"M {Number(points[0].X)} {Number(points[0].Y)}");
        for (int i = 1; i < points.Count; i++)
        {
            Point p = points[i - 1], q = points[i];
            double mid = (p.X + q.X) / 2;
            d.Append(CultureInfo.InvariantCulture, $" C {Number(mid)} {Number(p.Y)} {Number(mid)} {Number(q.Y)} {Number(q.X)} {Number(q.Y)}");
        }

        w.WriteStartElement("path", Namespace);
        w.WriteAttributeString("d", d.ToString());
        w.WriteAttributeString("marker-end", "url(#arrow)");
        w.WriteEndElement();
        if (edge.Label is not null)
        {
            w.WriteStartElement("text", Namespace);
            w.WriteAttributeString("x", Number(labelAt.X));
            w.WriteAttributeString("y", Number(labelAt.Y - 3));
            w.WriteAttributeString("text-anchor", "middle");
            w.WriteString(Clean(edge.Label));
            w.WriteEndElement();
        }

        w.WriteEndElement();
    }

    private static void WriteNode(XmlWriter w, GraphNode node, Box box)
    {
        w.WriteStartElement("g", Namespace);
        w.WriteAttributeString("class", "node");
        w.WriteAttributeString("id", $"node{node.Id.ToString(CultureInfo.InvariantCulture)}");
        w.WriteAttributeString("data-kind", node.Kind.ToString().ToLowerInvariant());
        w.WriteElementString("title", Namespace, Clean(string.Join("\n", node.Lines.Prepend(node.Title))));
        w.WriteStartElement("rect", Namespace);
        w.WriteAttributeString("x", Number(box.X));
        w.WriteAttributeString("y", Number(box.Y));
        w.WriteAttributeString("width", Number(box.Width));
        w.WriteAttributeString("height", Number(box.Height));
        w.WriteEndElement();
        w.WriteStartElement("text", Namespace);
        double x = box.X + LayeredLayout.Padding;
        double y = box.Y + (LayeredLayout.Padding / 2) + LayeredLayout.LineHeight - 3;
        var lines = node.Lines.Prepend(node.Title).ToList();
        for (int i = 0; i < lines.Count; i++)
        {
            w.WriteStartElement("tspan", Namespace);
            if (i == 0)
            {
                w.WriteAttributeString("class", "title");
            }

            w.WriteAttributeString("x", Number(x));
            w.WriteAttributeString("y", Number(y + (i * LayeredLayout.LineHeight)));
            w.WriteString(Clean(lines[i]));
            w.WriteEndElement();
        }

        w.WriteEndElement();
        w.WriteEndElement();
    }

    /// <summary>Text without the characters XML cannot hold (control characters, lone surrogates).</summary>
    private static string Clean(string text) =>
        text.All(c => XmlConvert.IsXmlChar(c) || char.IsSurrogate(c)) && !HasLoneSurrogate(text)
            ? text
            : string.Concat(text.Select((c, i) => XmlConvert.IsXmlChar(c) || (char.IsSurrogate(c) && !IsLone(text, i)) ? c : '?'));

    private static bool HasLoneSurrogate(string text) => Enumerable.Range(0, text.Length).Any(i => char.IsSurrogate(text[i]) && IsLone(text, i));

    private static bool IsLone(string text, int i) =>
        char.IsHighSurrogate(text[i]) ? i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])
        : i == 0 || !char.IsHighSurrogate(text[i - 1]);

    private static string Number(double value) => Math.Round(value, 1).ToString("0.#", CultureInfo.InvariantCulture);
}
