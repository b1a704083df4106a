namespace Backprop.NN;

/// <summary>Logistic σ(x) = 1 / (1 + e^(−x)) as a module (<c>torch.nn.Sigmoid()</c>); dσ/dx = σ(1 − σ) ≤ 0.25, which is why deep sigmoid stacks vanish gradients.</summary>
public sealed class Sigmoid : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Sigmoid();
}
