using System.CommandLine;
using System.Globalization;
using Backprop.Cli.Training;
using Backprop.Diagnostics;
using Backprop.Serialization;
using Spectre.Console;

namespace Backprop.Cli.Commands;

/// <summary>
/// <c>backprop train</c>: trains a classifier (default: an MLP on the embedded digits) and writes
/// model.safetensors, checkpoint.safetensors, history.csv/json and loss/accuracy plots to --out.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "digits, fashion-mnist, moons or PATH.csv.", DefaultValueFactory = _ => "digits" };
        var labelColumn = new Option<string?>("--label-column") { Description = "CSV label column (name or index; default: last)." };
        var model = new Option<string>("--model") { Description = "mlp, cnn (conv 16-32 + 128 hidden, for square images such as fashion-mnist or digits), lstm (image rows as time steps, LSTM(128), last hidden state, Linear), or a layer spec such as 784-256-128-10:relu.", DefaultValueFactory = _ => "mlp" };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs (default: 10 for fashion-mnist, 30 otherwise)." };
        var batchSize = new Option<int?>("--batch-size") { Description = "Mini-batch size (default: 128 for fashion-mnist, 32 otherwise)." };
        var lr = new Option<double>("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => 1e-3 };
        var optimizer = new Option<string>("--optimizer") { Description = "sgd, adam, adamw or rmsprop.", DefaultValueFactory = _ => "adam" };
        optimizer.AcceptOnlyFromAmong("sgd", "adam", "adamw", "rmsprop");
        var schedule = new Option<string?>("--schedule") { Description = "Learning-rate schedule: none or cosine (default: cosine for --model mlp, none otherwise)." };
        schedule.AcceptOnlyFromAmong("none", "cosine");
        var seed = new Option<long>("--seed") { Description = "Seed for initialization, shuffling and dropout.", DefaultValueFactory = _ => 0 };
        var threads = new Option<int?>("--threads") { Description = "Threads for the kernels (default: all cores)." };
        var output = new Option<string?>("--out") { Description = "Output folder (default: runs/<timestamp>)." };
        var resume = new Option<string?>("--resume") { Description = "Resume from a checkpoint file; the run's other settings come from it." };
        var gradReport = new Option<bool>("--grad-report") { Description = "Record per layer and epoch the weight-gradient norm and the saturated/dead activations; writes gradients.csv and gradnorm.png." };
        var detectAnomaly = new Option<bool>("--detect-anomaly") { Description = "Stop at the first op whose forward or backward gives NaN or Inf, naming it and where it was created (slow)." };
        var command = new Command("train", "Train a classifier and write the model, a checkpoint, the history and plots.")
        {
            data, labelColumn, model, epochs, batchSize, lr, optimizer, schedule, seed, threads, output, resume, gradReport, detectAnomaly,
        };
        command.SetAction(result => CommandRunner.Run("train", () =>
        {
            if (result.GetValue(threads) is int t)
            {
                Threading.NumThreads = t;
            }

            string dataName = result.GetValue(data)!;
            string modelName = result.GetValue(model)!;
            var options = new TrainOptions(
                dataName,
                result.GetValue(labelColumn),
                modelName,
                result.GetValue(epochs) ?? (dataName == "fashion-mnist" ? 10 : 30),
                result.GetValue(batchSize) ?? (dataName == "fashion-mnist" ? 128 : 32),
                result.GetValue(lr),
                result.GetValue(optimizer)!,
                result.GetValue(schedule) ?? (modelName == "mlp" ? "cosine" : "none"),
                result.GetValue(seed));
            // Anomaly mode is per thread: the scope covers the training loop, which runs on this one.
            using var anomaly = result.GetValue(detectAnomaly) ? Autograd.DetectAnomaly() : null;
            return Run(options, result.GetValue(epochs), result.GetValue(output), result.GetValue(resume), result.GetValue(gradReport));
        }));
        return command;
    }

    private static int Run(TrainOptions options, int? epochsOverride, string? outFolder, string? resumePath, bool gradReport)
    {
        CheckpointData? checkpoint = null;
        if (resumePath is not null)
        {
            if (!File.Exists(resumePath))
            {
                throw new FileNotFoundException($"--resume: checkpoint not found: {Path.GetFullPath(resumePath)}");
            }

            checkpoint = Checkpoint.Load(resumePath);
            NonFiniteWeights.RequireCheckpoint(resumePath, checkpoint);
            options = Trainer.ReadOptions(checkpoint, resumePath);
            outFolder ??= Path.GetDirectoryName(Path.GetFullPath(resumePath));
        }

        options.Validate();
        string folder = OutputFolder.Prepare(outFolder);
        var trainer = new Trainer(options, DataSource.Load(options.Data, options.LabelColumn));
        OutputFolder.RequireFreeSpace(folder, OutputFolder.EstimateBytes(trainer.Model.NumParameters()));
        if (checkpoint is not null)
        {
            trainer.Restore(checkpoint, resumePath!, epochsOverride ?? options.Epochs);
        }

        var health = gradReport ? GradientReport.Attach(trainer) : null;
        string checkpointPath = Path.Combine(folder, "checkpoint.safetensors");
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // First Ctrl-C: finish the current batch, save a checkpoint, exit. A second one kills.
            e.Cancel = !cancel.IsCancellationRequested;
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        bool completed;
        try
        {
            completed = Console.IsOutputRedirected ? RunPlain(trainer, checkpointPath, cancel.Token) : RunInteractive(trainer, checkpointPath, cancel.Token);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }

        // When stdout is not a terminal it carries only the epoch lines; messages go to stderr.
        var where = Console.IsOutputRedirected ? Console.Error : Console.Out;
        if (!completed)
        {
            where.WriteLine($"interrupted: checkpoint saved to {checkpointPath}; continue with ./backprop train --resume {checkpointPath}");
            return 130;
        }

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

        where.WriteLine($"wrote model.safetensors, checkpoint.safetensors, history.csv, history.json, loss.png, accuracy.png{(health is null ? "" : ", gradients.csv, gradnorm.png")} to {folder}");
        return 0;
    }

    /// <summary>Not a terminal: exactly one line per epoch on stdout, nothing else.</summary>
    private static bool RunPlain(Trainer trainer, string checkpointPath, CancellationToken cancel)
    {
        trainer.EpochCompleted = e => Console.WriteLine(FormatEpoch(e));
        return trainer.Run(checkpointPath, cancel);
    }

    /// <summary>A terminal: a progress bar per epoch (batches, loss, throughput, ETA) and a summary table.</summary>
    private static bool RunInteractive(Trainer trainer, string checkpointPath, CancellationToken cancel)
    {
        AnsiConsole.MarkupLine($"[bold]train[/] {Markup.Escape(trainer.Options.Data)}: {trainer.Data.Train.Count} train / {trainer.Data.Test.Count} test rows, model {Markup.Escape(trainer.Spec.ToString())} ({trainer.Model.NumParameters():N0} parameters), {trainer.Options.Optimizer} lr {trainer.Options.Lr.ToString(CultureInfo.InvariantCulture)}");
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
                    task!.Value = task.MaxValue;
                    task.Description = string.Create(CultureInfo.InvariantCulture, $"epoch {e.Epoch}/{trainer.Options.Epochs} train {e.TrainLoss:F4} test {e.TestLoss:F4} acc {e.TestAccuracy:F4}");
                };
                completed = trainer.Run(checkpointPath, cancel);
            });

        var table = new Table().AddColumns("epoch", "train_loss", "test_loss", "test_acc", "epoch_s");
        foreach (var e in trainer.History.Epochs)
        {
            table.AddRow(
                e.Epoch.ToString(CultureInfo.InvariantCulture),
                e.TrainLoss.ToString("F4", CultureInfo.InvariantCulture),
                e.TestLoss.ToString("F4", CultureInfo.InvariantCulture),
                e.TestAccuracy.ToString("F4", CultureInfo.InvariantCulture),
                e.Seconds.ToString("F2", CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table);
        return completed;
    }

    internal static string FormatEpoch(EpochRecord e) => string.Create(
        CultureInfo.InvariantCulture,
        $"epoch {e.Epoch} train_loss {e.TrainLoss:F4} test_loss {e.TestLoss:F4} test_acc {e.TestAccuracy:F4} epoch_s {e.Seconds:F2}");
}
