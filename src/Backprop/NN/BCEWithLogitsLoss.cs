namespace Backprop.NN;

/// <summary>
/// Binary cross-entropy on logits, BCE(σ(x), t) computed stably as max(x, 0) − x·t + log(1 + e^(−|x|)); dlᵢ/dxᵢ = σ(xᵢ) − tᵢ
/// (<c>torch.nn.BCEWithLogitsLoss(weight=None, reduction='mean', pos_weight=None)</c>). With weights,
/// lᵢ = wᵢ·[−pᵢ·tᵢ·log σ(xᵢ) − (1 − tᵢ)·log(1 − σ(xᵢ))] (<see cref="LossOps.BinaryCrossEntropyWithLogits"/>).
/// </summary>
/// <param name="reduction">How the per-element losses are combined: mean (default), sum or none.</param>
/// <param name="weight">A rescaling weight per element, broadcasting to the input's shape (PyTorch's <c>weight</c>); null for 1.</param>
/// <param name="posWeight">The weight of positive examples, typically one per class (PyTorch's <c>pos_weight</c>); null for 1.</param>
public sealed class BCEWithLogitsLoss(Reduction reduction = Reduction.Mean, Tensor? weight = null, Tensor? posWeight = null) : Loss(reduction)
{
    /// <summary>The per-element weight, or null (PyTorch's <c>weight</c>).</summary>
    public Tensor? Weight { get; } = weight;

    /// <summary>The weight of positive examples, or null (PyTorch's <c>pos_weight</c>).</summary>
    public Tensor? PosWeight { get; } = posWeight;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.BinaryCrossEntropyWithLogits(input, target, Reduction, Weight, PosWeight);
}
