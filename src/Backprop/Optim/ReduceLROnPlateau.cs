using System.Globalization;

namespace Backprop.Optim;

/// <summary>
/// Lowers the learning rate when a metric stops improving
/// (<c>torch.optim.lr_scheduler.ReduceLROnPlateau</c>): after more than <see cref="Patience"/>
/// steps in a row without a new best (beyond <see cref="Threshold"/>), the rate is multiplied by
/// <see cref="Factor"/>, not below <see cref="MinLr"/>, and then <see cref="Cooldown"/> steps pass
/// before bad steps count again. Call <see cref="Step"/> once per epoch with the metric, such as the
/// validation loss.
/// </summary>
/// <remarks>
/// Unlike the closed-form schedules this one depends on the metrics seen, so its state dict holds
/// the whole state: <c>last_epoch</c>, <c>best</c>, <c>num_bad_epochs</c>, <c>cooldown_counter</c>
/// and <c>lr</c>, the rate it last left the optimizer at. A reduction smaller than <see cref="Eps"/>
/// is skipped, as in PyTorch. A NaN metric is refused.
/// </remarks>
public sealed class ReduceLROnPlateau
{
    private const string LastEpochKey = "last_epoch";
    private const string BestKey = "best";
    private const string BadEpochsKey = "num_bad_epochs";
    private const string CooldownKey = "cooldown_counter";
    private const string LrKey = "lr";

    private static readonly string[] s_keys = [LastEpochKey, BestKey, BadEpochsKey, CooldownKey, LrKey];

    /// <summary>
    /// Creates the schedule (<c>ReduceLROnPlateau(optimizer, mode='min', factor=0.1, patience=10,
    /// threshold=1e-4, threshold_mode='rel', cooldown=0, min_lr=0, eps=1e-8)</c>); the optimizer's
    /// rate is left as it is.
    /// </summary>
    /// <param name="optimizer">The optimizer whose learning rate is lowered.</param>
    /// <param name="mode">Whether the metric improves by falling (<see cref="PlateauMode.Min"/>, default) or rising.</param>
    /// <param name="factor">The factor the rate is multiplied by at a plateau, in [0, 1) (default 0.1).</param>
    /// <param name="patience">How many steps without improvement are tolerated; the rate drops at the next one (default 10).</param>
    /// <param name="threshold">How much better than the best a metric must be to count as an improvement (default 1e-4).</param>
    /// <param name="thresholdMode">Whether <paramref name="threshold"/> is relative to the best (default) or absolute.</param>
    /// <param name="cooldown">Steps after a reduction during which bad steps are not counted (default 0).</param>
    /// <param name="minLr">The lowest rate a reduction goes to (default 0).</param>
    /// <param name="eps">A reduction smaller than this is skipped (default 1e-8).</param>
    public ReduceLROnPlateau(
        Optimizer optimizer,
        PlateauMode mode = PlateauMode.Min,
        double factor = 0.1,
        int patience = 10,
        double threshold = 1e-4,
        ThresholdMode thresholdMode = ThresholdMode.Rel,
        int cooldown = 0,
        double minLr = 0,
        double eps = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentException($"ReduceLROnPlateau: mode must be Min or Max, got {mode}");
        }

        if (!Enum.IsDefined(thresholdMode))
        {
            throw new ArgumentException($"ReduceLROnPlateau: thresholdMode must be Rel or Abs, got {thresholdMode}");
        }

        if (!(factor >= 0 && factor < 1))
        {
            throw new ArgumentException($"ReduceLROnPlateau: factor must be in [0, 1) (a reduction), got {Show(factor)}");
        }

        if (patience < 0)
        {
            throw new ArgumentException($"ReduceLROnPlateau: patience must be ≥ 0, got {patience}");
        }

        if (cooldown < 0)
        {
            throw new ArgumentException($"ReduceLROnPlateau: cooldown must be ≥ 0, got {cooldown}");
        }

        RequireNonNegative("threshold", threshold);
        RequireNonNegative("minLr", minLr);
        RequireNonNegative("eps", eps);
        Optimizer = optimizer;
        Mode = mode;
        Factor = factor;
        Patience = patience;
        Threshold = threshold;
        ThresholdMode = thresholdMode;
        Cooldown = cooldown;
        MinLr = minLr;
        Eps = eps;
        Best = mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity;
    }

    /// <summary>The optimizer whose learning rate this schedule lowers.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Whether the metric improves by falling or rising (<c>mode</c>).</summary>
    public PlateauMode Mode { get; }

    /// <summary>The factor applied at a plateau (<c>factor</c>).</summary>
    public double Factor { get; }

    /// <summary>Steps without improvement tolerated (<c>patience</c>).</summary>
    public int Patience { get; }

    /// <summary>The margin an improvement must have (<c>threshold</c>).</summary>
    public double Threshold { get; }

    /// <summary>Whether <see cref="Threshold"/> is relative or absolute (<c>threshold_mode</c>).</summary>
    public ThresholdMode ThresholdMode { get; }

    /// <summary>Steps after a reduction during which bad steps are not counted (<c>cooldown</c>).</summary>
    public int Cooldown { get; }

    /// <summary>The lowest rate a reduction goes to (<c>min_lrs[0]</c>).</summary>
    public double MinLr { get; }

    /// <summary>The smallest reduction applied (<c>eps</c>).</summary>
    public double Eps { get; }

    /// <summary>The number of <see cref="Step"/> calls so far (<c>last_epoch</c>).</summary>
    public int LastEpoch { get; private set; }

    /// <summary>The best metric so far (<c>best</c>): +∞ in min mode and −∞ in max mode before the first step.</summary>
    public double Best { get; private set; }

    /// <summary>Steps since the last improvement, not counting those in cooldown (<c>num_bad_epochs</c>).</summary>
    public int NumBadEpochs { get; private set; }

    /// <summary>Cooldown steps left (<c>cooldown_counter</c>).</summary>
    public int CooldownCounter { get; private set; }

    /// <summary>The optimizer's learning rate after the last <see cref="Step"/> (<c>get_last_lr()[0]</c>).</summary>
    /// <returns>The learning rate.</returns>
    public double GetLastLr() => Optimizer.Lr;

    /// <summary>Records one epoch's metric and lowers the learning rate at a plateau (<c>scheduler.step(metrics)</c>).</summary>
    /// <param name="metric">The epoch's metric, e.g. the validation loss; not NaN.</param>
    public void Step(double metric)
    {
        if (double.IsNaN(metric))
        {
            throw new ArgumentException("ReduceLROnPlateau.Step: the metric is NaN; pass the epoch's measured value");
        }

        LastEpoch++;
        if (IsBetter(metric))
        {
            Best = metric;
            NumBadEpochs = 0;
        }
        else
        {
            NumBadEpochs++;
        }

        if (CooldownCounter > 0)
        {
            CooldownCounter--;
            NumBadEpochs = 0;
        }

        if (NumBadEpochs > Patience)
        {
            double old = Optimizer.Lr;
            double reduced = Math.Max(old * Factor, MinLr);
            if (old - reduced > Eps)
            {
                Optimizer.Lr = reduced;
            }

            CooldownCounter = Cooldown;
            NumBadEpochs = 0;
        }
    }

    /// <summary>
    /// The schedule's state: <c>last_epoch</c>, <c>best</c>, <c>num_bad_epochs</c>,
    /// <c>cooldown_counter</c> and <c>lr</c>, as rank-0 float64 tensors.
    /// </summary>
    /// <returns>A new dictionary with the entries.</returns>
    public Dictionary<string, Tensor> StateDict() => new()
    {
        [LastEpochKey] = Scalar(LastEpoch),
        [BestKey] = Scalar(Best),
        [BadEpochsKey] = Scalar(NumBadEpochs),
        [CooldownKey] = Scalar(CooldownCounter),
        [LrKey] = Scalar(Optimizer.Lr),
    };

    /// <summary>
    /// Restores a state taken by <see cref="StateDict"/> and sets the optimizer's learning rate to the
    /// one stored. Every missing, unexpected or invalid entry is named in one <see cref="ArgumentException"/>, and nothing changes.
    /// </summary>
    /// <param name="stateDict">A state dict from <see cref="StateDict"/>.</param>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        const string owner = nameof(ReduceLROnPlateau);
        var values = SchedulerState.Read(stateDict, s_keys, owner);
        var errors = new List<string>();
        SchedulerState.RequireCount(values, LastEpochKey, errors);
        SchedulerState.RequireCount(values, BadEpochsKey, errors);
        SchedulerState.RequireCount(values, CooldownKey, errors);
        SchedulerState.RequireNonNegative(values, LrKey, errors);
        if (double.IsNaN(values[BestKey]))
        {
            errors.Add($"'{BestKey}' is NaN");
        }

        SchedulerState.ThrowIfAny(errors, owner);
        Optimizer.Lr = values[LrKey];
        LastEpoch = (int)values[LastEpochKey];
        Best = values[BestKey];
        NumBadEpochs = (int)values[BadEpochsKey];
        CooldownCounter = (int)values[CooldownKey];
    }

    private bool IsBetter(double metric) => (Mode, ThresholdMode) switch
    {
        (PlateauMode.Min, ThresholdMode.Rel) => metric < Best * (1.0 - Threshold),
        (PlateauMode.Min, ThresholdMode.Abs) => metric < Best - Threshold,
        (PlateauMode.Max, ThresholdMode.Rel) => metric > Best * (Threshold + 1.0),
        _ => metric > Best + Threshold,
    };

    private static Tensor Scalar(double value) => new(new[] { value }, []);

    private static string Show(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static void RequireNonNegative(string name, double value)
    {
        if (!(value >= 0) || double.IsInfinity(value))
        {
            throw new ArgumentException($"ReduceLROnPlateau: {name} must be a finite number ≥ 0, got {Show(value)}");
        }
    }
}
