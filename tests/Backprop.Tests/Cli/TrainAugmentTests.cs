using Backprop.Cli.Training;
using Backprop.Serialization;
using Backprop.Tests.Data;

namespace Backprop.Tests.Cli;

/// <summary>
/// <c>train --augment</c>: the training images (never the test images) go through the transforms,
/// the setting is kept by the checkpoint, and a run interrupted mid-epoch resumes to the bits of an
/// uninterrupted one, since each sample's draws come from the loader's epoch-start state.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class TrainAugmentTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void AnAugmentedRunInterruptedMidEpochResumesToTheWeightsOfAnUninterruptedOne()
    {
        var options = new TrainOptions("digits", null, "64-16-10:relu", 2, 32, 1e-2, "adam", "none", 5, Augment: "crop,flip");
        var data = DataSource.Load("digits", null);
        var straight = new Trainer(options, data);
        Assert.Equal("Compose(RandomCrop(size=(8, 8), padding=1), RandomHorizontalFlip(p=0.5))", straight.TrainTransform!.ToString());
        Assert.True(straight.Run(_dir.File("a.safetensors"), CancellationToken.None));

        string checkpointPath = _dir.File("b.safetensors");
        var interrupted = new Trainer(options, data);
        using var cancel = new CancellationTokenSource();
        interrupted.BatchCompleted = (batch, _, _, _) =>
        {
            if (interrupted.Epoch == 1 && batch == 17)
            {
                cancel.Cancel();
            }
        };
        Assert.False(interrupted.Run(checkpointPath, cancel.Token));

        var checkpoint = Checkpoint.Load(checkpointPath);
        var stored = Trainer.ReadOptions(checkpoint, checkpointPath);
        Assert.Equal("crop,flip", stored.Augment);
        var resumed = new Trainer(stored, data);
        resumed.Restore(checkpoint, checkpointPath, options.Epochs);
        Assert.Equal(17, resumed.BatchInEpoch);
        Assert.True(resumed.Run(checkpointPath, CancellationToken.None));

        // The same weights to the bit, and not those of an unaugmented run: the augmentation did something.
        var plain = new Trainer(options with { Augment = "none" }, data);
        Assert.Null(plain.TrainTransform);
        Assert.True(plain.Run(_dir.File("c.safetensors"), CancellationToken.None));
        foreach (var (key, tensor) in straight.Model.StateDict())
        {
            Assert.Equal(tensor.ToArray<float>(), resumed.Model.StateDict()[key].ToArray<float>());
            Assert.NotEqual(tensor.ToArray<float>(), plain.Model.StateDict()[key].ToArray<float>());
        }

        // The test set is untouched: the history's test loss is the model's on the raw test images.
        var test = Evaluation.Run(straight.Model, data.Test, data.Classes);
        Assert.Equal(test.Loss, straight.History.Epochs[^1].TestLoss, 12);
    }

    [Fact]
    public void TheSettingIsPrintedKeptByTheCheckpointAndComparedOnResume()
    {
        string folder = _dir.File("run");
        var (code, _, stderr) = CliRunner.Run("train", "--model", "64-16-10:relu", "--epochs", "1", "--augment", "Crop:2, flip", "--threads", "1", "--out", folder);
        Assert.True(code == 0, stderr);
        Assert.Contains("augment (training set only): Compose(RandomCrop(size=(8, 8), padding=2), RandomHorizontalFlip(p=0.5))", stderr);
        string checkpoint = Path.Combine(folder, "checkpoint.safetensors");
        Assert.Equal("crop:2,flip", Trainer.ReadOptions(Checkpoint.Load(checkpoint), checkpoint).Augment);

        (code, _, stderr) = CliRunner.Run("train", "--resume", checkpoint, "--epochs", "2", "--augment", "none");
        Assert.Equal(1, code);
        Assert.Contains("--augment none (the checkpoint has --augment crop:2,flip) conflicts with the checkpoint's settings", stderr);

        (code, var stdout, stderr) = CliRunner.Run("train", "--resume", checkpoint, "--epochs", "2", "--augment", "crop:2,flip");
        Assert.True(code == 0, stderr);
        Assert.StartsWith("epoch 2 ", stdout);
        Assert.Contains("augment (training set only): Compose(RandomCrop(size=(8, 8), padding=2)", stderr);
    }

    [Theory]
    [InlineData("blur", "unknown augmentation 'blur' (expected crop, crop:P, flip, or none alone")]
    [InlineData("crop:-1", "'crop:-1': a crop's padding is a whole number from 0 to 64")]
    [InlineData("flip:1", "'flip:1': flip takes no value")]
    [InlineData("flip,flip", "flip is given twice")]
    [InlineData("none,flip", "unknown augmentation 'none'")]
    public void BadAugmentationsAreRefusedNamingThem(string augment, string message)
    {
        var (code, _, stderr) = CliRunner.Run("train", "--epochs", "1", "--augment", augment, "--out", _dir.File("bad"));
        Assert.Equal(1, code);
        Assert.Contains(message, stderr);
        Assert.False(Directory.Exists(_dir.File("bad")));
    }

    [Fact]
    public void AugmentingDataThatIsNotImagesIsRefused()
    {
        var (code, _, stderr) = CliRunner.Run("train", "--data", "moons", "--model", "2-8-2:relu", "--epochs", "1", "--augment", "flip", "--out", _dir.File("moons"));
        Assert.Equal(1, code);
        Assert.Contains("--augment flip: augmentation needs image data (digits or fashion-mnist), not moons", stderr);
        Assert.False(Directory.Exists(_dir.File("moons")));
    }

    [Fact]
    public void OptionsOfACheckpointWrittenBeforeAugmentReadAsNone()
    {
        const string json = """{"Data":"digits","LabelColumn":null,"Model":"mlp","Epochs":3,"BatchSize":32,"Lr":0.001,"Optimizer":"adam","Schedule":"cosine","Seed":0}""";
        Assert.Equal(Augmentation.None, TrainOptions.FromJson(json, "old").Augment);
    }
}
