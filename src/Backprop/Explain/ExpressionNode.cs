namespace Backprop.Explain;

/// <summary>What an <see cref="ExpressionNode"/> is.</summary>
public enum ExpressionNodeKind
{
    /// <summary>An input of the program, given a value from outside (<c>--at w1=3</c>); gradients are taken with respect to these.</summary>
    Input,

    /// <summary>A number in the program (<c>2</c> in <c>2*x</c>, or <c>i1 = 0.05</c>); it needs no gradient.</summary>
    Constant,

    /// <summary>An operation u = g(v₁..vₙ) on other nodes.</summary>
    Operation,
}

/// <summary>
/// One node u of the scalar computational graph of an explain program: its inputs, its value from
/// the forward pass and, computed beside it, its local derivatives ∂u/∂vⱼ with respect to each input
/// vⱼ, as numbers and as formulas (<c>∂z/∂y = w3</c>).
/// </summary>
public sealed class ExpressionNode
{
    internal ExpressionNode(
        int index,
        string name,
        bool isNamed,
        ExpressionNodeKind kind,
        string op,
        ExpressionNode[] inputs,
        Formula formula,
        double value,
        double[] localDerivatives,
        Formula[] localDerivativeFormulas,
        SourcePosition position)
    {
        Index = index;
        Name = name;
        IsNamed = isNamed;
        Kind = kind;
        Op = op;
        Inputs = inputs;
        Formula = formula;
        Value = value;
        LocalDerivatives = localDerivatives;
        LocalDerivativeFormulas = localDerivativeFormulas;
        RequiresGrad = kind == ExpressionNodeKind.Input || inputs.Any(i => i.RequiresGrad);
        Line = position.Line;
        Column = position.Column;
    }

    /// <summary>Position in the graph's topological order (<see cref="ExpressionGraph.Nodes"/>).</summary>
    public int Index { get; }

    /// <summary>
    /// The variable this node is: the name assigned in the program or given as input, a generated
    /// <c>u1, u2, …</c> for an intermediate result, or the number itself for an unnamed constant.
    /// </summary>
    public string Name { get; }

    /// <summary>True for inputs, assigned variables and named constants; false for generated and number names.</summary>
    public bool IsNamed { get; }

    /// <summary>Input, constant or operation.</summary>
    public ExpressionNodeKind Kind { get; }

    /// <summary>
    /// The operation: <c>+ - * / ^</c>, <c>neg</c>, <c>exp log sqrt tanh sigmoid relu abs</c>,
    /// <c>=</c> (a copy, <c>y = x</c>), or <c>input</c>/<c>const</c> for leaves.
    /// </summary>
    public string Op { get; }

    /// <summary>The nodes this one is computed from (empty for leaves); a node used twice appears twice (<c>x*x</c>).</summary>
    public IReadOnlyList<ExpressionNode> Inputs { get; }

    /// <summary>How this node is computed from its inputs, e.g. <c>y·w3</c>; its name (or number) for leaves.</summary>
    public Formula Formula { get; }

    /// <summary>The value computed by the forward pass.</summary>
    public double Value { get; }

    /// <summary>∂this/∂Inputs[j] at the forward values (NaN for an input that needs no gradient and where it is undefined).</summary>
    public IReadOnlyList<double> LocalDerivatives { get; }

    /// <summary>∂this/∂Inputs[j] as formulas in the names of the inputs and of this node (sigmoid: <c>σ·(1 − σ)</c> written with this node's name).</summary>
    public IReadOnlyList<Formula> LocalDerivativeFormulas { get; }

    /// <summary>True if the node depends on at least one input, so the backward pass visits it.</summary>
    public bool RequiresGrad { get; }

    /// <summary>1-based line in the program where the node's text starts (0 for inputs given from outside).</summary>
    public int Line { get; }

    /// <summary>1-based column in the program where the node's text starts (0 for inputs given from outside).</summary>
    public int Column { get; }

    /// <summary>How other formulas refer to this node: its name, or its number for an unnamed constant.</summary>
    public Formula Reference => Kind == ExpressionNodeKind.Constant && !IsNamed ? Formula.Number(Value) : Formula.Symbol(Name);

    /// <summary><c>name = formula = value</c>.</summary>
    /// <returns>The text, e.g. <c>z = x·y = 6</c>.</returns>
    public override string ToString() => $"{Name} = {Formula.ToText()} = {ExplainNumber.Format(Value)}";
}
