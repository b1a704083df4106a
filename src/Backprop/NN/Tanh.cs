namespace Backprop.NN;

/// <summary>Hyperbolic tangent as a module (<c>torch.nn.Tanh()</c>); d tanh/dx = 1 − tanh².</summary>
public sealed class Tanh : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Tanh();
}
