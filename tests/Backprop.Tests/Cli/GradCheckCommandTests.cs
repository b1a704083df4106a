namespace Backprop.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public class GradCheckCommandTests
{
    [Fact]
    public void OneOpPrintsARowAndPasses()
    {
        var (code, stdout, _) = CliRunner.Run("gradcheck", "--op", "matmul");
        Assert.Equal(0, code);
        var row = stdout.Split('\n').Single(l => l.StartsWith("matmul ", StringComparison.Ordinal));
        Assert.EndsWith("pass", row.TrimEnd());
        Assert.Contains("1 of 1 ops passed", stdout);
    }

    [Fact]
    public void EveryOpPasses()
    {
        var (code, stdout, _) = CliRunner.Run("gradcheck", "--dtype", "float64");
        Assert.Equal(0, code);
        Assert.Contains($"{OpRegistry.All.Count} of {OpRegistry.All.Count} ops passed", stdout);
        Assert.DoesNotContain("FAIL", stdout);
    }

    [Fact]
    public void UnknownOpIsOneErrorLineAndNonZeroExit()
    {
        var (code, _, stderr) = CliRunner.Run("gradcheck", "--op", "no_such_op");
        Assert.NotEqual(0, code);
        Assert.StartsWith("gradcheck: unknown op 'no_such_op'", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("gradcheck", "--dtype", "float16")]
    [InlineData("gradcheck", "--no-such-option")]
    [InlineData("no-such-command")]
    public void BadArgumentsGiveUsageAndNonZeroExit(params string[] args)
    {
        var (code, stdout, stderr) = CliRunner.Run(args);
        Assert.NotEqual(0, code);
        Assert.NotEmpty(stderr.Trim());
        Assert.DoesNotContain("   at ", stdout + stderr);
    }
}
