using Backprop.NN;
using Backprop.Serialization;

namespace Backprop.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class ModelCommandsTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "backprop-model-" + Guid.NewGuid().ToString("N"));

    public ModelCommandsTests()
    {
        var (code, _, stderr) = CliRunner.Run("train", "--epochs", "8", "--out", _folder);
        Assert.True(code == 0, stderr);
    }

    private string ModelPath => Path.Combine(_folder, "model.safetensors");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void EvalPrintsAccuracyLossAndConfusionMatrix()
    {
        var (code, stdout, stderr) = CliRunner.Run("eval", ModelPath, "--data", "digits");
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^rows 359 accuracy 0\.9\d{3} loss \d\.\d{4}$", lines[0]);
        var matrix = lines.Skip(3).Take(10).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray()).ToArray();
        Assert.Equal(359, matrix.Sum(r => r.Sum()));
    }

    [Fact]
    public void PredictGivesAClassAndProbabilitiesPerRow()
    {
        string input = Path.Combine(_folder, "rows.csv");
        var data = Backprop.Data.Digits.Load(scale: false);
        var x = data.Features.ToArray<float>();
        File.WriteAllLines(input, Enumerable.Range(0, 5).Select(r => string.Join(",", x.Skip(r * 64).Take(64))));
        var (code, stdout, stderr) = CliRunner.Run("predict", ModelPath, "--input", input);
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("row,class,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9", lines[0]);
        Assert.Equal(6, lines.Length);
        var labels = data.Labels.ToArray<long>();
        int correct = 0;
        for (int r = 0; r < 5; r++)
        {
            var cells = lines[r + 1].Split(',');
            var p = cells.Skip(2).Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(1.0, p.Sum(), 1e-4);
            Assert.Equal(Array.IndexOf(p, p.Max()), int.Parse(cells[1]));
            correct += int.Parse(cells[1]) == labels[r] ? 1 : 0;
        }

        Assert.True(correct >= 4);
    }

    [Fact]
    public void PredictRejectsRowsOfTheWrongWidth()
    {
        string input = Path.Combine(_folder, "narrow.csv");
        File.WriteAllText(input, "1,2,3\n4,5,6\n");
        var (code, _, stderr) = CliRunner.Run("predict", ModelPath, "--input", input);
        Assert.Equal(1, code);
        Assert.Contains("rows have 3 values but the model", stderr);
    }

    [Fact]
    public void InspectListsTensorsAndParameterCount()
    {
        var (code, stdout, _) = CliRunner.Run("inspect", ModelPath);
        Assert.Equal(0, code);
        Assert.Matches(@"\n0\.weight +F32 +\(512x64\)", stdout);
        Assert.Matches(@"\n1\.num_batches_tracked +I64 +\(\)", stdout);
        // 3 Linear layers (weight, bias) and 2 batch norms (weight, bias, running_mean, running_var, num_batches_tracked).
        Assert.Contains($"16 tensors, {167_178 + (4 * (512 + 256)) + 2:N0} values", stdout);
        Assert.Contains("metadata backprop.model = 64-512-256-10:relu:bn:dropout=0.2", stdout);
    }

    [Fact]
    public void CorruptOrMismatchedModelFilesGiveOneErrorLine()
    {
        string truncated = Path.Combine(_folder, "truncated.safetensors");
        var bytes = File.ReadAllBytes(ModelPath);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length - 10)]);
        foreach (var args in new[] { new[] { "eval", truncated }, ["inspect", truncated], ["predict", truncated, "--input", truncated] })
        {
            var (code, _, stderr) = CliRunner.Run(args);
            Assert.Equal(1, code);
            Assert.Contains("truncated.safetensors", stderr);
            Assert.Single(stderr.Trim().Split('\n'));
        }

        // A file whose weights do not fit the architecture its metadata names.
        string wrong = Path.Combine(_folder, "wrong.safetensors");
        var other = new ModelSpec([64, 32, 10]).Build();
        SafeTensors.Save(wrong, other.StateDict(), new Dictionary<string, string> { ["backprop.model"] = "64-512-256-10:relu:dropout=0.2" });
        var (c2, _, e2) = CliRunner.Run("eval", wrong, "--data", "digits");
        Assert.Equal(1, c2);
        Assert.Contains("do not fit the model", e2);
        Assert.Contains("(512x64)", e2);
    }
}
