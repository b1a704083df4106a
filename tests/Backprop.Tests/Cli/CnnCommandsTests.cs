using System.Text.RegularExpressions;
using Backprop.NN;

namespace Backprop.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class CnnCommandsTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "backprop-cnn-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void CnnTrainsOnDigitsAndEvalAndPredictRebuildItFromTheFile()
    {
        var (code, stdout, stderr) = CliRunner.Run("train", "--data", "digits", "--model", "cnn", "--epochs", "3", "--out", _folder);
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        var accuracy = double.Parse(Regex.Match(lines[^1], @"test_acc (\d\.\d{4})").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(accuracy >= 0.85, $"test accuracy after 3 epochs {accuracy}");

        string model = Path.Combine(_folder, "model.safetensors");
        var (inspectCode, inspect, _) = CliRunner.Run("inspect", model);
        Assert.Equal(0, inspectCode);
        Assert.Contains("metadata backprop.model = cnn-bn:64-10", inspect);
        Assert.Matches(@"\n1\.weight +F32 +\(32x1x3x3\)", inspect);
        Assert.Matches(@"\n2\.running_var +F32 +\(32\)", inspect);
        Assert.Matches(@"\n5\.weight +F32 +\(64x32x3x3\)", inspect);
        Assert.Matches(@"\n11\.weight +F32 +\(128x256\)", inspect);

        var (evalCode, eval, evalErr) = CliRunner.Run("eval", model);
        Assert.True(evalCode == 0, evalErr);
        Assert.Matches($@"^rows 359 accuracy {accuracy:F4} loss \d\.\d{{4}}", eval.Split('\n')[0]);

        string input = Path.Combine(_folder, "rows.csv");
        var x = Backprop.Data.Digits.Load(scale: false).Features.ToArray<float>();
        File.WriteAllLines(input, Enumerable.Range(0, 3).Select(r => string.Join(",", x.Skip(r * 64).Take(64))));
        var (predictCode, predict, predictErr) = CliRunner.Run("predict", model, "--input", input);
        Assert.True(predictCode == 0, predictErr);
        Assert.Equal(4, predict.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void CnnMeansTheBatchNormNetworkOfTheTrainingRecipe()
    {
        var spec = ModelSpec.Parse("cnn", 784, 10);
        Assert.Equal("cnn-bn:784-10", spec.ToString());
        Assert.Equal(spec.ToString(), ModelSpec.Parse(spec.ToString()).ToString());
        Assert.Equal("cnn-bn:784-10", ModelSpec.Parse("cnn-bn", 784, 10).ToString());
        var model = spec.Build(new Generator(0));
        Assert.Equal(
            "Sequential(\n" +
            "  (0): Unflatten(dim=1, unflattened_size=(1, 28, 28))\n" +
            "  (1): Conv2d(1, 32, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n" +
            "  (2): BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n" +
            "  (3): ReLU()\n" +
            "  (4): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n" +
            "  (5): Conv2d(32, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n" +
            "  (6): BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n" +
            "  (7): ReLU()\n" +
            "  (8): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n" +
            "  (9): Flatten(start_dim=1, end_dim=-1)\n" +
            "  (10): Dropout(p=0.25, inplace=False)\n" +
            "  (11): Linear(in_features=3136, out_features=128, bias=True)\n" +
            "  (12): ReLU()\n" +
            "  (13): Dropout(p=0.25, inplace=False)\n" +
            "  (14): Linear(in_features=128, out_features=10, bias=True)\n" +
            ")",
            model.ToString());
        long parameters = (32 * 9) + 32 + 64 + (64 * 32 * 9) + 64 + 128 + (3136 * 128) + 128 + 1290;
        Assert.Equal(parameters, model.NumParameters());
        Assert.Equal(parameters, spec.NumParameters);
        Assert.Equal(model.StateDict().Values.Sum(t => (long)t.Numel), spec.NumStateElements);
        Assert.Equal([3, 10], model.Forward(Tensor.Zeros(3, 784)).Shape);
    }

    [Fact]
    public void TheYardstickCnnKeepsTheBenchmarkRecipe()
    {
        var spec = ModelSpec.Parse("cnn:784-10", 784, 10);
        Assert.Equal("cnn:784-10", spec.ToString());
        Assert.Equal(spec.ToString(), ModelSpec.Parse(spec.ToString()).ToString());
        var model = spec.Build(new Generator(0));
        Assert.Equal(
            "Sequential(\n" +
            "  (0): Unflatten(dim=1, unflattened_size=(1, 28, 28))\n" +
            "  (1): Conv2d(1, 16, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))\n" +
            "  (2): ReLU()\n" +
            "  (3): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n" +
            "  (4): Conv2d(16, 32, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))\n" +
            "  (5): ReLU()\n" +
            "  (6): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n" +
            "  (7): Flatten(start_dim=1, end_dim=-1)\n" +
            "  (8): Linear(in_features=1568, out_features=128, bias=True)\n" +
            "  (9): ReLU()\n" +
            "  (10): Linear(in_features=128, out_features=10, bias=True)\n" +
            ")",
            model.ToString());
        Assert.Equal(16 * 25 + 16 + (32 * 16 * 25) + 32 + (1568 * 128) + 128 + 1290, model.NumParameters());
        Assert.Equal([3, 10], model.Forward(Tensor.Zeros(3, 784)).Shape);
    }

    [Theory]
    [InlineData("cnn:65-10", "65 features")]
    [InlineData("cnn:36-10", "36 features")]
    [InlineData("cnn:784", "cnn:IN-CLASSES")]
    [InlineData("cnn:x-10", "cnn:IN-CLASSES")]
    [InlineData("cnn-bn:784", "cnn-bn:IN-CLASSES")]
    [InlineData("cnn-bn:100-10", "100 features")]
    public void BadCnnSpecsNameTheProblem(string text, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => ModelSpec.Parse(text));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void CnnOnDataThatIsNotSquareImagesFailsWithOneLine()
    {
        var (code, _, stderr) = CliRunner.Run("train", "--data", "moons", "--model", "cnn", "--epochs", "1", "--out", _folder);
        Assert.Equal(1, code);
        Assert.Contains("got 2 features", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }
}
