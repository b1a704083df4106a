using System.Xml.Linq;
using Backprop.Explain;
using Backprop.NN;
using Backprop.Visualization;

namespace Backprop.Tests.Visualization;

public class GraphDrawingTests
{
    private static readonly XNamespace s_svg = "http://www.w3.org/2000/svg";

    private static XDocument Svg(ComputationGraph graph) => XDocument.Parse(SvgWriter.ToSvg(LayeredLayout.Compute(graph)));

    private static List<XElement> Groups(XDocument svg, string cls) =>
        [.. svg.Descendants(s_svg + "g").Where(g => (string?)g.Attribute("class") == cls)];

    private static ComputationGraph W123()
    {
        var graph = ExpressionGraph.Build(ExplainProgram.Parse("g = -2*w1; y = w2 + g; z = y*w3"),
            [KeyValuePair.Create("w1", 3.0), KeyValuePair.Create("w2", 4.0), KeyValuePair.Create("w3", 5.0)]);
        return ExpressionGraphDrawing.Create(graph, graph.Backward());
    }

    /// <summary>A random DAG: each node takes 1–3 inputs among the nodes before it (the first ones are sources).</summary>
    private static ComputationGraph RandomDag(int nodes, int seed)
    {
        var random = new Random(seed);
        var graph = new ComputationGraph();
        for (int i = 0; i < nodes; i++)
        {
            graph.AddNode($"n{i}", [$"value {random.NextDouble():F3}", "grad 1"], i < 5 ? GraphNodeKind.Input : GraphNodeKind.Operation);
            if (i >= 5)
            {
                int inputs = random.Next(1, 4);
                for (int k = 0; k < inputs; k++)
                {
                    // Mostly recent nodes, sometimes far back: long edges get dummy nodes.
                    int from = random.Next(4) == 0 ? random.Next(i) : Math.Max(0, i - 1 - random.Next(8));
                    graph.AddEdge(from, i, k == 0 ? "0.5" : null);
                }
            }
        }

        return graph;
    }

    [Fact]
    public void ExplainGraphHasOneSvgElementPerNodeAndEdge()
    {
        var graph = W123();
        Assert.Equal(6, graph.Nodes.Count);   // w1, w2, w3, g, y, z (the number −2 is inside g's formula)
        Assert.Equal(5, graph.Edges.Count);
        var svg = Svg(graph);
        Assert.Equal(s_svg + "svg", svg.Root!.Name);
        var nodes = Groups(svg, "node");
        Assert.Equal(6, nodes.Count);
        Assert.Equal(5, Groups(svg, "edge").Count);

        var z = nodes.Single(n => n.Descendants(s_svg + "tspan").First().Value == "z");
        Assert.Equal("output", (string?)z.Attribute("data-kind"));
        Assert.Equal(["z", "= y·w3", "value -10", "∂z/∂z 1"], z.Descendants(s_svg + "tspan").Select(t => t.Value));
        var w1 = nodes.Single(n => n.Descendants(s_svg + "tspan").First().Value == "w1");
        Assert.Contains("∂z/∂w1 -10", w1.Descendants(s_svg + "tspan").Select(t => t.Value));
    }

    [Fact]
    public void DotHasEveryNodeAndEdge()
    {
        var graph = W123();
        string dot = DotWriter.ToDot(graph);
        Assert.StartsWith("digraph backprop {", dot);
        Assert.Equal(6, dot.Split('\n').Count(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^  n\d+ \[label=")));
        Assert.Equal(5, dot.Split('\n').Count(l => l.Contains(" -> ", StringComparison.Ordinal)));
        Assert.Contains("n4 -> n5 [label=\"5\"];", dot); // y → z, ∂z/∂y = w3 = 5
    }

    [Fact]
    public void DotAndSvgEscapeAwkwardText()
    {
        var graph = new ComputationGraph();
        int a = graph.AddNode("a \"quoted\" <tag> & \\", ["line\nbreak", "ctrl\u0001char"], GraphNodeKind.Input);
        int b = graph.AddNode("b", [], GraphNodeKind.Output);
        graph.AddEdge(a, b, "<&>");
        Assert.Contains("a \\\"quoted\\\" <tag> & \\\\\\nline\\nbreak", DotWriter.ToDot(graph));
        var svg = Svg(graph); // parses: everything escaped
        Assert.Equal("a \"quoted\" <tag> & \\", Groups(svg, "node")[0].Descendants(s_svg + "tspan").First().Value);
    }

    [Fact]
    public void AThousandNodeGraphRendersWithoutOverlaps()
    {
        var graph = RandomDag(1000, seed: 1);
        var layout = LayeredLayout.Compute(graph);
        var svg = XDocument.Parse(SvgWriter.ToSvg(layout));
        Assert.Equal(1000, Groups(svg, "node").Count);
        Assert.Equal(graph.Edges.Count, Groups(svg, "edge").Count);
        AssertReadable(layout);
    }

    [Fact]
    public void AChainOfAThousandNodesRenders()
    {
        var graph = new ComputationGraph();
        graph.AddNode("x", [], GraphNodeKind.Input);
        for (int i = 1; i < 1000; i++)
        {
            graph.AddNode($"u{i}", ["value 1"], GraphNodeKind.Operation);
            graph.AddEdge(i - 1, i);
        }

        graph.AddEdge(0, 999); // one edge across the whole chain: 998 dummy nodes
        var layout = LayeredLayout.Compute(graph);
        Assert.Equal(1000, Groups(XDocument.Parse(SvgWriter.ToSvg(layout)), "node").Count);
        AssertReadable(layout);
        Assert.Equal(2 + (2 * 998), layout.Edges[^1].Count);
    }

    /// <summary>Boxes do not overlap, and every edge runs left to right from its input to its consumer.</summary>
    private static void AssertReadable(GraphLayout layout)
    {
        var byLayer = layout.Graph.Nodes.GroupBy(n => layout.Layers[n.Id]);
        foreach (var layer in byLayer)
        {
            var boxes = layer.Select(n => layout.Boxes[n.Id]).OrderBy(b => b.Y).ToList();
            for (int i = 1; i < boxes.Count; i++)
            {
                Assert.True(boxes[i].Y >= boxes[i - 1].Y + boxes[i - 1].Height, $"boxes overlap in layer {layer.Key}");
            }
        }

        foreach (var e in layout.Graph.Edges)
        {
            Assert.True(layout.Layers[e.From] < layout.Layers[e.To], $"edge {e.From} → {e.To} does not go right");
            Assert.True(layout.Boxes[e.From].X + layout.Boxes[e.From].Width < layout.Boxes[e.To].X);
        }

        Assert.All(layout.Boxes, b => Assert.True(b.X >= 0 && b.Y >= 0 && b.X + b.Width <= layout.Width && b.Y + b.Height <= layout.Height));
        Assert.All(layout.Edges.SelectMany(p => p), p => Assert.True(double.IsFinite(p.X) && double.IsFinite(p.Y)));
    }

    /// <summary>The drawing of an explain program whose only input is w (set to 1.1).</summary>
    private static ComputationGraph Program(string source)
    {
        var graph = ExpressionGraph.Build(ExplainProgram.Parse(source), [KeyValuePair.Create("w", 1.1)]);
        return ExpressionGraphDrawing.Create(graph, graph.Backward());
    }

    /// <summary>
    /// Programs whose edges skip many columns, <paramref name="terms"/> long: "sum" uses w in every
    /// term of z = w+w+…+w (one node, a quadratic number of crossed columns); "fanout" multiplies w
    /// into every term, then sums the terms; "reversed" builds a chain x1..xn and sums it backwards
    /// (many nodes, each with one edge spanning most of the drawing); "chain" is a plain deep chain.
    /// </summary>
    private static string Shape(string shape, int terms) => shape switch
    {
        "sum" => "z = " + string.Join("+", Enumerable.Repeat("w", terms)),
        "fanout" => string.Join("; ", Enumerable.Range(0, terms).Select(i => $"a{i} = w*{i + 1}")) + "; z = " + string.Join("+", Enumerable.Range(0, terms).Select(i => $"a{i}")),
        "reversed" => string.Join("; ", Enumerable.Range(1, terms).Select(i => i == 1 ? "x1 = w*1.01" : $"x{i} = x{i - 1}*1.01")) + "; z = " + string.Join("+", Enumerable.Range(1, terms).Reverse().Select(i => $"x{i}")),
        "chain" => string.Join("; ", Enumerable.Range(1, terms).Select(i => i == 1 ? "x1 = w*1.01" : $"x{i} = x{i - 1}*1.01")),
        _ => throw new ArgumentException(shape),
    };

    /// <summary>Points of all edge polylines: what the SVG's size and the layout's work follow.</summary>
    private static long PointCount(GraphLayout layout) => layout.Edges.Sum(p => (long)p.Count);

    /// <summary>
    /// The bound the layout promises: every edge routed through dummies has 2 points per column
    /// (its ends and 2 per dummy, at most <see cref="LayeredLayout.DummiesPerElement"/> × (nodes + edges)
    /// dummies in all); every edge through the channel has 6.
    /// </summary>
    private static long PointBound(ComputationGraph graph) =>
        (6L * graph.Edges.Count) + (2L * LayeredLayout.DummiesPerElement * (graph.Nodes.Count + graph.Edges.Count));

    [Theory]
    [InlineData("sum")]
    [InlineData("fanout")]
    [InlineData("reversed")]
    [InlineData("chain")]
    public void EdgesSkippingManyColumnsCostPointsLinearInTheGraph(string shape)
    {
        // Before, every edge got a dummy node per column crossed: z = w+w+…+w with 1,000 terms had
        // ~500,000 dummies and a 44 MB SVG.
        var graph = Program(Shape(shape, 1000));
        var layout = LayeredLayout.Compute(graph);
        Assert.InRange(PointCount(layout), graph.Edges.Count * 2, PointBound(graph));
        AssertReadable(layout);
    }

    [Theory]
    [InlineData("sum")]
    [InlineData("fanout")]
    [InlineData("reversed")]
    public void SvgBytesPerNodeStayBoundedFromOneToFourThousandTerms(string shape)
    {
        double BytesPerElement(int terms)
        {
            var graph = Program(Shape(shape, terms));
            return SvgWriter.ToSvg(LayeredLayout.Compute(graph)).Length / (double)(graph.Nodes.Count + graph.Edges.Count);
        }

        double small = BytesPerElement(1000), large = BytesPerElement(4000);

        // Linear: about the same bytes per node and edge (numbers get a digit longer); quadratic would be 4×.
        Assert.True(large < 1.5 * small, $"{shape}: {small:F0} bytes per node and edge at 1,000 terms, {large:F0} at 4,000");
    }

    [Fact]
    public async Task AFiveThousandTermSumLaysOutWithinAHangGuard()
    {
        // The issue's program: 101 s and OutOfMemoryException before. 30 s only guards against a hang; it is no speed claim.
        var graph = Program(Shape("sum", 5000));
        GraphLayout? layout = null;
        var work = Task.Run(() => layout = LayeredLayout.Compute(graph));
        Assert.True(await Task.WhenAny(work, Task.Delay(TimeSpan.FromSeconds(30))) == work, "the layout of a 5,000-term sum did not finish in 30 s");
        Assert.Equal(5000, layout!.Boxes.Count);
        Assert.InRange(PointCount(layout), 0, PointBound(graph));
        AssertReadable(layout);
    }

    [Fact]
    public void SmallGraphsKeepADummyPerColumnCrossed()
    {
        // z = w+w+…+w with 12 terms: w feeds every add, edges cross up to 10 columns, well within the
        // budget, so each keeps its own chain of dummies (the drawing students see is unchanged).
        var graph = Program(Shape("sum", 12));
        var layout = LayeredLayout.Compute(graph);
        for (int i = 0; i < graph.Edges.Count; i++)
        {
            var e = graph.Edges[i];
            Assert.Equal(2 * (layout.Layers[e.To] - layout.Layers[e.From]), layout.Edges[i].Count);
        }

        AssertReadable(layout);
    }

    [Fact]
    public void LongEdgesOverTheBudgetRunInLanesAboveTheBoxesWithLabelsByTheirConsumers()
    {
        // Two variables each used by every term of a long sum, one after the other: both go through
        // the channel, and since their spans do not overlap they share one lane.
        int terms = 200;
        var graph = Program($"a = {string.Join("+", Enumerable.Repeat("w", terms))}; z = {string.Join("+", Enumerable.Repeat("a", terms))}");
        var layout = LayeredLayout.Compute(graph);
        AssertReadable(layout);
        double top = layout.Boxes.Min(b => b.Y);
        // An edge through dummies has 2 points per column crossed, one through the channel 6.
        var channel = Enumerable.Range(0, graph.Edges.Count).Where(i => layout.Edges[i].Count == 6 && layout.Layers[graph.Edges[i].To] - layout.Layers[graph.Edges[i].From] > 3).ToList();
        Assert.True(channel.Count >= 2 * (terms - 10), $"{channel.Count} edges in the channel");
        Assert.Equal(2, channel.Select(i => graph.Edges[i].From).Distinct().Count());
        var laneHeights = channel.Select(i => layout.Edges[i][2].Y).Distinct().ToList();
        Assert.Single(laneHeights);
        Assert.True(laneHeights[0] < top, "the lane runs above the boxes");
        foreach (int i in channel)
        {
            var e = graph.Edges[i];
            Assert.Equal(laneHeights[0], layout.Edges[i][3].Y);
            Assert.Equal(layout.Boxes[e.From].Right, layout.Edges[i][0]);
            Assert.Equal(layout.Boxes[e.To].Left, layout.Edges[i][^1]);
            double label = layout.LabelPositions[i].X;
            Assert.True(Math.Abs(label - layout.Boxes[e.To].X) < Math.Abs(label - layout.Boxes[e.From].Right.X), $"label of edge {i} is not by its consumer");
        }
    }

    [Fact]
    public void EveryInputSitsJustLeftOfItsFirstConsumer()
    {
        var layout = LayeredLayout.Compute(W123());
        var layers = layout.Layers;
        Assert.Equal(layers[5] - 1, layers[2]); // w3 right before z
        Assert.Equal(layers[4] - 1, layers[1]); // w2 right before y
        Assert.Equal(0, layers[0]);             // w1 first
    }

    [Fact]
    public void BarycenterOrderingRemovesAvoidableCrossings()
    {
        // Two parallel chains whose inputs are listed crosswise: a good ordering needs no crossing.
        var graph = new ComputationGraph();
        int a = graph.AddNode("a", [], GraphNodeKind.Input), b = graph.AddNode("b", [], GraphNodeKind.Input);
        int b1 = graph.AddNode("b1", [], GraphNodeKind.Operation), a1 = graph.AddNode("a1", [], GraphNodeKind.Operation);
        int a2 = graph.AddNode("a2", [], GraphNodeKind.Operation), b2 = graph.AddNode("b2", [], GraphNodeKind.Operation);
        graph.AddEdge(a, a1);
        graph.AddEdge(b, b1);
        graph.AddEdge(a1, a2);
        graph.AddEdge(b1, b2);
        var layout = LayeredLayout.Compute(graph);
        double Y(int v) => layout.Boxes[v].Y;
        Assert.Equal(Y(a) < Y(b), Y(a1) < Y(b1));
        Assert.Equal(Y(a1) < Y(b1), Y(a2) < Y(b2));
    }

    [Fact]
    public void CyclesAndBadEdgesAreRejected()
    {
        var graph = new ComputationGraph();
        int a = graph.AddNode("a", [], GraphNodeKind.Operation), b = graph.AddNode("b", [], GraphNodeKind.Operation);
        graph.AddEdge(a, b);
        graph.AddEdge(b, a);
        Assert.Contains("cycle", Assert.Throws<ArgumentException>(() => LayeredLayout.Compute(graph)).Message);
        Assert.Throws<ArgumentException>(() => graph.AddEdge(a, 7));
        Assert.Throws<ArgumentException>(() => graph.AddEdge(a, a));
        var empty = LayeredLayout.Compute(new ComputationGraph());
        Assert.Empty(XDocument.Parse(SvgWriter.ToSvg(empty)).Descendants(s_svg + "g"));
    }

    [Fact]
    public void IsotonicFitKeepsOrderAndSpacingAndIsOptimal()
    {
        double[] desired = [5, 0, 3, 10];
        double[] separations = [2, 2, 2];
        var y = LayeredLayout.FitWithSeparations(desired, separations);
        for (int i = 1; i < y.Length; i++)
        {
            Assert.True(y[i] - y[i - 1] >= 2 - 1e-12);
        }

        // 5, 0, 3 pool around their shifted mean: z = (5 + (0 − 2) + (3 − 4)) / 3 = 2/3.
        Assert.Equal([2.0 / 3, 2.0 / 3 + 2, 2.0 / 3 + 4, 10], y, new Tolerance());

        // Already feasible targets are kept.
        Assert.Equal([0.0, 5, 20], LayeredLayout.FitWithSeparations([0, 5, 20], [1, 1]));
    }

    [Fact]
    public void ModelStepGraphShowsEveryTensorWithItsGradient()
    {
        var spec = ModelSpec.Parse("2-2-2:sigmoid");
        var model = spec.Build(new Generator(0));
        var x = Tensor.FromArray(new float[] { 0.05f, 0.10f }, 1, 2);
        var y = Tensor.FromArray(new long[] { 1 }, 1);
        var loss = Tensor.CrossEntropy(model.Forward(x), y);
        var names = model.NamedParameters().Select(p => (p.Name, p.Parameter)).Append(("input", x)).Append(("loss", loss));
        var capture = TensorGraphCapture.Capture(loss, names);
        loss.Backward();
        var graph = capture.ToGraph();

        // input, target, 4 parameters, linear, sigmoid, linear, loss.
        Assert.Equal(10, graph.Nodes.Count);
        Assert.Equal(9, graph.Edges.Count);
        Assert.Contains(graph.Nodes, n => n.Title == "0.weight" && n.Kind == GraphNodeKind.Parameter && n.Lines.Any(l => l.StartsWith("grad [", StringComparison.Ordinal)));
        Assert.Contains(graph.Nodes, n => n.Title == "sigmoid" && n.Lines.Any(l => l.StartsWith("grad [", StringComparison.Ordinal)));
        Assert.Equal(GraphNodeKind.Output, graph.Nodes.Single(n => n.Title.StartsWith("loss", StringComparison.Ordinal)).Kind);
        var svg = Svg(graph);
        Assert.Equal(10, Groups(svg, "node").Count);
        Assert.Equal(9, Groups(svg, "edge").Count);

        // The gradient drawn is the one the backward pass left on the parameter.
        var weightGrad = model.NamedParameters().Single(p => p.Name == "0.weight").Parameter.Grad!.ToArray<float>();
        Assert.Contains(weightGrad[0].ToString("G4", System.Globalization.CultureInfo.InvariantCulture), graph.Nodes.Single(n => n.Title == "0.weight").Lines[^1]);
    }

    private sealed class Tolerance : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) < 1e-12;

        public int GetHashCode(double obj) => 0;
    }
}
