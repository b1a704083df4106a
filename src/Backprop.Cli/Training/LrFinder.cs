using System.Globalization;
using System.Text;
using Backprop.Data;
using Backprop.NN;
using Backprop.Optim;
using Backprop.Serialization;

namespace Backprop.Cli.Training;

/// <summary>One step of the LR range test: the rate it trained with, its batch's loss and the smoothed loss.</summary>
internal sealed record LrFindPoint(int Step, double Lr, double Loss, double SmoothedLoss);

/// <summary>
/// The outcome of the range test: every step, the suggestion and how it was found, the rate at the
/// smoothed loss's minimum divided by 10 (the other usual pick), and why the test stopped.
/// </summary>
internal sealed record LrFindResult(IReadOnlyList<LrFindPoint> Points, double SuggestedLr, int SuggestedStep, string Method, double MinimumLrOver10, string Stopped);

/// <summary>
/// The learning-rate range test (Smith 2015; fastai's <c>lr_find</c>, pytorch-lr-finder): trains
/// for up to <c>steps</c> batches with the rate rising exponentially from a start to an end rate,
/// lr_i = start · (end/start)^(i/(steps − 1)); smooths the losses with an exponential moving average
/// (β = 0.95, pytorch-lr-finder's smoothing factor 0.05, bias-corrected as fastai's: a β of 0.98
/// lags about 50 steps, half of a default test); stops early once the smoothed loss exceeds 4× its
/// best (it has diverged). The suggestion is the rate where the smoothed loss falls fastest against
/// log(lr) on its way down to its minimum (the steepest descent, by central differences, leaving
/// out the first 10 % of the steps, whose average is the least settled; after the minimum the loss
/// only rises, and its wiggles there are no descent to take), or the rate at the minimum divided by
/// 10 when fewer than 5 steps lead down to it. The model and the optimizer are restored afterwards:
/// the test is a probe and leaves them as it found them.
/// </summary>
internal static class LrFinder
{
    /// <summary>The smoothing factor of the loss's moving average.</summary>
    public const double Beta = 0.95;

    /// <summary>The test stops once the smoothed loss exceeds this many times its best.</summary>
    public const double DivergeFactor = 4;

    public static LrFindResult Run(Module model, Optimizer optimizer, DataLoader loader, double startLr, double endLr, int steps, CancellationToken cancel = default)
    {
        Validate(startLr, endLr, steps);
        var modelState = model.StateDict().ToDictionary(kv => kv.Key, kv => Copy(kv.Value));
        var optimizerState = optimizer.StateDict();
        double lr = optimizer.Lr;
        bool wasTraining = model.IsTraining;
        var points = new List<LrFindPoint>();
        string stopped = $"ran all {steps} steps";
        try
        {
            model.Train();
            var collector = new StepCollector();
            double average = 0, best = double.PositiveInfinity;
            int step = 0;
            while (step < steps)
            {
                int before = step;
                foreach (var (x, y) in loader)
                {
                    if (step >= steps || cancel.IsCancellationRequested)
                    {
                        break;
                    }

                    double rate = startLr * Math.Pow(endLr / startLr, (double)step / (steps - 1));
                    optimizer.Lr = rate;
                    optimizer.ZeroGrad();
                    var loss = Tensor.CrossEntropy(model.Forward(x), y);
                    loss.Backward();
                    optimizer.Step();
                    collector.StepCompleted();
                    double value = loss.Item();
                    if (!double.IsFinite(value))
                    {
                        stopped = string.Create(CultureInfo.InvariantCulture, $"stopped at step {step + 1}: the loss is not finite at lr {rate:G3}");
                        step = steps + 1;
                        break;
                    }

                    average = (Beta * average) + ((1 - Beta) * value);
                    double smoothed = average / (1 - Math.Pow(Beta, step + 1));
                    points.Add(new LrFindPoint(step + 1, rate, value, smoothed));
                    best = Math.Min(best, smoothed);
                    step++;
                    if (smoothed > DivergeFactor * best)
                    {
                        stopped = string.Create(CultureInfo.InvariantCulture, $"stopped at step {step}: the smoothed loss {smoothed:G4} passed {DivergeFactor}× its best {best:G4} (diverged) at lr {rate:G3}");
                        step = steps + 1;
                        break;
                    }
                }

                if (cancel.IsCancellationRequested)
                {
                    stopped = $"interrupted at step {step}";
                    break;
                }

                if (step == before)
                {
                    throw new ArgumentException("lr-find: the training set has no batches");
                }
            }
        }
        finally
        {
            model.LoadStateDict(modelState);
            optimizer.LoadStateDict(optimizerState);
            optimizer.Lr = lr;
            model.Train(wasTraining);
        }

        return Suggest(points, stopped);
    }

    /// <summary>Checks the range and the step count, naming the flag.</summary>
    public static void Validate(double startLr, double endLr, int steps)
    {
        if (!(startLr > 0) || double.IsInfinity(startLr))
        {
            throw new ArgumentException($"--start-lr must be a positive number, got {Show(startLr)}");
        }

        if (!(endLr > startLr) || double.IsInfinity(endLr))
        {
            throw new ArgumentException($"--end-lr must be a finite number greater than --start-lr {Show(startLr)}, got {Show(endLr)}");
        }

        if (steps < 10)
        {
            throw new ArgumentException($"--steps must be at least 10 (the loss is smoothed over steps), got {steps}");
        }
    }

    /// <summary>The suggestion from the steps taken (the diverged last step left out).</summary>
    internal static LrFindResult Suggest(IReadOnlyList<LrFindPoint> points, string stopped)
    {
        if (points.Count == 0)
        {
            throw new InvalidOperationException($"lr-find: no step completed ({stopped}); lower --start-lr");
        }

        // The point that diverged is no part of the curve to read: leave it out.
        var curve = stopped.Contains("diverged", StringComparison.Ordinal) && points.Count > 1 ? points.Take(points.Count - 1).ToList() : points.ToList();
        int minimum = 0;
        for (int i = 1; i < curve.Count; i++)
        {
            minimum = curve[i].SmoothedLoss < curve[minimum].SmoothedLoss ? i : minimum;
        }

        double minimumOver10 = curve[minimum].Lr / 10;
        int first = curve.Count / 10, last = minimum;
        if (last - first + 1 < 5)
        {
            return new LrFindResult(points, minimumOver10, curve[minimum].Step, "the rate at the smoothed loss's minimum / 10 (too few steps for a slope)", minimumOver10, stopped);
        }

        // d(smoothed loss)/d(log lr): the rates are evenly spaced in log, so central differences in the step do.
        int steepest = first;
        double steepestSlope = double.PositiveInfinity;
        for (int i = first; i <= last; i++)
        {
            int a = Math.Max(i - 1, first), b = Math.Min(i + 1, last);
            double slope = (curve[b].SmoothedLoss - curve[a].SmoothedLoss) / (Math.Log(curve[b].Lr) - Math.Log(curve[a].Lr));
            if (slope < steepestSlope)
            {
                steepestSlope = slope;
                steepest = i;
            }
        }

        return new LrFindResult(points, curve[steepest].Lr, curve[steepest].Step, "the steepest descent of the smoothed loss", minimumOver10, stopped);
    }

    /// <summary>Writes the steps as CSV: <c>step,lr,loss,smoothed_loss</c>, atomically.</summary>
    public static void WriteCsv(LrFindResult result, string path)
    {
        var sb = new StringBuilder("step,lr,loss,smoothed_loss\n");
        foreach (var p in result.Points)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{p.Step},{p.Lr:R},{p.Loss:R},{p.SmoothedLoss:R}\n");
        }

        byte[] bytes = Encoding.UTF8.GetBytes(sb.ToString());
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    /// <summary>
    /// The plot: the smoothed loss (and, faint, each batch's loss) against the rate on a log axis,
    /// the suggestion marked with a vertical line and a point; the y axis spans the smoothed curve.
    /// </summary>
    public static void WritePlot(LrFindResult result, string path)
    {
        var plot = new ScottPlot.Plot();
        double[] x = result.Points.Select(p => Math.Log10(p.Lr)).ToArray();
        var raw = plot.Add.Scatter(x, result.Points.Select(p => p.Loss).ToArray());
        raw.LegendText = "batch loss";
        raw.Color = ScottPlot.Colors.Gray.WithAlpha(0.35);
        raw.MarkerSize = 0;
        var smooth = plot.Add.Scatter(x, result.Points.Select(p => p.SmoothedLoss).ToArray());
        smooth.LegendText = "smoothed loss";
        smooth.MarkerSize = 0;
        smooth.LineWidth = 2;
        double suggested = Math.Log10(result.SuggestedLr);
        var line = plot.Add.VerticalLine(suggested);
        line.Color = ScottPlot.Colors.Red;
        line.LinePattern = ScottPlot.LinePattern.Dashed;
        line.LegendText = string.Create(CultureInfo.InvariantCulture, $"suggested lr {result.SuggestedLr:G2}");
        var at = result.Points.First(p => p.Step == result.SuggestedStep);
        var marker = plot.Add.Marker(suggested, at.SmoothedLoss);
        marker.Color = ScottPlot.Colors.Red;
        marker.Size = 10;

        // Decade ticks labelled as rates.
        int low = (int)Math.Floor(x.Min()), high = (int)Math.Ceiling(x.Max());
        var ticks = Enumerable.Range(low, high - low + 1).Select(d => (double)d).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks, ticks.Select(t => Math.Pow(10, t).ToString("0.#######", CultureInfo.InvariantCulture) is { Length: <= 6 } s ? s : $"1e{t:0}").ToArray());
        // The y axis spans the smoothed curve up to where it diverged (the last, diverged, value would
        // squash the rest) and reaches down to the lowest batch loss; the batch losses above are cut.
        var shown = result.Points.Take(result.Stopped.Contains("diverged", StringComparison.Ordinal) && result.Points.Count > 1 ? result.Points.Count - 1 : result.Points.Count).ToList();
        double bottom = shown.SelectMany(p => new[] { p.Loss, p.SmoothedLoss }).Where(double.IsFinite).Min();
        double top = shown.Select(p => p.SmoothedLoss).Where(double.IsFinite).Max();
        double margin = Math.Max(0.05 * (top - bottom), 0.01);
        plot.Axes.SetLimits(x.Min() - 0.1, x.Max() + 0.1, Math.Max(0, bottom - margin), top + margin);
        plot.Title("Learning-rate range test");
        plot.XLabel("learning rate (log scale)");
        plot.YLabel("cross-entropy");
        plot.ShowLegend(ScottPlot.Edge.Right);
        string tmp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp.png");
        try
        {
            plot.SavePng(tmp, 800, 480);
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    private static Tensor Copy(Tensor t) => new((Array)t._data.Clone(), (int[])t._shape.Clone());

    private static string Show(double value) => value.ToString(CultureInfo.InvariantCulture);
}
