using System.Text.RegularExpressions;
using Backprop.Tests.Data;

namespace Backprop.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public class BenchCommandTests
{
    [Fact]
    public void ScalarBenchPrintsOneLinePerStepAndTheLossFalls()
    {
        var (code, stdout, stderr) = CliRunner.Run("bench", "scalar", "--epochs", "15");
        Assert.Equal(0, code);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(15, lines.Length);
        var pattern = new Regex(@"^scalar step (\d+) loss (\d+\.\d{4}) accuracy \d\.\d{2} step_s \d+\.\d{4}$");
        Assert.All(lines, l => Assert.Matches(pattern, l));
        double first = double.Parse(pattern.Match(lines[0]).Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        double last = double.Parse(pattern.Match(lines[^1]).Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(last < first, $"loss {first} -> {last}");
        Assert.StartsWith("mean step_s ", stderr);
    }

    [Fact]
    public void SgemmBenchPrintsOneLinePerSizeInTorchScriptsFormat()
    {
        var (code, stdout, stderr) = CliRunner.Run("bench", "sgemm", "--epochs", "1", "--threads", "2");
        Assert.Equal(0, code);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["256", "512", "1024", "2048"], lines.Take(4).Select(l => Regex.Match(l, @"^sgemm n (\d+) gflops \d+\.\d$").Groups[1].Value));

        // Then the recipes' products, named as torch_sgemm.py names them (the script's list must match).
        var shapes = lines.Skip(4).Select(l => Regex.Match(l, @"^sgemm shape (\S+) m (\d+) n (\d+) k (\d+) op ([nt]{2}) gflops \d+\.\d$")).ToArray();
        Assert.All(shapes, m => Assert.True(m.Success));
        string script = File.ReadAllText(Path.Combine(RepositoryRoot.Find(), "benchmarks", "compare", "torch_sgemm.py"));
        Assert.Equal(9, shapes.Length);
        foreach (var m in shapes)
        {
            bool ta = m.Groups[5].Value[0] == 't', tb = m.Groups[5].Value[1] == 't';
            string entry = $"(\"{m.Groups[1].Value}\", {m.Groups[2].Value}, {m.Groups[3].Value}, {m.Groups[4].Value}, {(ta ? "True" : "False")}, {(tb ? "True" : "False")})";
            Assert.Contains(entry, script);
        }

        Assert.StartsWith("threads 2", stderr);
    }

    [FashionMnistFact]
    public void RecipeSeedDefaultsToTorchScriptsZeroAndChangesTheRun()
    {
        static string Result(params string[] seed)
        {
            var (code, stdout, _) = CliRunner.Run(["bench", "mlp", "--epochs", "1", "--threads", "1", .. seed]);
            Assert.Equal(0, code);
            var match = Regex.Match(stdout, @"^mlp epoch 1 (train_loss \d\.\d{4} test_acc \d\.\d{4}) epoch_s \d+\.\d{2}$", RegexOptions.Multiline);
            Assert.True(match.Success, stdout);
            return match.Groups[1].Value;
        }

        string byDefault = Result();
        Assert.Equal(byDefault, Result("--seed", "0"));
        Assert.NotEqual(byDefault, Result("--seed", "1"));
    }

    [Theory]
    [InlineData("bench", "gpu")]
    [InlineData("bench", "mlp", "--seed", "x")]
    [InlineData("bench", "scalar", "--epochs", "0")]
    [InlineData("bench", "cnn", "--epochs", "0")]
    public void BadArgumentsFail(params string[] args)
    {
        var (code, _, stderr) = CliRunner.Run(args);
        Assert.NotEqual(0, code);
        Assert.NotEmpty(stderr);
    }

    [Fact]
    public void ZeroThreadsIsOneLineNamingTheValueWithoutDotNetsParameterSuffix()
    {
        var (code, _, stderr) = CliRunner.Run("bench", "sgemm", "--epochs", "1", "--threads", "0");
        Assert.Equal(1, code);
        Assert.Equal("bench: --threads must be at least 1, got 0", stderr.Trim());
    }

    [Fact]
    public void ANonPositiveBucketCapIsOneLineNamingTheValue()
    {
        var (code, _, stderr) = CliRunner.Run("bench", "mlp", "--epochs", "1", "--bucket-cap-mb", "0");
        Assert.Equal(1, code);
        Assert.Equal("bench: --bucket-cap-mb must be positive, got 0", stderr.Trim());
    }
}
