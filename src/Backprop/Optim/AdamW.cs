namespace Backprop.Optim;

/// <summary>
/// Adam with decoupled weight decay (<c>torch.optim.AdamW</c>): before the Adam update of
/// <see cref="Adam"/> (which then adds no L2 term to the gradient), each parameter decays as
/// <c>p ← p − η·λ·p</c>.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>
    /// Creates the optimizer (<c>torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False)</c>).
    /// </summary>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false)
        : base(parameters, lr, betas, eps, weightDecay, amsgrad, decoupledWeightDecay: true)
    {
    }
}
