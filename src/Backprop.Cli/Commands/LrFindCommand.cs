using System.CommandLine;
using System.Globalization;
using Backprop.Cli.Training;
using Backprop.Data;

namespace Backprop.Cli.Commands;

/// <summary>
/// <c>backprop lr-find</c>: the learning-rate range test (<see cref="LrFinder"/>) on the model and
/// data <c>train</c> would use; writes lr-find.png and lr-find.csv and prints the suggested rate.
/// Nothing is trained for keeps: the model is built, probed and thrown away.
/// </summary>
internal static class LrFindCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "digits, fashion-mnist, moons or PATH.csv (as train).", DefaultValueFactory = _ => "digits" };
        var labelColumn = new Option<string?>("--label-column") { Description = "CSV label column (name or index; default: last)." };
        var model = new Option<string>("--model") { Description = "mlp, cnn, lstm or a layer spec such as 784-256-128-10:relu (as train).", DefaultValueFactory = _ => "mlp" };
        var batchSize = new Option<int?>("--batch-size") { Description = "Mini-batch size (default: 128 for fashion-mnist, 32 otherwise, as train)." };
        var optimizer = new Option<string>("--optimizer") { Description = "sgd (momentum 0.9), adam, adamw or rmsprop (as train).", DefaultValueFactory = _ => "adam" };
        optimizer.AcceptOnlyFromAmong("sgd", "adam", "adamw", "rmsprop");
        var seed = new Option<long>("--seed") { Description = "Seed for initialization, shuffling and dropout.", DefaultValueFactory = _ => 0 };
        var startLr = new Option<double>("--start-lr") { Description = "The rate of the first step.", DefaultValueFactory = _ => 1e-7 };
        var endLr = new Option<double>("--end-lr") { Description = "The rate of the last step; the rate rises exponentially between the two.", DefaultValueFactory = _ => 10 };
        var steps = new Option<int>("--steps") { Description = "Batches to train (at least 10); the test stops earlier when the smoothed loss passes 4× its best.", DefaultValueFactory = _ => 100 };
        var threads = new Option<int?>("--threads") { Description = "Threads for the kernels (default: all cores)." };
        var output = new Option<string?>("--out") { Description = "Folder for lr-find.png and lr-find.csv (default: runs/<timestamp>-lr-find); files of an earlier test there are replaced." };
        var format = OutputFormat.Create("one object {\"suggested_lr\", \"method\", \"min_lr_over_10\", \"steps\", \"stopped\", \"plot\", \"csv\"}.");
        var command = new Command("lr-find", "Learning-rate range test: train a few batches with the rate rising exponentially, plot the smoothed loss against it and suggest a rate (the steepest descent). The model is a probe and is not saved.")
        {
            data, labelColumn, model, batchSize, optimizer, seed, startLr, endLr, steps, threads, output, format,
        };
        command.SetAction(result => CommandRunner.Run("lr-find", () =>
        {
            if (result.GetValue(threads) is int t)
            {
                Threading.NumThreads = t >= 1 ? t : throw new ArgumentException($"--threads must be at least 1, got {t}");
            }

            double start = result.GetValue(startLr), end = result.GetValue(endLr);
            int count = result.GetValue(steps);
            LrFinder.Validate(start, end, count);
            string dataName = result.GetValue(data)!;
            var options = new TrainOptions(
                dataName,
                result.GetValue(labelColumn),
                result.GetValue(model)!,
                1,
                result.GetValue(batchSize) ?? (dataName == "fashion-mnist" ? 128 : 32),
                start,
                result.GetValue(optimizer)!,
                "none",
                result.GetValue(seed));
            options.Validate();
            string folder = result.GetValue(output) is string o
                ? Path.GetFullPath(o)
                : OutputFolder.Resolve(null) + "-lr-find";
            if (File.Exists(folder))
            {
                throw new IOException($"--out: {folder} is a file, not a folder; choose another --out");
            }

            var source = DataSource.Load(options.Data, options.LabelColumn);
            var trainer = new Trainer(options, source);
            var loader = new DataLoader(source.Train, options.BatchSize, shuffle: true, generator: new Generator(options.Seed + 2), prefetch: true);
            using var stop = new StopSignals();
            var found = LrFinder.Run(trainer.Model, trainer.Optimizer, loader, start, end, count, stop.Token);
            Directory.CreateDirectory(folder);
            string plot = Path.Combine(folder, "lr-find.png"), csv = Path.Combine(folder, "lr-find.csv");
            LrFinder.WriteCsv(found, csv);
            LrFinder.WritePlot(found, plot);
            if (result.GetValue(format) == OutputFormat.Json)
            {
                OutputFormat.WriteLine(w =>
                {
                    OutputFormat.Number(w, "suggested_lr", found.SuggestedLr);
                    w.WriteString("method", found.Method);
                    OutputFormat.Number(w, "min_lr_over_10", found.MinimumLrOver10);
                    w.WriteNumber("steps", found.Points.Count);
                    w.WriteString("stopped", found.Stopped);
                    w.WriteString("plot", plot);
                    w.WriteString("csv", csv);
                });
            }
            else
            {
                Console.Error.WriteLine($"lr-find: {found.Points.Count} steps from lr {Show(start)} to {Show(end)}, {found.Stopped}; the smoothed loss's minimum / 10 is {Show(found.MinimumLrOver10)}");
                Console.Error.WriteLine($"wrote lr-find.png, lr-find.csv to {folder}");
                Console.WriteLine($"suggested lr {Show(found.SuggestedLr)} ({found.Method}, step {found.SuggestedStep})");
            }

            return stop.Received is null ? 0 : stop.ExitCode;
        }));
        return command;
    }

    private static string Show(double value) => value.ToString("G3", CultureInfo.InvariantCulture);
}
