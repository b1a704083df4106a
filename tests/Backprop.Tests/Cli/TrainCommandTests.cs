using System.Text.RegularExpressions;
using Backprop.Cli.Training;
using Backprop.Serialization;

namespace Backprop.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class TrainCommandTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "backprop-train-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void DefaultRunOnDigitsReachesNinetyFivePercentAndWritesEverything()
    {
        var (code, stdout, stderr) = CliRunner.Run("train", "--out", _folder);
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(30, lines.Length);
        var pattern = new Regex(@"^epoch (\d+) train_loss \d+\.\d{4} test_loss \d+\.\d{4} test_acc (\d\.\d{4}) epoch_s \d+\.\d{2}$");
        Assert.All(lines, l => Assert.Matches(pattern, l));
        double finalAccuracy = double.Parse(pattern.Match(lines[^1]).Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(finalAccuracy >= 0.95, $"test accuracy {finalAccuracy}");
        foreach (var file in new[] { "model.safetensors", "checkpoint.safetensors", "history.csv", "history.json", "loss.png", "accuracy.png" })
        {
            Assert.True(File.Exists(Path.Combine(_folder, file)), file);
        }

        Assert.Contains(_folder, stderr);
        Assert.Equal(31, File.ReadAllLines(Path.Combine(_folder, "history.csv")).Length);
        var png = File.ReadAllBytes(Path.Combine(_folder, "loss.png"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
    }

    [Fact]
    public void InterruptedRunResumesToBitIdenticalWeights()
    {
        var options = new TrainOptions("digits", null, "mlp", 3, 32, 1e-3, "adam", "cosine", 7);
        var data = DataSource.Load("digits", null);
        Directory.CreateDirectory(_folder);

        var straight = new Trainer(options, data);
        Assert.True(straight.Run(Path.Combine(_folder, "a.safetensors"), CancellationToken.None));

        // Stop in the middle of the second epoch, as Ctrl-C would, then resume in a fresh trainer.
        string checkpointPath = Path.Combine(_folder, "b.safetensors");
        var interrupted = new Trainer(options, data);
        using var cancel = new CancellationTokenSource();
        int batches = 0;
        interrupted.BatchCompleted = (_, _, _, _) =>
        {
            if (++batches == interrupted.BatchesPerEpoch + 17)
            {
                cancel.Cancel();
            }
        };
        Assert.False(interrupted.Run(checkpointPath, cancel.Token));
        var checkpoint = Checkpoint.Load(checkpointPath);
        Assert.Equal(1, checkpoint.Epoch);

        var resumed = new Trainer(Trainer.ReadOptions(checkpoint, checkpointPath), data);
        resumed.Restore(checkpoint, checkpointPath, 3);
        Assert.True(resumed.Run(checkpointPath, CancellationToken.None));

        var expected = straight.Model.StateDict();
        var actual = resumed.Model.StateDict();
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var key in expected.Keys)
        {
            Assert.Equal(expected[key].ToArray<float>(), actual[key].ToArray<float>());
        }

        Assert.Equal(straight.History.Epochs.Select(e => e.TestAccuracy), resumed.History.Epochs.Select(e => e.TestAccuracy));
        Assert.Equal(straight.History.Epochs.Select(e => e.TrainLoss), resumed.History.Epochs.Select(e => e.TrainLoss));
    }

    [Fact]
    public void ResumeFromTheCommandLineContinuesTheRun()
    {
        Assert.Equal(0, CliRunner.Run("train", "--epochs", "2", "--out", _folder, "--model", "64-32-10:tanh").ExitCode);
        var (code, stdout, stderr) = CliRunner.Run("train", "--resume", Path.Combine(_folder, "checkpoint.safetensors"), "--epochs", "3");
        Assert.True(code == 0, stderr);
        Assert.StartsWith("epoch 3 ", stdout);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(_folder, "history.csv")).Length);
    }

    [Fact]
    public void TrainsOnACsvFileWithANamedLabelColumn()
    {
        Directory.CreateDirectory(_folder);
        string csv = Path.Combine(_folder, "blobs.csv");
        var g = new Generator(3);
        var lines = new List<string> { "species,x,y" };
        for (int i = 0; i < 120; i++)
        {
            int label = i % 3;
            lines.Add(FormattableString.Invariant($"{label},{(label * 3) + g.NextNormal() * 0.3},{(label % 2 * 3) + g.NextNormal() * 0.3}"));
        }

        File.WriteAllLines(csv, lines);
        var (code, stdout, stderr) = CliRunner.Run("train", "--data", csv, "--label-column", "species", "--model", "2-16-3:relu", "--epochs", "40", "--lr", "0.01", "--out", Path.Combine(_folder, "run"));
        Assert.True(code == 0, stderr);
        Assert.EndsWith("test_acc 1.0000", Regex.Match(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1], @"^.*test_acc \d\.\d{4}").Value);
    }

    [Theory]
    [InlineData("unknown data set 'nope'", "--data", "nope")]
    [InlineData("file not found", "--data", "/no/such/file.csv")]
    [InlineData("'x' is not a positive layer width", "--model", "64-x-10")]
    [InlineData("input width 100 does not match the data's 64 features", "--model", "100-10")]
    [InlineData("--epochs must be at least 1", "--epochs", "0")]
    [InlineData("--lr must be a positive number", "--lr", "-1")]
    [InlineData("checkpoint not found", "--resume", "/no/such/checkpoint.safetensors")]
    public void BadArgumentsGiveOneClearLine(string expected, params string[] args)
    {
        var (code, stdout, stderr) = CliRunner.Run(["train", "--out", _folder, .. args]);
        Assert.Equal(1, code);
        Assert.Empty(stdout);
        Assert.Contains(expected, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public void UnwritableOutputFolderFailsBeforeTraining()
    {
        Directory.CreateDirectory(_folder);
        string file = Path.Combine(_folder, "a-file");
        File.WriteAllText(file, "x");
        // A folder below a file cannot be created (an --out that is the file itself has its own message).
        var (code, stdout, stderr) = CliRunner.Run("train", "--out", Path.Combine(file, "run"));
        Assert.Equal(1, code);
        Assert.Empty(stdout);
        Assert.StartsWith("train: --out: cannot write to", stderr);
    }
}
