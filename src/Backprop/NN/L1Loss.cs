namespace Backprop.NN;

/// <summary>Mean absolute error lᵢ = |xᵢ − tᵢ| (<c>torch.nn.L1Loss(reduction='mean')</c>); dlᵢ/dxᵢ = sign(xᵢ − tᵢ).</summary>
/// <param name="reduction">How the per-element losses are combined: mean (default), sum or none.</param>
public sealed class L1Loss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.L1Loss(input, target, Reduction);
}
