using Backprop.Cli.Training;
using Backprop.Serialization;

namespace Backprop.Tests.Cli;

/// <summary>Model files and checkpoints holding NaN or ±Inf weights: refused where they would be used, reported by inspect.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class NonFiniteModelTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "backprop-nonfinite-" + Guid.NewGuid().ToString("N"));

    public NonFiniteModelTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A copy of <paramref name="tensors"/> with the first <paramref name="count"/> values of <paramref name="name"/> set to <paramref name="value"/>.</summary>
    private static Dictionary<string, Tensor> Poison(Dictionary<string, Tensor> tensors, string name, int count, float value)
    {
        var copy = new Dictionary<string, Tensor>(tensors);
        var data = copy[name].ToArray<float>();
        Array.Fill(data, value, 0, count);
        copy[name] = Tensor.FromArray(data, copy[name].Shape);
        return copy;
    }

    private string SaveModel(Dictionary<string, Tensor> stateDict)
    {
        string path = Path.Combine(_folder, "model.safetensors");
        SafeTensors.Save(path, stateDict, new Dictionary<string, string>
        {
            [ModelFile.SpecKey] = "2-8-2:relu",
            [ModelFile.ClassesKey] = "2",
            [ModelFile.DataKey] = "moons",
            [ModelFile.InputScaleKey] = "1",
        });
        return path;
    }

    private static Dictionary<string, Tensor> FiniteWeights() =>
        ModelDescription.Parse("2-8-2:relu").Build(new Generator(3)).StateDict();

    [Theory]
    [InlineData("0.weight", 1, float.NaN)]
    [InlineData("0.weight", 12, float.NaN)]
    [InlineData("2.bias", 2, float.PositiveInfinity)]
    [InlineData("0.bias", 3, float.NegativeInfinity)]
    public void EvalPredictAndExportRefuseTheModelNamingTheTensorAndCount(string tensor, int count, float value)
    {
        string model = SaveModel(Poison(FiniteWeights(), tensor, count, value));
        string input = Path.Combine(_folder, "rows.csv");
        File.WriteAllText(input, "0.5,0.25\n-1,2\n");
        string onnx = Path.Combine(_folder, "m.onnx");
        string[][] commands = [["eval", model, "--data", "moons"], ["predict", model, "--input", input], ["export", model, "--onnx", onnx]];
        foreach (var args in commands)
        {
            var (code, stdout, stderr) = CliRunner.Run(args);
            Assert.True(code == 1, $"{args[0]}: exit {code}, {stdout}");
            Assert.Empty(stdout);
            Assert.Equal($"{args[0]}: {model}: tensor '{tensor}' has {count} non-finite values (NaN/Inf); the model cannot be used", stderr.Trim());
        }

        Assert.False(File.Exists(onnx));
    }

    [Fact]
    public void InspectShowsTheFileAndSaysWhichTensorsAreNotFinite()
    {
        var weights = Poison(Poison(FiniteWeights(), "0.weight", 5, float.NaN), "2.weight", 1, float.PositiveInfinity);
        string model = SaveModel(weights);

        var (code, stdout, stderr) = CliRunner.Run("inspect", model);

        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith("(8x2)  5 non-finite values (NaN/Inf)", lines.Single(l => l.StartsWith("0.weight ", StringComparison.Ordinal)));
        Assert.EndsWith("(2x8)  1 non-finite values (NaN/Inf)", lines.Single(l => l.StartsWith("2.weight ", StringComparison.Ordinal)));
        Assert.EndsWith("(8)", lines.Single(l => l.StartsWith("0.bias ", StringComparison.Ordinal)));
        Assert.Contains("non-finite values (NaN/Inf) in 2 of 4 tensors (6 values)", stdout);

        var (_, finite, _) = CliRunner.Run("inspect", SaveModel(FiniteWeights()));
        Assert.DoesNotContain("non-finite", finite);
    }

    [Theory]
    [InlineData(true, "model.0.weight")]
    [InlineData(false, "optimizer.state.0.exp_avg")]
    public void TrainResumeRefusesACheckpointWithNonFiniteTensors(bool inModel, string expectedName)
    {
        string run = Path.Combine(_folder, "run");
        var (code, _, stderr) = CliRunner.Run("train", "--data", "moons", "--model", "2-8-2:relu", "--epochs", "1", "--out", run);
        Assert.True(code == 0, stderr);
        string checkpointPath = Path.Combine(run, "checkpoint.safetensors");
        var checkpoint = Checkpoint.Load(checkpointPath);
        checkpoint = inModel
            ? checkpoint with { Model = Poison(checkpoint.Model, "0.weight", 2, float.NaN) }
            : checkpoint with { Optimizer = Poison(checkpoint.Optimizer, "state.0.exp_avg", 2, float.NaN) };
        Checkpoint.Save(checkpointPath, checkpoint);
        byte[] model = File.ReadAllBytes(Path.Combine(run, "model.safetensors"));

        var (c2, o2, e2) = CliRunner.Run("train", "--resume", checkpointPath, "--epochs", "2");

        Assert.Equal(1, c2);
        Assert.Empty(o2);
        Assert.Equal($"train: {checkpointPath}: tensor '{expectedName}' has 2 non-finite values (NaN/Inf); training cannot resume from it", e2.Trim());
        Assert.Equal(model, File.ReadAllBytes(Path.Combine(run, "model.safetensors")));
    }
}
