namespace Backprop.NN;

/// <summary>
/// Huber loss (<c>torch.nn.HuberLoss(reduction='mean', delta=1.0)</c>): 0.5·d² where |d| &lt; δ, else δ·(|d| − 0.5·δ),
/// with d = x − t; dl/dx = clamp(d, −δ, δ).
/// </summary>
/// <param name="reduction">How the per-element losses are combined: mean (default), sum or none.</param>
/// <param name="delta">δ &gt; 0, where the loss turns from quadratic to linear.</param>
public sealed class HuberLoss(Reduction reduction = Reduction.Mean, double delta = 1.0) : Loss(reduction)
{
    /// <summary>δ (PyTorch's <c>delta</c>).</summary>
    public double Delta { get; } = delta;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.HuberLoss(input, target, Reduction, Delta);
}
