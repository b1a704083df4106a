namespace Backprop.NN;

/// <summary>Mean squared error lᵢ = (xᵢ − tᵢ)² (<c>torch.nn.MSELoss(reduction='mean')</c>); dlᵢ/dxᵢ = 2(xᵢ − tᵢ).</summary>
/// <param name="reduction">How the per-element losses become the result (default their mean).</param>
public sealed class MSELoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.MseLoss(input, target, Reduction);
}
