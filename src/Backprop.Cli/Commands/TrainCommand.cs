using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Backprop.Cli.Training;
using Backprop.Diagnostics;
using Backprop.Serialization;
using Backprop.TensorBoard;
using Spectre.Console;

namespace Backprop.Cli.Commands;

/// <summary>
/// <c>backprop train</c>: trains a classifier (default: an MLP on the embedded digits) and writes
/// model.safetensors, checkpoint.safetensors, history.csv/json and loss/accuracy plots to --out.
/// The history (and gradients.csv with --grad-report) is rewritten after every epoch, so
/// <c>serve --runs</c> shows a run live; <c>--serve</c> serves the run's folder while it trains.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "digits, fashion-mnist, moons or PATH.csv.", DefaultValueFactory = _ => "digits" };
        var labelColumn = new Option<string?>("--label-column") { Description = "CSV label column (name or index; default: last)." };
        var model = new Option<string>("--model") { Description = "mlp (512-256 hidden, batch norm, ReLU, dropout 0.2), cnn (conv 32-64 3x3 with batch norm, max pooling, dropout 0.25, 128 hidden; for square images such as fashion-mnist or digits; cnn:IN-CLASSES is the benchmark's conv 16-32 yardstick), lstm (image rows as time steps, LSTM(128), last hidden state, Linear), or a layer spec such as 784-256-128-10:relu (add :bn for batch norm, :dropout=P for dropout).", DefaultValueFactory = _ => "mlp" };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs (default: 20 for fashion-mnist with mlp or cnn, 10 for other fashion-mnist models, 30 otherwise)." };
        var batchSize = new Option<int?>("--batch-size") { Description = "Mini-batch size (default: 128 for fashion-mnist, 32 otherwise)." };
        var lr = new Option<double?>("--lr") { Description = "Learning rate; the peak rate of onecycle (default: 0.002 for fashion-mnist with mlp, 0.003 with cnn, 0.001 otherwise)." };
        var optimizer = new Option<string?>("--optimizer") { Description = "sgd, adam, adamw or rmsprop (default: adamw for fashion-mnist with mlp or cnn, adam otherwise)." };
        optimizer.AcceptOnlyFromAmong("sgd", "adam", "adamw", "rmsprop");
        var schedule = new Option<string?>("--schedule") { Description = "Learning-rate schedule: none, cosine (per epoch; per batch after a warmup), onecycle (OneCycleLR with max_lr = --lr, per batch) or plateau (ReduceLROnPlateau on the test loss: ×0.1 after 2 epochs without a new best) (default: onecycle for fashion-mnist with mlp or cnn; otherwise cosine for --model mlp, none for others)." };
        schedule.AcceptOnlyFromAmong("none", "cosine", "onecycle", "plateau");
        var warmupEpochs = new Option<int?>("--warmup-epochs") { Description = "Raise the learning rate linearly from lr/N to lr over the first N optimizer steps of these epochs, per batch, then follow --schedule (for onecycle: its rising phase, pct_start = warmup/epochs) (default: 4 for fashion-mnist with mlp or cnn, 0 otherwise)." };
        var patience = new Option<int>("--patience") { Description = "Early stopping: stop after this many epochs without a better test accuracy (ties: lower test loss), and write the best epoch's weights as the model (0: off).", DefaultValueFactory = _ => 0 };
        var accumulate = new Option<int>("--accumulate") { Description = "Gradient accumulation: one optimizer step per this many batches (their mean gradient); --batch-size stays the batch each forward pass sees, the effective batch is accumulate × batch-size.", DefaultValueFactory = _ => 1 };
        var augment = new Option<string>("--augment") { Description = "Augment the training images (digits, fashion-mnist; the test set is never augmented): none, or a comma-separated list run in order: crop (random crop after zero padding of 1/7 of the side: 4 pixels for 28x28, 1 for 8x8), crop:P (padding P), flip (horizontal flip, p=0.5). Seeded per sample; kept by --resume (default: flip for fashion-mnist with mlp or cnn, none otherwise)." };
        var weightDecay = new Option<double?>("--weight-decay") { Description = "Weight decay of the optimizer (decoupled for adamw, an L2 term for the others) (default: 0.05 for fashion-mnist with mlp or cnn; otherwise the optimizer's own: 0.01 for adamw, 0 for the others)." };
        var labelSmoothing = new Option<double?>("--label-smoothing") { Description = "Label smoothing ε of the cross-entropy loss, as PyTorch's label_smoothing (default: 0.1 for fashion-mnist with mlp or cnn, 0 otherwise)." };
        var standardize = new Option<bool>("--standardize") { Description = "Standardize each feature with the training split's mean and standard deviation (CSV, moons, digits); the model file keeps them and eval and predict apply them. A constant feature is divided by 1." };
        var seed = new Option<long>("--seed") { Description = "Seed for initialization, shuffling and dropout.", DefaultValueFactory = _ => 0 };
        var threads = new Option<int?>("--threads") { Description = "Threads for the kernels (default: all cores)." };
        var output = new Option<string?>("--out") { Description = "Output folder (default: runs/<timestamp>). A folder that holds another run is refused unless --overwrite is given." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace the run in --out (its model, checkpoint, history and plots) instead of refusing." };
        var resume = new Option<string?>("--resume") { Description = "Resume from a checkpoint file, writing to its folder; the run's settings come from it (--epochs may change them, and --threads, --out, --grad-report and --detect-anomaly may be given; other settings must match)." };
        var gradReport = new Option<bool>("--grad-report") { Description = "Record per layer and epoch the weight-gradient norm and the saturated/dead activations; writes gradients.csv and gradnorm.png." };
        var format = OutputFormat.Create("one line per epoch on stdout as it ends {\"epoch\", \"train_loss\", \"test_loss\", \"test_acc\", \"epoch_s\", \"train_acc\"}, every other message on stderr.");
        var detectAnomaly = new Option<bool>("--detect-anomaly") { Description = "Stop at the first op whose forward or backward gives NaN or Inf, naming it and where it was created (slow)." };
        var serve = new Option<bool>("--serve") { Description = "Watch the run in the browser while it trains (its curves at http://127.0.0.1:8017/runs?run=NAME, beside the other runs in its parent folder). In a terminal the server keeps serving after training until Ctrl-C; when output is redirected (a script, CI) it stops when training ends." };
        var tensorboard = new Option<string?>("--tensorboard") { Description = "Also write TensorBoard event files to this folder (loss/train, loss/test, accuracy/train, accuracy/test, lr and epoch_seconds per epoch); view with tensorboard --logdir DIR." };
        var port = new Option<int?>("--port") { Description = $"With --serve: the TCP port (default {Backprop.Serve.ServeOptions.DefaultPort}; 0 picks a free one)." };
        var command = new Command("train", "Train a classifier and write the model, a checkpoint, the history and plots. Ctrl-C, SIGTERM or SIGHUP saves a checkpoint of the exact position and exits (130, 143, 129).")
        {
            data, labelColumn, model, epochs, batchSize, lr, optimizer, schedule, warmupEpochs, patience, accumulate, augment, standardize, weightDecay, labelSmoothing, seed, threads, output, overwrite, resume, gradReport, detectAnomaly, serve, port, tensorboard, format,
        };
        command.SetAction(result => CommandRunner.Run("train", () => DistributedTraining.Run("train", () =>
        {
            s_json = result.GetValue(format) == OutputFormat.Json;
            if (result.GetValue(threads) is int t)
            {
                Threading.NumThreads = t >= 1 ? t : throw new ArgumentException($"--threads must be at least 1, got {t}");
            }

            string dataName = result.GetValue(data)!;
            string modelName = result.GetValue(model)!;
            var recipe = TrainingRecipe.For(dataName, modelName);
            var options = new TrainOptions(
                dataName,
                result.GetValue(labelColumn),
                modelName,
                result.GetValue(epochs) ?? recipe.Epochs,
                result.GetValue(batchSize) ?? recipe.BatchSize,
                result.GetValue(lr) ?? recipe.Lr,
                result.GetValue(optimizer) ?? recipe.Optimizer,
                result.GetValue(schedule) ?? recipe.Schedule,
                result.GetValue(seed),
                result.GetValue(warmupEpochs) ?? recipe.WarmupEpochs,
                result.GetValue(patience),
                result.GetValue(accumulate),
                Augmentation.Canonical(result.GetValue(augment) ?? recipe.Augment),
                result.GetValue(standardize),
                result.GetValue(weightDecay) ?? recipe.WeightDecay,
                result.GetValue(labelSmoothing) ?? recipe.LabelSmoothing);

            // GetValue cannot tell a default from a value the user typed; the parse result can. A
            // resumed run compares only what was typed with its checkpoint.
            var given = new HashSet<string>(
                new Option[] { data, labelColumn, model, batchSize, lr, optimizer, schedule, seed, warmupEpochs, patience, accumulate, augment, standardize, weightDecay, labelSmoothing }.Where(o => result.GetResult(o) is { Implicit: false }).Select(o => o.Name),
                StringComparer.Ordinal);

            // Anomaly mode is per thread: the scope covers the training loop, which runs on this one.
            using var anomaly = result.GetValue(detectAnomaly) ? Autograd.DetectAnomaly() : null;
            if (result.GetValue(port) is int p && !result.GetValue(serve))
            {
                throw new ArgumentException($"--port {p} needs --serve (the port is the one the run is served on)");
            }

            var request = new Request(options, given, result.GetValue(epochs), result.GetValue(output), result.GetValue(resume), result.GetValue(gradReport), result.GetValue(overwrite))
            {
                Serve = result.GetValue(serve),
                Port = result.GetValue(port) ?? Backprop.Serve.ServeOptions.DefaultPort,
                TensorBoard = result.GetValue(tensorboard),
            };
            return Run(request);
        })));
        return command;
    }

    /// <summary>What the command line asks for: the options with defaults filled in, and which flags the user gave.</summary>
    private sealed record Request(TrainOptions Options, IReadOnlySet<string> Given, int? Epochs, string? Out, string? Resume, bool GradReport, bool Overwrite)
    {
        /// <summary>--serve: serve the run's folder while it trains.</summary>
        public bool Serve { get; init; }

        /// <summary>--port: where --serve listens.</summary>
        public int Port { get; init; }

        /// <summary>--tensorboard: the folder for TensorBoard event files, or null.</summary>
        public string? TensorBoard { get; init; }
    }

    private static int Run(Request request)
    {
        // Temporary files older than this process are not being written by it: see AtomicFile.RemoveStaleTemporaries.
        DateTime started = Process.GetCurrentProcess().StartTime.ToUniversalTime();
        var options = request.Options;

        // Everything that can be checked is checked before the output folder is created or
        // touched: a refused run leaves the disk as it found it.
        CheckpointData? checkpoint = null;
        string? resumePath = request.Resume is null ? null : Path.GetFullPath(request.Resume);
        string? resumeFolder = null;
        if (resumePath is not null)
        {
            if (!File.Exists(resumePath))
            {
                throw new FileNotFoundException($"--resume: checkpoint not found: {resumePath}");
            }

            checkpoint = Checkpoint.Load(resumePath);
            NonFiniteWeights.RequireCheckpoint(resumePath, checkpoint);
            var stored = Trainer.ReadOptions(checkpoint, resumePath);
            stored.RequireSameSettings(options, request.Given);
            options = stored;
            resumeFolder = Path.GetDirectoryName(resumePath)!;
        }

        // The stored settings (a checkpoint's too), then the epochs this run will train to.
        options.Validate();
        (options with { Epochs = request.Epochs ?? options.Epochs }).Validate();
        string folder = OutputFolder.Resolve(request.Out ?? resumeFolder);

        // --resume continues the run in its own folder by design; any other run there is someone's work.
        bool ownRun = resumeFolder is not null && string.Equals(folder, resumeFolder, OperatingSystem.IsLinux() ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase);
        if (!ownRun && !request.Overwrite && DistributedTraining.Current is not { IsRoot: false })
        {
            OutputFolder.RequireNoRun(folder);
        }

        var source = DataSource.Load(options.Data, options.LabelColumn);
        var trainer = new Trainer(options, options.Standardize ? Standardization.Standardize(source) : source);
        var where = Terminal.IsOutputRedirected || s_json ? Console.Error : Console.Out;
        bool continuesReport = checkpoint is not null && Trainer.HasGradientReport(checkpoint);
        var health = request.GradReport || continuesReport ? GradientReport.Attach(trainer) : null;
        if (checkpoint is not null)
        {
            trainer.Restore(checkpoint, resumePath!, request.Epochs ?? options.Epochs);
            DescribeResume(trainer, checkpoint, options.Epochs, request.GradReport, continuesReport, where);
        }

        if (DistributedTraining.Current is { IsRoot: false } worker)
        {
            // mpirun, ranks 1 … N−1: train in step with rank 0, which alone writes and prints.
            worker.Ready(trainer.Model);
            using var signals = new StopSignals();
            return trainer.Run(Path.Combine(folder, "checkpoint.safetensors"), signals.Token) ? 0 : signals.ExitCode;
        }

        var output = OutputFolder.Prepare(folder);
        try
        {
            OutputFolder.RequireFreeSpace(folder, OutputFolder.EstimateBytes(trainer.Model.NumParameters()));
            if (request.Overwrite && !ownRun)
            {
                OutputFolder.RemoveRun(folder);
            }

            AtomicFile.RemoveStaleTemporaries(folder, started);
            DistributedTraining.Current?.Ready(trainer.Model);
            using var live = request.Serve ? LiveRun.Start(folder, request.Port, where) : null;
            using var tensorboard = request.TensorBoard is null ? null : new SummaryWriter(request.TensorBoard);
            return Train(trainer, folder, health, where, live, tensorboard);
        }
        catch
        {
            // Nothing of value (no checkpoint) was written: leave no empty runs/<timestamp> behind.
            output.RemoveIfEmpty();
            throw;
        }
    }

    /// <summary>Says what a resumed run changes: a new epoch count, and a gradient report that does not cover the epochs before.</summary>
    private static void DescribeResume(Trainer trainer, CheckpointData checkpoint, int storedEpochs, bool gradReport, bool continuesReport, TextWriter where)
    {
        int epochs = trainer.Options.Epochs;
        if (epochs != storedEpochs)
        {
            string schedule = trainer.ScheduleEpochs is int period && epochs > period
                ? $"; the cosine schedule keeps its {period}-epoch period, so the learning rate rises again after epoch {period}"
                : "";
            where.WriteLine($"resume: --epochs {epochs}: the run now ends after epoch {epochs} instead of {storedEpochs}{schedule}");
        }

        if (gradReport && !continuesReport && (checkpoint.Epoch > 0 || trainer.BatchInEpoch > 0))
        {
            where.WriteLine($"resume: --grad-report: the checkpoint's run did not record gradients; gradients.csv covers only the batches from here on (epoch {checkpoint.Epoch + 1}, batch {trainer.BatchInEpoch + 1})");
        }
    }

    /// <summary>
    /// Trains, then writes the model, history and plots; on a stop signal, says where the checkpoint
    /// is. The signals stay handled until the files are written: one that arrives after the last
    /// batch lets the run finish its writes (well under a second) instead of killing it between the
    /// checkpoint and the model file.
    /// </summary>
    private static int Train(Trainer trainer, string folder, GradientHealth? health, TextWriter where, LiveRun? live, SummaryWriter? tensorboard)
    {
        string checkpointPath = Path.Combine(folder, "checkpoint.safetensors");
        using var stop = new StopSignals();

        // On a terminal only: redirected (a script, --format json) stdout carries the epoch lines alone
        // and stderr the messages alone, as scripts read them.
        // The recipe too (in PyTorch's terms, to repeat the run there); the checkpoint keeps it for --resume and serve --runs.
        if (!Terminal.IsOutputRedirected && !s_json)
        {
            where.WriteLine(ModelSummary.Of(trainer.Model, 1, trainer.Data.Features));
            where.WriteLine(TrainingRecipe.Describe(trainer.Options, trainer.Spec, trainer.Schedule?.Describe(trainer.Options.Lr, trainer.StepsPerEpoch) ?? "constant learning rate"));
        }

        if (trainer.TrainTransform is { } transform)
        {
            where.WriteLine($"augment (training set only): {transform}");
        }

        if (tensorboard is not null)
        {
            where.WriteLine($"tensorboard: writing {tensorboard.FilePath}");
        }

        // After every epoch (its checkpoint written), before it is printed: the files a watcher reads.
        void Saved(EpochRecord e)
        {
            if (tensorboard is not null)
            {
                tensorboard.AddScalar("loss/train", e.TrainLoss, e.Epoch);
                tensorboard.AddScalar("loss/test", e.TestLoss, e.Epoch);
                tensorboard.AddScalar("accuracy/test", e.TestAccuracy, e.Epoch);
                tensorboard.AddScalar("accuracy/train", e.TrainAccuracy, e.Epoch);
                tensorboard.AddScalar("lr", trainer.Optimizer.Lr, e.Epoch);
                tensorboard.AddScalar("epoch_seconds", e.Seconds, e.Epoch);
            }

            if (health is not null)
            {
                health.WriteCsv(Path.Combine(folder, "gradients.csv"));
            }

            trainer.History.WriteCsv(Path.Combine(folder, "history.csv"));
            trainer.History.WriteJson(Path.Combine(folder, "history.json"));
        }

        bool completed = Terminal.IsOutputRedirected || s_json ? RunPlain(trainer, checkpointPath, Saved, stop.Token) : RunInteractive(trainer, checkpointPath, Saved, stop.Token);

        // When stdout is not a terminal it carries only the epoch lines; messages go to stderr.
        if (!completed)
        {
            try
            {
                where.WriteLine($"interrupted ({stop.Received}): checkpoint saved to {checkpointPath}; continue with ./backprop train --resume {checkpointPath}");
            }
            catch (IOException)
            {
                // SIGHUP: the terminal is gone. The checkpoint is what matters, and it is saved.
            }

            return stop.ExitCode;
        }

        var options = trainer.Options;
        ModelFile.Save(Path.Combine(folder, "model.safetensors"), trainer.Model, trainer.Spec, trainer.Data, options.Data);
        trainer.History.WriteCsv(Path.Combine(folder, "history.csv"));
        trainer.History.WriteJson(Path.Combine(folder, "history.json"));
        Plots.Write(trainer.History, folder);
        if (health is not null)
        {
            GradientReport.Write(health, folder);
            var (header, rows) = GradientReport.Table(health.Records);
            GradientReport.Print(header, rows, where);
        }

        DescribeBest(trainer, where);
        where.WriteLine($"wrote model.safetensors, checkpoint.safetensors, history.csv, history.json, loss.png, accuracy.png{(health is null ? "" : ", gradients.csv, gradnorm.png")} to {folder}");
        live?.ServeUntilStopped(where, stop);
        return 0;
    }

    /// <summary>Whether --format json was given: epochs as JSON lines (the CLI runs one command per process).</summary>
    private static bool s_json;

    /// <summary>Not a terminal, or --format json: exactly one line per epoch on stdout, nothing else.</summary>
    private static bool RunPlain(Trainer trainer, string checkpointPath, Action<EpochRecord> saved, CancellationToken cancel)
    {
        trainer.EpochCompleted = e =>
        {
            saved(e);
            if (!s_json)
            {
                Console.WriteLine(FormatEpoch(e));
                return;
            }

            OutputFormat.WriteLine(w =>
            {
                w.WriteNumber("epoch", e.Epoch);
                OutputFormat.Number(w, "train_loss", e.TrainLoss);
                OutputFormat.Number(w, "test_loss", e.TestLoss);
                OutputFormat.Number(w, "test_acc", e.TestAccuracy);
                OutputFormat.Number(w, "epoch_s", e.Seconds);
                OutputFormat.Number(w, "train_acc", e.TrainAccuracy);
            });
        };
        return trainer.Run(checkpointPath, cancel);
    }

    /// <summary>A terminal: a progress bar per epoch (batches, loss, throughput, ETA) and a summary table.</summary>
    private static bool RunInteractive(Trainer trainer, string checkpointPath, Action<EpochRecord> saved, CancellationToken cancel)
    {
        AnsiConsole.MarkupLine($"[bold]train[/] {Markup.Escape(trainer.Options.Data)}: {trainer.Data.Train.Count} train / {trainer.Data.Test.Count} test rows, model {Markup.Escape(trainer.Spec.ToString())} ({trainer.Model.NumParameters():N0} parameters), {trainer.Options.Optimizer} lr {trainer.Options.Lr.ToString(CultureInfo.InvariantCulture)}");
        AnsiConsole.MarkupLine(Markup.Escape(DescribeStepping(trainer)));
        bool completed = false;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                ProgressTask? task = null;
                trainer.EpochStarted = epoch => task = ctx.AddTask($"epoch {epoch}/{trainer.Options.Epochs}", maxValue: trainer.BatchesPerEpoch);
                trainer.BatchCompleted = (batch, batches, loss, samplesPerSecond) =>
                {
                    task!.Value = batch;
                    task.Description = string.Create(CultureInfo.InvariantCulture, $"epoch {trainer.Epoch + 1}/{trainer.Options.Epochs} loss {loss:F4} {samplesPerSecond:N0}/s");
                };
                trainer.EpochCompleted = e =>
                {
                    saved(e);
                    task!.Value = task.MaxValue;
                    task.Description = string.Create(CultureInfo.InvariantCulture, $"epoch {e.Epoch}/{trainer.Options.Epochs} train {e.TrainLoss:F4} test {e.TestLoss:F4} acc {e.TestAccuracy:F4}");
                };
                completed = trainer.Run(checkpointPath, cancel);
            });

        var table = new Table().AddColumns("epoch", "train_loss", "train_acc", "test_loss", "test_acc", "epoch_s");
        foreach (var e in trainer.History.Epochs)
        {
            table.AddRow(
                e.Epoch.ToString(CultureInfo.InvariantCulture),
                e.TrainLoss.ToString("F4", CultureInfo.InvariantCulture),
                e.TrainAccuracy.ToString("F4", CultureInfo.InvariantCulture),
                e.TestLoss.ToString("F4", CultureInfo.InvariantCulture),
                e.TestAccuracy.ToString("F4", CultureInfo.InvariantCulture),
                e.Seconds.ToString("F2", CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table);
        return completed;
    }

    /// <summary>The schedule, accumulation and early stopping of the run, in a line (PyTorch's names, so the recipe can be repeated there).</summary>
    internal static string DescribeStepping(Trainer trainer)
    {
        var o = trainer.Options;
        string schedule = trainer.Schedule?.Describe(o.Lr, trainer.StepsPerEpoch) ?? "constant";
        string batches = o.Accumulate == 1
            ? $"batch {o.BatchSize}"
            : $"batch {o.BatchSize} × accumulate {o.Accumulate} = effective batch {o.BatchSize * o.Accumulate}";
        string stopping = o.Patience > 0 ? $"; early stopping: patience {o.Patience} epochs on test accuracy (ties: test loss), best weights kept" : "";
        return $"schedule: {schedule}; {batches}, {trainer.StepsPerEpoch} optimizer steps per epoch{stopping}";
    }

    /// <summary>With --patience: the best epoch, its metrics, and whether the run stopped early.</summary>
    private static void DescribeBest(Trainer trainer, TextWriter where)
    {
        if (trainer.EarlyStopping is not { BestEpoch: > 0 } stopping)
        {
            return;
        }

        string stopped = stopping.ShouldStop && trainer.Epoch < trainer.Options.Epochs
            ? $"stopped early after epoch {trainer.Epoch} ({stopping.Patience} epochs without a better one); "
            : "";
        where.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{stopped}best epoch {stopping.BestEpoch}: test_acc {stopping.BestAccuracy:F4} test_loss {stopping.BestLoss:F4}; model.safetensors holds its weights"));
    }

    internal static string FormatEpoch(EpochRecord e) => string.Create(
        CultureInfo.InvariantCulture,
        $"epoch {e.Epoch} train_loss {e.TrainLoss:F4} test_loss {e.TestLoss:F4} test_acc {e.TestAccuracy:F4} epoch_s {e.Seconds:F2}");
}
