using System.Globalization;
using Backprop.Cli.Training;
using Backprop.Serialization;
using Backprop.Tests.Data;

namespace Backprop.Tests.Cli;

/// <summary>
/// <c>train --schedule onecycle|plateau</c>, <c>--warmup-epochs</c>, <c>--patience</c> and
/// <c>--accumulate</c>: what each does, and that a run killed anywhere (inside an accumulation group,
/// mid-epoch, once or twice) resumes to the bits of an uninterrupted one, its best model included.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class TrainScheduleTests : IDisposable
{
    private static readonly DataSource s_digits = DataSource.Load("digits", null);

    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private static TrainOptions Options(string schedule, string optimizer, int epochs, int warmup, int patience, int accumulate, double lr = 1e-2) =>
        new("digits", null, "64-32-10:relu", epochs, 16, lr, optimizer, schedule, 5, warmup, patience, accumulate);

    /// <summary>Runs <paramref name="options"/> to the end, stopping (as Ctrl-C does) and resuming in a fresh trainer after each of <paramref name="stops"/> (global batch numbers, from 1).</summary>
    private Trainer RunWithStops(TrainOptions options, string name, params int[] stops)
    {
        string path = _dir.File(name + ".safetensors");
        var trainer = new Trainer(options, s_digits);
        foreach (int stop in stops)
        {
            using var cancel = new CancellationTokenSource();
            var current = trainer;
            current.BatchCompleted = (batch, _, _, _) =>
            {
                if ((current.Epoch * current.BatchesPerEpoch) + batch == stop)
                {
                    cancel.Cancel();
                }
            };
            Assert.False(current.Run(path, cancel.Token));
            var checkpoint = Checkpoint.Load(path);
            trainer = new Trainer(Trainer.ReadOptions(checkpoint, path), s_digits);
            trainer.Restore(checkpoint, path, options.Epochs);
        }

        Assert.True(trainer.Run(path, CancellationToken.None));
        return trainer;
    }

    private static void AssertSameRun(Trainer expected, Trainer actual)
    {
        var e = expected.Model.StateDict();
        var a = actual.Model.StateDict();
        Assert.Equal(e.Keys, a.Keys);
        foreach (string key in e.Keys)
        {
            Assert.Equal(e[key].ToArray<float>(), a[key].ToArray<float>());
        }

        // Everything but the wall time, and the checkpoint's last weights and optimizer state.
        Assert.Equal(expected.History.Epochs.Select(r => r with { Seconds = 0 }), actual.History.Epochs.Select(r => r with { Seconds = 0 }));
        Assert.Equal(expected.Optimizer.Lr, actual.Optimizer.Lr);
        var ec = expected.ToCheckpoint();
        var ac = actual.ToCheckpoint();
        Assert.Equal(ec.Optimizer.Keys.Order(StringComparer.Ordinal), ac.Optimizer.Keys.Order(StringComparer.Ordinal));
        foreach (string key in ec.Optimizer.Keys)
        {
            Assert.Equal(ec.Optimizer[key].ToArray<double>(), ac.Optimizer[key].ToArray<double>());
        }
    }

    [Theory]
    [InlineData("onecycle", "sgd", 0, 2, 3)]
    [InlineData("onecycle", "adam", 1, 0, 1)]
    [InlineData("plateau", "adam", 1, 2, 2)]
    [InlineData("plateau", "sgd", 0, 1, 4)]
    [InlineData("cosine", "adamw", 1, 2, 3)]
    [InlineData("none", "rmsprop", 1, 0, 2)]
    public void ARunStoppedAnywhereResumesToTheBitsOfAnUninterruptedOne(string schedule, string optimizer, int warmup, int patience, int accumulate)
    {
        var options = Options(schedule, optimizer, 5, warmup, patience, accumulate, optimizer == "sgd" ? 0.05 : 3e-3);
        var straight = RunWithStops(options, "straight");
        int perEpoch = straight.BatchesPerEpoch;

        // Inside an accumulation group in epoch 1, then in epoch 2 right after a group's step, then
        // in the last batches of epoch 3 (a partial group, for accumulate 2, 3 and 4).
        var resumed = RunWithStops(options, "resumed", 7, perEpoch + (2 * accumulate), (3 * perEpoch) - 1);
        AssertSameRun(straight, resumed);
    }

    [Fact]
    public void PatienceStopsEarlyKeepsTheBestEpochAndResumesStopped()
    {
        // A rate far too high for Adam: the test accuracy peaks early and then falls.
        var options = Options("none", "adam", 12, 0, 2, 1, lr: 0.05);
        var straight = RunWithStops(options, "straight");
        var stopping = straight.EarlyStopping!;
        var history = straight.History.Epochs;
        Assert.True(stopping.ShouldStop);
        Assert.True(history.Count < 12, $"ran {history.Count} epochs");
        Assert.Equal(history.Count, stopping.BestEpoch + 2);

        var best = history.MaxBy(e => (e.TestAccuracy, -e.TestLoss))!;
        Assert.Equal(best.Epoch, stopping.BestEpoch);
        Assert.Equal(best.TestAccuracy, stopping.BestAccuracy);

        // The model now holds the best epoch's weights: evaluating it gives that epoch's numbers.
        var evaluation = Evaluation.Run(straight.Model, s_digits.Test, s_digits.Classes);
        Assert.Equal(best.TestAccuracy, evaluation.Accuracy);
        Assert.Equal(best.TestLoss, evaluation.Loss, 12);

        // Resuming the stopped run trains no further.
        string path = _dir.File("straight.safetensors");
        var checkpoint = Checkpoint.Load(path);
        var again = new Trainer(Trainer.ReadOptions(checkpoint, path), s_digits);
        again.Restore(checkpoint, path, 12);
        Assert.True(again.Run(path, CancellationToken.None));
        Assert.Equal(history.Count, again.Epoch);
        AssertSameRun(straight, again);
    }

    [Fact]
    public void AccumulatingKBatchesStepsWithTheirMeanGradient()
    {
        // SGD without momentum is linear in the gradient: 4 batches of 8 accumulated take the step one
        // batch of the same 32 rows takes (the loader draws the same permutation for both).
        var one = new Trainer(Options("none", "sgd", 1, 0, 0, 1) with { BatchSize = 32 }, s_digits);
        var four = new Trainer(Options("none", "sgd", 1, 0, 0, 4) with { BatchSize = 8 }, s_digits);
        Assert.Equal(one.StepsPerEpoch, four.StepsPerEpoch);
        Assert.Equal((s_digits.Train.Count + 31) / 32, one.StepsPerEpoch);
        var sgd1 = (Backprop.Optim.SGD)one.Optimizer;
        var sgd4 = (Backprop.Optim.SGD)four.Optimizer;
        sgd1.Momentum = 0;
        sgd4.Momentum = 0;
        StopAfter(one, 1);
        StopAfter(four, 4);
        Assert.Equal(1, sgd1.StepCount);
        Assert.Equal(1, sgd4.StepCount);
        var a = one.Model.StateDict();
        var b = four.Model.StateDict();
        foreach (string key in a.Keys)
        {
            var x = a[key].ToArray<float>();
            var y = b[key].ToArray<float>();
            for (int i = 0; i < x.Length; i++)
            {
                Assert.True(Math.Abs(x[i] - y[i]) <= 1e-6, $"{key}[{i}]: {x[i]} vs {y[i]}");
            }
        }

        void StopAfter(Trainer trainer, int batches)
        {
            using var cancel = new CancellationTokenSource();
            trainer.BatchCompleted = (batch, _, _, _) =>
            {
                if (batch == batches)
                {
                    cancel.Cancel();
                }
            };
            Assert.False(trainer.Run(_dir.File($"stop{batches}.safetensors"), cancel.Token));
        }
    }

    [Fact]
    public void OneCycleStepsPerOptimizerStepAndWarmupSetsItsRisingPhase()
    {
        var trainer = new Trainer(Options("onecycle", "sgd", 4, 1, 0, 3, lr: 0.1), s_digits);
        int steps = trainer.StepsPerEpoch;
        Assert.Equal((trainer.BatchesPerEpoch + 2) / 3, steps);
        Assert.Equal(0.1 / 25, trainer.Optimizer.Lr, 15);
        Assert.Equal(0.95, ((Backprop.Optim.SGD)trainer.Optimizer).Momentum);
        var lrs = new List<double>();
        trainer.EpochCompleted = _ => lrs.Add(trainer.Optimizer.Lr);
        Assert.True(trainer.Run(_dir.File("c.safetensors"), CancellationToken.None));

        // pct_start = 1/4: the peak is at the end of the first epoch, the end of the run at lr/25/1e4.
        Assert.Equal(0.1, lrs[0], 2);
        Assert.True(lrs[1] < lrs[0] && lrs[2] < lrs[1]);
        Assert.True(lrs[3] < 1e-4, $"{lrs[3]}");
        Assert.Contains("OneCycleLR(max_lr=0.1, total_steps=" + (4 * steps).ToString(CultureInfo.InvariantCulture) + ", pct_start=0.25) stepped per batch", TrainCommandDescribe(trainer));
    }

    [Fact]
    public void PlateauDividesTheRateAfterTwoEpochsWithoutANewBestLoss()
    {
        var trainer = new Trainer(Options("plateau", "adam", 10, 0, 0, 1, lr: 0.05), s_digits);
        var seen = new List<(double TestLoss, double Lr)>();
        trainer.EpochCompleted = e => seen.Add((e.TestLoss, trainer.Optimizer.Lr));
        Assert.True(trainer.Run(_dir.File("p.safetensors"), CancellationToken.None));

        // Replay ReduceLROnPlateau's rule on the recorded losses.
        double best = double.PositiveInfinity, lr = 0.05;
        int bad = 0;
        bool reduced = false;
        foreach (var (loss, actual) in seen)
        {
            if (loss < best * (1 - 1e-4))
            {
                best = loss;
                bad = 0;
            }
            else if (++bad > TrainSchedule.PlateauPatience)
            {
                lr *= TrainSchedule.PlateauFactor;
                bad = 0;
                reduced = true;
            }

            Assert.Equal(lr, actual, 15);
        }

        Assert.True(reduced, "the rate never dropped: choose a run that plateaus");
    }

    [Fact]
    public void BadSettingsAreRefusedNamingTheFlag()
    {
        Assert.Contains("--warmup-epochs 5 leaves no epochs after the warmup in a run of --epochs 5", Assert.Throws<ArgumentException>(() => Options("cosine", "adam", 5, 5, 0, 1).Validate()).Message);
        Assert.Contains("--accumulate must be at least 1 batch, got 0", Assert.Throws<ArgumentException>(() => Options("none", "adam", 5, 0, 0, 0).Validate()).Message);
        Assert.Contains("--patience must be at least 1 (or 0 for no early stopping), got -1", Assert.Throws<ArgumentException>(() => Options("none", "adam", 5, 0, -1, 1).Validate()).Message);
        Assert.Contains("--warmup-epochs must be at least 0", Assert.Throws<ArgumentException>(() => Options("none", "adam", 5, -1, 0, 1).Validate()).Message);
    }

    [Fact]
    public void TheCliTakesTheFlagsAndACheckpointKeepsThem()
    {
        string folder = _dir.File("run");
        var (code, stdout, stderr) = CliRunner.Run(
            "train", "--model", "64-16-10:relu", "--epochs", "3", "--schedule", "onecycle", "--warmup-epochs", "1", "--accumulate", "2", "--patience", "1",
            "--lr", "0.01", "--threads", "2", "--out", folder, "--format", "json");
        Assert.True(code == 0, stderr);
        Assert.Contains("\"train_acc\":", stdout);
        Assert.Matches(@"best epoch \d: test_acc \d\.\d{4} test_loss \d\.\d{4}; model\.safetensors holds its weights", stderr);
        Assert.StartsWith("epoch,train_loss,test_loss,test_acc,epoch_s,train_acc\n", File.ReadAllText(Path.Combine(folder, "history.csv")));

        string checkpoint = Path.Combine(folder, "checkpoint.safetensors");
        var (refused, _, message) = CliRunner.Run("train", "--resume", checkpoint, "--accumulate", "4");
        Assert.Equal(1, refused);
        Assert.Contains("--accumulate 4 (the checkpoint has --accumulate 2) conflicts with the checkpoint's settings", message);

        var (longer, _, why) = CliRunner.Run("train", "--resume", checkpoint, "--epochs", "5");
        Assert.Equal(1, longer);
        Assert.Contains("--epochs 5: the run's onecycle schedule spans the 3 epochs it was started with and ends there", why);

        var (bad, _, badMessage) = CliRunner.Run("train", "--schedule", "cyclic", "--out", _dir.File("x"));
        Assert.NotEqual(0, bad);
        Assert.Contains("cyclic", badMessage);
    }

    [Fact]
    public void OptionsOfACheckpointWrittenBeforeTheseFlagsReadAsTheirDefaults()
    {
        var options = TrainOptions.FromJson("""{"Data":"digits","LabelColumn":null,"Model":"mlp","Epochs":3,"BatchSize":32,"Lr":0.001,"Optimizer":"adam","Schedule":"cosine","Seed":7}""", "old");
        Assert.Equal((0, 0, 1), (options.WarmupEpochs, options.Patience, options.Accumulate));
    }

    private static string TrainCommandDescribe(Trainer trainer) => Backprop.Cli.Commands.TrainCommand.DescribeStepping(trainer);
}
