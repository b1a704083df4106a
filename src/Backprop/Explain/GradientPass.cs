namespace Backprop.Explain;

/// <summary>One product pushed by a node u into one of its inputs v during the backward pass.</summary>
/// <param name="Input">The input v.</param>
/// <param name="InputIndex">Which input of u it is (0 for the left operand).</param>
/// <param name="LocalFormula">∂u/∂v as a formula.</param>
/// <param name="LocalDerivative">∂u/∂v at the forward values.</param>
/// <param name="Product">(∂y/∂u)(∂u/∂v), the amount added to ∂y/∂v.</param>
/// <param name="InputGradient">∂y/∂v accumulated so far, this product included.</param>
public sealed record BackwardEdge(ExpressionNode Input, int InputIndex, Formula LocalFormula, double LocalDerivative, double Product, double InputGradient);

/// <summary>One node's visit in the backward pass: its complete upstream gradient ∂y/∂u and what it pushed into each input.</summary>
/// <param name="Node">The node u.</param>
/// <param name="Upstream">∂y/∂u, complete when u is visited.</param>
/// <param name="Edges">One entry per input that requires grad.</param>
public sealed record BackwardStep(ExpressionNode Node, double Upstream, IReadOnlyList<BackwardEdge> Edges);

/// <summary>One term ∂y/∂u · ∂u/∂v of the sum over the consumers u of v ("version A").</summary>
/// <param name="Consumer">The consumer u.</param>
/// <param name="InputIndex">Which input of u is v.</param>
/// <param name="ConsumerGradient">∂y/∂u.</param>
/// <param name="LocalFormula">∂u/∂v as a formula.</param>
/// <param name="LocalDerivative">∂u/∂v.</param>
/// <param name="Product">The term ∂y/∂u · ∂u/∂v.</param>
public sealed record ConsumerTerm(ExpressionNode Consumer, int InputIndex, double ConsumerGradient, Formula LocalFormula, double LocalDerivative, double Product);

/// <summary>∂y/∂v = Σ terms, over every consumer of v (one term per use: x·x uses x twice).</summary>
/// <param name="Node">The node v.</param>
/// <param name="Terms">The terms in the order they are summed; empty for the output itself (∂y/∂y = 1).</param>
/// <param name="Gradient">∂y/∂v.</param>
public sealed record ConsumerSum(ExpressionNode Node, IReadOnlyList<ConsumerTerm> Terms, double Gradient);

/// <summary>∂output/∂node for every node of a graph: what both backward passes compute, whichever way they sum.</summary>
public abstract class GradientTable
{
    private readonly double[] _gradients;

    private protected GradientTable(ExpressionGraph graph, double[] gradients)
    {
        Graph = graph;
        _gradients = gradients;
    }

    /// <summary>The graph differentiated.</summary>
    public ExpressionGraph Graph { get; }

    /// <summary>∂output/∂<paramref name="node"/> (0 for nodes the output does not depend on).</summary>
    /// <param name="node">A node of the graph the pass ran on.</param>
    /// <returns>The gradient.</returns>
    public double GradientOf(ExpressionNode node) => _gradients[node.Index];

    /// <summary>∂output/∂input for the input called <paramref name="name"/>.</summary>
    /// <param name="name">An input's or assigned variable's name.</param>
    /// <returns>The gradient.</returns>
    public double GradientOf(string name) =>
        GradientOf(Graph.Inputs.FirstOrDefault(i => i.Name == name) ?? throw new ArgumentException($"'{name}' is not an input (inputs: {string.Join(", ", Graph.Inputs.Select(i => i.Name))})"));
}

/// <summary>The result of <see cref="ExpressionGraph.Backward"/>: ∂output/∂node for every node, and every step taken.</summary>
public sealed class GradientPass : GradientTable
{
    internal GradientPass(ExpressionGraph graph, IReadOnlyList<BackwardStep> steps, double[] gradients)
        : base(graph, gradients)
    {
        Steps = steps;
    }

    /// <summary>The operation nodes visited, in reverse topological order, each with what it pushed into its inputs.</summary>
    public IReadOnlyList<BackwardStep> Steps { get; }
}

/// <summary>The result of <see cref="ExpressionGraph.BackwardByConsumers"/>: every gradient as a sum over consumers.</summary>
public sealed class ConsumerPass : GradientTable
{
    internal ConsumerPass(ExpressionGraph graph, IReadOnlyList<ConsumerSum> sums, double[] gradients)
        : base(graph, gradients)
    {
        Sums = sums;
    }

    /// <summary>One sum per node the output depends on, in reverse topological order.</summary>
    public IReadOnlyList<ConsumerSum> Sums { get; }
}
