using System.Globalization;

namespace Backprop.Visualization;

/// <summary>
/// Records the autograd graph of a tensor (walking <see cref="Tensor.GradFn"/> and
/// <see cref="Node.Inputs"/> back from it) before the backward pass frees it, and asks every
/// intermediate result to keep its gradient (<see cref="Tensor.RetainGrad"/>); after
/// <c>Backward()</c>, <see cref="ToGraph"/> draws every tensor with its op, value and gradient.
/// </summary>
public sealed class TensorGraphCapture
{
    private readonly List<Tensor> _tensors = [];
    private readonly List<(int From, int To)> _edges = [];
    private readonly Dictionary<Tensor, string> _names;
    private readonly List<string?> _ops = [];
    private readonly Tensor _root;

    private TensorGraphCapture(Tensor root, Dictionary<Tensor, string> names)
    {
        _root = root;
        _names = names;
    }

    /// <summary>
    /// Walks the graph that produced <paramref name="root"/> (iteratively: any depth) and calls
    /// <see cref="Tensor.RetainGrad"/> on every non-leaf tensor that requires grad.
    /// <paramref name="names"/> labels known tensors (parameters as <c>0.weight</c>, the data as <c>input</c>).
    /// </summary>
    /// <param name="root">The output whose graph is walked, e.g. the loss.</param>
    /// <param name="names">Names of known tensors, e.g. <c>model.NamedParameters()</c> and the input; null for none.</param>
    /// <returns>The capture; call <see cref="ToGraph"/> after the backward pass to see the gradients.</returns>
    public static TensorGraphCapture Capture(Tensor root, IEnumerable<(string Name, Tensor Tensor)>? names = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        var nameOf = new Dictionary<Tensor, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, tensor) in names ?? [])
        {
            nameOf.TryAdd(tensor, name);
        }

        var capture = new TensorGraphCapture(root, nameOf);
        // Inputs before the ops that consume them, so inputs get smaller ids.
        var order = Autograd.TopologicalOrder(root, allInputs: true);
        var ids = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < order.Count; i++)
        {
            ids[order[i]] = i;
        }

        foreach (var tensor in order)
        {
            capture._tensors.Add(tensor);
            capture._ops.Add(tensor.GradFn?.Name);
            foreach (var input in tensor.GradFn?.Inputs ?? [])
            {
                capture._edges.Add((ids[input], ids[tensor]));
            }

            if (!tensor.IsLeaf && tensor.RequiresGrad)
            {
                tensor.RetainGrad();
            }
        }

        return capture;
    }

    /// <summary>The number of tensors captured.</summary>
    public int Count => _tensors.Count;

    /// <summary>
    /// The captured graph, each node showing its name or op, shape, value and gradient (the values
    /// themselves for up to 6 elements, else the shape and L2 norm).
    /// </summary>
    /// <returns>A new graph, ready for <see cref="LayeredLayout.Compute"/>.</returns>
    public ComputationGraph ToGraph()
    {
        var graph = new ComputationGraph();
        for (int i = 0; i < _tensors.Count; i++)
        {
            var t = _tensors[i];
            string? name = _names.GetValueOrDefault(t);
            string title = _ops[i] is string op ? (name is null ? op : $"{name} ({op})") : name ?? (t.RequiresGrad ? "leaf" : "data");
            var lines = new List<string> { $"{Shapes.Format(t._shape)} {t.DType.Name()}", "value " + Summary(t) };
            if (t.RequiresGrad)
            {
                lines.Add("grad " + (t.Grad is null ? "none" : Summary(t.Grad)));
            }

            var kind = ReferenceEquals(t, _root) ? GraphNodeKind.Output
                : _ops[i] is not null ? GraphNodeKind.Operation
                : t.RequiresGrad ? GraphNodeKind.Parameter
                : GraphNodeKind.Input;
            graph.AddNode(title, lines, kind);
        }

        foreach (var (from, to) in _edges)
        {
            graph.AddEdge(from, to);
        }

        return graph;
    }

    private static string Summary(Tensor t)
    {
        if (t.Numel <= 6)
        {
            var values = t.ToArray<double>();
            string list = string.Join(", ", values.Select(v => v.ToString("G4", CultureInfo.InvariantCulture)));
            return t.Rank == 0 ? list : $"[{list}]";
        }

        var all = t.ToArray<double>();
        double norm = Math.Sqrt(all.Sum(v => v * v));
        return string.Create(CultureInfo.InvariantCulture, $"‖·‖ {norm:G4}, mean {all.Average():G4}");
    }
}
