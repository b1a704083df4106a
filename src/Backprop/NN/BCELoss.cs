namespace Backprop.NN;

/// <summary>Binary cross-entropy on probabilities lᵢ = −(tᵢ log pᵢ + (1 − tᵢ) log(1 − pᵢ)), logs clamped at −100 (<c>torch.nn.BCELoss()</c>). Prefer <see cref="BCEWithLogitsLoss"/> on raw scores.</summary>
/// <param name="reduction">How the per-element losses become the result (default their mean).</param>
public sealed class BCELoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.BinaryCrossEntropy(input, target, Reduction);
}
