namespace Backprop;

/// <summary>
/// Computes the gradient of each input of an op from the upstream gradient, like
/// <see cref="BackwardFunction"/>, and may ask <paramref name="context"/> whether it can write an
/// input gradient over <paramref name="gradOutput"/> instead of allocating one.
/// </summary>
internal delegate Tensor?[] ReusingBackwardFunction(Tensor gradOutput, BackwardContext context);

/// <summary>
/// What the engine tells a backward function about the upstream gradient it passes, handed to it as
/// an argument (no per-thread state): whether the function may overwrite that gradient, because the
/// engine alone holds its storage and nobody kept it. One context serves one backward pass.
/// </summary>
internal sealed class BackwardContext
{
    private Tensor? _reusable;

    /// <summary>Whether the function called since the last <see cref="Offer"/> took the offered gradient.</summary>
    public bool Taken { get; private set; }

    /// <summary>A context that never offers a gradient for reuse (anomaly mode, the sum-over-consumers walk).</summary>
    public static BackwardContext NoReuse { get; } = new();

    /// <summary>Offers <paramref name="gradient"/> (or nothing, for null) to the backward function called next.</summary>
    public void Offer(Tensor? gradient)
    {
        if (ReferenceEquals(this, NoReuse) && gradient is not null)
        {
            throw new InvalidOperationException("BackwardContext.NoReuse offers no gradient");
        }

        _reusable = gradient;
        Taken = false;
    }

    /// <summary>
    /// True (once) when the function may overwrite <paramref name="gradient"/>, element by element, with
    /// an input gradient of the same shape; it then returns <paramref name="gradient"/> as that input's
    /// gradient, which the engine alone holds as before (a leaf keeps it without a copy, the next node
    /// may write over it in turn), unless the function returns it for a second input too.
    /// </summary>
    public bool TakeReusable(Tensor gradient)
    {
        if (!ReferenceEquals(_reusable, gradient))
        {
            return false;
        }

        _reusable = null;
        Taken = true;
        return true;
    }
}
