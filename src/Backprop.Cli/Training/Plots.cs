using Backprop.Diagnostics;

namespace Backprop.Cli.Training;

/// <summary>loss.png and accuracy.png from a training history (ScottPlot), written atomically.</summary>
internal static class Plots
{
    public static void Write(TrainingHistory history, string folder)
    {
        var epochs = history.Epochs.Select(e => (double)e.Epoch).ToArray();
        Save(Path.Combine(folder, "loss.png"), "Loss", "cross-entropy", plot =>
        {
            plot.Add.Scatter(epochs, history.Epochs.Select(e => e.TrainLoss).ToArray()).LegendText = "train";
            plot.Add.Scatter(epochs, history.Epochs.Select(e => e.TestLoss).ToArray()).LegendText = "test";
        });
        Save(Path.Combine(folder, "accuracy.png"), "Test accuracy", "accuracy", plot =>
            plot.Add.Scatter(epochs, history.Epochs.Select(e => e.TestAccuracy).ToArray()).LegendText = "test");
    }

    internal static void Save(string path, string title, string yLabel, Action<ScottPlot.Plot> addSeries)
    {
        var plot = new ScottPlot.Plot();
        addSeries(plot);
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(yLabel);
        plot.ShowLegend();
        string tmp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp.png");
        try
        {
            plot.SavePng(tmp, 640, 480);
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            File.Delete(tmp);
        }
    }
}
