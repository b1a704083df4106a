using System.Text.RegularExpressions;
using Backprop.Cli.Training;
using Backprop.Serialization;

namespace Backprop.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class LstmCommandTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "backprop-lstm-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void TrainLstmOnDigitRowsThenEvalAndPredictRebuildItFromTheFile()
    {
        var (code, stdout, stderr) = CliRunner.Run("train", "--model", "lstm", "--epochs", "8", "--out", _folder);
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(8, lines.Length);
        var pattern = new Regex(@"^epoch (\d+) train_loss \d+\.\d{4} test_loss \d+\.\d{4} test_acc (\d\.\d{4}) epoch_s \d+\.\d{2}$");
        Assert.All(lines, l => Assert.Matches(pattern, l));
        double accuracy = double.Parse(pattern.Match(lines[^1]).Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(accuracy >= 0.8, $"test accuracy {accuracy}");

        // The file names the architecture and holds PyTorch's RowLSTM keys.
        string modelPath = Path.Combine(_folder, "model.safetensors");
        var (tensors, metadata) = SafeTensors.LoadWithMetadata(modelPath);
        Assert.Equal("lstm-64-128-10", metadata[ModelFile.SpecKey]);
        Assert.Equal(
            ["fc.bias", "fc.weight", "lstm.bias_hh_l0", "lstm.bias_ih_l0", "lstm.weight_hh_l0", "lstm.weight_ih_l0"],
            tensors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([512, 8], tensors["lstm.weight_ih_l0"].Shape);

        (code, stdout, stderr) = CliRunner.Run("eval", modelPath);
        Assert.True(code == 0, stderr);
        Assert.StartsWith($"rows 359 accuracy {accuracy.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)} ", stdout);

        string input = Path.Combine(_folder, "rows.csv");
        var x = Backprop.Data.Digits.Load(scale: false).Features.ToArray<float>();
        File.WriteAllLines(input, Enumerable.Range(0, 3).Select(r => string.Join(",", x.Skip(r * 64).Take(64))));
        (code, stdout, stderr) = CliRunner.Run("predict", modelPath, "--input", input);
        Assert.True(code == 0, stderr);
        Assert.Equal(4, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void SpecTextRoundTripsAndChecksTheData()
    {
        var spec = ModelDescription.Parse("lstm", 784, 10);
        Assert.Equal("lstm-784-128-10", spec.ToString());
        Assert.Equal(784, spec.InFeatures);
        Assert.Equal(spec.ToString(), ModelDescription.Parse(spec.ToString()).ToString());
        var model = (LstmClassifier)ModelDescription.Parse("lstm-16-5-3").Build(new Generator(1));
        Assert.Equal([2, 3], model.Forward(Tensor.Zeros(2, 16)).Shape);
        Assert.Equal(4, model.Rows);
        Assert.Contains("not a square", Assert.Throws<ArgumentException>(() => ModelDescription.Parse("lstm", 10, 2)).Message);
        Assert.Contains("lstm-FEATURES-HIDDEN-CLASSES", Assert.Throws<ArgumentException>(() => ModelDescription.Parse("lstm-64-0-10")).Message);
        Assert.Contains("64 features", Assert.Throws<ArgumentException>(() => ModelDescription.Parse("lstm-784-128-10", 64, 10)).Message);
        Assert.Contains("(2x15)", Assert.Throws<ArgumentException>(() => model.Forward(Tensor.Zeros(2, 15))).Message);
    }

    [Theory]
    [InlineData("train", "--model", "lstm", "--data", "moons")]
    [InlineData("train", "--model", "lstm-64-x-10")]
    [InlineData("bench", "lstm", "--epochs", "0")]
    public void BadLstmArgumentsFailWithOneLine(params string[] args)
    {
        var (code, _, stderr) = CliRunner.Run(args[0] == "train" ? [.. args, "--out", _folder] : args);
        Assert.Equal(1, code);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
