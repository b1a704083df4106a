using System.Globalization;

namespace Backprop.NN;

/// <summary>
/// y = x for x &gt; 0, else slope·x (<c>torch.nn.LeakyReLU(negative_slope=0.01)</c>); dy/dx = 1 or slope,
/// so negative inputs still pass a gradient.
/// </summary>
/// <param name="negativeSlope">The slope for x &lt; 0 (PyTorch's <c>negative_slope</c>, default 0.01).</param>
public sealed class LeakyReLU(double negativeSlope = 0.01) : Module
{
    /// <summary>The slope for negative inputs (<c>negative_slope</c>).</summary>
    public double NegativeSlope { get; } = negativeSlope;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.LeakyRelu(NegativeSlope);

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"negative_slope={NegativeSlope}");
}
