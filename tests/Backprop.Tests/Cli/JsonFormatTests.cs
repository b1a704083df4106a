using System.Text.Json;

namespace Backprop.Tests.Cli;

/// <summary>--format json: every machine-readable command prints JSON Lines on stdout, and nothing else there.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class JsonFormatTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "backprop-json-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static List<JsonElement> Lines(string stdout) =>
        [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];

    [Fact]
    public void TrainStreamsOneObjectPerEpochThenEvalAndInspectDescribeTheModel()
    {
        var (code, stdout, stderr) = CliRunner.Run("train", "--epochs", "2", "--model", "64-16-10:relu", "--out", _folder, "--format", "json");
        Assert.True(code == 0, stderr);
        var epochs = Lines(stdout);
        Assert.Equal(2, epochs.Count);
        Assert.Equal([1, 2], epochs.Select(e => e.GetProperty("epoch").GetInt32()));
        Assert.All(epochs, e => Assert.InRange(e.GetProperty("test_acc").GetDouble(), 0.2, 1.0));
        Assert.True(epochs[1].GetProperty("train_loss").GetDouble() < epochs[0].GetProperty("train_loss").GetDouble());
        Assert.Contains("wrote model.safetensors", stderr);

        string model = Path.Combine(_folder, "model.safetensors");
        (code, stdout, stderr) = CliRunner.Run("eval", model, "--format", "json");
        Assert.True(code == 0, stderr);
        var eval = Assert.Single(Lines(stdout));
        Assert.Equal(epochs[1].GetProperty("test_acc").GetDouble(), eval.GetProperty("accuracy").GetDouble(), 4);
        var confusion = eval.GetProperty("confusion");
        Assert.Equal(10, confusion.GetArrayLength());
        Assert.Equal(eval.GetProperty("rows").GetInt32(), confusion.EnumerateArray().Sum(row => row.EnumerateArray().Sum(c => c.GetInt32())));
        Assert.Equal("0", eval.GetProperty("classes")[0].GetString());

        // Per-class scores from the same confusion matrix: recall of class c = confusion[c][c] / its row's sum.
        var rows = confusion.EnumerateArray().Select(r => r.EnumerateArray().Select(c => c.GetInt64()).ToArray()).ToArray();
        for (int c = 0; c < 10; c++)
        {
            long support = rows[c].Sum();
            Assert.Equal(support, eval.GetProperty("support")[c].GetInt64());
            Assert.Equal(support == 0 ? 0 : (double)rows[c][c] / support, eval.GetProperty("recall")[c].GetDouble(), 5);
        }

        Assert.InRange(eval.GetProperty("macro_f1").GetDouble(), 0.2, 1.0);

        (code, stdout, stderr) = CliRunner.Run("inspect", model, "--format", "json");
        Assert.True(code == 0, stderr);
        var inspect = Assert.Single(Lines(stdout));
        Assert.Equal((64 * 16) + 16 + (16 * 10) + 10, inspect.GetProperty("parameters").GetInt64());
        var first = inspect.GetProperty("tensors")[0];
        Assert.Equal("F32", first.GetProperty("dtype").GetString());
        Assert.Equal(0, first.GetProperty("non_finite").GetInt64());
        Assert.Equal("64-16-10:relu", inspect.GetProperty("metadata").GetProperty("backprop.model").GetString());
    }

    [Fact]
    public void GradcheckAndBenchPrintOneObjectPerRow()
    {
        var (code, stdout, stderr) = CliRunner.Run("gradcheck", "--op", "tanh", "--format", "json");
        Assert.True(code == 0, stderr);
        var rows = Lines(stdout);
        Assert.Equal("tanh", rows[0].GetProperty("op").GetString());
        Assert.True(rows[0].GetProperty("passed").GetBoolean());
        Assert.Equal(1, rows[^1].GetProperty("total").GetInt32());

        (code, stdout, stderr) = CliRunner.Run("bench", "scalar", "--epochs", "2", "--format", "json");
        Assert.True(code == 0, stderr);
        var steps = Lines(stdout);
        Assert.Equal(2, steps.Count);
        Assert.Equal("scalar", steps[0].GetProperty("kind").GetString());
        Assert.True(steps[1].GetProperty("step_s").GetDouble() > 0);

        var (bad, _, message) = CliRunner.Run("eval", "x.safetensors", "--format", "yaml");
        Assert.Equal(2, bad);
        Assert.Contains("yaml", message);
    }
}
