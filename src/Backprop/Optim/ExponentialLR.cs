namespace Backprop.Optim;

/// <summary>
/// Decays the learning rate by <see cref="Gamma"/> every epoch
/// (<c>torch.optim.lr_scheduler.ExponentialLR</c>): η_t = η₀ · γ^t.
/// </summary>
public sealed class ExponentialLR : LRScheduler
{
    /// <summary>Creates the schedule (<c>ExponentialLR(optimizer, gamma)</c>).</summary>
    /// <param name="optimizer">The optimizer whose learning rate is set at each <see cref="LRScheduler.Step"/>.</param>
    /// <param name="gamma">The factor the rate is multiplied by at each step.</param>
    public ExponentialLR(Optimizer optimizer, double gamma)
        : base(optimizer)
    {
        RequireNonNegative("gamma", gamma);
        Gamma = gamma;
    }

    /// <summary>Multiplicative decay factor γ (<c>gamma</c>).</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double ComputeLr(int epoch) => BaseLr * Math.Pow(Gamma, epoch);
}
