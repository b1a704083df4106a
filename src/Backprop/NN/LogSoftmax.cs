namespace Backprop.NN;

/// <summary>
/// Log-softmax along <see cref="Dim"/>, yᵢ = xᵢ − log Σⱼ e^xⱼ computed by log-sum-exp
/// (<c>torch.nn.LogSoftmax(dim)</c>); pairs with <see cref="NLLLoss"/>.
/// </summary>
/// <param name="dim">The dim normalized along (negative counts from the end).</param>
public sealed class LogSoftmax(int dim) : Module
{
    /// <summary>The dimension normalized over (<c>dim</c>).</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.LogSoftmax(Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}";
}
