using System.Globalization;
using System.Text.Json;

namespace Backprop.Cli.Training;

/// <summary>
/// Everything that defines a training run; stored in checkpoints so <c>--resume</c> repeats it exactly.
/// Settings added later have defaults that mean "as before", so older checkpoints read as they ran.
/// </summary>
internal sealed record TrainOptions(
    string Data,
    string? LabelColumn,
    string Model,
    int Epochs,
    int BatchSize,
    double Lr,
    string Optimizer,
    string Schedule,
    long Seed,
    // Schedules and stopping (--warmup-epochs, --patience, --accumulate).
    int WarmupEpochs = 0,
    int Patience = 0,
    int Accumulate = 1,
    // Data (--augment, --standardize).
    string Augment = Augmentation.None,
    bool Standardize = false,
    // Regularization (--weight-decay: null is the optimizer's own default; --label-smoothing).
    double? WeightDecay = null,
    double LabelSmoothing = 0)
{
    public string ToJson() => JsonSerializer.Serialize(this);

    public static TrainOptions FromJson(string json, string source) =>
        JsonSerializer.Deserialize<TrainOptions>(json) ?? throw new InvalidDataException($"{source}: the training options are empty");

    /// <summary>
    /// Refuses a resumed run's flags that differ from the settings its checkpoint was trained with
    /// (this record): <paramref name="given"/> holds the values from the command line and
    /// <paramref name="flags"/> the flags the user actually typed; a flag typed with the
    /// checkpoint's own value is fine. One message names every conflicting flag, both values, and
    /// the way out.
    /// </summary>
    public void RequireSameSettings(TrainOptions given, IReadOnlySet<string> flags)
    {
        var mine = Settings().ToDictionary(s => s.Flag, s => s.Value, StringComparer.Ordinal);
        var conflicts = given.Settings()
            .Where(s => flags.Contains(s.Flag) && !SameSetting(s.Flag, s.Value, mine[s.Flag]))
            .Select(s => $"{s.Flag} {Show(s.Value)} (the checkpoint has {s.Flag} {Show(mine[s.Flag])})")
            .ToList();
        if (conflicts.Count > 0)
        {
            throw new ArgumentException(
                $"--resume: {string.Join(", ", conflicts)} {(conflicts.Count == 1 ? "conflicts" : "conflict")} with the checkpoint's settings, which a resumed run keeps " +
                $"(only --epochs, --threads, --out, --grad-report and --detect-anomaly may be given); leave {(conflicts.Count == 1 ? "it" : "them")} out, or start a new run with --out instead of --resume");
        }
    }

    /// <summary>The settings a checkpoint fixes, by the flag that sets them, as that flag takes them (a double round-trips, so 0.001 and 1e-3 agree).</summary>
    private IEnumerable<(string Flag, string? Value)> Settings() =>
    [
        ("--data", Data),
        ("--label-column", LabelColumn),
        ("--model", Model),
        ("--batch-size", BatchSize.ToString(CultureInfo.InvariantCulture)),
        ("--lr", Lr.ToString("R", CultureInfo.InvariantCulture)),
        ("--optimizer", Optimizer),
        ("--schedule", Schedule),
        ("--seed", Seed.ToString(CultureInfo.InvariantCulture)),
        ("--warmup-epochs", WarmupEpochs.ToString(CultureInfo.InvariantCulture)),
        ("--patience", Patience.ToString(CultureInfo.InvariantCulture)),
        ("--accumulate", Accumulate.ToString(CultureInfo.InvariantCulture)),
        ("--augment", Augment),
        ("--standardize", Standardize ? "true" : "false"),
        ("--weight-decay", WeightDecay?.ToString("R", CultureInfo.InvariantCulture)),
        ("--label-smoothing", LabelSmoothing.ToString("R", CultureInfo.InvariantCulture)),
    ];

    // A CSV path may be spelled differently (./x.csv, an absolute path) and still name the same file.
    private static bool SameSetting(string flag, string? a, string? b) =>
        a == b || (flag == "--data" && a is not null && b is not null && DataSource.IsCsv(a) && Path.GetFullPath(a) == Path.GetFullPath(b));

    private static string Show(string? value) => value switch
    {
        null => "(not set)",
        "" => "''",
        _ when value.Contains(' ', StringComparison.Ordinal) => $"'{value}'",
        _ => value,
    };

    /// <summary>Checks ranges, naming the option.</summary>
    public void Validate()
    {
        if (Epochs < 1)
        {
            throw new ArgumentException($"--epochs must be at least 1, got {Epochs}");
        }

        if (BatchSize < 1)
        {
            throw new ArgumentException($"--batch-size must be at least 1, got {BatchSize}");
        }

        if (WeightDecay is double decay && !(decay >= 0 && double.IsFinite(decay)))
        {
            throw new ArgumentException($"--weight-decay must be a finite number >= 0, got {decay}");
        }

        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1))
        {
            throw new ArgumentException($"--label-smoothing must be in [0, 1), got {LabelSmoothing}");
        }

        if (!(Lr > 0) || double.IsInfinity(Lr))
        {
            throw new ArgumentException($"--lr must be a positive number, got {Lr}");
        }

        ValidateScheduleAndStopping();
    }

    /// <summary>Checks --warmup-epochs, --patience and --accumulate and how they combine with --schedule.</summary>
    private void ValidateScheduleAndStopping()
    {
        if (WarmupEpochs < 0)
        {
            throw new ArgumentException($"--warmup-epochs must be at least 0, got {WarmupEpochs}");
        }

        if (WarmupEpochs > 0 && WarmupEpochs >= Epochs)
        {
            throw new ArgumentException($"--warmup-epochs {WarmupEpochs} leaves no epochs after the warmup in a run of --epochs {Epochs}; make it less than --epochs");
        }

        if (Patience < 0)
        {
            throw new ArgumentException($"--patience must be at least 1 (or 0 for no early stopping), got {Patience}");
        }

        if (Accumulate < 1)
        {
            throw new ArgumentException($"--accumulate must be at least 1 batch, got {Accumulate}");
        }
    }
}
