using System.Text.RegularExpressions;
using Backprop.Tests.Cli;

namespace Backprop.Tests.Scalar;

/// <summary><c>backprop bench scalar --engine tape|value</c>.</summary>
[Collection(ConsoleCollection.Name)]
public class ScalarBenchCommandTests
{
    [Fact]
    public void BothEnginesPrintTheSameStepsAndTheirOwnSummary()
    {
        var (tapeCode, tapeOut, tapeErr) = CliRunner.Run("bench", "scalar", "--epochs", "3");
        var (valueCode, valueOut, valueErr) = CliRunner.Run("bench", "scalar", "--epochs", "3", "--engine", "value");
        Assert.Equal(0, tapeCode);
        Assert.Equal(0, valueCode);

        // Identical up to the timings: the engines give the same loss and accuracy to 4 decimals.
        static string[] WithoutTimes(string stdout) =>
            stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => Regex.Replace(l, @" step_s \S+$", "")).ToArray();
        Assert.Equal(3, WithoutTimes(tapeOut).Length);
        Assert.Equal(WithoutTimes(valueOut), WithoutTimes(tapeOut));

        // Whether the tape engine allocates is tested in MicrogradStepTests; here, the format.
        Assert.Matches(@"^mean step_s \d+\.\d{4} engine tape allocated_per_step_kb \d+\.\d \(after step 1\)", tapeErr);
        Assert.Matches(@"^mean step_s \d+\.\d{4} engine value allocated_per_step_kb \d+\.\d \(after step 1\)", valueErr);
    }

    [Theory]
    [InlineData("tape")]
    [InlineData("value")]
    public void TheSeedDrawsTheRunAndTheSameSeedRepeatsIt(string engine)
    {
        static string Steps(params string[] seed)
        {
            var (code, stdout, stderr) = CliRunner.Run(["bench", "scalar", "--epochs", "2", .. seed]);
            Assert.True(code == 0, stderr);
            return Regex.Replace(stdout, @" step_s \S+", "");
        }

        string seven = Steps("--engine", engine, "--seed", "7");
        Assert.Equal(seven, Steps("--engine", engine, "--seed", "7"));
        Assert.NotEqual(seven, Steps("--engine", engine, "--seed", "8"));

        // Without --seed, micrograd's demo seed, so earlier measurements stay comparable.
        Assert.Equal(Steps("--engine", engine), Steps("--engine", engine, "--seed", "1337"));
        Assert.NotEqual(Steps("--engine", engine), seven);
    }

    [Fact]
    public void AnUnknownEngineFails()
    {
        var (code, stdout, stderr) = CliRunner.Run("bench", "scalar", "--engine", "gpu");
        Assert.NotEqual(0, code);
        Assert.DoesNotContain("scalar step", stdout);
        Assert.Contains("gpu", stderr);
    }
}
