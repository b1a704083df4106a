namespace Backprop.NN;

/// <summary>
/// Smooth L1 loss (<c>torch.nn.SmoothL1Loss(reduction='mean', beta=1.0)</c>): 0.5·d²/β where |d| &lt; β, else |d| − 0.5·β,
/// with d = x − t; the L1 loss for β = 0.
/// </summary>
/// <param name="reduction">How the per-element losses are combined: mean (default), sum or none.</param>
/// <param name="beta">β ≥ 0, where the loss turns from quadratic to linear.</param>
public sealed class SmoothL1Loss(Reduction reduction = Reduction.Mean, double beta = 1.0) : Loss(reduction)
{
    /// <summary>β (PyTorch's <c>beta</c>).</summary>
    public double Beta { get; } = beta;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.SmoothL1Loss(input, target, Reduction, Beta);
}
