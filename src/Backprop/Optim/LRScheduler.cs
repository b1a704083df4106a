using System.Globalization;

namespace Backprop.Optim;

/// <summary>
/// Base class of the learning-rate schedules (<c>torch.optim.lr_scheduler.LRScheduler</c>): each
/// <see cref="Step"/> (once per epoch, after the optimizer's steps) advances <see cref="LastEpoch"/>
/// by one and sets the optimizer's <see cref="Optimizer.Lr"/> to the schedule's closed form at that epoch.
/// </summary>
/// <remarks>
/// The learning rate is always computed from the initial rate and the epoch, never by multiplying
/// the previous rate, so a schedule restored with <see cref="LoadStateDict"/> continues bit-identically.
/// </remarks>
public abstract class LRScheduler
{
    private const string LastEpochKey = "last_epoch";
    private const string BaseLrKey = "base_lr";

    private double _lastLr;

    /// <summary>Attaches the schedule to <paramref name="optimizer"/>; its current learning rate becomes <see cref="BaseLr"/> (epoch 0).</summary>
    /// <param name="optimizer">The optimizer whose learning rate is set at each <see cref="Step"/>; its current rate is the base.</param>
    protected LRScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        BaseLr = optimizer.Lr;
        _lastLr = BaseLr;
    }

    /// <summary>The optimizer whose learning rate this schedule sets.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The learning rate at epoch 0, η₀ (<c>scheduler.base_lrs[0]</c>).</summary>
    public double BaseLr { get; private set; }

    /// <summary>The number of <see cref="Step"/> calls so far (<c>scheduler.last_epoch</c>).</summary>
    public int LastEpoch { get; private set; }

    /// <summary>Advances one epoch and sets the optimizer's learning rate for it (<c>scheduler.step()</c>).</summary>
    public void Step()
    {
        LastEpoch++;
        Apply();
    }

    /// <summary>The learning rate set by the last <see cref="Step"/> (<c>scheduler.get_last_lr()[0]</c>).</summary>
    /// <returns>The learning rate.</returns>
    public double GetLastLr() => _lastLr;

    /// <summary>
    /// The schedule's state (<c>scheduler.state_dict()</c>): <c>last_epoch</c> and <c>base_lr</c>,
    /// as rank-0 float64 tensors.
    /// </summary>
    /// <returns>A new dictionary with the two entries.</returns>
    public Dictionary<string, Tensor> StateDict() => new()
    {
        [LastEpochKey] = new Tensor(new double[] { LastEpoch }, []),
        [BaseLrKey] = new Tensor(new[] { BaseLr }, []),
    };

    /// <summary>
    /// Restores a state taken by <see cref="StateDict"/> (<c>scheduler.load_state_dict()</c>) and sets
    /// the optimizer's learning rate for the restored epoch. A missing or unexpected key, or a value
    /// that is not a rank-0 float64 tensor, is named in the <see cref="ArgumentException"/>.
    /// </summary>
    /// <param name="stateDict">A state dict from <see cref="StateDict"/> of a scheduler of the same kind.</param>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        string name = GetType().Name;
        var errors = new List<string>();
        foreach (string key in stateDict.Keys.Where(k => k is not (LastEpochKey or BaseLrKey)))
        {
            errors.Add($"unexpected key '{key}'");
        }

        double lastEpoch = ReadScalar(stateDict, LastEpochKey, errors);
        double baseLr = ReadScalar(stateDict, BaseLrKey, errors);
        if (errors.Count == 0 && !(lastEpoch >= 0 && lastEpoch <= int.MaxValue && lastEpoch == Math.Floor(lastEpoch)))
        {
            errors.Add($"'{LastEpochKey}' is {lastEpoch.ToString(CultureInfo.InvariantCulture)}, expected a non-negative integer");
        }

        if (errors.Count == 0 && !(baseLr >= 0 && double.IsFinite(baseLr)))
        {
            errors.Add($"'{BaseLrKey}' is {baseLr.ToString(CultureInfo.InvariantCulture)}, expected a finite number ≥ 0");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException($"{name}.LoadStateDict: {string.Join("; ", errors)}");
        }

        LastEpoch = (int)lastEpoch;
        BaseLr = baseLr;
        Apply();
    }

    /// <summary>The learning rate at <paramref name="epoch"/> in closed form, from <see cref="BaseLr"/>.</summary>
    /// <param name="epoch">The number of scheduler steps taken, from 0.</param>
    /// <returns>The learning rate for that epoch.</returns>
    protected abstract double ComputeLr(int epoch);

    /// <summary>Throws unless <paramref name="value"/> is finite and ≥ 0, naming the argument.</summary>
    private protected void RequireNonNegative(string argument, double value)
    {
        if (!(value >= 0) || double.IsInfinity(value))
        {
            throw new ArgumentException($"{GetType().Name}: {argument} must be a finite number ≥ 0, got {value.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    private void Apply()
    {
        _lastLr = ComputeLr(LastEpoch);
        Optimizer.Lr = _lastLr;
    }

    private static double ReadScalar(IReadOnlyDictionary<string, Tensor> dict, string key, List<string> errors)
    {
        if (!dict.TryGetValue(key, out var t))
        {
            errors.Add($"missing key '{key}'");
            return double.NaN;
        }

        if (t.DType != DType.Float64 || t.Rank != 0)
        {
            errors.Add($"'{key}' is {t.DType.Name()} {Shapes.Format(t._shape)}, expected a rank-0 float64 tensor");
            return double.NaN;
        }

        return t.F64[0];
    }
}
