using Backprop.Cli.Training;
using Backprop.Tests.Serialization;

namespace Backprop.Tests.Cli;

/// <summary>
/// When the trainer lets go of the gradients: a group of <c>--accumulate</c> batches keeps them until
/// its optimizer step (a checkpoint taken inside the group saves them), and drops them right after
/// it, so the collection between steps does not copy a model's worth of spent gradients.
/// </summary>
public sealed class TrainGradientLifetimeTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void GradientsLiveUntilTheirGroupsStepAndNoLonger(int accumulate)
    {
        var options = new TrainOptions("digits", null, "64-16-10:relu", 1, 64, 1e-3, "adam", "none", 2, Accumulate: accumulate);
        var trainer = new Trainer(options, DataSource.Load("digits", null));
        var held = new List<bool>();
        trainer.BatchCompleted = (batch, _, _, _) =>
            held.Add(trainer.Optimizer.Parameters.All(p => p.Grad is not null));
        Assert.True(trainer.Run(_dir.File("run.safetensors"), CancellationToken.None));

        // 1,797 digits less the test split in batches of 64; the last group may be short (it steps too).
        int batches = held.Count;
        Assert.True(batches > 3 * accumulate, $"{batches} batches");
        for (int batch = 1; batch <= batches; batch++)
        {
            bool groupEnds = batch % accumulate == 0 || batch == batches;
            Assert.True(held[batch - 1] == !groupEnds, $"batch {batch}: gradients {(held[batch - 1] ? "kept" : "dropped")}");
        }

        Assert.All(trainer.Optimizer.Parameters, p => Assert.Null(p.Grad));
    }
}
