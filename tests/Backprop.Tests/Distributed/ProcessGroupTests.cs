using System.Globalization;

namespace Backprop.Tests.Distributed;

/// <summary>
/// The process group and DistributedDataParallel under a real mpirun (tests/DistributedWorker):
/// collectives, equivalence with one process, an uneven world, TCP on loopback, a hung rank.
/// </summary>
[Collection("mpirun")]
public class ProcessGroupTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);

    [MpiTheory]
    [InlineData(2)]
    [InlineData(3)]
    public void CollectivesGiveTheSameResultOnEveryRank(int ranks)
    {
        var (code, stdout, stderr, _) = MpiRun.Run(ranks, MpiRun.WorkerPath, ["collectives"], s_timeout);
        Assert.True(code == 0, stdout + stderr);
        int sum = ranks * (ranks + 1) / 2;
        for (int r = 0; r < ranks; r++)
        {
            Assert.Equal($"world {ranks} sum {sum}", "world " + MpiRun.Value(stdout, r, "world"));
            Assert.Equal(((ranks + 1) / 2.0).ToString(CultureInfo.InvariantCulture), MpiRun.Value(stdout, r, "avg"));
            Assert.Equal($"{ranks - 1} 0", MpiRun.Value(stdout, r, "max"));
            Assert.Equal("0,1,2,3", MpiRun.Value(stdout, r, "bcast"));
            Assert.Equal($"{sum - ranks} {ranks}", MpiRun.Value(stdout, r, "int64"));
        }
    }

    /// <summary>
    /// N ranks with DDP on a global batch of 12 (a last batch of 4 rows: 2+1+1 on three ranks, weighted
    /// by GlobalBatch.LossScale) against one process with batch 12, 20 SGD-with-momentum steps, small
    /// buckets so that several all-reduces overlap backward. The tolerances are the summation order's
    /// rounding: float64 within 1e-10 (measured ≈ 2e-16), float32 within 1e-5 (measured ≈ 1e-7). The
    /// replicas stay bit-identical (the same averaged gradient on every rank).
    /// </summary>
    [MpiTheory]
    [InlineData(2, "f64", 1e-10, false)]
    [InlineData(3, "f64", 1e-10, false)]
    [InlineData(2, "f32", 1e-5, false)]
    [InlineData(3, "f32", 1e-5, false)]
    [InlineData(2, "f64", 1e-10, true)]
    public void DataParallelTrainingEqualsOneProcessWithTheGlobalBatch(int ranks, string dtype, double tolerance, bool tcp)
    {
        var (code, stdout, stderr, _) = MpiRun.Run(ranks, MpiRun.WorkerPath, ["train", dtype, "100", "12", "20", "0.001"], s_timeout, tcp);
        Assert.True(code == 0, stdout + stderr);
        double diff = double.Parse(MpiRun.Value(stdout, 0, "max_weight_diff"), CultureInfo.InvariantCulture);
        Assert.InRange(diff, 0, tolerance);
        for (int r = 0; r < ranks; r++)
        {
            Assert.Equal("0", MpiRun.Value(stdout, r, "replica_spread"));
            Assert.InRange(int.Parse(MpiRun.Value(stdout, r, "buckets").Split(' ')[0], CultureInfo.InvariantCulture), 3, 6);
        }
    }

    /// <summary>
    /// A rank that stops answering (it sleeps before the all-reduce the other waits in) ends the job
    /// through the watchdog: after BACKPROP_DISTRIBUTED_TIMEOUT seconds the waiting rank prints one
    /// message naming itself and the call and calls MPI_Abort, which ends every rank.
    /// </summary>
    [MpiFact]
    public void AHungRankEndsTheJobAfterTheTimeout()
    {
        var (code, stdout, stderr, elapsed) = MpiRun.Run(
            2, MpiRun.WorkerPath, ["hang-rank", "1"], TimeSpan.FromSeconds(90), environment: new Dictionary<string, string> { ["BACKPROP_DISTRIBUTED_TIMEOUT"] = "3" });
        Assert.NotEqual(0, code);
        string all = stdout + stderr;
        Assert.Single(all.Split('\n'), l => l.Contains("rank 0: MPI_Allreduce did not complete within 3 s", StringComparison.Ordinal));
        Assert.DoesNotContain("rank 0: done", all, StringComparison.Ordinal);
        Assert.True(elapsed < TimeSpan.FromSeconds(60), $"took {elapsed}");
    }
}
