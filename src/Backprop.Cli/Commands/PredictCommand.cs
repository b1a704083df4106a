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
        var input = new Option<string>("--input") { Description = "CSV of raw feature rows (header optional, no label column; pixels as in the data set, e.g. 0..16 for digits).", Required = true };
        var command = new Command("predict", "Predict the class of each row of a CSV file, with probabilities.") { model, input };
        command.SetAction(result => CommandRunner.Run("predict", () => Run(result.GetValue(model)!, result.GetValue(input)!)));
        return command;
    }

    private static int Run(string modelPath, string inputPath)
    {
        var (model, spec, _, _, inputScale) = ModelFile.Load(modelPath);
        if (!File.Exists(inputPath))
        {
            throw new FileNotFoundException($"--input: file not found: {Path.GetFullPath(inputPath)}");
        }

        var (x, _) = Csv.ReadFeatures(inputPath);
        if (x.Size(1) != spec.InFeatures)
        {
            throw new ArgumentException($"{inputPath}: rows have {x.Size(1)} values but the model {spec} expects {spec.InFeatures} features");
        }

        Tensor probabilities;
        using (Autograd.NoGrad())
        {
            probabilities = model.Forward(x / inputScale).Softmax(1);
        }

        var p = probabilities.ToArray();
        int outputs = probabilities.Size(1);
        var classIds = probabilities.ArgMax(1).ToArray<long>();
        Console.WriteLine("row,class," + string.Join(",", Enumerable.Range(0, outputs).Select(c => $"p{c}")));
        for (int r = 0; r < classIds.Length; r++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r},{classIds[r]},") +
                string.Join(",", Enumerable.Range(0, outputs).Select(c => p[(r * outputs) + c].ToString("F6", CultureInfo.InvariantCulture))));
        }

        return 0;
    }
}
