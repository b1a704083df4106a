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
        Assert.Matches(
            @"^train: anomaly: forward of 'linear' produced NaN \(\d+ of \d+ elements not finite, first at flat index \d+\) from finite inputs; op created at Trainer\.cs:\d+ in Backprop\.Cli\.Training\.Trainer\.Run \(via Tensor\.Linear <- F\.Linear <- Linear\.Forward <- Sequential\.Forward\)$",
            stderr.Trim());
        Assert.False(Backprop.Autograd.IsAnomalyEnabled);
    }

    [Fact]
    public void WithoutTheFlagTheLossCheckReportsIt()
    {
        var (code, _, stderr) = CliRunner.Run("train", "--epochs", "1", "--optimizer", "sgd", "--lr", "1e30", "--out", _folder);
        Assert.Equal(1, code);
        Assert.Matches(@"^train: epoch 1, batch \d+: the loss is NaN; lower --lr$", stderr.Trim());
    }
}
