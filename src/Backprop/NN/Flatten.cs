namespace Backprop.NN;

/// <summary>
/// Merges dims <see cref="StartDim"/>..<see cref="EndDim"/> into one, keeping the batch dimension by
/// default (<c>torch.nn.Flatten(start_dim=1, end_dim=-1)</c>): (N, C, H, W) → (N, C·H·W).
/// </summary>
/// <param name="startDim">The first dim merged (PyTorch's <c>start_dim</c>, default 1, after the batch).</param>
/// <param name="endDim">The last dim merged, inclusive (PyTorch's <c>end_dim</c>, default -1, the last).</param>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    /// <summary>First dimension to flatten (<c>start_dim</c>).</summary>
    public int StartDim { get; } = startDim;

    /// <summary>Last dimension to flatten, inclusive (<c>end_dim</c>).</summary>
    public int EndDim { get; } = endDim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Flatten(StartDim, EndDim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}
