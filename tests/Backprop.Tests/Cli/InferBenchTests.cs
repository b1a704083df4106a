using System.Text.RegularExpressions;
using Backprop.Cli.Bench;
using Backprop.InferBench;

namespace Backprop.Tests.Cli;

/// <summary>
/// <c>bench infer</c>: the CLI's line and argument errors, the twin's arguments, the harness's
/// alternation, and that ONNX Runtime's side (benchmarks/Backprop.InferBench) runs the model the
/// harness exports to the same outputs as Backprop's forward, so the two times are of one computation.
/// No timing is asserted.
/// </summary>
[Collection(ConsoleCollection.Name)]
public class InferBenchTests
{
    [Fact]
    public void InferPrintsOneMachineReadableLinePerConfigurationAndWhereOnnxRuntimesSideRuns()
    {
        int before = Threading.NumThreads;
        var (code, stdout, stderr) = CliRunner.Run("bench", "infer", "--rounds", "1", "--model", "mlp", "--batch", "1", "--threads", "1");
        Assert.Equal(0, code);
        var line = Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(@"^infer mlp batch 1 threads 1 backprop_us \d+\.\d alloc_b \d+$", line);
        Assert.Contains("ONNX Runtime's side runs from the repository's ./backprop bench infer", stderr);
        Assert.Equal(before, Threading.NumThreads);
    }

    [Fact]
    public void InferRunsEveryModelBatchAndThreadCountInOrder()
    {
        var (code, stdout, _) = CliRunner.Run("bench", "infer", "--rounds", "1", "--model", "cnn,mlp", "--batch", "2,1", "--threads", "1");
        Assert.Equal(0, code);
        var configurations = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => Regex.Match(l, @"^infer (\w+) batch (\d+) threads (\d+) ").Groups.Values.Skip(1).Select(g => g.Value))
            .Select(g => string.Join(" ", g));
        Assert.Equal(["cnn 2 1", "cnn 1 1", "mlp 2 1", "mlp 1 1"], configurations);
    }

    [Fact]
    public void InferJsonHasTheLinesFields()
    {
        var (code, stdout, _) = CliRunner.Run("bench", "infer", "--rounds", "1", "--model", "mlp", "--batch", "1", "--threads", "1", "--format", "json");
        Assert.Equal(0, code);
        using var json = System.Text.Json.JsonDocument.Parse(Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        var root = json.RootElement;
        Assert.Equal("infer", root.GetProperty("kind").GetString());
        Assert.Equal("mlp", root.GetProperty("model").GetString());
        Assert.Equal(1, root.GetProperty("batch").GetInt32());
        Assert.Equal(1, root.GetProperty("threads").GetInt32());
        Assert.True(root.GetProperty("backprop_us").GetDouble() > 0);
        Assert.True(root.GetProperty("alloc_b").GetInt64() >= 0);
    }

    [Theory]
    [InlineData("bench: --model must be mlp, cnn, lstm or all, got 'resnet'", "--model", "resnet")]
    [InlineData("bench: --batch must be at least 1, got 0", "--batch", "0")]
    [InlineData("bench: --batch must be at least 1, got -3", "--batch", "1,-3")]
    [InlineData("bench: --batch must be whole numbers separated by commas (e.g. 1,256), got 'x'", "--batch", "x")]
    [InlineData("bench: --batch must be a comma-separated list without empty items, got '1,'", "--batch", "1,")]
    [InlineData("bench: --threads must be at least 1, got 0", "--threads", "0")]
    [InlineData("bench: --rounds must be at least 1, got 0", "--rounds", "0")]
    public void BadInferArgumentsAreOneLineNamingTheValue(string message, params string[] option)
    {
        var (code, stdout, stderr) = CliRunner.Run(["bench", "infer", .. option]);
        Assert.Equal(1, code);
        Assert.Empty(stdout);
        Assert.Equal(message, stderr.Trim());
    }

    [Fact]
    public void AThreadListIsForInferOnly()
    {
        var (code, _, stderr) = CliRunner.Run("bench", "sgemm", "--epochs", "1", "--threads", "1,2");
        Assert.Equal(1, code);
        Assert.Equal("bench: --threads must be one whole number for sgemm (a list only for infer), got '1,2'", stderr.Trim());
    }

    [Fact]
    public void TheTwinReadsTheCliArgumentsInBothSpellings()
    {
        var settings = InferenceSettings.FromArguments(["--model", "lstm", "--batch=3,1", "--threads", "2", "--rounds=4", "--format", "json"]);
        Assert.Equal(["lstm"], settings.Models);
        Assert.Equal([3, 1], settings.Batches);
        Assert.Equal([2], settings.Threads);
        Assert.Equal(4, settings.Rounds);
        Assert.True(settings.Json);

        var defaults = InferenceSettings.FromArguments([]);
        Assert.Equal(["mlp", "cnn", "lstm"], defaults.Models);
        Assert.Equal([1, 256], defaults.Batches);
        Assert.Equal([1, 2], defaults.Threads);
        Assert.Equal(InferenceSettings.DefaultRounds, defaults.Rounds);
        Assert.False(defaults.Json);
    }

    [Theory]
    [InlineData("unknown argument '--epochs' (expected --model, --batch, --threads, --rounds or --format)", "--epochs", "3")]
    [InlineData("--rounds needs a value", "--rounds")]
    [InlineData("--rounds must be a whole number, got 'many'", "--rounds", "many")]
    [InlineData("--format must be text or json, got 'csv'", "--format=csv")]
    [InlineData("--threads must be at least 1, got 0", "--threads", "0")]
    [InlineData("--model must be mlp, cnn, lstm or all, got 'gpt'", "--model", "mlp,gpt")]
    public void TheTwinRefusesBadArgumentsWithTheCliMessages(string message, params string[] args)
    {
        var e = Assert.Throws<ArgumentException>(() => InferenceSettings.FromArguments(args));
        Assert.Equal(message, e.Message);
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn")]
    [InlineData("lstm")]
    public void OnnxRuntimeRunsTheExportedModelToBackpropsOutputs(string name)
    {
        var model = InferenceBenchmark.CreateModel(name);
        Assert.False(model.IsTraining);
        byte[] onnx = InferenceBenchmark.ToOnnx(model);
        foreach (int batch in new[] { 1, 3 })
        {
            var input = InferenceBenchmark.CreateInput(batch);
            float[] expected = InferenceBenchmark.Forward(InferenceBenchmark.Serve(model), input).ToArray<float>();
            Assert.Equal(batch * InferenceBenchmark.Classes, expected.Length);
            using var call = (OnnxRuntimeCall)new OnnxRuntimeTwin().Prepare(name, onnx, input, threads: 1);
            call.Run();
            float[] actual = call.Output.ToArray();
            Assert.Equal(expected.Length, actual.Length);
            double diff = Onnx.OnnxRuntimeRunner.MaxAbsDifference(expected, actual);
            Assert.True(diff <= 1e-4, $"{name} batch {batch}: max |ort - backprop| = {diff}");
            if (batch > 1)
            {
                // The rows differ (the input does), so matching them is not matching a constant.
                Assert.NotEqual(expected[..InferenceBenchmark.Classes], expected[^InferenceBenchmark.Classes..]);
            }
        }
    }

    [Fact]
    public void TheSameNameGivesTheSameWeightsAndInput()
    {
        var a = InferenceBenchmark.Forward(InferenceBenchmark.CreateModel("lstm"), InferenceBenchmark.CreateInput(2)).ToArray<float>();
        var b = InferenceBenchmark.Forward(InferenceBenchmark.CreateModel("lstm"), InferenceBenchmark.CreateInput(2)).ToArray<float>();
        Assert.Equal(a, b);
    }

    [Fact]
    public void WithATwinTheRoundsAlternateAndTheLineHasBothTimesAndTheRatio()
    {
        var twin = new CountingTwin();
        int before = Threading.NumThreads;
        var result = Assert.Single(InferenceBenchmark.Run(new InferenceSettings(["mlp"], [2], [1], Rounds: 3), twin));
        Assert.Equal(before, Threading.NumThreads);

        Assert.Equal(new InferenceCase("mlp", 2, 1), result.Case);
        Assert.Equal(("mlp", 2, 1), (twin.Model, twin.Batch, twin.Threads));
        Assert.NotEmpty(twin.Onnx!);
        Assert.True(twin.Calls > 3, $"{twin.Calls} calls");
        Assert.True(twin.Disposed);
        Assert.Equal(3, result.Rounds);
        Assert.True(result.RatioMin <= result.Ratio && result.Ratio <= result.RatioMax, result.Line());
        Assert.Matches(@"^infer mlp batch 2 threads 1 backprop_us \d+\.\d counting_us \d+\.\d ratio \d+\.\d\d alloc_b \d+ ratio_min \d+\.\d\d ratio_max \d+\.\d\d pairs 3$", result.Line());
    }

    /// <summary>A twin whose call only counts: what the harness gave it and how often it ran it.</summary>
    private sealed class CountingTwin : IInferenceTwin, IInferenceCall
    {
        public string Name => "counting";

        public string? Model { get; private set; }

        public byte[]? Onnx { get; private set; }

        public int Batch { get; private set; }

        public int Threads { get; private set; }

        public int Calls { get; private set; }

        public bool Disposed { get; private set; }

        public IInferenceCall Prepare(string model, byte[] onnx, Tensor input, int threads)
        {
            (Model, Onnx, Batch, Threads) = (model, onnx, input.Size(0), threads);
            return this;
        }

        public void Run()
        {
            Calls++;
            Thread.SpinWait(2000);
        }

        public void Dispose() => Disposed = true;
    }
}
