using System.Globalization;
using System.Text.RegularExpressions;
using Backprop.Cli.Training;
using Backprop.Data;
using Backprop.Tests.Data;

namespace Backprop.Tests.Cli;

/// <summary><c>backprop lr-find</c>: the range test runs, writes its plot and CSV, suggests a rate inside the range, and leaves the model as it was.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class LrFindCommandTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void OnDigitsItWritesThePlotAndCsvAndSuggestsARateInTheRange()
    {
        string folder = _dir.File("lr");
        var (code, stdout, stderr) = CliRunner.Run("lr-find", "--out", folder, "--threads", "2", "--steps", "60", "--start-lr", "1e-6", "--end-lr", "10");
        Assert.True(code == 0, stderr);
        var match = Regex.Match(stdout, @"^suggested lr (\S+) \((the steepest descent of the smoothed loss|the rate at the smoothed loss's minimum / 10 \(too few steps for a slope\)), step (\d+)\)$", RegexOptions.Multiline);
        Assert.True(match.Success, stdout);
        double suggested = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(double.IsFinite(suggested) && suggested >= 1e-6 && suggested <= 10, $"{suggested}");

        var png = File.ReadAllBytes(Path.Combine(folder, "lr-find.png"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        var lines = File.ReadAllLines(Path.Combine(folder, "lr-find.csv"));
        Assert.Equal("step,lr,loss,smoothed_loss", lines[0]);
        var lrs = lines.Skip(1).Select(l => double.Parse(l.Split(',')[1], CultureInfo.InvariantCulture)).ToList();
        Assert.InRange(lrs.Count, 10, 60);
        Assert.Equal(1e-6, lrs[0], 15);
        Assert.All(lrs.Zip(lrs.Skip(1)), pair => Assert.True(pair.Second > pair.First));
        Assert.Contains(suggested.ToString("G3", CultureInfo.InvariantCulture), lrs.Select(l => l.ToString("G3", CultureInfo.InvariantCulture)));
        Assert.Contains("wrote lr-find.png, lr-find.csv to", stderr);
    }

    [Theory]
    [InlineData("--start-lr", "0", "--start-lr must be a positive number, got 0")]
    [InlineData("--end-lr", "1e-8", "--end-lr must be a finite number greater than --start-lr 1E-07, got 1E-08")]
    [InlineData("--steps", "3", "--steps must be at least 10 (the loss is smoothed over steps), got 3")]
    [InlineData("--model", "64-x-10", "model spec '64-x-10'")]
    public void BadArgumentsAreOneClearErrorAndNoFiles(string flag, string value, string message)
    {
        string folder = _dir.File("bad");
        var (code, stdout, stderr) = CliRunner.Run("lr-find", "--out", folder, flag, value);
        Assert.Equal(1, code);
        Assert.Empty(stdout);
        Assert.StartsWith("lr-find: ", stderr);
        Assert.Contains(message, stderr);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void TheProbeLeavesTheModelAndOptimizerAsItFoundThem()
    {
        var data = DataSource.Load("digits", null);
        var trainer = new Trainer(new TrainOptions("digits", null, "mlp", 1, 32, 1e-3, "sgd", "none", 3), data);
        var before = trainer.Model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray<float>());
        var optimizerBefore = trainer.Optimizer.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray<double>());
        var loader = new DataLoader(data.Train, 32, shuffle: true, generator: new Generator(5));
        var result = LrFinder.Run(trainer.Model, trainer.Optimizer, loader, 1e-5, 1, 50);

        Assert.Equal(50, result.Points.Count); // digits has 45 batches: the loader is read again
        Assert.All(result.Points, p => Assert.True(double.IsFinite(p.SmoothedLoss)));
        Assert.Equal(1.0, result.Points[^1].Lr, 12);
        Assert.InRange(result.SuggestedLr, 1e-5, 1);
        foreach (var (key, tensor) in trainer.Model.StateDict())
        {
            Assert.Equal(before[key], tensor.ToArray<float>());
        }

        Assert.Equal(optimizerBefore.Keys, trainer.Optimizer.StateDict().Keys);
        Assert.Equal(1e-3, trainer.Optimizer.Lr);
        Assert.Equal(0, trainer.Optimizer.StepCount);
    }

    [Fact]
    public void TheSuggestionIsTheSteepestDescentBeforeTheMinimumOrTheMinimumOver10()
    {
        // A loss that falls fastest at step 11, bottoms out at step 16 and then wiggles down steeply (after the minimum: not a candidate).
        double[] smoothed = [2, 2, 2, 2, 1.99, 1.98, 1.95, 1.9, 1.8, 1.6, 1.3, 1.0, 0.8, 0.7, 0.65, 0.6, 0.9, 1.5, 1.2, 2.5];
        var points = smoothed.Select((s, i) => new LrFindPoint(i + 1, Math.Pow(10, -5 + (0.25 * i)), s, s)).ToList();
        var result = LrFinder.Suggest(points, "ran all 20 steps");
        Assert.Equal("the steepest descent of the smoothed loss", result.Method);
        Assert.Equal(11, result.SuggestedStep);
        Assert.Equal(points[15].Lr / 10, result.MinimumLrOver10, 15);

        var few = LrFinder.Suggest(points.Take(4).ToList(), "interrupted at step 4");
        Assert.StartsWith("the rate at the smoothed loss's minimum / 10", few.Method);
        Assert.Equal(few.MinimumLrOver10, few.SuggestedLr);
    }
}
