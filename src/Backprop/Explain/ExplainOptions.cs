namespace Backprop.Explain;

/// <summary>The loss explain puts on top of a program's output y when given a target T.</summary>
public enum ExplainLoss
{
    /// <summary>L = (T − y)², ∂L/∂y = −2(T − y).</summary>
    Squared,

    /// <summary>L = T − y, ∂L/∂y = −1 (the w1, w2, w3 example of the lecture).</summary>
    Difference,
}

/// <summary>
/// What <c>Explanation.Create</c> adds to the forward and backward pass: a loss against a
/// target, and one gradient-descent step w ← w − η ∂L/∂w.
/// </summary>
public sealed record ExplainOptions
{
    /// <summary>The target T; when set, the loss <see cref="Loss"/> is put on top of the output.</summary>
    public double? Target { get; init; }

    /// <summary>
    /// The matrix form's target T: a number, vector or matrix of the output's shape (a number stands
    /// for every entry). The matrix form then adds L = sum((T − y)²), or sum(T − y) for
    /// <see cref="ExplainLoss.Difference"/>, on top of the output y; it takes the place of
    /// <see cref="Target"/> there. The scalar form refuses it.
    /// </summary>
    public Tensor? TargetArray { get; init; }

    /// <summary>The loss used with <see cref="Target"/> (or <see cref="TargetArray"/>).</summary>
    public ExplainLoss Loss { get; init; } = ExplainLoss.Squared;

    /// <summary>The learning rate η of one gradient-descent step; without a target the step minimizes the output itself.</summary>
    public double? LearningRate { get; init; }

    /// <summary>Whether to compute the central finite difference of every gradient (on by default).</summary>
    public bool FiniteDifferences { get; init; } = true;

    /// <summary>
    /// The matrix form's bound on the size of a value: an operation whose result would have more entries
    /// is refused with an <see cref="ExplainException"/> before it is computed (a server's bound; unbounded by default).
    /// </summary>
    public int MaxEntries { get; init; } = int.MaxValue;
}
