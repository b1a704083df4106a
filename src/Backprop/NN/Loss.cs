namespace Backprop.NN;

/// <summary>
/// Base class of the loss modules (<c>torch.nn.modules.loss._Loss</c>): a two-input function of
/// (input, target) reduced by <see cref="Reduction"/>. Losses hold no parameters, so they are not
/// <see cref="Module"/>s here.
/// </summary>
/// <param name="reduction">How the per-element losses become the result: their mean, their sum, or none (the per-element tensor).</param>
public abstract class Loss(Reduction reduction)
{
    /// <summary>How per-element losses are combined: mean (default), sum or none (<c>reduction=</c>).</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>Computes the loss of <paramref name="input"/> against <paramref name="target"/>.</summary>
    /// <param name="input">The prediction.</param>
    /// <param name="target">What it should have been, in the form the loss expects.</param>
    /// <returns>The loss: a rank-0 tensor, or per-element or per-sample losses with <see cref="Reduction.None"/>.</returns>
    public abstract Tensor Forward(Tensor input, Tensor target);

    /// <summary>PyTorch's format, e.g. <c>CrossEntropyLoss()</c>, with the reduction when it is not the mean.</summary>
    /// <returns>The text, e.g. <c>MSELoss(reduction='sum')</c>.</returns>
    public override string ToString() =>
        Reduction == Reduction.Mean ? $"{GetType().Name}()" : $"{GetType().Name}(reduction='{Reduction.ToString().ToLowerInvariant()}')";
}
