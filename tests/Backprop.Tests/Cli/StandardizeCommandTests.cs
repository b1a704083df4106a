using System.Globalization;
using Backprop.Cli.Training;
using Backprop.Tests.Data;

namespace Backprop.Tests.Cli;

/// <summary>
/// <c>train --standardize</c>: the training split's feature statistics standardize both splits, are
/// stored in the model file, and <c>predict</c>/<c>eval</c> apply them; models without them behave
/// as before; a constant column is divided by 1.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class StandardizeCommandTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Iris => Path.Combine(RepositoryRoot.Find(), "data", "iris.csv");

    private string Train(string name, params string[] extra)
    {
        string folder = _dir.File(name);
        var (code, _, stderr) = CliRunner.Run(["train", "--data", Iris, "--label-column", "species", "--model", "4-8-3:relu", "--epochs", "3", "--threads", "1", "--out", folder, .. extra]);
        Assert.True(code == 0, stderr);
        return Path.Combine(folder, "model.safetensors");
    }

    [Fact]
    public void PredictOnAStandardizedModelEqualsStandardizingByHand()
    {
        string model = Train("std", "--standardize");
        var trained = ModelFile.Load(model);
        Assert.NotNull(trained.Standardization);

        // By hand: the training split's population mean and standard deviation per column, in float64.
        var train = (Backprop.Data.TensorDataset)DataSource.Load(Iris, "species").Train;
        double[] x = train.Features.ToArray<double>();
        int n = train.Count, f = 4;
        var mean = Enumerable.Range(0, f).Select(c => Enumerable.Range(0, n).Average(r => x[(r * f) + c])).ToArray();
        var std = Enumerable.Range(0, f).Select(c => Math.Sqrt(Enumerable.Range(0, n).Average(r => Math.Pow(x[(r * f) + c] - mean[c], 2)))).ToArray();
        for (int c = 0; c < f; c++)
        {
            Assert.Equal(mean[c], trained.Standardization!.Mean[c], 5);
            Assert.Equal(std[c], trained.Standardization.Std[c], 5);
        }

        var (code, stdout, stderr) = CliRunner.Run("predict", model, "--input", Iris);
        Assert.True(code == 0, stderr);
        var (features, _, _) = Backprop.Data.Csv.ReadFeatures(Iris, ignoreColumn: "species");
        double[] raw = features.ToArray<double>();
        var z = new float[raw.Length];
        for (int i = 0; i < raw.Length; i++)
        {
            z[i] = ((float)raw[i] - (float)mean[i % f]) / (float)std[i % f];
        }

        Tensor probabilities;
        using (Backprop.Autograd.NoGrad())
        {
            probabilities = trained.Model.Forward(Tensor.FromArray(z, raw.Length / f, f)).Softmax(1);
        }

        float[] p = probabilities.ToArray<float>();
        string[] lines = stdout.Trim().Split('\n');
        Assert.Equal(151, lines.Length);
        for (int r = 0; r < 150; r++)
        {
            var cells = lines[r + 1].Split(',');
            for (int c = 0; c < 3; c++)
            {
                Assert.Equal(p[(r * 3) + c].ToString("F6", CultureInfo.InvariantCulture), cells[2 + c]);
            }
        }

        // eval standardizes too: a model that learned something on standardized inputs scores as on them.
        (code, stdout, stderr) = CliRunner.Run("eval", model, "--data", Iris);
        Assert.True(code == 0, stderr);
        long correct = probabilities.ArgMax(1).ToArray<long>().Zip(Backprop.Data.Csv.ReadTable(Iris, "species").Labels.ToArray<long>()).Count(t => t.First == t.Second);
        Assert.StartsWith(string.Create(CultureInfo.InvariantCulture, $"rows 150 accuracy {correct / 150.0:F4}"), stdout);
    }

    [Fact]
    public void AModelWithoutStatisticsLoadsAndPredictsAsBefore()
    {
        string model = Train("plain");
        var trained = ModelFile.Load(model);
        Assert.Null(trained.Standardization);
        var (features, _, _) = Backprop.Data.Csv.ReadFeatures(Iris, ignoreColumn: "species");
        Assert.Equal(features.ToArray<float>(), trained.Inputs(features).ToArray<float>());
    }

    [Fact]
    public void AConstantColumnIsDividedByOne()
    {
        string csv = _dir.File("constant.csv");
        var rows = Enumerable.Range(0, 40).Select(i => string.Create(CultureInfo.InvariantCulture, $"{i % 7},5,{i % 2}"));
        File.WriteAllLines(csv, ["a,constant,label", .. rows]);
        string folder = _dir.File("c");
        var (code, stdout, stderr) = CliRunner.Run("train", "--data", csv, "--model", "2-4-2:relu", "--epochs", "2", "--standardize", "--threads", "1", "--out", folder);
        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("NaN", stdout);
        var stats = ModelFile.Load(Path.Combine(folder, "model.safetensors")).Standardization!;
        Assert.Equal(5f, stats.Mean[1]);
        Assert.Equal(1f, stats.Std[1]);
        Assert.Equal(new float[] { 0, 0 }, stats.Apply(Tensor.FromArray(new float[] { stats.Mean[0], 5 }, 1, 2)).ToArray<float>());
    }

    [Fact]
    public void ResumeKeepsTheSettingAndImagesAreRefused()
    {
        string folder = Path.GetDirectoryName(Train("r", "--standardize"))!;
        var (code, _, stderr) = CliRunner.Run("train", "--resume", Path.Combine(folder, "checkpoint.safetensors"), "--epochs", "4", "--standardize", "false");
        Assert.Equal(1, code);
        Assert.Contains("--standardize false (the checkpoint has --standardize true)", stderr);

        var images = new Backprop.Data.ImageDataset(new byte[8], [1, 2, 2], [0, 1]);
        var ex = Assert.Throws<ArgumentException>(() => Standardization.Standardize(new DataSource("fashion-mnist", images, images, 4, 2)));
        Assert.Contains("--standardize: fashion-mnist is not a table of features", ex.Message);
    }
}
