using System.Globalization;
using Backprop.Diagnostics;

namespace Backprop.Cli.Training;

/// <summary>One line of a plot: its legend text and its points.</summary>
internal sealed record PlotSeries(string Label, double[] X, double[] Y);

/// <summary>
/// The range a plot's y axis may take: never beyond <see cref="Floor"/> and <see cref="Ceiling"/>
/// (accuracy lies in [0, 1], a loss is not negative), and at least <see cref="MinSpan"/> tall so a
/// single point or a flat line is drawn in a readable window instead of ScottPlot's default of ±1
/// around it (a 1-epoch accuracy plot spanned −0.2 to 2).
/// </summary>
internal sealed record AxisRule(double? Floor, double? Ceiling, double MinSpan)
{
    /// <summary>Accuracy: inside [0, 1], at least 0.1 tall.</summary>
    public static AxisRule Accuracy { get; } = new(0, 1, 0.1);

    /// <summary>A loss: not below 0.</summary>
    public static AxisRule Loss { get; } = new(0, null, 0.1);

    /// <summary>A log10 value such as a gradient norm: anywhere, at least 0.2 (a factor 1.6) tall.</summary>
    public static AxisRule Log10 { get; } = new(null, null, 0.2);
}

/// <summary>loss.png and accuracy.png from a training history (ScottPlot), written atomically.</summary>
internal static class Plots
{
    /// <summary>Most epoch ticks on the x axis; more would crowd the plot.</summary>
    private const int MaxEpochTicks = 10;

    public static void Write(TrainingHistory history, string folder)
    {
        var epochs = history.Epochs.Select(e => (double)e.Epoch).ToArray();
        Save(Path.Combine(folder, "loss.png"), "Loss", "cross-entropy", AxisRule.Loss,
        [
            new("train", epochs, history.Epochs.Select(e => e.TrainLoss).ToArray()),
            new("test", epochs, history.Epochs.Select(e => e.TestLoss).ToArray()),
        ]);
        // The train accuracy is the running one over each epoch's batches; a history from before it was recorded has none.
        var accuracy = new List<PlotSeries>();
        if (history.Epochs.Any(e => double.IsFinite(e.TrainAccuracy)))
        {
            accuracy.Add(new("train", epochs, history.Epochs.Select(e => e.TrainAccuracy).ToArray()));
        }

        accuracy.Add(new("test", epochs, history.Epochs.Select(e => e.TestAccuracy).ToArray()));
        Save(Path.Combine(folder, "accuracy.png"), "Accuracy", "accuracy", AxisRule.Accuracy, accuracy);
    }

    /// <summary>
    /// A line plot of values per epoch: whole-number epoch ticks, the y axis by <paramref name="yRule"/>,
    /// and the legend to the right of the data, where it covers no point.
    /// </summary>
    internal static void Save(string path, string title, string yLabel, AxisRule yRule, IReadOnlyList<PlotSeries> series)
    {
        var plot = new ScottPlot.Plot();
        foreach (var s in series)
        {
            plot.Add.Scatter(s.X, s.Y).LegendText = s.Label;
        }

        var x = series.SelectMany(s => s.X).Where(double.IsFinite).ToList();
        int first = x.Count == 0 ? 1 : (int)Math.Floor(x.Min());
        int last = x.Count == 0 ? 1 : (int)Math.Ceiling(x.Max());
        var ticks = EpochTicks(first, last, MaxEpochTicks);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            ticks, ticks.Select(t => t.ToString(CultureInfo.InvariantCulture)).ToArray());
        var (bottom, top) = YRange(series.SelectMany(s => s.Y), yRule);
        double margin = Math.Max(0.5, 0.03 * (last - first));
        plot.Axes.SetLimits(first - margin, last + margin, bottom, top);

        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(yLabel);
        plot.ShowLegend(ScottPlot.Edge.Right);
        string tmp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp.png");
        try
        {
            plot.SavePng(tmp, 800, 480); // wider than 4:3: the legend takes the right edge
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    /// <summary>
    /// Whole-number epochs to label between <paramref name="first"/> and <paramref name="last"/>: the
    /// multiples of the smallest step of 1, 2, 5, 10, 20, 50, … that gives at most
    /// <paramref name="maxTicks"/> of them (an epoch 1.2 does not exist).
    /// </summary>
    internal static double[] EpochTicks(int first, int last, int maxTicks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTicks, 1);
        if (last < first)
        {
            (first, last) = (last, first);
        }

        for (long magnitude = 1; ; magnitude *= 10)
        {
            foreach (long step in new[] { magnitude, 2 * magnitude, 5 * magnitude })
            {
                long start = (long)Math.Ceiling(first / (double)step) * step;
                long count = start > last ? 0 : ((last - start) / step) + 1;
                if (count <= maxTicks)
                {
                    // A step wider than the range leaves no multiple inside it: label the first epoch.
                    return count == 0 ? [first] : Enumerable.Range(0, (int)count).Select(i => (double)(start + (i * step))).ToArray();
                }
            }
        }
    }

    /// <summary>
    /// The y limits for <paramref name="values"/>: their range, widened to the rule's minimum span
    /// around its middle, kept within the rule's floor and ceiling, plus 4 % on each side so points
    /// on the edge (an accuracy of 1) are not cut. Non-finite values are left out.
    /// </summary>
    internal static (double Bottom, double Top) YRange(IEnumerable<double> values, AxisRule rule)
    {
        var finite = values.Where(double.IsFinite).ToList();
        double low = finite.Count == 0 ? rule.Floor ?? 0 : finite.Min();
        double high = finite.Count == 0 ? low + rule.MinSpan : finite.Max();
        if (high - low < rule.MinSpan)
        {
            double middle = (low + high) / 2;
            (low, high) = (middle - (rule.MinSpan / 2), middle + (rule.MinSpan / 2));
        }

        // Shift, rather than cut, a window that crosses a bound, so it keeps its span.
        if (rule.Floor is double floor && low < floor)
        {
            (low, high) = (floor, Math.Max(high, floor + rule.MinSpan));
        }

        if (rule.Ceiling is double ceiling && high > ceiling)
        {
            (low, high) = (Math.Min(low, ceiling - rule.MinSpan), ceiling);
            low = rule.Floor is double f ? Math.Max(low, f) : low;
        }

        double pad = 0.04 * (high - low);
        return (low - pad, high + pad);
    }
}
