using Backprop.Cli.Training;
using Backprop.Tests.Data;

namespace Backprop.Tests.Cli;

/// <summary>
/// The defaults <c>train</c> fills in: Fashion-MNIST's mlp and cnn get the state-of-the-art recipe
/// (AdamW, weight decay, one-cycle with warmup, label smoothing, flips), everything else the plain
/// defaults; a typed flag wins; the recipe is printed at the start and kept by the checkpoint.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class TrainingRecipeTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("mlp", 2e-3)]
    [InlineData("cnn", 3e-3)]
    public void FashionMnistMlpAndCnnGetTheRecipe(string model, double lr)
    {
        var recipe = TrainingRecipe.For("fashion-mnist", model);
        Assert.Equal(new TrainingRecipe(20, 128, lr, "adamw", "onecycle", 4, 0.05, 0.1, "flip"), recipe);
    }

    [Theory]
    [InlineData("digits", "mlp", 30, 32, "cosine")]
    [InlineData("digits", "cnn", 30, 32, "none")]
    [InlineData("fashion-mnist", "lstm", 10, 128, "none")]
    [InlineData("fashion-mnist", "784-256-128-10:relu", 10, 128, "none")]
    [InlineData("moons", "mlp", 30, 32, "cosine")]
    public void OtherDataAndModelsKeepThePlainDefaults(string data, string model, int epochs, int batch, string schedule)
    {
        var recipe = TrainingRecipe.For(data, model);
        Assert.Equal(new TrainingRecipe(epochs, batch, 1e-3, "adam", schedule, 0, null, 0, "none"), recipe);
    }

    [Fact]
    public void TheRecipeLineSaysWhatPyTorchNeedsToRepeatTheRun()
    {
        var options = new TrainOptions("digits", null, "mlp", 1, 32, 1e-3, "adam", "cosine", 0, WeightDecay: 0.001, LabelSmoothing: 0.05);
        var trainer = new Trainer(options, DataSource.Load("digits", null));
        Assert.Equal(
            "recipe: model 64-512-256-10:relu:bn:dropout=0.2, Adam(lr=0.001, weight_decay=0.001), CosineAnnealingLR(T_max=1) stepped per epoch, 1 epoch of batch 32, cross-entropy(label_smoothing=0.05), augment none, seed 0",
            TrainingRecipe.Describe(trainer.Options, trainer.Spec, trainer.Schedule!.Describe(options.Lr, trainer.StepsPerEpoch)));
        var recipe = TrainingRecipe.For("fashion-mnist", "cnn");
        var cnn = options with { Data = "fashion-mnist", Model = "cnn", Epochs = 20, BatchSize = 128, Lr = recipe.Lr, Optimizer = "adamw", Schedule = "onecycle", WarmupEpochs = 4, Augment = "flip", WeightDecay = 0.05, LabelSmoothing = 0.1 };
        Assert.Equal(
            "recipe: model cnn-bn:784-10, AdamW(lr=0.003, weight_decay=0.05), OneCycleLR(max_lr=0.003, total_steps=9380, pct_start=0.2) stepped per batch, 20 epochs of batch 128, cross-entropy(label_smoothing=0.1), augment flip, seed 0",
            TrainingRecipe.Describe(cnn, ModelDescription.Parse("cnn", 784, 10), "OneCycleLR(max_lr=0.003, total_steps=9380, pct_start=0.2) stepped per batch"));
    }

    [Fact]
    public void RedirectedOutputStaysMachineReadable()
    {
        // The recipe is printed on a terminal only: a script's stderr carries messages alone.
        var (code, _, stderr) = CliRunner.Run("train", "--epochs", "1", "--out", _dir.File("quiet"));
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("recipe:", stderr);
    }

    [Fact]
    public void ATypedFlagWinsAndTheCheckpointKeepsTheRegularization()
    {
        string run = _dir.File("run");
        var (code, _, stderr) = CliRunner.Run("train", "--epochs", "1", "--optimizer", "adamw", "--label-smoothing", "0.1", "--out", run);
        Assert.True(code == 0, stderr);
        var options = Trainer.ReadOptions(Backprop.Serialization.Checkpoint.Load(Path.Combine(run, "checkpoint.safetensors")), run);
        Assert.Equal(0.1, options.LabelSmoothing);
        Assert.Null(options.WeightDecay);
        Assert.Equal("adamw", options.Optimizer);

        var (resumeCode, _, resumeErr) = CliRunner.Run("train", "--resume", Path.Combine(run, "checkpoint.safetensors"), "--epochs", "2", "--label-smoothing", "0.2");
        Assert.Equal(1, resumeCode);
        Assert.Contains("--label-smoothing 0.2 (the checkpoint has --label-smoothing 0.1)", resumeErr);
    }

    [Theory]
    [InlineData("--weight-decay", "-1", "--weight-decay must be a finite number >= 0, got -1")]
    [InlineData("--label-smoothing", "1", "--label-smoothing must be in [0, 1), got 1")]
    [InlineData("--label-smoothing", "NaN", "--label-smoothing must be in [0, 1), got NaN")]
    public void BadRegularizationIsRefusedBeforeTraining(string flag, string value, string message)
    {
        string run = _dir.File("bad");
        var (code, _, stderr) = CliRunner.Run("train", flag, value, "--out", run);
        Assert.Equal(1, code);
        Assert.Contains(message, stderr);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void CrossEntropyWithLabelSmoothingTrainsTheDefaultMlp()
    {
        var options = new TrainOptions("digits", null, "mlp", 2, 32, 1e-3, "adam", "cosine", 0, LabelSmoothing: 0.1);
        var smoothed = new Trainer(options, DataSource.Load("digits", null));
        Assert.True(smoothed.Run(_dir.File("a.safetensors"), CancellationToken.None));
        var plain = new Trainer(options with { LabelSmoothing = 0 }, DataSource.Load("digits", null));
        Assert.True(plain.Run(_dir.File("b.safetensors"), CancellationToken.None));

        // Smoothing keeps the loss away from 0 (its minimum is the entropy of the smoothed target), and changes the weights.
        Assert.True(smoothed.History.Epochs[^1].TrainLoss > plain.History.Epochs[^1].TrainLoss);
        Assert.True(smoothed.History.Epochs[^1].TestAccuracy > 0.9, $"{smoothed.History.Epochs[^1].TestAccuracy}");
    }
}
