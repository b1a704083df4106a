using Backprop.Cli.Training;
using Backprop.Serialization;
using Backprop.Tests.Faults;
using Backprop.Tests.Serialization;

namespace Backprop.Tests.Cli;

/// <summary>
/// <c>train</c>'s output folder: a folder that holds a run is never written over unless
/// <c>--overwrite</c> says so, and a run that fails leaves no folder it created behind.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class TrainOutputFolderTests : IDisposable
{
    // A small model and one epoch: these tests are about files, not accuracy.
    private static readonly string[] s_quick = ["train", "--model", "64-16-10:relu", "--threads", "2"];

    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private static Dictionary<string, byte[]> Snapshot(string folder) =>
        Directory.GetFiles(folder).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

    private static void AssertUnchanged(Dictionary<string, byte[]> before, string folder)
    {
        var after = Snapshot(folder);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (name, bytes) in before)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(after[name]), $"{name} was changed");
        }
    }

    private string TrainedRun(string name, params string[] extra)
    {
        string folder = _dir.File(name);
        string[] epochs = extra.Contains("--epochs") ? [] : ["--epochs", "1"];
        var (code, _, stderr) = CliRunner.Run([.. s_quick, .. epochs, "--out", folder, .. extra]);
        Assert.True(code == 0, stderr);
        return folder;
    }

    [Theory]
    [InlineData("checkpoint.safetensors")]
    [InlineData("model.safetensors")]
    [InlineData("history.csv")]
    [InlineData("history.json")]
    public void TrainingIntoAFolderThatHoldsARunIsRefusedAndChangesNothing(string kept)
    {
        // Any one file of a run marks it: a run interrupted before its model, or one whose checkpoint was deleted.
        string folder = TrainedRun("run");
        foreach (string file in new[] { "checkpoint.safetensors", "model.safetensors", "history.csv", "history.json", "loss.png", "accuracy.png" }.Where(f => f != kept))
        {
            File.Delete(Path.Combine(folder, file));
        }

        var before = Snapshot(folder);
        var (code, stdout, stderr) = CliRunner.Run("train", "--data", "moons", "--model", "2-8-2:tanh", "--epochs", "1", "--out", folder);
        Assert.Equal(1, code);
        Assert.Empty(stdout);
        string line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith($"train: --out: {folder} already holds a run ({kept})", line);
        Assert.Contains("choose another --out, or add --overwrite to replace it", line);
        Assert.Equal(kept == "checkpoint.safetensors", line.Contains($"--resume {Path.Combine(folder, "checkpoint.safetensors")}", StringComparison.Ordinal));
        AssertUnchanged(before, folder);
    }

    [Fact]
    public void AnOutThatIsAFileIsRefusedAndTheFileKept()
    {
        string file = _dir.File("notes.txt");
        File.WriteAllText(file, "keep me");
        var (code, stdout, stderr) = CliRunner.Run([.. s_quick, "--epochs", "1", "--out", file]);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal($"train: --out: {file} is a file, not a folder; choose another --out", stderr.Trim());
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    [Fact]
    public void AnEmptyOrUnrelatedExistingFolderIsUsed()
    {
        string empty = _dir.File("empty");
        Directory.CreateDirectory(empty);
        Assert.Equal(0, CliRunner.Run([.. s_quick, "--epochs", "1", "--out", empty]).ExitCode);
        Assert.True(File.Exists(Path.Combine(empty, "model.safetensors")));

        string notes = _dir.File("notes");
        Directory.CreateDirectory(notes);
        File.WriteAllText(Path.Combine(notes, "README.txt"), "mine");
        Assert.Equal(0, CliRunner.Run([.. s_quick, "--epochs", "1", "--out", notes]).ExitCode);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(notes, "README.txt")));
    }

    [Fact]
    public void OverwriteReplacesTheWholeRunAndKeepsOtherFiles()
    {
        // The old run: 2 epochs with a gradient report; the new one: 1 epoch without.
        string folder = TrainedRun("run", "--epochs", "2", "--grad-report");
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "mine");

        var (code, _, stderr) = CliRunner.Run([.. s_quick, "--epochs", "1", "--out", folder, "--overwrite"]);
        Assert.True(code == 0, stderr);
        Assert.Equal(1, Checkpoint.Load(Path.Combine(folder, "checkpoint.safetensors")).Epoch);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(folder, "history.csv")).Length);
        Assert.False(File.Exists(Path.Combine(folder, "gradients.csv")), "the old run's gradient report was left beside the new run");
        Assert.False(File.Exists(Path.Combine(folder, "gradnorm.png")));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(folder, "notes.txt")));
    }

    [Fact]
    public void ResumingIntoAnotherRunsFolderIsRefusedUnlessOverwriteIsGiven()
    {
        string a = TrainedRun("a");
        string b = TrainedRun("b", "--seed", "3");
        var before = Snapshot(b);
        string checkpoint = Path.Combine(a, "checkpoint.safetensors");

        var (code, _, stderr) = CliRunner.Run("train", "--resume", checkpoint, "--epochs", "2", "--out", b);
        Assert.Equal(1, code);
        Assert.StartsWith($"train: --out: {b} already holds a run", stderr);
        AssertUnchanged(before, b);

        (code, _, stderr) = CliRunner.Run("train", "--resume", checkpoint, "--epochs", "2", "--out", b, "--overwrite");
        Assert.True(code == 0, stderr);
        Assert.Equal(2, Checkpoint.Load(Path.Combine(b, "checkpoint.safetensors")).Epoch);
        Assert.Equal(1, Checkpoint.Load(checkpoint).Epoch);
    }

    [Fact]
    public void ResumingIntoItsOwnFolderNeedsNoOverwrite()
    {
        string folder = TrainedRun("run");
        var (code, stdout, stderr) = CliRunner.Run("train", "--resume", Path.Combine(folder, "checkpoint.safetensors"), "--epochs", "2", "--out", folder + "/");
        Assert.True(code == 0, stderr);
        Assert.StartsWith("epoch 2 ", stdout);
    }

    /// <summary>
    /// Ways for <c>train</c> to fail: bad data, label column, model spec, flags, checkpoint, and a
    /// run that fails in its first epoch, after its folder was made. "{dir}" is the inputs' folder.
    /// </summary>
    public static TheoryData<string[]> FailingRuns => new()
    {
        new[] { "--data", "nope" },
        new[] { "--data", "{dir}/missing.csv" },
        new[] { "--data", "{dir}/empty.csv" },
        new[] { "--data", "{dir}/blobs.csv", "--label-column", "nosuch" },
        new[] { "--data", "{dir}/blobs.csv", "--label-column", "7" },
        new[] { "--data", "{dir}/words.csv" },
        new[] { "--data", "{dir}/blobs.csv", "--model", "5-8-3:relu" },
        new[] { "--model", "64-x-10" },
        new[] { "--model", "100-10" },
        new[] { "--model", "resnet" },
        new[] { "--model", "cnn", "--data", "moons" },
        new[] { "--epochs", "0" },
        new[] { "--epochs", "abc" },
        new[] { "--batch-size", "0" },
        new[] { "--lr", "-1" },
        new[] { "--lr", "0" },
        new[] { "--optimizer", "bogus" },
        new[] { "--schedule", "bogus" },
        new[] { "--threads", "0" },
        new[] { "--resume", "{dir}/no-such.safetensors" },
        new[] { "--resume", "{dir}/blobs.csv" },
        new[] { "--resume", "{dir}/model.safetensors" },
        new[] { "--resume", "{dir}/checkpoint.safetensors", "--lr", "0.5" },
        new[] { "--resume", "{dir}/checkpoint.safetensors", "--model", "64-8-10:tanh" },
        new[] { "--lr", "1e30", "--epochs", "1" },
        new[] { "--lr", "1e30", "--epochs", "1", "--grad-report" },
    };

    [Theory]
    [MemberData(nameof(FailingRuns))]
    public void AFailedRunLeavesNoFolderBehind(string[] args)
    {
        string inputs = WriteInputs();
        var before = Snapshot(inputs);

        // Two levels that do not exist yet: neither may be left behind.
        string created = _dir.File("new");
        string folder = Path.Combine(created, "deeper", "run");
        var (code, _, stderr) = CliRunner.Run(["train", .. args.Select(a => a.Replace("{dir}", inputs, StringComparison.Ordinal)), "--out", folder]);
        Assert.NotEqual(0, code);
        Assert.NotEmpty(stderr);
        if (Directory.Exists(created))
        {
            Assert.Fail($"left {string.Join(", ", Directory.GetFileSystemEntries(created, "*", SearchOption.AllDirectories).Prepend(created))} after: {stderr}");
        }

        AssertUnchanged(before, inputs);
    }

    [Theory]
    [InlineData("--data", "nope")]
    [InlineData("--model", "64-x-10")]
    [InlineData("--lr", "1e30")]
    public void AFailedRunWithTheDefaultFolderLeavesNoRunsFolder(params string[] args)
    {
        // The default folder, runs/<timestamp>, is relative to the current folder: a process of its own.
        string cwd = _dir.File("cwd");
        Directory.CreateDirectory(cwd);
        var (code, _, stderr) = CliProcess.RunIn(cwd, TimeSpan.FromMinutes(2), ["train", "--epochs", "1", .. args]);
        Assert.Equal(1, code);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Empty(Directory.GetFileSystemEntries(cwd));
    }

    [Fact]
    public void AFailedRunKeepsAFolderThatExistedBefore()
    {
        string folder = _dir.File("mine");
        Directory.CreateDirectory(folder);
        Assert.Equal(1, CliRunner.Run("train", "--lr", "1e30", "--epochs", "1", "--out", folder).ExitCode);
        Assert.True(Directory.Exists(folder));
    }

    /// <summary>The inputs of <see cref="FailingRuns"/>: CSV files, a model and a checkpoint.</summary>
    private string WriteInputs()
    {
        string inputs = _dir.File("inputs");
        Directory.CreateDirectory(inputs);
        File.WriteAllText(Path.Combine(inputs, "empty.csv"), "");
        File.WriteAllLines(Path.Combine(inputs, "blobs.csv"), ["a,b,label", .. Enumerable.Range(0, 30).Select(i => $"{i % 3}.5,{i % 5},{i % 3}")]);
        File.WriteAllLines(Path.Combine(inputs, "words.csv"), ["a,b,label", "x,1,0", "y,2,1", "z,3,0"]);

        // A checkpoint at its very start (a stop before the first batch) and a plain model file.
        var options = new TrainOptions("digits", null, "64-16-10:relu", 1, 32, 1e-3, "adam", "none", 0);
        var trainer = new Trainer(options, DataSource.Load("digits", null));
        using var stop = new CancellationTokenSource();
        stop.Cancel();
        Assert.False(trainer.Run(Path.Combine(inputs, "checkpoint.safetensors"), stop.Token));
        SafeTensors.Save(Path.Combine(inputs, "model.safetensors"), trainer.Model.StateDict());
        return inputs;
    }
}
