using System.Globalization;

namespace Backprop.Optim;

/// <summary>
/// Base class of the learning-rate schedules (<c>torch.optim.lr_scheduler.LRScheduler</c>): each
/// <see cref="Step"/> (once per epoch, or once per batch for a schedule such as
/// <see cref="OneCycleLR"/>, after the optimizer's step) advances <see cref="LastEpoch"/> by one and
/// sets the optimizer's <see cref="Optimizer.Lr"/> to the schedule's closed form at that epoch.
/// </summary>
/// <remarks>
/// The learning rate is always computed from the initial rate and the epoch, never by multiplying
/// the previous rate, so a schedule restored with <see cref="LoadStateDict"/> continues bit-identically.
/// As in PyTorch, the first schedule attached to an optimizer records its learning rate as the
/// optimizer's <see cref="Optimizer.InitialLr"/> (<c>param_group['initial_lr']</c>), and every
/// schedule attached later takes that as its base, so schedules combined by <see cref="SequentialLR"/>
/// share one base rate.
/// </remarks>
public abstract class LRScheduler
{
    private const string LastEpochKey = "last_epoch";
    private const string BaseLrKey = "base_lr";

    private double _lastLr;

    /// <summary>
    /// Attaches the schedule to <paramref name="optimizer"/>; the optimizer's <see cref="Optimizer.InitialLr"/>
    /// (its current learning rate, for the first schedule attached) becomes <see cref="BaseLr"/> (epoch 0).
    /// </summary>
    /// <param name="optimizer">The optimizer whose learning rate is set at each <see cref="Step"/>.</param>
    protected LRScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        BaseLr = optimizer.InitialLr ??= optimizer.Lr;
        _lastLr = optimizer.Lr;
    }

    /// <summary>Attaches the schedule to <paramref name="optimizer"/> with its own base rate (as <see cref="OneCycleLR"/> does).</summary>
    /// <param name="optimizer">The optimizer whose learning rate is set at each <see cref="Step"/>.</param>
    /// <param name="baseLr">The schedule's base rate, which also becomes the optimizer's <see cref="Optimizer.InitialLr"/>.</param>
    private protected LRScheduler(Optimizer optimizer, double baseLr)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        BaseLr = baseLr;
        optimizer.InitialLr = baseLr;
        _lastLr = optimizer.Lr;
    }

    /// <summary>The optimizer whose learning rate this schedule sets.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The base learning rate η₀ the schedule is computed from (<c>scheduler.base_lrs[0]</c>).</summary>
    public double BaseLr { get; private set; }

    /// <summary>The number of <see cref="Step"/> calls so far (<c>scheduler.last_epoch</c>).</summary>
    public int LastEpoch { get; private set; }

    /// <summary>Advances one epoch and sets the optimizer's learning rate for it (<c>scheduler.step()</c>).</summary>
    public void Step()
    {
        // Computed before anything changes, so a schedule that refuses the step (OneCycleLR past its
        // last step) stays where it was.
        double lr = ComputeLr(LastEpoch + 1);
        LastEpoch++;
        Set(lr);
    }

    /// <summary>The learning rate set by the last <see cref="Step"/> (<c>scheduler.get_last_lr()[0]</c>).</summary>
    /// <returns>The learning rate.</returns>
    public double GetLastLr() => _lastLr;

    /// <summary>
    /// The schedule's state (<c>scheduler.state_dict()</c>): <c>last_epoch</c> and <c>base_lr</c>
    /// (and, for <see cref="SequentialLR"/>, each child's state under <c>schedulers.i.</c>), as rank-0
    /// float64 tensors. The constructor's arguments are not part of it: restore into a schedule
    /// built with the same ones.
    /// </summary>
    /// <returns>A new dictionary with the entries.</returns>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, double>();
        WriteState(state, "");
        return state.ToDictionary(kv => kv.Key, kv => new Tensor(new[] { kv.Value }, []));
    }

    /// <summary>
    /// Restores a state taken by <see cref="StateDict"/> (<c>scheduler.load_state_dict()</c>) and sets
    /// the optimizer's learning rate for the restored epoch. A missing or unexpected key, or a value
    /// that is not a rank-0 float64 tensor, is named in the <see cref="ArgumentException"/>, and
    /// nothing changes.
    /// </summary>
    /// <param name="stateDict">A state dict from <see cref="StateDict"/> of a scheduler of the same kind.</param>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        var expected = new Dictionary<string, double>();
        WriteState(expected, "");
        var values = SchedulerState.Read(stateDict, expected.Keys, GetType().Name);
        var errors = new List<string>();
        ValidateState(values, "", errors);
        SchedulerState.ThrowIfAny(errors, GetType().Name);
        ReadState(values, "");
        Set(ComputeLr(LastEpoch));
    }

    /// <summary>The learning rate at <paramref name="epoch"/> in closed form, from <see cref="BaseLr"/>.</summary>
    /// <param name="epoch">The number of scheduler steps taken, from 0.</param>
    /// <returns>The learning rate for that epoch.</returns>
    protected abstract double ComputeLr(int epoch);

    /// <summary>The learning rate at <paramref name="epoch"/>, for <see cref="SequentialLR"/> to ask its children.</summary>
    internal double LrAt(int epoch) => ComputeLr(epoch);

    /// <summary>
    /// Sets the learning rate for epoch 0 (PyTorch's initial step in the constructor): called by the
    /// schedules whose epoch-0 rate is not the optimizer's current one (<see cref="LinearLR"/>, <see cref="OneCycleLR"/>).
    /// </summary>
    private protected void InitialStep() => Set(ComputeLr(0));

    /// <summary>Sets what goes with the learning rate at <paramref name="epoch"/> besides it (OneCycleLR's momentum).</summary>
    /// <param name="epoch">The epoch the learning rate was just set for.</param>
    internal virtual void ApplyOthers(int epoch)
    {
    }

    /// <summary>Sets <see cref="LastEpoch"/> without applying anything (SequentialLR keeps its children's counts).</summary>
    internal void SetLastEpoch(int epoch) => LastEpoch = epoch;

    /// <summary>Adds the state's entries, their keys prefixed by <paramref name="prefix"/>.</summary>
    internal virtual void WriteState(Dictionary<string, double> state, string prefix)
    {
        state[prefix + LastEpochKey] = LastEpoch;
        state[prefix + BaseLrKey] = BaseLr;
    }

    /// <summary>Adds to <paramref name="errors"/> what is wrong with the values of a state about to be read.</summary>
    internal virtual void ValidateState(IReadOnlyDictionary<string, double> state, string prefix, List<string> errors)
    {
        SchedulerState.RequireCount(state, prefix + LastEpochKey, errors);
        SchedulerState.RequireNonNegative(state, prefix + BaseLrKey, errors);
    }

    /// <summary>Takes the state's values, already validated.</summary>
    internal virtual void ReadState(IReadOnlyDictionary<string, double> state, string prefix)
    {
        LastEpoch = (int)state[prefix + LastEpochKey];
        BaseLr = state[prefix + BaseLrKey];
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and ≥ 0, naming the argument.</summary>
    private protected void RequireNonNegative(string argument, double value)
    {
        if (!(value >= 0) || double.IsInfinity(value))
        {
            throw new ArgumentException($"{GetType().Name}: {argument} must be a finite number ≥ 0, got {value.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    private void Set(double lr)
    {
        _lastLr = lr;
        Optimizer.Lr = lr;
        ApplyOthers(LastEpoch);
    }
}
