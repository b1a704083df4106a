using System.Globalization;
using System.Text.RegularExpressions;

namespace Backprop.Tests.Distributed;

/// <summary>
/// <c>mpirun -np 2 backprop bench mlp</c>: the recipe trains data-parallel as <c>train</c> does (the
/// global batch of 128 split across the ranks), rank 0 alone prints PyTorch's line, and on stderr the
/// world size, threads and the epoch's all-reduce figures. One epoch of the full recipe (the bench has
/// no smaller data set): about 10–30 s.
/// </summary>
[Collection("mpirun")]
public class DistributedBenchTests
{
    private static readonly Regex s_line = new(@"^mlp epoch 1 train_loss (\d\.\d{4}) test_acc (\d\.\d{4}) epoch_s \d+\.\d{2}$", RegexOptions.Multiline);

    [MpiFashionMnistFact]
    public void TwoRanksRunTheSingleProcessRecipeAndOnlyRankZeroPrints()
    {
        string[] bench = ["bench", "mlp", "--epochs", "1", "--threads", "1"];
        // Buckets of 0.25 MB: the MLP's 0.94 MB of gradients in several all-reduces started during backward.
        var run = MpiRun.Run(2, MpiRun.CliPath, [.. bench, "--bucket-cap-mb", "0.25"], TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);

        // Rank 0 alone prints: one line on stdout and nothing else.
        var lines = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        var match = s_line.Match(line.Trim());
        Assert.True(match.Success, run.Stdout);

        // On stderr, once: the epoch's all-reduce figures and the summary with the world size.
        var ddp = Assert.Single(run.Stderr.Split('\n'), l => l.StartsWith("ddp ", StringComparison.Ordinal));
        var figures = Regex.Match(ddp.Trim(), @"^ddp epoch 1 world_size 2 threads 1 allreduce_s (\d+\.\d{3}) exposed_s (\d+\.\d{3}) hidden_pct (\d+)$");
        Assert.True(figures.Success, run.Stderr);
        Assert.True(double.Parse(figures.Groups[1].Value, CultureInfo.InvariantCulture) > 0, ddp);
        Assert.InRange(int.Parse(figures.Groups[3].Value, CultureInfo.InvariantCulture), 0, 100);
        Assert.Single(run.Stderr.Split('\n'), l => l.StartsWith("world_size 2 threads 1 peak_rss_mb ", StringComparison.Ordinal));

        // The same steps as one process with batch 128 (no dropout in the recipe), up to float32
        // rounding over 469 Adam steps.
        var alone = Faults.CliProcess.Run(TimeSpan.FromMinutes(3), bench);
        Assert.True(alone.ExitCode == 0, alone.Stderr);
        var single = s_line.Match(alone.Stdout);
        Assert.True(single.Success, alone.Stdout);
        Assert.DoesNotContain("world_size", alone.Stderr, StringComparison.Ordinal);
        Assert.StartsWith("threads 1 peak_rss_mb ", alone.Stderr, StringComparison.Ordinal);
        for (int group = 1; group <= 2; group++)
        {
            double a = double.Parse(single.Groups[group].Value, CultureInfo.InvariantCulture);
            double b = double.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(a - b) <= 0.005, $"one process: {alone.Stdout.Trim()}; two ranks: {line.Trim()}");
        }
    }

    [MpiFact]
    public void ScalarAndSgemmRefuseMpirunWithOneMessage()
    {
        var run = MpiRun.Run(2, MpiRun.CliPath, ["bench", "scalar", "--epochs", "2"], TimeSpan.FromMinutes(2));
        Assert.Equal(1, run.ExitCode);
        Assert.Empty(run.Stdout.Trim());
        Assert.Single(run.Stderr.Split('\n'), l => l.Trim() == "bench: scalar runs in one process: under mpirun only mlp, cnn and lstm train data-parallel");
    }
}
