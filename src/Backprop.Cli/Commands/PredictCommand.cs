using System.CommandLine;
using System.Globalization;
using Backprop.Cli.Training;
using Backprop.Data;

namespace Backprop.Cli.Commands;

/// <summary><c>backprop predict MODEL --input FILE</c>: the class and class probabilities of every row, as CSV.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "A model.safetensors written by backprop train." };
        var input = new Option<string>("--input") { Description = "CSV of raw feature rows (header optional; pixels as in the data set, e.g. 0..16 for digits). With a header, its feature columns must be the model's and the model's label column, if present, is skipped.", Required = true };
        var spec = new Option<string?>("--model") { Description = "The architecture of a plain state dict without backprop's metadata (e.g. saved from PyTorch with the same keys): 64-128-10:relu, cnn:784-10, lstm-784-128-10. The input is read as backprop train reads it." };
        var command = new Command("predict", "Predict the class of each row of a CSV file, with probabilities.") { model, input, spec };
        command.SetAction(result => CommandRunner.Run("predict", () => Run(result.GetValue(model)!, result.GetValue(input)!, result.GetValue(spec))));
        return command;
    }

    private static int Run(string modelPath, string inputPath, string? modelSpec)
    {
        var trained = ModelFile.Load(modelPath, modelSpec);
        var spec = trained.Spec;
        if (!File.Exists(inputPath))
        {
            throw new FileNotFoundException($"--input: file not found: {Path.GetFullPath(inputPath)}");
        }

        // The model's label column is skipped when the header names it, so its training file can be given as it is.
        string? labelColumn = trained.FeatureNames is not null ? trained.LabelColumn : null;
        var (x, names, header) = Csv.ReadFeatures(inputPath, ignoreColumn: labelColumn);
        string hint = labelColumn is not null && !header && names.Length == spec.InFeatures + 1
            ? $" (a label column is skipped only when a header row names it '{labelColumn}')"
            : "";
        trained.CheckFeatures(inputPath, names, header, hint);

        Tensor probabilities;
        using (Autograd.NoGrad())
        {
            probabilities = trained.Model.Forward(trained.Inputs(x)).Softmax(1);
        }

        var p = probabilities.ToArray();
        int outputs = probabilities.Size(1);
        var classIds = probabilities.ArgMax(1).ToArray<long>();
        // Probability columns p0, p1, ... for class indices; p_setosa, ... for named classes.
        var columns = Enumerable.Range(0, outputs).Select(c => trained.ClassNames is null ? $"p{c}" : CsvCell("p_" + trained.ClassName(c)));
        Console.WriteLine("row,class," + string.Join(",", columns));
        for (int r = 0; r < classIds.Length; r++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r},{CsvCell(trained.ClassName(classIds[r]))},") +
                string.Join(",", Enumerable.Range(0, outputs).Select(c => p[(r * outputs) + c].ToString("F6", CultureInfo.InvariantCulture))));
        }

        return 0;
    }

    /// <summary>A class name as one CSV cell: quoted, with quotes doubled, when it holds a delimiter, a quote or outer spaces (RFC 4180).</summary>
    private static string CsvCell(string text) =>
        text.AsSpan().IndexOfAny(",\"\r\n") >= 0 || text != text.Trim() ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
}
