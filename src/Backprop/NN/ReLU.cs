namespace Backprop.NN;

/// <summary>Rectified linear unit y = max(0, x) as a module (<c>torch.nn.ReLU()</c>); dy/dx = 1 for x &gt; 0, else 0.</summary>
public sealed class ReLU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Relu();
}
