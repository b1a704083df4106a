namespace Backprop.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class DetectAnomalyTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "backprop-anomaly-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void TrainNamesTheFirstOpThatGivesNaNAndWhereItWasCreated()
    {
        // SGD with lr 1e30 makes the weights huge after one step; the next forward overflows.
        var (code, _, stderr) = CliRunner.Run("train", "--epochs", "1", "--optimizer", "sgd", "--lr", "1e30", "--out", _folder, "--detect-anomaly");
        Assert.Equal(1, code);
        // Which non-finite value comes out (NaN, +Inf or -Inf) depends on the kernel path (AVX-512,
        // AVX2 or scalar sums overflow in different orders), so any of them is accepted: what matters
        // is that the op is named and where it was created.
        // The library frames listed after "via" are best effort: the JIT may inline small methods
        // (Linear.Forward into Sequential.Forward) once they are hot, and an inlined method has no frame.
        Assert.Matches(
            @"^train: anomaly: forward of 'linear' (produced (NaN|[+-]Inf)|received (NaN|[+-]Inf) in input \d)[^;]*; .*op created at Trainer\.cs:\d+ in Backprop\.Cli\.Training\.Trainer\.Run \(via Tensor\.Linear[^)]*\)$",
            stderr.Trim());
        Assert.False(Backprop.Autograd.IsAnomalyEnabled);
    }

    [Fact]
    public void WithoutTheFlagTheLossCheckReportsIt()
    {
        var (code, _, stderr) = CliRunner.Run("train", "--epochs", "1", "--optimizer", "sgd", "--lr", "1e30", "--out", _folder);
        Assert.Equal(1, code);
        Assert.Matches(@"^train: epoch 1, batch \d+: the loss is (NaN|[+-]Inf); lower --lr$", stderr.Trim());
    }
}
