using System.Globalization;
using Backprop.Diagnostics;
using Spectre.Console;

namespace Backprop.Cli.Training;

/// <summary>
/// <c>train --grad-report</c>: records gradient health per layer and epoch through the trainer's
/// backward hooks, then writes gradients.csv and gradnorm.png and prints a table.
/// </summary>
internal static class GradientReport
{
    /// <summary>
    /// Hooks a <see cref="GradientHealth"/> recorder into <paramref name="trainer"/>'s batches and
    /// checkpoints (attach before <see cref="Trainer.Restore"/>, which restores its sums).
    /// </summary>
    public static GradientHealth Attach(Trainer trainer)
    {
        var health = new GradientHealth(trainer.Model);
        trainer.GradientHealth = health;
        trainer.BeforeBackward = health.ObserveForward;
        trainer.AfterBackward = () => health.ObserveBackward(trainer.Epoch + 1);
        return health;
    }

    /// <summary>Writes gradients.csv and gradnorm.png to <paramref name="folder"/>.</summary>
    public static void Write(GradientHealth health, string folder)
    {
        health.WriteCsv(Path.Combine(folder, "gradients.csv"));
        var records = health.Records;
        var series = records.GroupBy(r => (r.Layer, r.Name)).Select(layer =>
        {
            var points = layer.Where(r => r.GradNorm > 0).ToList();
            return new PlotSeries($"layer {layer.Key.Name} ({layer.First().Activation})", points.Select(r => (double)r.Epoch).ToArray(), points.Select(r => Math.Log10(r.GradNorm)).ToArray());
        }).ToList();
        Plots.Save(Path.Combine(folder, "gradnorm.png"), "Weight-gradient norm per layer", "log10 ‖∂L/∂W‖", AxisRule.Log10, series);
    }

    /// <summary>
    /// The table: one row per epoch, per layer the gradient norm and, where the layer has an
    /// activation, the saturated (sigmoid/tanh) or dead (ReLU) fraction.
    /// </summary>
    public static (List<string> Header, List<List<string>> Rows) Table(IReadOnlyList<LayerGradientHealth> records)
    {
        var layers = records.GroupBy(r => r.Layer).OrderBy(g => g.Key).Select(g => g.First()).ToList();
        var header = new List<string> { "epoch" };
        foreach (var layer in layers)
        {
            header.Add($"‖∂L/∂W‖ {layer.Name}");
            if (layer.Activation is "sigmoid" or "tanh")
            {
                header.Add($"saturated {layer.Name}");
            }
            else if (layer.Activation == "relu")
            {
                header.Add($"dead {layer.Name}");
            }
        }

        var rows = new List<List<string>>();
        foreach (var epoch in records.GroupBy(r => r.Epoch).OrderBy(g => g.Key))
        {
            var row = new List<string> { epoch.Key.ToString(CultureInfo.InvariantCulture) };
            foreach (var r in epoch.OrderBy(r => r.Layer))
            {
                row.Add(r.GradNorm.ToString("0.000E+0", CultureInfo.InvariantCulture));
                if (r.Activation is "sigmoid" or "tanh")
                {
                    row.Add(Percent(r.SaturatedFraction));
                }
                else if (r.Activation == "relu")
                {
                    row.Add(Percent(r.DeadFraction));
                }
            }

            rows.Add(row);
        }

        return (header, rows);
    }

    /// <summary>Prints a table with Spectre.Console on a terminal, as aligned plain text to <paramref name="plain"/> otherwise.</summary>
    public static void Print(List<string> header, List<List<string>> rows, TextWriter plain)
    {
        if (!Terminal.IsOutputRedirected)
        {
            var table = new Table();
            foreach (string h in header)
            {
                table.AddColumn(new TableColumn(Markup.Escape(h)).RightAligned());
            }

            foreach (var row in rows)
            {
                table.AddRow([.. row.Select(Markup.Escape)]);
            }

            AnsiConsole.Write(table);
            return;
        }

        var widths = header.Select((h, c) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[c].Length))).ToArray();
        plain.WriteLine(string.Join("  ", header.Select((h, c) => h.PadLeft(widths[c]))));
        foreach (var row in rows)
        {
            plain.WriteLine(string.Join("  ", row.Select((cell, c) => cell.PadLeft(widths[c]))));
        }
    }

    private static string Percent(double fraction) =>
        double.IsNaN(fraction) ? "n/a" : (fraction * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";
}
