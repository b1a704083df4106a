using System.Globalization;
using Backprop.Diagnostics;
using Backprop.Serialization;
using Backprop.Tests.Serialization;
using Xunit.Abstractions;

namespace Backprop.Tests.Faults;

/// <summary>
/// A run stopped mid-epoch by a signal that asks a process to end (SIGTERM from kill, timeout,
/// docker stop or a job scheduler; SIGINT from Ctrl-C; SIGHUP from a closed terminal) saves a
/// checkpoint of its exact position, says so in one line, exits with 128 + the signal's number,
/// and resumes to the weights, bit for bit, of a run that was never interrupted.
/// </summary>
public sealed class StopSignalTests(StopSignalTests.Reference reference, ITestOutputHelper output) : IClassFixture<StopSignalTests.Reference>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);

    // The default MLP (dropout: the resumed run must also restore the dropout generator) in small
    // batches. Warm epochs take under 0.1 s here, about as long as a signal can take to arrive on a
    // loaded machine, so the run has 30 of them: sent a tenth of an epoch after the first epoch line
    // (printed as the second epoch starts), the signal lands mid-run even when it is late by a
    // dozen epochs. With 3 epochs it once arrived after the last, and the test saw a finished run.
    private static readonly string[] s_run = ["train", "--data", "digits", "--epochs", "30", "--batch-size", "8", "--seed", "5", "--threads", "2"];

    [Theory]
    [InlineData("SIGTERM", 15)]
    [InlineData("SIGINT", 2)]
    [InlineData("SIGHUP", 1)]
    public void ASignalMidEpochSavesTheExactPositionAndTheRunResumesToTheUninterruptedWeights(string name, int signal)
    {
        string folder = Path.Combine(reference.Folder.Path, name);
        string checkpoint = Path.Combine(folder, "checkpoint.safetensors");
        using (var cli = CliProcess.Start([.. s_run, "--out", folder]))
        {
            Assert.True(cli.WaitForEpochLines(1), $"the run ended before its first epoch: {cli.Stderr}");
            Thread.Sleep(TimeSpan.FromSeconds(reference.EpochSeconds / 10));
            int linesAtSignal = cli.EpochLines;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            cli.Signal(signal);
            Assert.True(cli.WaitForExit(s_timeout), $"the run did not stop after {name}");

            Assert.True(cli.ExitCode == 128 + signal, $"exit {cli.ExitCode} after {name}: {cli.Stderr}");
            string message = Assert.Single(cli.Stderr.Trim().Split('\n'));
            Assert.Equal($"interrupted ({name}): checkpoint saved to {checkpoint}; continue with ./backprop train --resume {checkpoint}", message);

            // The exact position: the epochs printed are the epochs in the checkpoint, and the
            // batches of the epoch in progress are kept (mid-epoch, as a rule; 0 at an epoch's end).
            var saved = Checkpoint.Load(checkpoint);
            Assert.Equal(cli.EpochLines, saved.Epoch);
            Assert.InRange(saved.Epoch, 1, 29);
            output.WriteLine($"{name}: sent after {linesAtSignal} epoch lines, stopped {clock.ElapsedMilliseconds} ms later with a checkpoint at epoch {saved.Epoch}, batch {saved.Metadata["batch_in_epoch"]} (epochs of {reference.EpochSeconds:F2} s)");
        }

        // The checkpoint, and the history of the epochs it holds (rewritten after every epoch, for serve --runs).
        Assert.Equal(["checkpoint.safetensors", "history.csv", "history.json"], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(Checkpoint.Load(checkpoint).Epoch, TrainingHistory.ReadJson(Path.Combine(folder, "history.json")).Epochs.Count);
        var (code, _, stderr) = CliProcess.Run(s_timeout, "train", "--resume", checkpoint, "--threads", "2");
        Assert.True(code == 0, stderr);
        AssertSameBits(reference.Weights, SafeTensors.Load(Path.Combine(folder, "model.safetensors")));
    }

    private static void AssertSameBits(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (key, tensor) in expected)
        {
            var want = tensor.ToArray<float>().Select(BitConverter.SingleToInt32Bits);
            var got = actual[key].ToArray<float>().Select(BitConverter.SingleToInt32Bits);
            Assert.True(want.SequenceEqual(got), $"'{key}' differs from the uninterrupted run");
        }
    }

    /// <summary>The uninterrupted run, once for all signals: its final weights and its shortest epoch.</summary>
    public sealed class Reference : IDisposable
    {
        public Reference()
        {
            string folder = Path.Combine(Folder.Path, "reference");
            var (code, stdout, stderr) = CliProcess.Run(s_timeout, [.. s_run, "--out", folder]);
            Assert.True(code == 0, stderr);
            EpochSeconds = stdout.Split('\n')
                .Where(l => l.StartsWith("epoch ", StringComparison.Ordinal))
                .Min(l => double.Parse(l.Split(' ')[^1], CultureInfo.InvariantCulture));
            Weights = SafeTensors.Load(Path.Combine(folder, "model.safetensors"));
        }

        public TempFolder Folder { get; } = new();

        public double EpochSeconds { get; }

        public Dictionary<string, Tensor> Weights { get; }

        public void Dispose() => Folder.Dispose();
    }
}
