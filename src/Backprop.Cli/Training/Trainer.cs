using System.Diagnostics;
using System.Globalization;
using Backprop.Data;
using Backprop.Diagnostics;
using Backprop.Distributed;
using Backprop.NN;
using Backprop.Optim;
using Backprop.Serialization;

namespace Backprop.Cli.Training;

/// <summary>
/// The training loop of <c>backprop train</c>: forward, cross-entropy, backward, step, per batch
/// (with <c>--accumulate K</c>, one step per K batches); evaluation and a checkpoint per epoch.
/// Its whole state (weights, optimizer, schedule, early stopping, RNG states, position inside the
/// epoch and the gradients accumulated so far) goes into a checkpoint, so a resumed run ends with
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
    private const string CorrectKey = "epoch_correct";
    private const string GradPrefix = "accumulated_grad.";

    private readonly Generator _dropout;
    private readonly DataLoader _loader;
    private readonly StepCollector _collector = new();
    private TrainSchedule? _schedule;
    private readonly EarlyStopping? _earlyStopping;
    private long _correct;
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
            "sgd" => new SGD(Model.Parameters(), options.Lr, momentum: 0.9, weightDecay: options.WeightDecay ?? 0),
            "adam" => new Adam(Model.Parameters(), options.Lr, weightDecay: options.WeightDecay ?? 0),
            "adamw" => new AdamW(Model.Parameters(), options.Lr, weightDecay: options.WeightDecay ?? 1e-2),
            "rmsprop" => new RMSprop(Model.Parameters(), options.Lr, weightDecay: options.WeightDecay ?? 0),
            _ => throw new ArgumentException($"--optimizer: unknown optimizer '{options.Optimizer}' (expected sgd, adam, adamw or rmsprop)"),
        };
        // --augment: transforms of the training set only, drawn per sample from the loader's generator (checkpointed below).
        // Under mpirun each rank keeps its part of every global batch (DistributedTraining).
        var augment = Augmentation.Build(options.Augment, data.Name);
        _loader = new DataLoader(DistributedTraining.Current?.Shard(data.Train) ?? data.Train, options.BatchSize, shuffle: true, generator: new Generator(options.Seed + 2), prefetch: true, transform: augment?.Transform, imageShape: augment?.Shape);
        _epochStartLoaderState = _loader.Generator.GetState();
        _schedule = TrainSchedule.Create(options, Optimizer, StepsPerEpoch, options.Epochs);
        _earlyStopping = options.Patience > 0 ? new EarlyStopping(options.Patience) : null;
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

    /// <summary>The epochs the cosine schedule's period was planned over, or null without a cosine schedule.</summary>
    public int? ScheduleEpochs => _schedule is { Kind: "cosine" } s ? s.PlannedEpochs : null;

    /// <summary>The learning-rate schedule, or null for a constant rate.</summary>
    public TrainSchedule? Schedule => _schedule;

    /// <summary>The <c>--patience</c> early stopping, or null without it.</summary>
    public EarlyStopping? EarlyStopping => _earlyStopping;

    /// <summary>Optimizer steps per epoch: one per <see cref="TrainOptions.Accumulate"/> batches, the last group possibly shorter.</summary>
    public int StepsPerEpoch => (BatchesPerEpoch + Options.Accumulate - 1) / Options.Accumulate;

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
        while (Epoch < Options.Epochs && _earlyStopping?.ShouldStop != true)
        {
            EpochStarted?.Invoke(Epoch + 1);
            var clock = Stopwatch.StartNew();
            var batchClock = Stopwatch.StartNew();

            // Re-draw this epoch's permutation from the state it had when the epoch began, then skip
            // the batches a resumed run has already done.
            _loader.Generator.SetState(_epochStartLoaderState);
            var distributed = DistributedTraining.Current;
            bool stopAgreed = false;
            int index = 0;
            foreach (var (x, y) in _loader)
            {
                if (index++ < _batchInEpoch)
                {
                    continue;
                }

                // Data-parallel ranks stop together, after the batch in which one of them was signalled.
                if (distributed is null ? cancel.IsCancellationRequested : stopAgreed)
                {
                    _secondsBefore += clock.Elapsed.TotalSeconds;
                    if (distributed is not { IsRoot: false })
                    {
                        Checkpoint.Save(checkpointPath, ToCheckpoint());
                    }

                    return false;
                }

                // --accumulate K: the batches of a group add their gradients, each loss divided by the
                // group's size (K, or what is left at the epoch's end) so the step takes their mean.
                int groupStart = _batchInEpoch / Options.Accumulate * Options.Accumulate;
                int groupSize = Math.Min(Options.Accumulate, _loader.Count - groupStart);
                if (_batchInEpoch == groupStart)
                {
                    Optimizer.ZeroGrad();
                }

                var logits = Model.Forward(x);
                var loss = Tensor.CrossEntropy(logits, y, labelSmoothing: Options.LabelSmoothing);
                BeforeBackward?.Invoke(loss);
                int globalRows = DistributedTraining.GlobalRows(Data.Train.Count, Options.BatchSize, index - 1);
                double scale = distributed is null ? 1 : GlobalBatch.LossScale(globalRows, distributed.WorldSize, distributed.Rank);
                double factor = scale / groupSize;
                (factor == 1 ? loss : loss * factor).Backward();
                distributed?.Ddp!.FinishGradientSync();
                AfterBackward?.Invoke();
                if (_batchInEpoch + 1 == groupStart + groupSize)
                {
                    Optimizer.Step();
                    _schedule?.AfterOptimizerStep();

                    // The group's gradients are spent: drop them now rather than at the next group's start,
                    // so that the collection between steps (below) does not copy them.
                    Optimizer.ZeroGrad();
                }

                // A rank whose part of a small last batch is empty runs one row with weight 0: it counts nothing.
                long correct = scale > 0 ? CountCorrect(logits, y) : 0;
                double value = loss.Item();
                int n = x.Size(0);
                if (distributed is not null)
                {
                    (value, correct, stopAgreed) = distributed.Agree(value * scale, correct, cancel.IsCancellationRequested);
                    n = globalRows;
                }

                _correct += correct;

                _collector.StepCompleted();
                if (!double.IsFinite(value))
                {
                    throw new InvalidOperationException($"epoch {Epoch + 1}, batch {index}: the loss is {(double.IsNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf")}; lower --lr");
                }

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
            var test = Evaluation.Run(Model, Data.Test, Data.Classes);
            _schedule?.AfterEpoch(Epoch + 1, test.Loss);
            var record = History.Add(Epoch + 1, _lossSum / Math.Max(_lossCount, 1), test.Loss, test.Accuracy, seconds, (double)_correct / Math.Max(_lossCount, 1));
            _earlyStopping?.Observe(record, Model);
            TrainingTelemetry.RecordEpoch(seconds, test.Loss, test.Accuracy);
            Epoch++;
            _batchInEpoch = 0;
            _lossSum = 0;
            _lossCount = 0;
            _correct = 0;
            _secondsBefore = 0;
            _epochStartLoaderState = _loader.Generator.GetState();
            if (distributed is not { IsRoot: false })
            {
                Checkpoint.Save(checkpointPath, ToCheckpoint());
            }

            EpochCompleted?.Invoke(record);
        }

        // --patience: the run's result is its best epoch (the checkpoint keeps the last weights, to resume from).
        if (_earlyStopping is { BestEpoch: > 0 } stopping)
        {
            Model.LoadStateDict(stopping.BestWeights);
        }

        return true;
    }

    /// <summary>How many rows of <paramref name="logits"/> have their largest score at the label.</summary>
    private static long CountCorrect(Tensor logits, Tensor labels)
    {
        long[] predicted = logits.ArgMax(1).ToArray<long>();
        long[] truth = labels.ToArray<long>();
        long correct = 0;
        for (int i = 0; i < truth.Length; i++)
        {
            correct += predicted[i] == truth[i] ? 1 : 0;
        }

        return correct;
    }

    /// <summary>The keys of a checkpoint's optimizer section that are not the optimizer's own.</summary>
    private static bool IsExtraOptimizerKey(string key) =>
        TrainSchedule.IsStateKey(key) || Training.EarlyStopping.IsStateKey(key) || key.StartsWith(GradPrefix, StringComparison.Ordinal);

    /// <summary>The whole training state.</summary>
    public CheckpointData ToCheckpoint()
    {
        var optimizer = Optimizer.StateDict();
        _schedule?.WriteState(optimizer);

        // A group of --accumulate batches interrupted part-way: the gradients it has added so far.
        for (int i = 0; i < Optimizer.Parameters.Count; i++)
        {
            if (_batchInEpoch % Options.Accumulate != 0 && Optimizer.Parameters[i].Grad is { } grad)
            {
                optimizer[GradPrefix + i.ToString(CultureInfo.InvariantCulture)] = grad.Detach();
            }
        }

        var metadata = new Dictionary<string, string>
        {
            [OptionsKey] = Options.ToJson(),
            [BatchKey] = _batchInEpoch.ToString(CultureInfo.InvariantCulture),
            [LossSumKey] = _lossSum.ToString("R", CultureInfo.InvariantCulture),
            [LossCountKey] = _lossCount.ToString(CultureInfo.InvariantCulture),
            [SecondsKey] = _secondsBefore.ToString("R", CultureInfo.InvariantCulture),
            [HistoryKey] = History.ToCsv(),
            [CorrectKey] = _correct.ToString(CultureInfo.InvariantCulture),
        };
        if (_schedule is not null)
        {
            metadata[ScheduleEpochsKey] = _schedule.PlannedEpochs.ToString(CultureInfo.InvariantCulture);
        }

        _earlyStopping?.WriteState(optimizer, metadata);

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
            Optimizer.LoadStateDict(checkpoint.Optimizer.Where(kv => !IsExtraOptimizerKey(kv.Key)).ToDictionary());

            // The options of a run whose --epochs a resume changed hold the new count, but its
            // schedule keeps the epochs it was planned over; rebuilt here, a twice-resumed run repeats it.
            if (_schedule is not null && checkpoint.Metadata.TryGetValue(ScheduleEpochsKey, out string? period))
            {
                int planned = int.Parse(period, CultureInfo.InvariantCulture);
                if (planned != _schedule.PlannedEpochs)
                {
                    _schedule = TrainSchedule.Create(Options, Optimizer, StepsPerEpoch, planned);
                }
            }

            _schedule?.ReadState(checkpoint.Optimizer);
            _earlyStopping?.ReadState(checkpoint.Optimizer, checkpoint.Metadata, Model);
            foreach (var (key, grad) in checkpoint.Optimizer.Where(kv => kv.Key.StartsWith(GradPrefix, StringComparison.Ordinal)))
            {
                int i = int.Parse(key[GradPrefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture);
                var p = i < Optimizer.Parameters.Count ? Optimizer.Parameters[i] : throw new FormatException($"'{key}' names parameter {i}, but the model has {Optimizer.Parameters.Count}");
                if (grad.DType != p.DType || !grad.Shape.SequenceEqual(p.Shape))
                {
                    throw new FormatException($"'{key}' does not have the shape and dtype of parameter {i}");
                }

                p.Grad = grad;
            }

            _epochStartLoaderState = checkpoint.GeneratorStates["data_loader"];
            _dropout.SetState(checkpoint.GeneratorStates["dropout"]);
            var meta = checkpoint.Metadata;
            _batchInEpoch = int.Parse(meta[BatchKey], CultureInfo.InvariantCulture);
            _lossSum = double.Parse(meta[LossSumKey], CultureInfo.InvariantCulture);
            _lossCount = long.Parse(meta[LossCountKey], CultureInfo.InvariantCulture);
            _secondsBefore = double.Parse(meta[SecondsKey], CultureInfo.InvariantCulture);
            _correct = meta.TryGetValue(CorrectKey, out string? correct) ? long.Parse(correct, CultureInfo.InvariantCulture) : 0;
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

        if (_schedule is { Kind: "onecycle" } oneCycle && epochs > oneCycle.PlannedEpochs)
        {
            throw new ArgumentException($"--epochs {epochs}: the run's onecycle schedule spans the {oneCycle.PlannedEpochs} epochs it was started with and ends there; start a new run to train longer");
        }

        Options = Options with { Epochs = epochs };
    }
}
