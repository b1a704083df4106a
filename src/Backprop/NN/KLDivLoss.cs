namespace Backprop.NN;

/// <summary>
/// Kullback-Leibler divergence with the input as log-probabilities (<c>torch.nn.KLDivLoss(reduction='mean',
/// log_target=False)</c>): lᵢ = tᵢ·(log tᵢ − xᵢ), or e^tᵢ·(tᵢ − xᵢ) with log targets. Use
/// <see cref="Reduction.BatchMean"/> for the divergence per sample (PyTorch's advice); the default mean divides by
/// the number of elements, as PyTorch's.
/// </summary>
/// <param name="reduction">How the per-element losses are combined: mean (default), batchmean, sum or none.</param>
/// <param name="logTarget">Whether the target is given as log-probabilities (PyTorch's <c>log_target</c>).</param>
public sealed class KLDivLoss(Reduction reduction = Reduction.Mean, bool logTarget = false) : Loss(reduction)
{
    /// <summary>Whether the target is log-probabilities (PyTorch's <c>log_target</c>).</summary>
    public bool LogTarget { get; } = logTarget;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.KlDiv(input, target, Reduction, LogTarget);
}
