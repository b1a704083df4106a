namespace Backprop.Visualization;

/// <summary>
/// Lays out a <see cref="ComputationGraph"/> left to right in layers (a Sugiyama-style layout,
/// written for this project so no Graphviz is needed):
/// <list type="number">
/// <item>layering by longest path: a node's column is the length of the longest path from it to a
/// sink, counted from the right, so every input sits just left of its first consumer;</item>
/// <item>edges spanning several columns are split by invisible dummy nodes, one per column crossed,
/// as long as the whole graph needs at most <see cref="DummiesPerElement"/> × (nodes + edges) of
/// them. Beyond that budget (a variable used by every term of a long sum needs a quadratic number)
/// the nodes whose long edges cost the most dummies route them through a channel above the drawing
/// instead: up in the gap after the node's column, along one horizontal lane per node, down in the
/// gap before each consumer's column; lanes of nodes whose spans do not overlap are shared. So the
/// layered graph has O(nodes + edges) elements and each edge O(1) or its budgeted points;</item>
/// <item>ordering within columns by the barycenter heuristic: sweeps left-to-right and back, each
/// node moved to the mean position of its neighbors in the previous column, keeping the order with
/// the fewest edge crossings seen; at most <see cref="OrderingSweeps"/> sweeps, fewer on large
/// graphs (<see cref="OrderingWork"/>), each O(E log E);</item>
/// <item>vertical placement: each node as close as possible to the mean height of its neighbors,
/// subject to the column's order and spacing (an isotonic least-squares fit, solved exactly by pool
/// adjacent violators).</item>
/// </list>
/// O((nodes + edges) log(nodes + edges)) in all: a 10,000-node graph lays out in under a second.
/// </summary>
public static class LayeredLayout
{
    /// <summary>Width of one character of the monospace node labels at 12 px, in pixels.</summary>
    public const double CharWidth = 7.4;

    /// <summary>Height of one label line, in pixels.</summary>
    public const double LineHeight = 15;

    /// <summary>Padding inside a node box, in pixels.</summary>
    public const double Padding = 8;

    /// <summary>
    /// Dummy nodes allowed per node and edge of the graph: long edges get one per column they cross
    /// while the graph needs at most this many times its nodes + edges; the rest go through the
    /// channel above the drawing.
    /// </summary>
    public const int DummiesPerElement = 4;

    /// <summary>Most barycenter ordering sweeps.</summary>
    internal const int OrderingSweeps = 24;

    /// <summary>
    /// Sweeps × (layered nodes + edges) allowed for the ordering: large graphs get fewer sweeps
    /// (at least 2), so that the layout stays within about a second.
    /// </summary>
    internal const int OrderingWork = 2_400_000;

    private const int MinOrderingSweeps = 2;
    private const double Margin = 20;
    private const double LayerGap = 70;
    private const double NodeGap = 18;
    private const double DummyGap = 8;
    private const double LaneGap = 8;
    private const int PlacementSweeps = 12;

    /// <summary>Lays out <paramref name="graph"/>.</summary>
    /// <param name="graph">The graph placed.</param>
    /// <returns>The positions of the nodes and the routes of the edges.</returns>
    /// <exception cref="ArgumentException">The graph has a cycle (a computational graph never does).</exception>
    public static GraphLayout Compute(ComputationGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        int n = graph.Nodes.Count;
        var order = TopologicalOrder(graph);

        // 1. Layers: longest path to a sink, counted from the right.
        var successors = new List<int>[n];
        for (int v = 0; v < n; v++)
        {
            successors[v] = [];
        }

        foreach (var e in graph.Edges)
        {
            successors[e.From].Add(e.To);
        }

        var heightToSink = new int[n];
        for (int k = n - 1; k >= 0; k--)
        {
            int v = order[k];
            foreach (int s in successors[v])
            {
                heightToSink[v] = Math.Max(heightToSink[v], heightToSink[s] + 1);
            }
        }

        int layerCount = n == 0 ? 0 : heightToSink.Max() + 1;
        var layerOf = new List<int>(heightToSink.Select(h => layerCount - 1 - h));

        // Box sizes of the real nodes; dummies (added next) have none.
        var width = new List<double>();
        var height = new List<double>();
        foreach (var node in graph.Nodes)
        {
            int longest = Math.Max(node.Title.Length, node.Lines.Count == 0 ? 0 : node.Lines.Max(l => l.Length));
            width.Add((longest * CharWidth) + (2 * Padding));
            height.Add(((1 + node.Lines.Count) * LineHeight) + Padding);
        }

        // 2. Dummy nodes: every edge not routed through the channel becomes a chain through consecutive layers.
        var inChannel = ChannelSources(graph, layerOf);
        var chains = new List<List<int>?>(graph.Edges.Count);
        foreach (var e in graph.Edges)
        {
            if (IsChannelEdge(e, inChannel, layerOf))
            {
                chains.Add(null);
                continue;
            }

            var chain = new List<int> { e.From };
            for (int layer = layerOf[e.From] + 1; layer < layerOf[e.To]; layer++)
            {
                chain.Add(layerOf.Count);
                layerOf.Add(layer);
                width.Add(0);
                height.Add(0);
            }

            chain.Add(e.To);
            chains.Add(chain);
        }

        int total = layerOf.Count;
        var up = new List<int>[total];
        var down = new List<int>[total];
        for (int v = 0; v < total; v++)
        {
            up[v] = [];
            down[v] = [];
        }

        int links = 0;
        foreach (var chain in chains)
        {
            for (int i = 0; chain is not null && i + 1 < chain.Count; i++)
            {
                down[chain[i]].Add(chain[i + 1]);
                up[chain[i + 1]].Add(chain[i]);
                links++;
            }
        }

        // 3. Order within layers: topological order first, then barycenter sweeps.
        var layers = new List<int>[layerCount];
        for (int l = 0; l < layerCount; l++)
        {
            layers[l] = [];
        }

        foreach (int v in order)
        {
            layers[layerOf[v]].Add(v);
        }

        for (int v = n; v < total; v++)
        {
            layers[layerOf[v]].Add(v);
        }

        var position = new double[total];
        foreach (var layer in layers)
        {
            for (int i = 0; i < layer.Count; i++)
            {
                position[layer[i]] = i;
            }
        }

        // Each sweep sorts every layer and counts the crossings: O((nodes + links) log) per sweep.
        int sweeps = Math.Clamp(OrderingWork / Math.Max(1, total + links), MinOrderingSweeps, OrderingSweeps);
        long bestCrossings = Crossings(layers, down, position);
        var best = layers.Select(l => l.ToArray()).ToArray();
        var key = new double[total];
        Comparison<int> byKey = (a, b) =>
        {
            // Ties keep the current order (a stable sort), so equal barycenters do not shuffle.
            int c = key[a].CompareTo(key[b]);
            return c != 0 ? c : position[a].CompareTo(position[b]);
        };
        for (int sweep = 0; sweep < sweeps && bestCrossings > 0; sweep++)
        {
            bool downwards = sweep % 2 == 0;
            var neighbors = downwards ? up : down;
            for (int step = 1; step < layerCount; step++)
            {
                var layer = layers[downwards ? step : layerCount - 1 - step];
                foreach (int v in layer)
                {
                    key[v] = neighbors[v].Count == 0 ? position[v] : Mean(neighbors[v], position);
                }

                layer.Sort(byKey);
                for (int i = 0; i < layer.Count; i++)
                {
                    position[layer[i]] = i;
                }
            }

            long crossings = Crossings(layers, down, position);
            if (crossings < bestCrossings)
            {
                bestCrossings = crossings;
                best = layers.Select(l => l.ToArray()).ToArray();
            }
        }

        for (int l = 0; l < layerCount; l++)
        {
            layers[l] = [.. best[l]];
        }

        // 4. Coordinates: columns left to right; heights by isotonic fits to the neighbors' means.
        var layerX = new double[layerCount];
        var layerWidth = new double[layerCount];
        double x = Margin;
        for (int l = 0; l < layerCount; l++)
        {
            layerWidth[l] = Math.Max(20, layers[l].Max(v => width[v]));
            layerX[l] = x;
            x += layerWidth[l] + LayerGap;
        }

        var center = new double[total];
        foreach (var layer in layers)
        {
            double y = 0;
            for (int i = 0; i < layer.Count; i++)
            {
                y += i == 0 ? 0 : Separation(layer[i - 1], layer[i], n, height);
                center[layer[i]] = y;
            }
        }

        for (int sweep = 0; sweep < PlacementSweeps; sweep++)
        {
            bool downwards = sweep % 2 == 0;
            var neighbors = downwards ? up : down;
            for (int step = 0; step < layerCount; step++)
            {
                var layer = layers[downwards ? step : layerCount - 1 - step];
                var desired = new double[layer.Count];
                var separations = new double[Math.Max(0, layer.Count - 1)];
                for (int i = 0; i < layer.Count; i++)
                {
                    int v = layer[i];
                    desired[i] = neighbors[v].Count == 0 ? center[v] : Mean(neighbors[v], center);
                    if (i > 0)
                    {
                        separations[i - 1] = Separation(layer[i - 1], v, n, height);
                    }
                }

                var fitted = FitWithSeparations(desired, separations);
                for (int i = 0; i < layer.Count; i++)
                {
                    center[layer[i]] = fitted[i];
                }
            }
        }

        // The channel's lanes go above the top box, so the boxes move down by its height.
        var (laneOf, laneCount) = Lanes(graph, layerOf, inChannel);
        double channel = laneCount == 0 ? 0 : (laneCount * LaneGap) + NodeGap;
        double top = Enumerable.Range(0, total).Select(v => center[v] - (height[v] / 2)).DefaultIfEmpty(0).Min();
        double shift = Margin + channel - top;
        var boxes = new Box[n];
        for (int v = 0; v < n; v++)
        {
            int l = layerOf[v];
            boxes[v] = new Box(layerX[l] + ((layerWidth[l] - width[v]) / 2), center[v] + shift - (height[v] / 2), width[v], height[v]);
        }

        var paths = new List<IReadOnlyList<Point>>(graph.Edges.Count);
        var labels = new List<Point>(graph.Edges.Count);
        for (int k = 0; k < graph.Edges.Count; k++)
        {
            var e = graph.Edges[k];
            var chain = chains[k];
            if (chain is null)
            {
                // Up in the gap after the input's column, along its lane, down in the gap before the
                // consumer's; lanes step the vertical runs apart so that runs of different lanes into one gap do not coincide.
                int lane = laneOf[e.From], from = layerOf[e.From], to = layerOf[e.To];
                // Lane 0, given to the earliest start, goes on top: nested spans (the longest outside) then do not cross.
                double laneY = Margin + ((lane + 0.5) * LaneGap);
                double jog = (LayerGap / 5) + ((lane % 4) * (LayerGap / 10));
                double right = layerX[from] + layerWidth[from], left = layerX[to];
                paths.Add(
                [
                    boxes[e.From].Right,
                    new Point(right, boxes[e.From].Right.Y),
                    new Point(right + jog, laneY),
                    new Point(left - jog, laneY),
                    new Point(left, boxes[e.To].Left.Y),
                    boxes[e.To].Left,
                ]);

                // Next to the consumer: a node's edges share its lane, so labels in the middle of their runs would sit above other consumers.
                labels.Add(new Point(left - jog - (LayerGap / 2), laneY));
                continue;
            }

            var points = new List<Point> { boxes[chain[0]].Right };
            for (int i = 1; i + 1 < chain.Count; i++)
            {
                int d = chain[i], l = layerOf[d];
                points.Add(new Point(layerX[l], center[d] + shift));
                points.Add(new Point(layerX[l] + layerWidth[l], center[d] + shift));
            }

            points.Add(boxes[chain[^1]].Left);
            paths.Add(points);

            // At the middle of the middle segment, where a curve with horizontal end tangents passes
            // the midpoint of its ends: away from the boxes, where edges converge.
            int middle = (points.Count - 2) / 2;
            labels.Add(new Point((points[middle].X + points[middle + 1].X) / 2, (points[middle].Y + points[middle + 1].Y) / 2));
        }

        double drawingRight = n == 0 ? 2 * Margin : layerX[^1] + layerWidth[^1] + Margin;
        double drawingBottom = n == 0 ? 2 * Margin : boxes.Max(b => b.Y + b.Height) + Margin;
        return new GraphLayout(graph, boxes, paths, labels, layerOf.Take(n).ToArray(), drawingRight, drawingBottom);
    }

    private static double Mean(List<int> nodes, double[] values)
    {
        // Summed in order, as Enumerable.Average does, so layouts do not depend on how the mean is taken.
        double sum = 0;
        foreach (int v in nodes)
        {
            sum += values[v];
        }

        return sum / nodes.Count;
    }

    /// <summary>
    /// The nodes whose long edges (spanning two columns or more) go through the channel: none when
    /// every long edge's dummies fit the budget of <see cref="DummiesPerElement"/> × (nodes + edges);
    /// else the nodes needing the fewest dummies keep them while they fit, and the rest (the
    /// heavy fan-outs, the longest spans) use the channel. O(E + V log V).
    /// </summary>
    private static bool[] ChannelSources(ComputationGraph graph, List<int> layerOf)
    {
        int n = graph.Nodes.Count;
        var inChannel = new bool[n];
        var dummies = new long[n];
        long total = 0;
        foreach (var e in graph.Edges)
        {
            long crossed = Math.Max(0, layerOf[e.To] - layerOf[e.From] - 1);
            dummies[e.From] += crossed;
            total += crossed;
        }

        long budget = (long)DummiesPerElement * (n + graph.Edges.Count);
        if (total <= budget)
        {
            return inChannel;
        }

        long used = 0;
        foreach (int v in Enumerable.Range(0, n).Where(v => dummies[v] > 0).OrderBy(v => dummies[v]).ThenBy(v => v))
        {
            if (used + dummies[v] <= budget)
            {
                used += dummies[v];
            }
            else
            {
                inChannel[v] = true;
            }
        }

        return inChannel;
    }

    private static bool IsChannelEdge(GraphEdge e, bool[] inChannel, List<int> layerOf) =>
        inChannel[e.From] && layerOf[e.To] - layerOf[e.From] > 1;

    /// <summary>
    /// A lane per channel node, for the columns from its own to its farthest channel consumer; nodes
    /// whose spans do not overlap share a lane (interval partitioning, greedy by start: the fewest
    /// lanes, O(V log V)).
    /// </summary>
    private static (int[] LaneOf, int Count) Lanes(ComputationGraph graph, List<int> layerOf, bool[] inChannel)
    {
        int n = graph.Nodes.Count;
        var laneOf = new int[n];
        var end = new int[n];
        Array.Fill(end, -1);
        foreach (var e in graph.Edges)
        {
            if (IsChannelEdge(e, inChannel, layerOf))
            {
                end[e.From] = Math.Max(end[e.From], layerOf[e.To]);
            }
        }

        var busy = new PriorityQueue<int, int>();   // lanes in use, by the column where they end
        var free = new PriorityQueue<int, int>();   // lanes to reuse, lowest first
        int count = 0;
        foreach (int v in Enumerable.Range(0, n).Where(v => end[v] >= 0).OrderBy(v => layerOf[v]).ThenBy(v => v))
        {
            // A lane ending at column c is free for a node in column c or later: the first one's run
            // ends in the gap before c, the next one's starts in the gap after it.
            while (busy.TryPeek(out int done, out int at) && at <= layerOf[v])
            {
                busy.Dequeue();
                free.Enqueue(done, done);
            }

            int lane = free.TryDequeue(out int reused, out _) ? reused : count++;
            laneOf[v] = lane;
            busy.Enqueue(lane, end[v]);
        }

        return (laneOf, count);
    }

    private static double Separation(int a, int b, int realNodes, List<double> height) =>
        ((height[a] + height[b]) / 2) + (a < realNodes && b < realNodes ? NodeGap : DummyGap);

    /// <summary>Kahn's algorithm; throws on a cycle.</summary>
    private static List<int> TopologicalOrder(ComputationGraph graph)
    {
        int n = graph.Nodes.Count;
        var indegree = new int[n];
        var successors = new List<int>[n];
        for (int v = 0; v < n; v++)
        {
            successors[v] = [];
        }

        foreach (var e in graph.Edges)
        {
            indegree[e.To]++;
            successors[e.From].Add(e.To);
        }

        var ready = new Queue<int>(Enumerable.Range(0, n).Where(v => indegree[v] == 0));
        var order = new List<int>(n);
        while (ready.Count > 0)
        {
            int v = ready.Dequeue();
            order.Add(v);
            foreach (int s in successors[v])
            {
                if (--indegree[s] == 0)
                {
                    ready.Enqueue(s);
                }
            }
        }

        if (order.Count < n)
        {
            throw new ArgumentException($"the graph has a cycle through {n - order.Count} nodes; a computational graph must be acyclic");
        }

        return order;
    }

    /// <summary>
    /// Edge crossings between consecutive layers: edges sorted by their upper end, then inversions
    /// of their lower ends counted with a Fenwick tree, O(E log E).
    /// </summary>
    private static long Crossings(List<int>[] layers, List<int>[] down, double[] position)
    {
        long crossings = 0;
        for (int l = 0; l + 1 < layers.Length; l++)
        {
            var edges = new List<(int From, int To)>();
            foreach (int v in layers[l])
            {
                foreach (int w in down[v])
                {
                    edges.Add(((int)position[v], (int)position[w]));
                }
            }

            edges.Sort();
            var tree = new int[layers[l + 1].Count + 1];
            int inserted = 0;
            foreach (var (_, to) in edges)
            {
                int atMost = 0;
                for (int i = to + 1; i > 0; i -= i & -i)
                {
                    atMost += tree[i];
                }

                crossings += inserted - atMost;
                for (int i = to + 1; i < tree.Length; i += i & -i)
                {
                    tree[i]++;
                }

                inserted++;
            }
        }

        return crossings;
    }

    /// <summary>
    /// The positions y minimizing Σ (yᵢ − desiredᵢ)² subject to yᵢ₊₁ − yᵢ ≥ separationᵢ. With
    /// zᵢ = yᵢ − Σ_{k&lt;i} separationₖ this is isotonic regression of the shifted targets, which pool
    /// adjacent violators solves exactly in linear time.
    /// </summary>
    internal static double[] FitWithSeparations(double[] desired, double[] separations)
    {
        int m = desired.Length;
        var offset = new double[m];
        for (int i = 1; i < m; i++)
        {
            offset[i] = offset[i - 1] + separations[i - 1];
        }

        // Blocks of pooled values: (mean, count).
        var means = new List<double>(m);
        var counts = new List<int>(m);
        for (int i = 0; i < m; i++)
        {
            double mean = desired[i] - offset[i];
            int count = 1;
            while (means.Count > 0 && means[^1] > mean)
            {
                mean = ((means[^1] * counts[^1]) + (mean * count)) / (counts[^1] + count);
                count += counts[^1];
                means.RemoveAt(means.Count - 1);
                counts.RemoveAt(counts.Count - 1);
            }

            means.Add(mean);
            counts.Add(count);
        }

        var result = new double[m];
        int k = 0;
        for (int b = 0; b < means.Count; b++)
        {
            for (int j = 0; j < counts[b]; j++, k++)
            {
                result[k] = means[b] + offset[k];
            }
        }

        return result;
    }
}
