namespace Backprop.NN;

/// <summary>Negative log-likelihood on log-probabilities lₙ = −xₙ[yₙ] with int64 labels (<c>torch.nn.NLLLoss()</c>); use after <see cref="LogSoftmax"/>.</summary>
public sealed class NLLLoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.NllLoss(input, target, Reduction);
}
