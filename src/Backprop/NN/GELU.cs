namespace Backprop.NN;

/// <summary>
/// Gaussian error linear unit y = x·Φ(x), exact form (<c>torch.nn.GELU(approximate='none')</c>);
/// dy/dx = Φ(x) + x·φ(x).
/// </summary>
public sealed class GELU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Gelu();

    /// <inheritdoc/>
    protected override string ExtraRepr() => "approximate='none'";
}
