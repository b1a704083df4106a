using System.Diagnostics;
using System.Text;
using Backprop.Serialization;

namespace Backprop.Tests.Distributed;

/// <summary>
/// <c>mpirun -np N backprop train</c> on the embedded digits: the same model as one process, a
/// checkpoint that resumes with another world size, and the faults (a killed rank, a missing file).
/// The model has no dropout and trains with SGD: dropout masks are drawn per rank, so a model with
/// dropout is a different (equally valid) run. float32, so the tolerance is the summation order's
/// rounding over 96 steps: 1e-4 (measured: equal to the printed 4 decimals).
/// </summary>
[Collection("mpirun")]
public class DistributedTrainTests
{
    private static readonly string[] s_train =
        ["train", "--epochs", "2", "--batch-size", "30", "--threads", "1", "--model", "64-32-10:relu", "--optimizer", "sgd", "--lr", "0.05", "--schedule", "none", "--format", "json"];

    [MpiFact]
    public void TwoAndThreeRanksTrainTheModelOfOneProcessAndOnlyRankZeroWrites()
    {
        using var dir = new TempDir();
        var alone = Faults.CliProcess.Run(TimeSpan.FromMinutes(3), [.. s_train, "--out", dir.Sub("alone")]);
        Assert.True(alone.ExitCode == 0, alone.Stderr);
        foreach (int ranks in new[] { 2, 3 })
        {
            string folder = dir.Sub($"np{ranks}");
            var run = MpiRun.Run(ranks, MpiRun.CliPath, [.. s_train, "--out", folder], TimeSpan.FromMinutes(3));
            Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);

            // Rank 0 alone prints: one JSON line per epoch.
            Assert.Equal(2, run.Stdout.Split('\n').Count(l => l.StartsWith("{\"epoch\"", StringComparison.Ordinal)));
            AssertSameWeights(Path.Combine(dir.Sub("alone"), "model.safetensors"), Path.Combine(folder, "model.safetensors"), 1e-4);
            Assert.Empty(Directory.GetFiles(folder, "*.tmp*"));
        }
    }

    /// <summary>
    /// Open MPI gives each rank a pseudo-terminal for stdout even when mpirun's output is redirected:
    /// with a real TERM the ranks took it for a person's terminal, drew Spectre's table in text mode
    /// and the runtime wrote its keypad escape sequence (ESC [?1h ESC =) before the first JSON line.
    /// Under the launcher the output is plain lines, whatever TERM says.
    /// </summary>
    [MpiFact]
    public void UnderMpirunTheRedirectedOutputIsPlainLinesEvenWithATerminalType()
    {
        using var dir = new TempDir();
        var terminal = new Dictionary<string, string> { ["TERM"] = "xterm-256color" };
        var json = MpiRun.Run(2, MpiRun.CliPath, [.. s_train, "--out", dir.Sub("json")], TimeSpan.FromMinutes(3), environment: terminal);
        Assert.True(json.ExitCode == 0, json.Stdout + json.Stderr);
        string[] lines = json.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        foreach (string line in lines)
        {
            using var parsed = System.Text.Json.JsonDocument.Parse(line);
            Assert.True(parsed.RootElement.TryGetProperty("test_acc", out _), line);
        }

        string[] text = [.. s_train[..^2], "--out", dir.Sub("text")];
        var plain = MpiRun.Run(2, MpiRun.CliPath, text, TimeSpan.FromMinutes(3), environment: terminal);
        Assert.True(plain.ExitCode == 0, plain.Stdout + plain.Stderr);
        Assert.DoesNotContain('\u001b', plain.Stdout + plain.Stderr);
        Assert.Contains(plain.Stdout.Split('\n'), l => l.StartsWith("epoch 2 train_loss ", StringComparison.Ordinal));
        Assert.DoesNotContain('\u2502', plain.Stdout);   // no table borders
    }

    [MpiFact]
    public void ACheckpointOfTwoRanksResumesAloneAndWithThree()
    {
        using var dir = new TempDir();
        string[] three = [.. s_train[..2], "3", .. s_train[3..]];
        var straight = Faults.CliProcess.Run(TimeSpan.FromMinutes(3), [.. three, "--out", dir.Sub("straight")]);
        Assert.True(straight.ExitCode == 0, straight.Stderr);

        // Two epochs with two ranks, the third alone.
        var two = MpiRun.Run(2, MpiRun.CliPath, [.. s_train, "--out", dir.Sub("a")], TimeSpan.FromMinutes(3));
        Assert.True(two.ExitCode == 0, two.Stderr);
        var resumed = Faults.CliProcess.Run(TimeSpan.FromMinutes(3), ["train", "--resume", Path.Combine(dir.Sub("a"), "checkpoint.safetensors"), "--epochs", "3", "--threads", "1", "--format", "json"]);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        AssertSameWeights(Path.Combine(dir.Sub("straight"), "model.safetensors"), Path.Combine(dir.Sub("a"), "model.safetensors"), 1e-4);

        // Two epochs alone, the third with three ranks.
        var one = Faults.CliProcess.Run(TimeSpan.FromMinutes(3), [.. s_train, "--out", dir.Sub("b")]);
        Assert.True(one.ExitCode == 0, one.Stderr);
        var three3 = MpiRun.Run(3, MpiRun.CliPath, ["train", "--resume", Path.Combine(dir.Sub("b"), "checkpoint.safetensors"), "--epochs", "3", "--threads", "1", "--format", "json"], TimeSpan.FromMinutes(3));
        Assert.True(three3.ExitCode == 0, three3.Stdout + three3.Stderr);
        AssertSameWeights(Path.Combine(dir.Sub("straight"), "model.safetensors"), Path.Combine(dir.Sub("b"), "model.safetensors"), 1e-4);
    }

    /// <summary>
    /// kill -9 of rank 1 mid-epoch: mpirun sees its child die and ends the job (its own abort on peer
    /// death, then SIGTERM/SIGKILL to the others), well within a minute; one message from mpirun
    /// names the killed rank, no rank prints an error of its own, and no model file is written (the
    /// checkpoint of the last finished epoch stays whole: files are written atomically).
    /// </summary>
    [MpiFact]
    public void KillingOneRankMidEpochEndsTheJobWithOneMessageAndNoModelFile()
    {
        using var dir = new TempDir();
        string folder = dir.Sub("killed");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var job = MpiRun.Start(2, MpiRun.CliPath, ["train", "--epochs", "200", "--batch-size", "8", "--threads", "1", "--model", "64-32-10:relu", "--format", "json", "--out", folder], stdout, stderr);
        var clock = Stopwatch.StartNew();
        while (!MpiRun.Text(stdout).Contains("{\"epoch\":2", StringComparison.Ordinal))
        {
            Assert.False(job.HasExited, MpiRun.Text(stdout) + MpiRun.Text(stderr));
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), "no epoch line within 2 minutes");
            Thread.Sleep(20);
        }

        int rank1 = RankPid(folder, 1);
        Process.GetProcessById(rank1).Kill();
        clock.Restart();
        Assert.True(job.WaitForExit(TimeSpan.FromSeconds(60)), $"the job did not end within 60 s of the kill of {rank1}:\n{MpiRun.Text(stdout)}\n{MpiRun.Text(stderr)}");
        job.WaitForExit();
        Assert.NotEqual(0, job.ExitCode);
        string err = MpiRun.Text(stderr) + MpiRun.Text(stdout);
        Assert.Single(err.Split('\n'), l => l.Contains("exited on signal 9", StringComparison.Ordinal));
        Assert.DoesNotContain("internal error", err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(folder, "model.safetensors")));
        Assert.Empty(Directory.GetFiles(folder, "*.tmp*"));
        Checkpoint.Load(Path.Combine(folder, "checkpoint.safetensors"));
    }

    /// <summary>
    /// A data file missing on one rank only (mpirun's MPMD form gives rank 1 another path): every rank
    /// ends, exit status 1, with the message once, and no run folder is left.
    /// </summary>
    [MpiFact]
    public void AFileMissingOnOneRankEndsEveryRankWithTheMessageOnce()
    {
        using var dir = new TempDir();
        string csv = Path.Combine(dir.Path, "data.csv");
        File.WriteAllLines(csv, ["a,b,label", .. Enumerable.Range(0, 40).Select(i => $"{i % 7},{i % 5},{i % 2}")]);
        string missing = Path.Combine(dir.Path, "nowhere.csv");
        string folder = dir.Sub("run");
        string[] common = ["train", "--epochs", "1", "--threads", "1", "--out", folder];
        var info = new ProcessStartInfo(MpiRun.Path!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])["--allow-run-as-root", "--oversubscribe", "-np", "1", "dotnet", MpiRun.CliPath, .. common, "--data", csv, ":", "-np", "1", "dotnet", MpiRun.CliPath, .. common, "--data", missing])
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["TERM"] = "dumb";
        using var job = Process.Start(info)!;
        var outTask = job.StandardOutput.ReadToEndAsync();
        var errTask = job.StandardError.ReadToEndAsync();
        Assert.True(job.WaitForExit(TimeSpan.FromMinutes(2)), "the job did not end");
        string all = outTask.Result + errTask.Result;
        Assert.NotEqual(0, job.ExitCode);
        Assert.True(all.Split('\n').Count(l => l.Contains("nowhere.csv", StringComparison.Ordinal)) == 1, all);
        Assert.False(File.Exists(Path.Combine(folder, "model.safetensors")));
    }

    private static void AssertSameWeights(string expectedPath, string actualPath, double tolerance)
    {
        var expected = SafeTensors.Load(expectedPath);
        var actual = SafeTensors.Load(actualPath);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (key, e) in expected)
        {
            var a = actual[key].ToArray<float>();
            var x = e.ToArray<float>();
            double diff = a.Zip(x, (p, q) => Math.Abs((double)p - q)).Max();
            Assert.True(diff <= tolerance, $"{key}: largest difference {diff}");
        }
    }

    /// <summary>The process id of rank <paramref name="rank"/> of the run writing to <paramref name="folder"/> (OMPI_COMM_WORLD_RANK in its environment).</summary>
    private static int RankPid(string folder, int rank)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            foreach (var dir in Directory.GetDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out int pid))
                {
                    continue;
                }

                try
                {
                    if (File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0').Contains(folder) && File.ReadAllText(Path.Combine(dir, "environ")).Split('\0').Contains($"OMPI_COMM_WORLD_RANK={rank}"))
                    {
                        return pid;
                    }
                }
                catch (IOException)
                {
                }
            }

            Thread.Sleep(50);
        }

        throw new InvalidOperationException($"no rank {rank} writing to {folder}");
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("backprop-mpi-").FullName;

        public string Sub(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
