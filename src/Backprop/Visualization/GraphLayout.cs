namespace Backprop.Visualization;

/// <summary>A point of a drawing, in pixels (y grows downwards, as in SVG).</summary>
/// <param name="X">Horizontal position.</param>
/// <param name="Y">Vertical position.</param>
public readonly record struct Point(double X, double Y);

/// <summary>A node's box: top-left corner and size, in pixels.</summary>
/// <param name="X">Left edge.</param>
/// <param name="Y">Top edge.</param>
/// <param name="Width">Width.</param>
/// <param name="Height">Height.</param>
public readonly record struct Box(double X, double Y, double Width, double Height)
{
    /// <summary>Middle of the left side, where incoming edges end.</summary>
    public Point Left => new(X, Y + (Height / 2));

    /// <summary>Middle of the right side, where outgoing edges start.</summary>
    public Point Right => new(X + Width, Y + (Height / 2));
}

/// <summary>Where <see cref="LayeredLayout"/> put everything: a box per node, a polyline per edge, and the drawing's size.</summary>
/// <param name="Graph">The graph laid out.</param>
/// <param name="Boxes">One box per node, by id.</param>
/// <param name="Edges">One polyline per edge, in the graph's edge order, from the input's right side to the consumer's left side.</param>
/// <param name="LabelPositions">Where each edge's label goes, in the graph's edge order: the middle of the polyline's middle segment, or for an edge through the channel above the drawing the end of its run there, next to its consumer.</param>
/// <param name="Layers">The layer (column) of each node, by id.</param>
/// <param name="Width">Width of the drawing.</param>
/// <param name="Height">Height of the drawing.</param>
public sealed record GraphLayout(
    ComputationGraph Graph,
    IReadOnlyList<Box> Boxes,
    IReadOnlyList<IReadOnlyList<Point>> Edges,
    IReadOnlyList<Point> LabelPositions,
    IReadOnlyList<int> Layers,
    double Width,
    double Height);
