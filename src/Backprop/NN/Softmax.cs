namespace Backprop.NN;

/// <summary>
/// Softmax along <see cref="Dim"/>, yᵢ = e^xᵢ / Σⱼ e^xⱼ (<c>torch.nn.Softmax(dim)</c>); dL/dxᵢ = yᵢ(gᵢ − Σⱼ gⱼyⱼ).
/// For training, feed logits to <see cref="CrossEntropyLoss"/> instead: it is fused and stable.
/// </summary>
/// <param name="dim">The dim the probabilities sum to 1 along (negative counts from the end).</param>
public sealed class Softmax(int dim) : Module
{
    /// <summary>The dimension that sums to 1 (<c>dim</c>).</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Softmax(Dim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={Dim}";
}
