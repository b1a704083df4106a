using System.Diagnostics;
using System.Globalization;
using Backprop.Data;
using Backprop.Diagnostics;
using Backprop.NN;
using Backprop.Optim;
using Backprop.Serialization;

namespace Backprop.Cli.Training;

/// <summary>
/// The training loop of <c>backprop train</c>: forward, cross-entropy, backward, step, per batch;
/// evaluation and a checkpoint per epoch. Its whole state (weights, optimizer, schedule, RNG
/// states, position inside the epoch) goes into a checkpoint, so a resumed run ends with
/// bit-identical weights to an uninterrupted one.
/// </summary>
internal sealed class Trainer
{
    private const string OptionsKey = "options";
    private const string BatchKey = "batch_in_epoch";
    private const string LossSumKey = "epoch_loss_sum";
    private const string LossCountKey = "epoch_loss_count";
    private const string SecondsKey = "epoch_seconds";
    private const string HistoryKey = "history_csv";
    private const string GradientHealthKey = "gradient_health";
    private const string ScheduleEpochsKey = "schedule_epochs";
    private const string SchedulerPrefix = "scheduler.";

    private readonly Generator _dropout;
    private readonly DataLoader _loader;
    private readonly StepCollector _collector = new();
    private LRScheduler? _scheduler;
    private ulong[] _epochStartLoaderState;
    private int _batchInEpoch;
    private double _lossSum;
    private long _lossCount;
    private double _secondsBefore;

    public Trainer(TrainOptions options, DataSource data)
    {
        options.Validate();
        Options = options;
        Data = data;
        Spec = ModelDescription.Parse(options.Model, data.Features, data.Classes);
        _dropout = new Generator(options.Seed + 1);
        Model = Spec.Build(new Generator(options.Seed), _dropout);
        Optimizer = options.Optimizer switch
        {
            "sgd" => new SGD(Model.Parameters(), options.Lr, momentum: 0.9),
            "adam" => new Adam(Model.Parameters(), options.Lr),
            "adamw" => new AdamW(Model.Parameters(), options.Lr),
            "rmsprop" => new RMSprop(Model.Parameters(), options.Lr),
            _ => throw new ArgumentException($"--optimizer: unknown optimizer '{options.Optimizer}' (expected sgd, adam, adamw or rmsprop)"),
        };
        _scheduler = options.Schedule switch
        {
            "none" => null,
            "cosine" => new CosineAnnealingLR(Optimizer, options.Epochs),
            _ => throw new ArgumentException($"--schedule: unknown schedule '{options.Schedule}' (expected none or cosine)"),
        };
        // --augment: transforms of the training set only, drawn per sample from the loader's generator (checkpointed below).
        var augment = Augmentation.Build(options.Augment, data.Name);
        _loader = new DataLoader(data.Train, options.BatchSize, shuffle: true, generator: new Generator(options.Seed + 2), prefetch: true, transform: augment?.Transform, imageShape: augment?.Shape);
        _epochStartLoaderState = _loader.Generator.GetState();
    }

    public TrainOptions Options { get; private set; }

    public DataSource Data { get; }

    public ModelDescription Spec { get; }

    public Module Model { get; }

    public Optimizer Optimizer { get; }

    /// <summary>The transforms of the training samples (<c>--augment</c>), or null.</summary>
    public Backprop.Data.Transforms.ITransform? TrainTransform => _loader.Transform;

    public TrainingHistory History { get; private set; } = new();

    /// <summary>The <c>--grad-report</c> recorder, if any: its sums go into every checkpoint, so a resumed report covers every epoch.</summary>
    public GradientHealth? GradientHealth { get; set; }

    /// <summary>The epochs of the cosine schedule's period (its T_max), or null without a cosine schedule.</summary>
    public int? ScheduleEpochs => (_scheduler as CosineAnnealingLR)?.TMax;

    /// <summary>Epochs completed so far.</summary>
    public int Epoch { get; private set; }

    public int BatchesPerEpoch => _loader.Count;

    /// <summary>Batches of the current epoch done so far (a resumed run starts there).</summary>
    public int BatchInEpoch => _batchInEpoch;

    /// <summary>Called after every batch with (batch index, batches per epoch, batch loss, samples per second).</summary>
    public Action<int, int, double, double>? BatchCompleted { get; set; }

    /// <summary>Called with each batch's loss after the forward pass and before Backward frees the graph (diagnostics: --grad-report).</summary>
    public Action<Tensor>? BeforeBackward { get; set; }

    /// <summary>Called after each batch's Backward and before the optimizer step, while the gradients are this batch's.</summary>
    public Action? AfterBackward { get; set; }

    /// <summary>Called at the start of every epoch with its 1-based number.</summary>
    public Action<int>? EpochStarted { get; set; }

    /// <summary>Called after every epoch's evaluation and checkpoint.</summary>
    public Action<EpochRecord>? EpochCompleted { get; set; }

    /// <summary>
    /// Trains until <see cref="TrainOptions.Epochs"/> epochs are complete, writing
    /// <paramref name="checkpointPath"/> after each. Returns false if <paramref name="cancel"/> stopped
    /// it, in which case a checkpoint of the exact position inside the epoch has been written.
    /// </summary>
    public bool Run(string checkpointPath, CancellationToken cancel)
    {
        Model.Train();
        while (Epoch < Options.Epochs)
        {
            EpochStarted?.Invoke(Epoch + 1);
            var clock = Stopwatch.StartNew();
            var batchClock = Stopwatch.StartNew();

            // Re-draw this epoch's permutation from the state it had when the epoch began, then skip
            // the batches a resumed run has already done.
            _loader.Generator.SetState(_epochStartLoaderState);
            int index = 0;
            foreach (var (x, y) in _loader)
            {
                if (index++ < _batchInEpoch)
                {
                    continue;
                }

                if (cancel.IsCancellationRequested)
                {
                    _secondsBefore += clock.Elapsed.TotalSeconds;
                    Checkpoint.Save(checkpointPath, ToCheckpoint());
                    return false;
                }

                Optimizer.ZeroGrad();
                var loss = Tensor.CrossEntropy(Model.Forward(x), y);
                BeforeBackward?.Invoke(loss);
                loss.Backward();
                AfterBackward?.Invoke();
                Optimizer.Step();
                double value = loss.Item();
                _collector.StepCompleted();
                if (!double.IsFinite(value))
                {
                    throw new InvalidOperationException($"epoch {Epoch + 1}, batch {index}: the loss is {(double.IsNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf")}; lower --lr");
                }

                int n = x.Size(0);
                _lossSum += value * n;
                _lossCount += n;
                _batchInEpoch++;
                double batchSeconds = batchClock.Elapsed.TotalSeconds;
                TrainingTelemetry.RecordBatch(value, n, batchSeconds);
                BatchCompleted?.Invoke(_batchInEpoch, _loader.Count, value, n / Math.Max(batchSeconds, 1e-9));
                batchClock.Restart();
            }

            // Training time only, as PyTorch's benchmark measures it: evaluation is not included.
            double seconds = _secondsBefore + clock.Elapsed.TotalSeconds;
            _scheduler?.Step();
            var test = Evaluation.Run(Model, Data.Test, Data.Classes);
            var record = History.Add(Epoch + 1, _lossSum / Math.Max(_lossCount, 1), test.Loss, test.Accuracy, seconds);
            TrainingTelemetry.RecordEpoch(seconds, test.Loss, test.Accuracy);
            Epoch++;
            _batchInEpoch = 0;
            _lossSum = 0;
            _lossCount = 0;
            _secondsBefore = 0;
            _epochStartLoaderState = _loader.Generator.GetState();
            Checkpoint.Save(checkpointPath, ToCheckpoint());
            EpochCompleted?.Invoke(record);
        }

        return true;
    }

    /// <summary>The whole training state.</summary>
    public CheckpointData ToCheckpoint()
    {
        var optimizer = Optimizer.StateDict();
        foreach (var (key, value) in _scheduler?.StateDict() ?? [])
        {
            optimizer[SchedulerPrefix + key] = value;
        }

        var metadata = new Dictionary<string, string>
        {
            [OptionsKey] = Options.ToJson(),
            [BatchKey] = _batchInEpoch.ToString(CultureInfo.InvariantCulture),
            [LossSumKey] = _lossSum.ToString("R", CultureInfo.InvariantCulture),
            [LossCountKey] = _lossCount.ToString(CultureInfo.InvariantCulture),
            [SecondsKey] = _secondsBefore.ToString("R", CultureInfo.InvariantCulture),
            [HistoryKey] = History.ToCsv(),
        };
        if (ScheduleEpochs is int period)
        {
            metadata[ScheduleEpochsKey] = period.ToString(CultureInfo.InvariantCulture);
        }

        if (GradientHealth is not null)
        {
            metadata[GradientHealthKey] = GradientHealth.SaveState();
        }

        return new CheckpointData(
            Model.StateDict(),
            optimizer,
            Epoch,
            new Dictionary<string, ulong[]>
            {
                ["data_loader"] = _epochStartLoaderState,
                ["dropout"] = _dropout.GetState(),
            },
            metadata);
    }

    /// <summary>True when the checkpoint's run recorded a <c>--grad-report</c>, which a resumed run then continues.</summary>
    public static bool HasGradientReport(CheckpointData checkpoint) => checkpoint.Metadata.ContainsKey(GradientHealthKey);

    /// <summary>Reads the options a checkpoint was written with.</summary>
    public static TrainOptions ReadOptions(CheckpointData checkpoint, string path) =>
        checkpoint.Metadata.TryGetValue(OptionsKey, out var json)
            ? TrainOptions.FromJson(json, path)
            : throw new InvalidDataException($"{path}: not a backprop train checkpoint (no '{OptionsKey}' metadata)");

    /// <summary>Restores the state saved by <see cref="ToCheckpoint"/>; <paramref name="epochs"/> may extend the run.</summary>
    public void Restore(CheckpointData checkpoint, string path, int epochs)
    {
        try
        {
            Model.LoadStateDict(checkpoint.Model);
            Optimizer.LoadStateDict(checkpoint.Optimizer.Where(kv => !kv.Key.StartsWith(SchedulerPrefix, StringComparison.Ordinal)).ToDictionary());

            // The options of a run whose --epochs a resume changed hold the new count, but its cosine
            // schedule keeps the period it started with; rebuilt here, a twice-resumed run repeats it.
            if (_scheduler is CosineAnnealingLR cosine && checkpoint.Metadata.TryGetValue(ScheduleEpochsKey, out string? period))
            {
                int tMax = int.Parse(period, CultureInfo.InvariantCulture);
                if (tMax != cosine.TMax)
                {
                    _scheduler = new CosineAnnealingLR(Optimizer, tMax);
                }
            }

            _scheduler?.LoadStateDict(checkpoint.Optimizer
                .Where(kv => kv.Key.StartsWith(SchedulerPrefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[SchedulerPrefix.Length..], kv => kv.Value));
            _epochStartLoaderState = checkpoint.GeneratorStates["data_loader"];
            _dropout.SetState(checkpoint.GeneratorStates["dropout"]);
            var meta = checkpoint.Metadata;
            _batchInEpoch = int.Parse(meta[BatchKey], CultureInfo.InvariantCulture);
            _lossSum = double.Parse(meta[LossSumKey], CultureInfo.InvariantCulture);
            _lossCount = long.Parse(meta[LossCountKey], CultureInfo.InvariantCulture);
            _secondsBefore = double.Parse(meta[SecondsKey], CultureInfo.InvariantCulture);
            History = TrainingHistory.ParseCsv(meta[HistoryKey], path);
            if (GradientHealth is not null && meta.TryGetValue(GradientHealthKey, out string? health))
            {
                GradientHealth.LoadState(health);
            }

            Epoch = checkpoint.Epoch;
        }
        catch (Exception ex) when (ex is KeyNotFoundException or FormatException or OverflowException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: cannot resume from this checkpoint: {ex.Message}");
        }

        if (epochs < Epoch)
        {
            throw new ArgumentException($"--epochs {epochs} is less than the {Epoch} epochs the checkpoint has already done");
        }

        Options = Options with { Epochs = epochs };
    }
}
