using System.CommandLine;
using System.Globalization;
using Backprop.Cli.Training;
using Backprop.Data;
using Backprop.Metrics;

namespace Backprop.Cli.Commands;

/// <summary><c>backprop eval MODEL --data ...</c>: accuracy, loss and confusion matrix on the data's test split.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "A model.safetensors written by backprop train." };
        var data = new Option<string?>("--data") { Description = "digits, fashion-mnist, moons or PATH.csv (every row of a CSV is used; default: the data the model was trained on)." };
        var labelColumn = new Option<string?>("--label-column") { Description = "CSV label column (name or index; default: the one the model was trained with, else the last)." };
        var spec = new Option<string?>("--model") { Description = "The architecture of a plain state dict without backprop's metadata (e.g. saved from PyTorch with the same keys): 64-128-10:relu, cnn:784-10, lstm-784-128-10. The input is read as backprop train reads it." };
        var format = OutputFormat.Create("one object {\"rows\", \"accuracy\", \"loss\", \"classes\", \"confusion\", \"precision\", \"recall\", \"f1\", \"support\", \"macro_f1\", \"weighted_f1\"} (confusion[true][predicted]; per-class scores as scikit-learn's, 0 where undefined).");
        var command = new Command("eval", "Evaluate a trained model: accuracy, mean cross-entropy, confusion matrix, and precision, recall and F1 per class.") { model, data, labelColumn, spec, format };
        command.SetAction(result => CommandRunner.Run("eval", () => Run(result.GetValue(model)!, result.GetValue(data), result.GetValue(labelColumn), result.GetValue(spec), result.GetValue(format) == OutputFormat.Json)));
        return command;
    }

    private static int Run(string modelPath, string? dataName, string? labelColumn, string? modelSpec, bool json)
    {
        var trained = ModelFile.Load(modelPath, modelSpec);
        var spec = trained.Spec;
        int classes = trained.Classes;
        dataName ??= string.IsNullOrEmpty(trained.Data) ? throw new ArgumentException("--data is required: the model file does not say what it was trained on") : trained.Data;
        Dataset test;
        if (DataSource.IsCsv(dataName))
        {
            // A CSV file is read as the model's training file was: its label column and its classes.
            var table = DataSource.ReadCsv(dataName, labelColumn ?? trained.LabelColumn, trained.ClassNames);
            if (table.ClassNames is not null && trained.ClassNames is null)
            {
                throw new InvalidDataException(
                    $"{dataName}: {table.LabelColumn} holds class names ('{string.Join("', '", table.ClassNames.Take(3))}'{(table.ClassNames.Length > 3 ? ", ..." : "")}) but the model was trained on numeric class indices 0 to {classes - 1}");
            }

            trained.CheckFeatures(dataName, table.FeatureNames, table.HasHeader, "");
            test = new TensorDataset(trained.Inputs(table.Features), table.Labels);
        }
        else
        {
            var source = DataSource.Load(dataName, labelColumn);
            test = source.Test;
            if (trained.Standardization is { } stats && test is TensorDataset rows)
            {
                test = new TensorDataset(stats.Apply(rows.Features), rows.Labels);
            }

            if (source.Features != spec.InFeatures)
            {
                throw new ArgumentException($"the data has {source.Features} features but the model {spec} expects {spec.InFeatures}");
            }
        }

        var result = Evaluation.Run(trained.Model, test, classes);
        if (json)
        {
            OutputFormat.WriteLine(w =>
            {
                w.WriteNumber("rows", test.Count);
                OutputFormat.Number(w, "accuracy", result.Accuracy);
                OutputFormat.Number(w, "loss", result.Loss);
                w.WriteStartArray("classes");
                for (int c = 0; c < classes; c++)
                {
                    w.WriteStringValue(trained.ClassName(c));
                }

                w.WriteEndArray();
                w.WriteStartArray("confusion");
                for (int t = 0; t < classes; t++)
                {
                    w.WriteStartArray();
                    for (int p = 0; p < classes; p++)
                    {
                        w.WriteNumberValue(result.Confusion[t, p]);
                    }

                    w.WriteEndArray();
                }

                w.WriteEndArray();
                WriteScores(w, "precision", result.Confusion.Precision());
                WriteScores(w, "recall", result.Confusion.Recall());
                WriteScores(w, "f1", result.Confusion.F1());
                w.WriteStartArray("support");
                foreach (long n in result.Confusion.Support())
                {
                    w.WriteNumberValue(n);
                }

                w.WriteEndArray();
                OutputFormat.Number(w, "macro_f1", result.Confusion.F1(Average.Macro));
                OutputFormat.Number(w, "weighted_f1", result.Confusion.F1(Average.Weighted));
            });
            return 0;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rows {test.Count} accuracy {result.Accuracy:F4} loss {result.Loss:F4}"));
        Console.WriteLine("confusion matrix (rows: true class, columns: predicted class)");
        string[] names = [.. Enumerable.Range(0, classes).Select(c => trained.ClassName(c))];
        int width = Math.Max(5, Math.Max(result.Confusion.ToArray().Cast<long>().Max().ToString(CultureInfo.InvariantCulture).Length, names.Max(n => n.Length)) + 1);
        int first = Math.Max(9, names.Max(n => n.Length));
        Console.WriteLine("true\\pred".PadLeft(first) + string.Concat(names.Select(n => n.PadLeft(width))));
        for (int t = 0; t < classes; t++)
        {
            Console.WriteLine(names[t].PadLeft(first) + string.Concat(Enumerable.Range(0, classes).Select(p => result.Confusion[t, p].ToString(CultureInfo.InvariantCulture).PadLeft(width))));
        }

        // Per class, as scikit-learn's classification_report (a class never predicted has precision 0).
        var (precision, recall, f1, support) = (result.Confusion.Precision(), result.Confusion.Recall(), result.Confusion.F1(), result.Confusion.Support());
        int label = Math.Max(first, "weighted avg".Length);
        Console.WriteLine();
        Console.WriteLine("class".PadLeft(label) + "  precision     recall         f1    support");
        for (int c = 0; c < classes; c++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{names[c].PadLeft(label)}{precision[c],11:F4}{recall[c],11:F4}{f1[c],11:F4}{support[c],11}"));
        }

        foreach (var (name, average) in (ReadOnlySpan<(string, Average)>)[("macro avg", Average.Macro), ("weighted avg", Average.Weighted)])
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{name.PadLeft(label)}{result.Confusion.Precision(average),11:F4}{result.Confusion.Recall(average),11:F4}{result.Confusion.F1(average),11:F4}{test.Count,11}"));
        }

        return 0;
    }

    private static void WriteScores(System.Text.Json.Utf8JsonWriter w, string name, double[] scores)
    {
        w.WriteStartArray(name);
        foreach (double score in scores)
        {
            w.WriteNumberValue(score);
        }

        w.WriteEndArray();
    }
}
