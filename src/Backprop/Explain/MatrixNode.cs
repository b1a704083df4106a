namespace Backprop.Explain;

/// <summary>
/// One node of a program in explain's matrix form: an input, a constant or an operation u = g(v₁..vₙ)
/// on scalars, vectors and matrices, with its value from the forward pass as a float64 tensor of rank
/// 0, 1 or 2.
/// </summary>
public sealed class MatrixNode
{
    internal MatrixNode(int index, string name, bool isNamed, ExpressionNodeKind kind, string op, MatrixNode[] inputs, string formula, Tensor value, SourcePosition position)
    {
        Index = index;
        Name = name;
        IsNamed = isNamed;
        Kind = kind;
        Op = op;
        Inputs = inputs;
        Formula = formula;
        Value = value;
        RequiresGrad = kind == ExpressionNodeKind.Input || inputs.Any(i => i.RequiresGrad);
        Position = position;
    }

    /// <summary>Position in the topological order (<see cref="MatrixExplanation.Nodes"/>).</summary>
    public int Index { get; }

    /// <summary>The variable this node is: assigned or given, a generated <c>u1, u2, …</c>, or an unnamed constant's text.</summary>
    public string Name { get; }

    /// <summary>True for inputs, assigned variables and named constants.</summary>
    public bool IsNamed { get; }

    /// <summary>Input, constant or operation.</summary>
    public ExpressionNodeKind Kind { get; }

    /// <summary>The operation: <c>+ - * / ^ @ neg =</c>, a function name (sigmoid, sum, T, …), or <c>input</c> / <c>const</c>.</summary>
    public string Op { get; }

    /// <summary>The nodes this one is computed from.</summary>
    public IReadOnlyList<MatrixNode> Inputs { get; }

    /// <summary>How it is computed from its inputs, e.g. <c>W1 @ x</c>, <c>sigmoid(u2)</c>, <c>u1ᵀ</c>.</summary>
    public string Formula { get; }

    /// <summary>The value of the forward pass: a float64 tensor of rank 0, 1 or 2.</summary>
    public Tensor Value { get; }

    /// <summary>The value's shape: empty for a scalar, (n) for a vector, (m, n) for a matrix.</summary>
    public IReadOnlyList<int> Shape => Value.Shape;

    /// <summary>True for inputs and for nodes computed from an input.</summary>
    public bool RequiresGrad { get; }

    /// <summary>1-based line of the text the node comes from (0 for an input).</summary>
    public int Line => Position.Line;

    /// <summary>1-based column of the text the node comes from (0 for an input).</summary>
    public int Column => Position.Column;

    internal SourcePosition Position { get; }

    /// <summary><c>name = formula = value</c>.</summary>
    /// <returns>The text, e.g. <c>u1 = W1 @ x = [0.0275, 0.0425]</c>.</returns>
    public override string ToString() => $"{Name} = {Formula} = {ExplainArray.Format(Value)}";
}
