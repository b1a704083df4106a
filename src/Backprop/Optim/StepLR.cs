namespace Backprop.Optim;

/// <summary>
/// Decays the learning rate by <see cref="Gamma"/> every <see cref="StepSize"/> epochs
/// (<c>torch.optim.lr_scheduler.StepLR</c>): η_t = η₀ · γ^⌊t / step_size⌋.
/// </summary>
public sealed class StepLR : LRScheduler
{
    /// <summary>Creates the schedule (<c>StepLR(optimizer, step_size, gamma=0.1)</c>).</summary>
    /// <param name="optimizer">The optimizer whose learning rate is set at each <see cref="LRScheduler.Step"/>.</param>
    /// <param name="stepSize">How many steps pass between two decays.</param>
    /// <param name="gamma">The factor the rate is multiplied by at each decay (default 0.1).</param>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1)
        : base(optimizer)
    {
        if (stepSize < 1)
        {
            throw new ArgumentException($"StepLR: stepSize must be at least 1 epoch, got {stepSize}");
        }

        RequireNonNegative("gamma", gamma);
        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <summary>Epochs between decays (<c>step_size</c>).</summary>
    public int StepSize { get; }

    /// <summary>Multiplicative decay factor γ (<c>gamma</c>).</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    protected override double ComputeLr(int epoch) => BaseLr * Math.Pow(Gamma, epoch / StepSize);
}
