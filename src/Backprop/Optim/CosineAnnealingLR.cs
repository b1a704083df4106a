namespace Backprop.Optim;

/// <summary>
/// Anneals the learning rate along half a cosine from η₀ to <see cref="EtaMin"/> over
/// <see cref="TMax"/> epochs (<c>torch.optim.lr_scheduler.CosineAnnealingLR</c>, closed form):
/// η_t = η_min + (η₀ − η_min) · (1 + cos(π·t / T_max)) / 2. Past T_max the cosine continues, as in PyTorch.
/// </summary>
public sealed class CosineAnnealingLR : LRScheduler
{
    /// <summary>Creates the schedule (<c>CosineAnnealingLR(optimizer, T_max, eta_min=0)</c>).</summary>
    /// <param name="optimizer">The optimizer whose learning rate is set at each <see cref="LRScheduler.Step"/>.</param>
    /// <param name="tMax">T_max, the number of steps of the half cosine from the base rate down to <paramref name="etaMin"/>.</param>
    /// <param name="etaMin">The smallest learning rate (default 0).</param>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0)
        : base(optimizer)
    {
        if (tMax < 1)
        {
            throw new ArgumentException($"CosineAnnealingLR: tMax must be at least 1 epoch, got {tMax}");
        }

        RequireNonNegative("etaMin", etaMin);
        TMax = tMax;
        EtaMin = etaMin;
    }

    /// <summary>Epochs from η₀ down to η_min (<c>T_max</c>).</summary>
    public int TMax { get; }

    /// <summary>The learning rate reached at epoch T_max (<c>eta_min</c>).</summary>
    public double EtaMin { get; }

    /// <inheritdoc/>
    protected override double ComputeLr(int epoch) =>
        EtaMin + ((BaseLr - EtaMin) * (1 + Math.Cos(Math.PI * epoch / TMax)) / 2);
}
