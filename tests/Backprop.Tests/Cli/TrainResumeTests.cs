using Backprop.Cli.Training;
using Backprop.Serialization;
using Backprop.Tests.Serialization;

namespace Backprop.Tests.Cli;

/// <summary>
/// <c>train --resume</c> continues the run its checkpoint holds: a flag that would change the run
/// is refused, not silently ignored; what may change (--epochs) is applied and said; the gradient
/// report and the schedule carry over as if the run had never stopped.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class TrainResumeTests : IDisposable
{
    // The run every test resumes: not the defaults in any setting a test gives, so a flag that is
    // ignored instead of compared shows.
    private static readonly string[] s_run = ["train", "--model", "64-16-10:relu", "--batch-size", "24", "--lr", "0.002", "--optimizer", "adamw", "--seed", "4", "--threads", "2"];

    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private string TrainedRun(string name, params string[] extra)
    {
        string folder = _dir.File(name);
        string[] epochs = extra.Contains("--epochs") ? [] : ["--epochs", "1"];
        var (code, _, stderr) = CliRunner.Run([.. s_run, .. epochs, "--out", folder, .. extra]);
        Assert.True(code == 0, stderr);
        return folder;
    }

    [Theory]
    [InlineData("--lr", "0.01", "0.002")]
    [InlineData("--optimizer", "adam", "adamw")]
    [InlineData("--data", "moons", "digits")]
    [InlineData("--model", "64-32-10:tanh", "64-16-10:relu")]
    [InlineData("--model", "mlp", "64-16-10:relu")]
    [InlineData("--batch-size", "32", "24")]
    [InlineData("--schedule", "cosine", "none")]
    [InlineData("--seed", "0", "4")]
    [InlineData("--label-column", "label", "(not set)")]
    public void AFlagThatConflictsWithTheCheckpointIsRefusedNamingBothValues(string flag, string value, string stored)
    {
        string folder = TrainedRun("run");
        string checkpoint = Path.Combine(folder, "checkpoint.safetensors");
        byte[] before = File.ReadAllBytes(checkpoint);

        var (code, stdout, stderr) = CliRunner.Run("train", "--resume", checkpoint, "--epochs", "2", flag, value);
        Assert.Equal(1, code);
        Assert.Empty(stdout);
        string line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith($"train: --resume: {flag} {value} (the checkpoint has {flag} {stored}) conflicts with the checkpoint's settings", line);
        Assert.Equal(before, File.ReadAllBytes(checkpoint));
    }

    [Fact]
    public void EveryConflictingFlagIsNamedInOneLine()
    {
        string checkpoint = Path.Combine(TrainedRun("run"), "checkpoint.safetensors");
        var (code, _, stderr) = CliRunner.Run("train", "--resume", checkpoint, "--lr", "0.1", "--seed", "9", "--optimizer", "adamw");
        Assert.Equal(1, code);
        string line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains("--lr 0.1 (the checkpoint has --lr 0.002), --seed 9 (the checkpoint has --seed 4) conflict with", line);
        Assert.DoesNotContain("--optimizer adamw (", line);
    }

    [Fact]
    public void FlagsEqualToTheCheckpointsAreAcceptedAndMoreEpochsAreSaid()
    {
        string folder = TrainedRun("run");
        var (code, stdout, stderr) = CliRunner.Run(
            "train", "--resume", Path.Combine(folder, "checkpoint.safetensors"), "--epochs", "3",
            "--lr", "2e-3", "--optimizer", "adamw", "--data", "digits", "--model", "64-16-10:relu", "--batch-size", "24", "--schedule", "none", "--seed", "4", "--threads", "1");
        Assert.True(code == 0, stderr);
        Assert.StartsWith("epoch 2 ", stdout);
        Assert.Contains("resume: --epochs 3: the run now ends after epoch 3 instead of 1", stderr);
        Assert.Equal(3, Checkpoint.Load(Path.Combine(folder, "checkpoint.safetensors")).Epoch);
    }

    [Fact]
    public void MoreEpochsOfACosineRunSayThatTheScheduleKeepsItsPeriod()
    {
        string folder = TrainedRun("run", "--schedule", "cosine");
        var (code, _, stderr) = CliRunner.Run("train", "--resume", Path.Combine(folder, "checkpoint.safetensors"), "--epochs", "2");
        Assert.True(code == 0, stderr);
        Assert.Contains("the cosine schedule keeps its 1-epoch period, so the learning rate rises again after epoch 1", stderr);
    }

    [Fact]
    public void TheGradientReportOfAResumedRunCoversEveryEpoch()
    {
        string straight = TrainedRun("straight", "--epochs", "3", "--grad-report");
        string expected = File.ReadAllText(Path.Combine(straight, "gradients.csv"));

        // Resumed with --grad-report, and resumed without it: the report is part of the run.
        foreach (string[] again in new[] { new[] { "--grad-report" }, Array.Empty<string>() })
        {
            string folder = TrainedRun($"resumed{again.Length}", "--grad-report");
            var (code, _, stderr) = CliRunner.Run(["train", "--resume", Path.Combine(folder, "checkpoint.safetensors"), "--epochs", "3", "--threads", "2", .. again]);
            Assert.True(code == 0, stderr);
            Assert.Equal(expected, File.ReadAllText(Path.Combine(folder, "gradients.csv")));
        }
    }

    [Fact]
    public void AGradientReportStartedByAResumeSaysWhatItDoesNotCover()
    {
        string folder = TrainedRun("run");
        var (code, _, stderr) = CliRunner.Run("train", "--resume", Path.Combine(folder, "checkpoint.safetensors"), "--epochs", "2", "--grad-report");
        Assert.True(code == 0, stderr);
        Assert.Contains("resume: --grad-report: the checkpoint's run did not record gradients; gradients.csv covers only the batches from here on (epoch 2, batch 1)", stderr);
        Assert.All(File.ReadAllLines(Path.Combine(folder, "gradients.csv")).Skip(1), l => Assert.StartsWith("2,", l));
    }

    [Fact]
    public void AGradientReportInterruptedMidEpochResumesToTheUninterruptedReport()
    {
        var options = new TrainOptions("digits", null, "64-32-16-10:tanh", 2, 32, 1e-3, "adam", "none", 3);
        var data = DataSource.Load("digits", null);
        var straight = new Trainer(options, data);
        var expected = GradientReport.Attach(straight);
        Assert.True(straight.Run(_dir.File("a.safetensors"), CancellationToken.None));

        string checkpointPath = _dir.File("b.safetensors");
        var interrupted = new Trainer(options, data);
        GradientReport.Attach(interrupted);
        using var cancel = new CancellationTokenSource();
        interrupted.BatchCompleted = (batch, _, _, _) =>
        {
            if (interrupted.Epoch == 1 && batch == 13)
            {
                cancel.Cancel();
            }
        };
        Assert.False(interrupted.Run(checkpointPath, cancel.Token));

        var checkpoint = Checkpoint.Load(checkpointPath);
        var resumed = new Trainer(Trainer.ReadOptions(checkpoint, checkpointPath), data);
        var actual = GradientReport.Attach(resumed);
        resumed.Restore(checkpoint, checkpointPath, options.Epochs);
        Assert.True(resumed.Run(checkpointPath, CancellationToken.None));
        Assert.Equal(expected.ToCsv(), actual.ToCsv());
    }

    [Fact]
    public void AnExtendedCosineRunInterruptedAgainResumesToTheWeightsOfAnUninterruptedExtension()
    {
        // A cosine run of 1 epoch, extended to 3 by a resume. Its options now say 3 epochs, but
        // its schedule keeps the 1-epoch period; a second resume must not re-plan it over 3.
        var options = new TrainOptions("digits", null, "64-16-10:relu", 1, 32, 1e-2, "sgd", "cosine", 6);
        var data = DataSource.Load("digits", null);
        string first = _dir.File("first.safetensors");
        Assert.True(new Trainer(options, data).Run(first, CancellationToken.None));
        var firstCheckpoint = Checkpoint.Load(first);

        var straight = new Trainer(options, data);
        straight.Restore(firstCheckpoint, first, 3);
        Assert.True(straight.Run(_dir.File("straight.safetensors"), CancellationToken.None));

        string second = _dir.File("second.safetensors");
        var extended = new Trainer(options, data);
        extended.Restore(firstCheckpoint, first, 3);
        using var cancel = new CancellationTokenSource();
        extended.BatchCompleted = (batch, _, _, _) =>
        {
            if (extended.Epoch == 1 && batch == 20)
            {
                cancel.Cancel();
            }
        };
        Assert.False(extended.Run(second, cancel.Token));

        var secondCheckpoint = Checkpoint.Load(second);
        var resumed = new Trainer(Trainer.ReadOptions(secondCheckpoint, second), data);
        Assert.Equal(3, resumed.Options.Epochs);
        resumed.Restore(secondCheckpoint, second, 3);
        Assert.True(resumed.Run(second, CancellationToken.None));

        foreach (var (key, tensor) in straight.Model.StateDict())
        {
            Assert.Equal(tensor.ToArray<float>(), resumed.Model.StateDict()[key].ToArray<float>());
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ARunInAFolderRemovesTheTemporaryFilesThatAKilledWriteLeft(bool resume)
    {
        // A killed checkpoint write leaves its temporary file; the next run there, a resume or a
        // new run in a folder that holds nothing else, removes it. A running writer's stays.
        string folder = resume ? TrainedRun("run") : _dir.File("run");
        Directory.CreateDirectory(folder);
        int dead = AtomicWriteTests.ExitedProcessId();
        string[] stale = [$".checkpoint.safetensors.{dead}.{Guid.NewGuid():N}.tmp", $".checkpoint.safetensors.{Guid.NewGuid():N}.tmp"];
        string live = $".checkpoint.safetensors.1.{Guid.NewGuid():N}.tmp";
        foreach (string name in stale.Append(live))
        {
            File.WriteAllBytes(Path.Combine(folder, name), new byte[1000]);
            File.SetLastWriteTimeUtc(Path.Combine(folder, name), DateTime.UtcNow.AddHours(-1));
        }

        string[] args = resume ? ["train", "--resume", Path.Combine(folder, "checkpoint.safetensors"), "--epochs", "2"] : [.. s_run, "--epochs", "1", "--out", folder];
        var (code, _, stderr) = CliRunner.Run(args);
        Assert.True(code == 0, stderr);
        Assert.All(stale, name => Assert.False(File.Exists(Path.Combine(folder, name)), name));
        Assert.True(File.Exists(Path.Combine(folder, live)));
    }
}
