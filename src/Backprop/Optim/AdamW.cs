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
    /// <param name="parameters">The tensors updated, e.g. <c>model.Parameters()</c>.</param>
    /// <param name="lr">The learning rate (default 1e-3).</param>
    /// <param name="betas">The decay rates (β₁, β₂) of the running averages of the gradient and of its square, each in [0, 1); null for (0.9, 0.999).</param>
    /// <param name="eps">Added to the denominator for stability (default 1e-8).</param>
    /// <param name="weightDecay">The decoupled weight decay: each step multiplies the parameters by 1 − lr·weightDecay (default 1e-2).</param>
    /// <param name="amsgrad">Whether the maximum of the squared-gradient averages is used (AMSGrad, default false).</param>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false)
        : base(parameters, lr, betas, eps, weightDecay, amsgrad, decoupledWeightDecay: true)
    {
    }
}
