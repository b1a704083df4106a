using System.Text.Json;
using Backprop.Tests.TensorBoard;

namespace Backprop.Tests.Cli;

/// <summary>--tensorboard writes the epochs' scalars to event files; redirected output stays as scripts read it.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class TrainTensorBoardTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "backprop-tbcli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void TrainWritesTheEpochsScalarsAndKeepsTheSummaryOffRedirectedOutput()
    {
        string logs = Path.Combine(_folder, "tb");
        var (code, stdout, stderr) = CliRunner.Run("train", "--epochs", "2", "--model", "64-16-10:relu", "--out", Path.Combine(_folder, "run"), "--tensorboard", logs, "--format", "json");
        Assert.True(code == 0, stderr);
        var epochs = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
        Assert.Equal(2, epochs.Count);

        // The model summary is for a terminal: redirected, stderr holds the messages alone.
        Assert.DoesNotContain("Total params", stderr, StringComparison.Ordinal);
        Assert.Contains("tensorboard: writing", stderr, StringComparison.Ordinal);

        var events = EventFileReader.Read(Assert.Single(Directory.GetFiles(logs, "events.out.tfevents.*")));
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        var scalars = events.Skip(1).SelectMany(e => e.Scalars.Select(s => (e.Step, s.Tag, s.Value))).ToList();
        Assert.Equal(12, scalars.Count);
        for (int i = 0; i < 2; i++)
        {
            Assert.Contains((i + 1L, "loss/train", (float)epochs[i].GetProperty("train_loss").GetDouble()), scalars);
            Assert.Contains((i + 1L, "loss/test", (float)epochs[i].GetProperty("test_loss").GetDouble()), scalars);
            Assert.Contains((i + 1L, "accuracy/test", (float)epochs[i].GetProperty("test_acc").GetDouble()), scalars);
            Assert.Contains((i + 1L, "accuracy/train", (float)epochs[i].GetProperty("train_acc").GetDouble()), scalars);
        }

        Assert.Contains(scalars, s => s.Tag == "lr" && s.Step == 2);
    }
}
