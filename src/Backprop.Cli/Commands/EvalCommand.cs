using System.CommandLine;
using System.Globalization;
using Backprop.Cli.Training;
using Backprop.Data;

namespace Backprop.Cli.Commands;

/// <summary><c>backprop eval MODEL --data ...</c>: accuracy, loss and confusion matrix on the data's test split.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "A model.safetensors written by backprop train." };
        var data = new Option<string?>("--data") { Description = "digits, fashion-mnist, moons or PATH.csv (every row of a CSV is used; default: the data the model was trained on)." };
        var labelColumn = new Option<string?>("--label-column") { Description = "CSV label column (name or index; default: last)." };
        var command = new Command("eval", "Evaluate a trained model: accuracy, mean cross-entropy and confusion matrix.") { model, data, labelColumn };
        command.SetAction(result => CommandRunner.Run("eval", () => Run(result.GetValue(model)!, result.GetValue(data), result.GetValue(labelColumn))));
        return command;
    }

    private static int Run(string modelPath, string? dataName, string? labelColumn)
    {
        var (model, spec, classes, trainedOn, inputScale) = ModelFile.Load(modelPath);
        dataName ??= string.IsNullOrEmpty(trainedOn) ? throw new ArgumentException("--data is required: the model file does not say what it was trained on") : trainedOn;
        Dataset test;
        int features;
        if (DataSource.IsCsv(dataName))
        {
            var table = DataSource.ReadCsv(dataName, labelColumn);
            test = new TensorDataset(table.Features / inputScale, table.Labels);
            features = table.Features.Size(1);
        }
        else
        {
            var source = DataSource.Load(dataName, labelColumn);
            test = source.Test;
            features = source.Features;
        }

        if (features != spec.InFeatures)
        {
            throw new ArgumentException($"the data has {features} features but the model {spec} expects {spec.InFeatures}");
        }

        var result = Evaluation.Run(model, test, classes);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rows {test.Count} accuracy {result.Accuracy:F4} loss {result.Loss:F4}"));
        Console.WriteLine("confusion matrix (rows: true class, columns: predicted class)");
        int width = Math.Max(5, result.Confusion.Cast<long>().Max().ToString(CultureInfo.InvariantCulture).Length + 1);
        Console.WriteLine("true\\pred" + string.Concat(Enumerable.Range(0, classes).Select(c => c.ToString(CultureInfo.InvariantCulture).PadLeft(width))));
        for (int t = 0; t < classes; t++)
        {
            Console.WriteLine(t.ToString(CultureInfo.InvariantCulture).PadLeft(9) + string.Concat(Enumerable.Range(0, classes).Select(p => result.Confusion[t, p].ToString(CultureInfo.InvariantCulture).PadLeft(width))));
        }

        return 0;
    }
}
