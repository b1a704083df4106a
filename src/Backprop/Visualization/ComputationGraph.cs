namespace Backprop.Visualization;

/// <summary>What a node of a drawn graph is; the SVG colors nodes by kind.</summary>
public enum GraphNodeKind
{
    /// <summary>Data or an input variable.</summary>
    Input,

    /// <summary>A trainable parameter (a weight or bias).</summary>
    Parameter,

    /// <summary>A constant.</summary>
    Constant,

    /// <summary>An operation's result.</summary>
    Operation,

    /// <summary>The output (the loss), where the backward pass starts.</summary>
    Output,
}

/// <summary>A node to draw: a title (its name or op) and lines below it (formula, value, gradient).</summary>
/// <param name="Id">Index in <see cref="ComputationGraph.Nodes"/>.</param>
/// <param name="Title">The first, bold line.</param>
/// <param name="Lines">Further lines, e.g. <c>value -10</c>, <c>grad 1</c>.</param>
/// <param name="Kind">What the node is.</param>
public sealed record GraphNode(int Id, string Title, IReadOnlyList<string> Lines, GraphNodeKind Kind);

/// <summary>An edge from an input to the node that consumes it (the direction of the forward pass).</summary>
/// <param name="From">The input's id.</param>
/// <param name="To">The consumer's id.</param>
/// <param name="Label">An optional label (explain puts the local derivative there).</param>
public sealed record GraphEdge(int From, int To, string? Label = null);

/// <summary>
/// A directed acyclic graph to draw (a computational graph: edges run from inputs to consumers),
/// independent of where it came from; <see cref="LayeredLayout"/> places it and
/// <see cref="SvgWriter"/> / <see cref="DotWriter"/> write it.
/// </summary>
public sealed class ComputationGraph
{
    private readonly List<GraphNode> _nodes = [];
    private readonly List<GraphEdge> _edges = [];

    /// <summary>The nodes, by id.</summary>
    public IReadOnlyList<GraphNode> Nodes => _nodes;

    /// <summary>The edges, in the order added.</summary>
    public IReadOnlyList<GraphEdge> Edges => _edges;

    /// <summary>Adds a node and returns its id.</summary>
    /// <param name="title">The node's heading, e.g. the op's name.</param>
    /// <param name="lines">The text lines under the heading, e.g. shape and values.</param>
    /// <param name="kind">What the node stands for, which sets its style.</param>
    /// <returns>The new node's id.</returns>
    public int AddNode(string title, IReadOnlyList<string> lines, GraphNodeKind kind)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(lines);
        _nodes.Add(new GraphNode(_nodes.Count, title, lines, kind));
        return _nodes.Count - 1;
    }

    /// <summary>Adds an edge from <paramref name="from"/> (an input) to <paramref name="to"/> (its consumer).</summary>
    /// <param name="from">The id of the node the edge leaves.</param>
    /// <param name="to">The id of the node it enters.</param>
    /// <param name="label">The text on the edge, or null for none.</param>
    public void AddEdge(int from, int to, string? label = null)
    {
        if ((uint)from >= (uint)_nodes.Count || (uint)to >= (uint)_nodes.Count)
        {
            throw new ArgumentException($"edge {from} → {to}: the graph has nodes 0..{_nodes.Count - 1}");
        }

        if (from == to)
        {
            throw new ArgumentException($"edge {from} → {to}: a computational graph has no self-loops");
        }

        _edges.Add(new GraphEdge(from, to, label));
    }
}
