using System.Globalization;

namespace Backprop.Optim;

/// <summary>
/// Runs schedules one after another (<c>torch.optim.lr_scheduler.SequentialLR</c>): schedule i
/// sets the learning rate from milestone i − 1 (0 for the first) until milestone i, counting its own
/// steps from 0 at its milestone. The usual use is a warmup followed by a decay:
/// <code>
/// var warmup = new LinearLR(optimizer, startFactor: 0.01, totalIters: 500);
/// var decay = new CosineAnnealingLR(optimizer, tMax: 9500);
/// var schedule = new SequentialLR(optimizer, [warmup, decay], milestones: [500]);
/// </code>
/// </summary>
/// <remarks>
/// All the schedules must drive the same optimizer and share its base rate
/// (<see cref="Optimizer.InitialLr"/>), as they do when created on it one after another. The state
/// dict holds this schedule's <c>last_epoch</c> and <c>base_lr</c> and each child's state under
/// <c>schedulers.i.</c>.
/// </remarks>
public sealed class SequentialLR : LRScheduler
{
    private const string ChildPrefix = "schedulers.";

    private readonly LRScheduler[] _schedulers;
    private readonly int[] _milestones;

    /// <summary>
    /// Creates the sequence (<c>SequentialLR(optimizer, schedulers, milestones)</c>) and sets the
    /// optimizer's learning rate to the first schedule's rate at step 0.
    /// </summary>
    /// <param name="optimizer">The optimizer every schedule drives.</param>
    /// <param name="schedulers">The schedules, in the order they run; at least one.</param>
    /// <param name="milestones">The steps at which each schedule after the first takes over: one fewer than the schedules, increasing, each ≥ 1.</param>
    public SequentialLR(Optimizer optimizer, IReadOnlyList<LRScheduler> schedulers, IReadOnlyList<int> milestones)
        : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        ArgumentNullException.ThrowIfNull(milestones);
        if (schedulers.Count == 0)
        {
            throw new ArgumentException("SequentialLR: the list of schedulers is empty");
        }

        for (int i = 0; i < schedulers.Count; i++)
        {
            if (schedulers[i] is null)
            {
                throw new ArgumentException($"SequentialLR: scheduler {i} is null");
            }

            if (!ReferenceEquals(schedulers[i].Optimizer, optimizer))
            {
                throw new ArgumentException($"SequentialLR: scheduler {i} ({schedulers[i].GetType().Name}) drives another optimizer; every scheduler must be created on the optimizer passed in");
            }
        }

        if (milestones.Count != schedulers.Count - 1)
        {
            throw new ArgumentException($"SequentialLR: {schedulers.Count} schedulers need {schedulers.Count - 1} milestones, got {milestones.Count}");
        }

        for (int i = 0; i < milestones.Count; i++)
        {
            int previous = i == 0 ? 0 : milestones[i - 1];
            if (milestones[i] <= previous)
            {
                throw new ArgumentException($"SequentialLR: milestones must be increasing and at least 1, got [{string.Join(", ", milestones.Select(m => m.ToString(CultureInfo.InvariantCulture)))}]");
            }
        }

        _schedulers = [.. schedulers];
        _milestones = [.. milestones];

        // PyTorch resets the rate to the initial one and redoes the first schedule's initial step.
        InitialStep();
    }

    /// <summary>The schedules, in the order they run.</summary>
    public IReadOnlyList<LRScheduler> Schedulers => _schedulers;

    /// <summary>The steps at which each schedule after the first takes over.</summary>
    public IReadOnlyList<int> Milestones => _milestones;

    /// <inheritdoc/>
    protected override double ComputeLr(int epoch)
    {
        var (child, local) = Locate(epoch);
        return child.LrAt(local);
    }

    /// <inheritdoc/>
    internal override void ApplyOthers(int epoch)
    {
        var (child, local) = Locate(epoch);
        child.SetLastEpoch(local);
        child.ApplyOthers(local);
    }

    /// <inheritdoc/>
    internal override void WriteState(Dictionary<string, double> state, string prefix)
    {
        base.WriteState(state, prefix);
        for (int i = 0; i < _schedulers.Length; i++)
        {
            _schedulers[i].WriteState(state, $"{prefix}{ChildPrefix}{i}.");
        }
    }

    /// <inheritdoc/>
    internal override void ValidateState(IReadOnlyDictionary<string, double> state, string prefix, List<string> errors)
    {
        base.ValidateState(state, prefix, errors);
        for (int i = 0; i < _schedulers.Length; i++)
        {
            _schedulers[i].ValidateState(state, $"{prefix}{ChildPrefix}{i}.", errors);
        }
    }

    /// <inheritdoc/>
    internal override void ReadState(IReadOnlyDictionary<string, double> state, string prefix)
    {
        base.ReadState(state, prefix);
        for (int i = 0; i < _schedulers.Length; i++)
        {
            _schedulers[i].ReadState(state, $"{prefix}{ChildPrefix}{i}.");
        }
    }

    /// <summary>The schedule in charge at <paramref name="epoch"/> and its own step count there.</summary>
    private (LRScheduler Child, int Local) Locate(int epoch)
    {
        int index = 0;
        while (index < _milestones.Length && _milestones[index] <= epoch)
        {
            index++;
        }

        return (_schedulers[index], index == 0 ? epoch : epoch - _milestones[index - 1]);
    }
}
