using System.Globalization;

namespace Backprop.Optim;

/// <summary>
/// Scales the learning rate by a factor that changes linearly from <see cref="StartFactor"/> to
/// <see cref="EndFactor"/> over <see cref="TotalIters"/> steps, then stays at <see cref="EndFactor"/>
/// (<c>torch.optim.lr_scheduler.LinearLR</c>, closed form):
/// η_t = η₀ · (s + (e − s) · min(t, T) / T). With the end factor 1 it is the usual linear warmup;
/// combine it with a decay through <see cref="SequentialLR"/>.
/// </summary>
public sealed class LinearLR : LRScheduler
{
    /// <summary>
    /// Creates the schedule (<c>LinearLR(optimizer, start_factor=1/3, end_factor=1.0, total_iters=5)</c>)
    /// and sets the optimizer's learning rate to η₀ · <paramref name="startFactor"/>, as PyTorch's
    /// constructor does.
    /// </summary>
    /// <param name="optimizer">The optimizer whose learning rate is set at each <see cref="LRScheduler.Step"/>.</param>
    /// <param name="startFactor">The factor at step 0, in (0, 1] (default 1/3).</param>
    /// <param name="endFactor">The factor from step <paramref name="totalIters"/> on, in [0, 1] (default 1).</param>
    /// <param name="totalIters">The number of steps the factor takes to get from the start to the end factor, at least 1 (default 5).</param>
    public LinearLR(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5)
        : base(optimizer)
    {
        if (!(startFactor > 0 && startFactor <= 1))
        {
            throw new ArgumentException($"LinearLR: startFactor must be in (0, 1], got {startFactor.ToString(CultureInfo.InvariantCulture)}");
        }

        if (!(endFactor >= 0 && endFactor <= 1))
        {
            throw new ArgumentException($"LinearLR: endFactor must be in [0, 1], got {endFactor.ToString(CultureInfo.InvariantCulture)}");
        }

        if (totalIters < 1)
        {
            throw new ArgumentException($"LinearLR: totalIters must be at least 1, got {totalIters}");
        }

        StartFactor = startFactor;
        EndFactor = endFactor;
        TotalIters = totalIters;
        InitialStep();
    }

    /// <summary>The factor at step 0 (<c>start_factor</c>).</summary>
    public double StartFactor { get; }

    /// <summary>The factor from step <see cref="TotalIters"/> on (<c>end_factor</c>).</summary>
    public double EndFactor { get; }

    /// <summary>Steps from the start factor to the end factor (<c>total_iters</c>).</summary>
    public int TotalIters { get; }

    /// <inheritdoc/>
    protected override double ComputeLr(int epoch) =>
        BaseLr * (StartFactor + ((EndFactor - StartFactor) * Math.Min(TotalIters, epoch) / TotalIters));
}
