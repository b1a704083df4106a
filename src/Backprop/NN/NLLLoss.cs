namespace Backprop.NN;

/// <summary>
/// Negative log-likelihood on log-probabilities lₙ = −w[yₙ]·xₙ[yₙ] with int64 labels (<c>torch.nn.NLLLoss(weight=None,
/// ignore_index=-100, reduction='mean')</c>); use after <see cref="LogSoftmax"/>. The options are <see cref="LossOps.NllLoss"/>'s.
/// </summary>
/// <param name="reduction">How the per-sample losses are combined: mean (default, over Σ w[yₙ]), sum or none.</param>
/// <param name="weight">A weight per class, 1-D of size C (PyTorch's <c>weight</c>); null for 1.</param>
/// <param name="ignoreIndex">A class index whose samples are skipped (PyTorch's <c>ignore_index</c>, default −100).</param>
public sealed class NLLLoss(Reduction reduction = Reduction.Mean, Tensor? weight = null, long ignoreIndex = -100) : Loss(reduction)
{
    /// <summary>The class weights, or null (PyTorch's <c>weight</c>).</summary>
    public Tensor? Weight { get; } = weight;

    /// <summary>The class index whose samples are skipped (PyTorch's <c>ignore_index</c>).</summary>
    public long IgnoreIndex { get; } = ignoreIndex;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.NllLoss(input, target, Reduction, Weight, IgnoreIndex);
}
