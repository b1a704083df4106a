namespace Backprop.NN;

/// <summary>Binary cross-entropy on logits, BCE(σ(x), t) computed stably as max(x, 0) − x·t + log(1 + e^(−|x|)); dlᵢ/dxᵢ = σ(xᵢ) − tᵢ (<c>torch.nn.BCEWithLogitsLoss()</c>).</summary>
public sealed class BCEWithLogitsLoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.BinaryCrossEntropyWithLogits(input, target, Reduction);
}
