using Backprop.Cli.Training;
using Backprop.Onnx.Proto;
using Backprop.Tests.Onnx;

namespace Backprop.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class ExportCommandTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "backprop-export-" + Guid.NewGuid().ToString("N"));

    public ExportCommandTests()
    {
        var (code, _, stderr) = CliRunner.Run("train", "--epochs", "1", "--model", "64-32-16-10:gelu:dropout=0.1", "--out", _folder);
        Assert.True(code == 0, stderr);
    }

    private string ModelPath => Path.Combine(_folder, "model.safetensors");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ExportedModelGivesTheSameLogitsInOnnxRuntime()
    {
        string onnx = Path.Combine(_folder, "model.onnx");
        var (code, stdout, stderr) = CliRunner.Run("export", ModelPath, "--onnx", onnx);
        Assert.True(code == 0, stderr);
        Assert.Contains("opset 17", stdout);

        var trained = ModelFile.Load(ModelPath);
        var (model, scale) = (trained.Model, trained.InputScale);
        var x = Backprop.Data.Digits.Load(scale: false).Features.Narrow(0, 0, 100) / scale;
        Tensor expected;
        using (Backprop.Autograd.NoGrad())
        {
            expected = model.Forward(x);
        }

        var (actual, shape) = OnnxRuntimeRunner.Run(File.ReadAllBytes(onnx), x);
        Assert.Equal([100, 10], shape);
        double diff = OnnxRuntimeRunner.MaxAbsDifference(expected.ToArray<float>(), actual);
        Assert.True(diff <= 1e-4, $"max |onnx - backprop| = {diff}");

        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        Assert.Equal("16", proto.MetadataProps.Single(p => p.Key == ModelFile.InputScaleKey).Value);
        Assert.Equal("64-32-16-10:gelu:dropout=0.1", proto.MetadataProps.Single(p => p.Key == ModelFile.SpecKey).Value);
    }

    [Theory]
    [InlineData("cnn", "cnn-bn:64-10", "Conv")]
    [InlineData("lstm", "lstm-64-128-10", "LSTM")]
    public void EveryTrainedModelKindGivesTheSameLogitsInOnnxRuntime(string kind, string spec, string op)
    {
        string folder = Path.Combine(_folder, kind);
        var (trainCode, _, trainErr) = CliRunner.Run("train", "--data", "digits", "--model", kind, "--epochs", "1", "--out", folder);
        Assert.True(trainCode == 0, trainErr);
        string modelPath = Path.Combine(folder, "model.safetensors");
        string onnx = Path.Combine(folder, "model.onnx");
        var (code, stdout, stderr) = CliRunner.Run("export", modelPath, "--onnx", onnx);
        Assert.True(code == 0, stderr);
        Assert.Contains($"{spec}, opset 17", stdout);

        var trained = ModelFile.Load(modelPath);
        var (model, scale) = (trained.Model, trained.InputScale);
        var x = Backprop.Data.Digits.Load(scale: false).Features.Narrow(0, 0, 100) / scale;
        Tensor expected;
        using (Backprop.Autograd.NoGrad())
        {
            expected = model.Forward(x);
        }

        var (actual, shape) = OnnxRuntimeRunner.Run(File.ReadAllBytes(onnx), x);
        Assert.Equal([100, 10], shape);
        double diff = OnnxRuntimeRunner.MaxAbsDifference(expected.ToArray<float>(), actual);
        Assert.True(diff <= 1e-4, $"max |onnx - backprop| = {diff}");
        Assert.Contains(ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx)).Graph.Node, n => n.OpType == op);
    }

    [Fact]
    public void OpsetCanBeChosen()
    {
        string onnx = Path.Combine(_folder, "model20.onnx");
        var (code, _, stderr) = CliRunner.Run("export", ModelPath, "--onnx", onnx, "--opset", "20");
        Assert.True(code == 0, stderr);
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        Assert.Equal(20, proto.OpsetImport.Single().Version);
        Assert.Contains(proto.Graph.Node, n => n.OpType == "Gelu");
    }

    [Fact]
    public void BadInputsGiveOneClearLine()
    {
        string onnx = Path.Combine(_folder, "x.onnx");
        var missing = CliRunner.Run("export", Path.Combine(_folder, "nope.safetensors"), "--onnx", onnx);
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("export: model file not found: ", missing.Stderr);

        var checkpoint = CliRunner.Run("export", Path.Combine(_folder, "checkpoint.safetensors"), "--onnx", onnx);
        Assert.Equal(1, checkpoint.ExitCode);
        Assert.Contains("no 'backprop.model' metadata: not a model written by backprop train", checkpoint.Stderr);

        var opset = CliRunner.Run("export", ModelPath, "--onnx", onnx, "--opset", "9");
        Assert.Equal(1, opset.ExitCode);
        Assert.Equal("export: ONNX export: opset 9 is not supported (use 17 to 21)", opset.Stderr.Trim());

        var folder = CliRunner.Run("export", ModelPath, "--onnx", Path.Combine(_folder, "no-such-dir", "x.onnx"));
        Assert.Equal(1, folder.ExitCode);
        Assert.Equal($"export: --onnx: folder not found: {Path.Combine(_folder, "no-such-dir")}", folder.Stderr.Trim());
        Assert.False(File.Exists(onnx));
    }
}
