using Backprop.Serialization;
using Backprop.Tests.Fuzz;
using Backprop.Tests.Serialization;
using Xunit.Abstractions;

namespace Backprop.Tests.Faults;

/// <summary>
/// A training run killed with SIGKILL at random moments and resumed from its last checkpoint each
/// time ends with the same weights, bit for bit, as a run that was never interrupted.
/// </summary>
public sealed class KillResumeTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);

    private static readonly string[] s_run = ["train", "--data", "digits", "--epochs", "3", "--seed", "11", "--threads", "2"];

    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string[] Train(string folder) => [.. s_run, "--out", folder];

    private static string[] Resume(string folder) => ["train", "--resume", Path.Combine(folder, "checkpoint.safetensors"), "--threads", "2"];

    [Fact]
    public void KilledAndResumedRunsEndWithTheWeightsOfAnUninterruptedRun()
    {
        string reference = Path.Combine(_dir.Path, "reference");
        var (code, stdout, stderr) = CliProcess.Run(s_timeout, Train(reference));
        Assert.True(code == 0, stderr);
        // The shortest epoch: a kill up to that long after an epoch line lands before the next one ends.
        double epochMs = 1000 * stdout.Split('\n').Where(l => l.StartsWith("epoch ", StringComparison.Ordinal)).Min(l => double.Parse(l.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture));
        var expected = SafeTensors.Load(Path.Combine(reference, "model.safetensors"));

        int scenarios = Fuzzing.LongMode ? 40 : 4, kills = 0;
        var landed = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var rng = new Random(424242);
        for (int s = 0; s < scenarios; s++)
        {
            string folder = Path.Combine(_dir.Path, $"run{s}");
            int killsThisRun = rng.Next(1, 4);
            var args = Train(folder);
            while (true)
            {
                using var cli = CliProcess.Start(args);
                if (killsThisRun > 0)
                {
                    // Wait for a random number of the epochs this process has left (none: start-up), then
                    // a random part of an epoch: mid-batch or mid-checkpoint. After the last epoch line,
                    // a shorter wait: the model, history and plots are being written.
                    int remaining = 3 - CheckpointEpoch(folder);
                    int afterEpochs = rng.Next(0, remaining + 1);
                    int delayMs = afterEpochs == remaining ? rng.Next(0, 60) : rng.Next(0, (int)Math.Max(1, epochMs));
                    if (cli.WaitForEpochLines(afterEpochs) && !cli.WaitForExit(TimeSpan.FromMilliseconds(delayMs)))
                    {
                        string printed = $"{cli.EpochLines} epoch lines printed";
                        cli.Kill();
                        kills++;
                        killsThisRun--;
                        string where = Where(folder);
                        landed[where] = landed.GetValueOrDefault(where) + 1;
                        output.WriteLine($"run {s}: SIGKILL {delayMs} ms after this process's epoch line {afterEpochs} ({printed}): {where}");

                        // With no checkpoint yet the run starts over, as a user would; otherwise it resumes.
                        args = File.Exists(Path.Combine(folder, "checkpoint.safetensors")) ? Resume(folder) : Train(folder);
                        continue;
                    }
                }

                Assert.True(cli.WaitForExit(s_timeout), "the run did not finish");
                Assert.True(cli.ExitCode == 0, $"run {s}: exit {cli.ExitCode}: {cli.Stderr}");
                break;
            }

            var actual = SafeTensors.Load(Path.Combine(folder, "model.safetensors"));
            Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
            foreach (var (name, tensor) in expected)
            {
                // Bit for bit: compare the raw IEEE bits, so even -0 vs 0 or a NaN payload would differ.
                var want = tensor.ToArray<float>().Select(BitConverter.SingleToInt32Bits);
                var got = actual[name].ToArray<float>().Select(BitConverter.SingleToInt32Bits);
                Assert.True(want.SequenceEqual(got), $"run {s}: '{name}' differs from the uninterrupted run");
            }
        }

        output.WriteLine($"{scenarios} runs, {kills} SIGKILLs: {string.Join(", ", landed.Select(kv => $"{kv.Value} {kv.Key}"))}");
        Assert.True(kills >= scenarios / 2, $"only {kills} kills landed in {scenarios} runs");
    }

    private static int CheckpointEpoch(string folder)
    {
        string checkpoint = Path.Combine(folder, "checkpoint.safetensors");
        return File.Exists(checkpoint) ? Checkpoint.Load(checkpoint).Epoch : 0;
    }

    /// <summary>The last complete checkpoint in the output folder when the process died.</summary>
    private static string Where(string folder) =>
        File.Exists(Path.Combine(folder, "checkpoint.safetensors")) ? $"checkpoint of epoch {CheckpointEpoch(folder)}" : "no checkpoint yet";
}
