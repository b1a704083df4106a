using System.Globalization;
using Backprop.Optim;

namespace Backprop.Cli.Training;

/// <summary>
/// The learning-rate schedule of <c>backprop train</c>, from <c>--schedule</c> and
/// <c>--warmup-epochs</c>, stepped as PyTorch users step it: per-batch schedules (OneCycleLR, a
/// warmup) after every optimizer step, per-epoch ones (cosine without warmup, ReduceLROnPlateau)
/// after every epoch.
/// <list type="bullet">
/// <item><c>none</c>: a constant rate; with a warmup, <see cref="LinearLR"/> from lr/N up to lr over the first N = warmup epochs × steps per epoch optimizer steps.</item>
/// <item><c>cosine</c>: <see cref="CosineAnnealingLR"/> over the run's epochs, stepped per epoch; with a warmup, <see cref="SequentialLR"/> of that warmup and a cosine over the remaining steps, stepped per batch.</item>
/// <item><c>onecycle</c>: <see cref="OneCycleLR"/> with max_lr = --lr over every optimizer step of the run (div_factor 25, final_div_factor 1e4, momentum or Adam's β₁ cycled 0.95 → 0.85 → 0.95, PyTorch's defaults); its rising phase is the warmup (pct_start = warmup epochs / epochs, 0.3 without --warmup-epochs).</item>
/// <item><c>plateau</c>: <see cref="ReduceLROnPlateau"/> on the test loss after each epoch (factor 0.1, patience <see cref="PlateauPatience"/>, PyTorch's other defaults); with a warmup, the LinearLR warmup first and the plateau schedule from the first epoch after it.</item>
/// </list>
/// Its state goes into the checkpoint's optimizer section under <c>scheduler.</c> (the plateau
/// schedule's under <c>scheduler.plateau.</c>).
/// </summary>
internal sealed class TrainSchedule
{
    /// <summary>The epochs without a new best test loss that <c>--schedule plateau</c> tolerates before it divides the rate by 10.</summary>
    public const int PlateauPatience = 2;

    /// <summary>What <c>--schedule plateau</c> multiplies the rate by at a plateau.</summary>
    public const double PlateauFactor = 0.1;

    private const string Prefix = "scheduler.";
    private const string PlateauPrefix = "scheduler.plateau.";

    private readonly LRScheduler? _main;
    private readonly ReduceLROnPlateau? _plateau;
    private readonly int _warmupSteps;

    private TrainSchedule(TrainOptions options, Optimizer optimizer, int stepsPerEpoch, int plannedEpochs)
    {
        Kind = options.Schedule;
        PlannedEpochs = plannedEpochs;
        WarmupEpochs = options.WarmupEpochs;
        _warmupSteps = checked(options.WarmupEpochs * stepsPerEpoch);
        int totalSteps = checked(plannedEpochs * stepsPerEpoch);
        LinearLR Warmup() => new(optimizer, startFactor: 1.0 / _warmupSteps, endFactor: 1.0, totalIters: _warmupSteps);
        switch (Kind)
        {
            case "none":
                _main = Warmup();
                PerStep = true;
                break;
            case "cosine" when _warmupSteps == 0:
                _main = new CosineAnnealingLR(optimizer, plannedEpochs);
                break;
            case "cosine":
                var warmup = Warmup();
                var cosine = new CosineAnnealingLR(optimizer, totalSteps - _warmupSteps);
                _main = new SequentialLR(optimizer, [warmup, cosine], [_warmupSteps]);
                PerStep = true;
                break;
            case "onecycle":
                double pctStart = WarmupEpochs > 0 ? (double)WarmupEpochs / plannedEpochs : 0.3;
                _main = new OneCycleLR(optimizer, options.Lr, totalSteps, pctStart);
                PerStep = true;
                break;
            case "plateau":
                _main = _warmupSteps > 0 ? Warmup() : null;
                PerStep = _main is not null;
                _plateau = new ReduceLROnPlateau(optimizer, PlateauMode.Min, PlateauFactor, PlateauPatience);
                break;
            default:
                throw new ArgumentException($"--schedule: unknown schedule '{Kind}' (expected none, cosine, onecycle or plateau)");
        }
    }

    /// <summary>--schedule: none, cosine, onecycle or plateau.</summary>
    public string Kind { get; }

    /// <summary>The epochs the schedule was planned over when the run started (a resume that extends the run keeps them).</summary>
    public int PlannedEpochs { get; }

    /// <summary>--warmup-epochs.</summary>
    public int WarmupEpochs { get; }

    /// <summary>Whether the schedule steps after every optimizer step rather than every epoch.</summary>
    public bool PerStep { get; }

    /// <summary>The schedule for <paramref name="options"/>, or null for a constant rate (<c>none</c> without warmup).</summary>
    public static TrainSchedule? Create(TrainOptions options, Optimizer optimizer, int stepsPerEpoch, int plannedEpochs) =>
        options.Schedule == "none" && options.WarmupEpochs == 0 ? null : new TrainSchedule(options, optimizer, stepsPerEpoch, plannedEpochs);

    /// <summary>Whether a checkpoint's optimizer-section key belongs to the schedule.</summary>
    public static bool IsStateKey(string key) => key.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>After every optimizer step: steps the per-step schedule (a warmup only until it is done).</summary>
    public void AfterOptimizerStep()
    {
        if (!PerStep || _main is null)
        {
            return;
        }

        // A warmup before a constant rate or a plateau schedule stops at its end: stepping on would
        // keep setting lr and undo the plateau schedule's reductions.
        if (_main is LinearLR && _main.LastEpoch >= _warmupSteps)
        {
            return;
        }

        _main.Step();
    }

    /// <summary>After every epoch's evaluation: steps the per-epoch schedule with <paramref name="epochsDone"/> epochs complete.</summary>
    public void AfterEpoch(int epochsDone, double testLoss)
    {
        if (!PerStep && _main is not null)
        {
            _main.Step();
        }

        if (_plateau is not null && epochsDone > WarmupEpochs)
        {
            _plateau.Step(testLoss);
        }
    }

    /// <summary>A line for the recipe: what sets the rate, and when it steps.</summary>
    public string Describe(double lr, int stepsPerEpoch)
    {
        string warmup = WarmupEpochs == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"linear warmup from lr/{_warmupSteps} over {WarmupEpochs} epoch(s) = {_warmupSteps} steps, then ");
        return Kind switch
        {
            "none" => $"{warmup}constant",
            "cosine" when WarmupEpochs == 0 => $"CosineAnnealingLR(T_max={PlannedEpochs}) stepped per epoch",
            "cosine" => $"{warmup}CosineAnnealingLR(T_max={(PlannedEpochs * stepsPerEpoch) - _warmupSteps}) stepped per batch (SequentialLR)",
            "onecycle" => string.Create(CultureInfo.InvariantCulture, $"OneCycleLR(max_lr={lr}, total_steps={PlannedEpochs * stepsPerEpoch}, pct_start={((OneCycleLR)_main!).PctStart:0.###}) stepped per batch"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{warmup}ReduceLROnPlateau(test loss, factor={PlateauFactor}, patience={PlateauPatience}) stepped per epoch"),
        };
    }

    /// <summary>Adds the schedule's state to a checkpoint's optimizer section.</summary>
    public void WriteState(Dictionary<string, Tensor> optimizerSection)
    {
        foreach (var (key, value) in _main?.StateDict() ?? [])
        {
            optimizerSection[Prefix + key] = value;
        }

        foreach (var (key, value) in _plateau?.StateDict() ?? [])
        {
            optimizerSection[PlateauPrefix + key] = value;
        }
    }

    /// <summary>Restores the schedule's state from a checkpoint's optimizer section (after the optimizer's own).</summary>
    public void ReadState(IReadOnlyDictionary<string, Tensor> optimizerSection)
    {
        var plateau = optimizerSection.Where(kv => kv.Key.StartsWith(PlateauPrefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[PlateauPrefix.Length..], kv => kv.Value);
        var main = optimizerSection.Where(kv => IsStateKey(kv.Key) && !kv.Key.StartsWith(PlateauPrefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[Prefix.Length..], kv => kv.Value);
        _main?.LoadStateDict(main);
        _plateau?.LoadStateDict(plateau);
    }
}
