using Backprop.Cli.Training;
using Backprop.Serialization;
using Backprop.Tests.Onnx;

namespace Backprop.Tests.Cli;

/// <summary>
/// eval, predict and export on weights without backprop's metadata (a state dict saved from PyTorch
/// with safetensors), given their architecture with --model; and export --scale-input.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class PlainStateDictTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "backprop-plain-" + Guid.NewGuid().ToString("N"));

    public PlainStateDictTests()
    {
        var (code, _, stderr) = CliRunner.Run("train", "--epochs", "2", "--model", "64-32-10:relu", "--out", _folder);
        Assert.True(code == 0, stderr);

        // The same weights as PyTorch's save_file(model.state_dict(), path) writes them: no metadata.
        SafeTensors.Save(SafeTensors.Load(TrainedPath), PlainPath);
    }

    private string TrainedPath => Path.Combine(_folder, "model.safetensors");

    private string PlainPath => Path.Combine(_folder, "plain.safetensors");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void EvalOfAPlainStateDictNeedsItsArchitectureAndThenMatches()
    {
        var (refused, _, why) = CliRunner.Run("eval", PlainPath, "--data", "digits");
        Assert.Equal(1, refused);
        Assert.Contains("give its architecture with --model", why);

        var (code, plain, stderr) = CliRunner.Run("eval", PlainPath, "--data", "digits", "--model", "64-32-10:relu");
        Assert.True(code == 0, stderr);
        var (_, trained, _) = CliRunner.Run("eval", TrainedPath);
        Assert.Equal(trained.Split('\n')[0], plain.Split('\n')[0]);

        var (mismatch, _, message) = CliRunner.Run("eval", TrainedPath, "--model", "64-16-10:relu");
        Assert.Equal(1, mismatch);
        Assert.Contains("--model 64-16-10:relu does not match the model the file was trained as (64-32-10:relu)", message);

        var (wrong, _, shapes) = CliRunner.Run("eval", PlainPath, "--data", "digits", "--model", "64-16-10:relu");
        Assert.Equal(1, wrong);
        Assert.Contains("the weights do not fit the model 64-16-10:relu", shapes);
    }

    [Fact]
    public void ExportWithScaleInputTakesRawFeatures()
    {
        string onnx = Path.Combine(_folder, "raw.onnx");
        var (code, stdout, stderr) = CliRunner.Run("export", PlainPath, "--model", "64-32-10:relu", "--onnx", onnx, "--scale-input");
        Assert.True(code == 0, stderr);
        Assert.Contains("input (batch, 64) = raw features (the file divides them by 1)", stdout);

        string trainedOnnx = Path.Combine(_folder, "trained-raw.onnx");
        (code, stdout, stderr) = CliRunner.Run("export", TrainedPath, "--onnx", trainedOnnx, "--scale-input");
        Assert.True(code == 0, stderr);
        Assert.Contains("raw features (the file divides them by 16)", stdout);

        var trained = ModelFile.Load(TrainedPath);
        var raw = Backprop.Data.Digits.Load(scale: false).Features.Narrow(0, 0, 50);
        Tensor expected;
        using (Backprop.Autograd.NoGrad())
        {
            expected = trained.Model.Forward(raw / 16.0);
        }

        var (actual, _) = OnnxRuntimeRunner.Run(File.ReadAllBytes(trainedOnnx), raw);
        Assert.True(OnnxRuntimeRunner.MaxAbsDifference(expected.ToArray<float>(), actual) <= 1e-4);
    }
}
