using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Backprop.Cli.Bench;
using Backprop.Cli.Training;

namespace Backprop.Cli.Commands;

/// <summary>
/// <c>backprop bench mlp|lstm|scalar</c>: the recipes of shared/bench/README.md, printing PyTorch's line
/// format (<c>KIND epoch N train_loss L test_acc A epoch_s S</c>) so the two run one after the other.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var kind = new Argument<string>("KIND") { Description = "mlp (Fashion-MNIST 784-256-128-10, Adam 1e-3, batch 128), lstm (rows as 28 steps, LSTM(128), Linear; same recipe) or scalar (micrograd's demo step)." };
        kind.AcceptOnlyFromAmong("mlp", "lstm", "scalar");
        var epochs = new Option<int>("--epochs") { Description = "Epochs (mlp, lstm) or steps (scalar).", DefaultValueFactory = _ => 10 };
        var threads = new Option<int?>("--threads") { Description = "Threads for the kernels (default: all cores)." };
        var command = new Command("bench", "Run a benchmark recipe and print PyTorch's line format.") { kind, epochs, threads };
        command.SetAction(result => CommandRunner.Run("bench", () =>
        {
            if (result.GetValue(threads) is int t)
            {
                Threading.NumThreads = t;
            }

            int n = result.GetValue(epochs);
            if (n < 1)
            {
                throw new ArgumentException($"--epochs must be at least 1, got {n}");
            }

            return result.GetValue(kind) switch
            {
                "scalar" => RunScalar(n),
                "lstm" => RunFashionMnist("lstm", "lstm", n),
                _ => RunFashionMnist("mlp", "784-256-128-10:relu", n),
            };
        }));
        return command;
    }

    private static int RunFashionMnist(string kind, string model, int epochs)
    {
        var options = new TrainOptions("fashion-mnist", null, model, epochs, 128, 1e-3, "adam", "none", 0);
        var trainer = new Trainer(options, DataSource.Load(options.Data, null));
        string folder = Directory.CreateTempSubdirectory("backprop-bench-").FullName;
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        int steps = 0;
        trainer.BatchCompleted = (_, _, _, _) => steps++;
        trainer.EpochCompleted = e => Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{kind} epoch {e.Epoch} train_loss {e.TrainLoss:F4} test_acc {e.TestAccuracy:F4} epoch_s {e.Seconds:F2}"));
        try
        {
            trainer.Run(Path.Combine(folder, "checkpoint.safetensors"), CancellationToken.None);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        using var process = Process.GetCurrentProcess();
        Console.Error.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"threads {Threading.NumThreads} peak_rss_mb {process.PeakWorkingSet64 / (1024.0 * 1024):F0} allocated_per_step_kb {allocated / 1024.0 / Math.Max(steps, 1):F0}"));
        return 0;
    }

    private static int RunScalar(int steps)
    {
        double total = 0;
        foreach (var (step, loss, accuracy, seconds) in ScalarBenchmark.Run(steps))
        {
            total += seconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"scalar step {step} loss {loss:F4} accuracy {accuracy:F2} step_s {seconds:F4}"));
        }

        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mean step_s {total / steps:F4}"));
        return 0;
    }
}
