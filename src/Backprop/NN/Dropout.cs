using System.Globalization;

namespace Backprop.NN;

/// <summary>
/// Inverted dropout (<c>torch.nn.Dropout(p=0.5)</c>): in training mode each element is zeroed with
/// probability p and the survivors are scaled by 1/(1 − p), y = x·m, so E[y] = x and dL/dx = dL/dy·m;
/// in evaluation mode (<see cref="Module.Eval"/>) it is the identity.
/// </summary>
public sealed class Dropout : Module
{
    private readonly Generator? _generator;

    /// <summary>Creates the layer; masks are drawn from <paramref name="generator"/> (or <see cref="Generator.Default"/>).</summary>
    /// <param name="p">The probability of zeroing each element, in [0, 1] (default 0.5).</param>
    /// <param name="generator">The random source of the masks, or null for <see cref="Generator.Default"/>.</param>
    public Dropout(double p = 0.5, Generator? generator = null)
    {
        F.ValidateDropoutProbability(p);
        P = p;
        _generator = generator;
    }

    /// <summary>Probability of zeroing an element (<c>p</c>).</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Dropout(input, P, IsTraining, _generator);

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"p={P}, inplace=False");
}
