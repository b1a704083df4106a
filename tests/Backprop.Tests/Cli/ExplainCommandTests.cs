using System.Globalization;
using System.Xml.Linq;
using Backprop.Cli.Commands;

namespace Backprop.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public sealed class ExplainCommandTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "backprop-explain-" + Guid.NewGuid().ToString("N"));

    public ExplainCommandTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ExplainsTheIssuesExample()
    {
        var (code, stdout, stderr) = CliRunner.Run("explain", "g = -2*w1; y = w2 + g; z = y*w3", "--at", "w1=3,w2=4,w3=5");
        Assert.True(code == 0, stderr);
        Assert.Contains("1. Forward pass (topological order)", stdout);
        Assert.Matches(@"\nz\s+y·w3\s+-10\n", stdout);
        Assert.Contains("2. Backward pass (reverse topological order)", stdout);
        Assert.Matches(@"\ng\s+5\s+w1\s+∂g/∂w1 = −2\s+-2\s+-10\s+-10\n", stdout);
        Assert.Contains("3. Gradients of z", stdout);
        Assert.Matches(@"\nw1\s+-10\s+-10\s+\d\.\dE-\d+\n", stdout);
        Assert.Matches(@"\nw2\s+5\s+5\s+", stdout);
        Assert.Matches(@"\nw3\s+-2\s+-2\s+", stdout);
        Assert.DoesNotContain("4. Loss", stdout);
    }

    [Fact]
    public void TargetLossAndLearningRateAddOneStep()
    {
        var (code, stdout, stderr) = CliRunner.Run("explain", "g = -2*w1; y = w2 + g; z = y*w3", "--at", "w1=3,w2=4,w3=5", "--target", "10", "--loss", "difference", "--lr", "0.1");
        Assert.True(code == 0, stderr);
        Assert.Contains("loss L = 10 − z = 20", stdout);
        Assert.Matches(@"\nw1\s+3\s+10\s+2\n", stdout);
        Assert.Matches(@"\nw2\s+4\s+-5\s+4.5\n", stdout);
        Assert.Matches(@"\nw3\s+5\s+2\s+4.8\n", stdout);
        Assert.Contains("After the step: z = 2.4, L = 7.6 (was 20).", stdout);

        var squared = CliRunner.Run("explain", "z = 2*w", "--at", "w=1", "--target", "3");
        Assert.Contains("loss L = (3 − z)² = 1", squared.Stdout);
        Assert.Contains("∂L/∂z = −2·(3 − z) = -2", squared.Stdout);
    }

    [Theory]
    [InlineData("y = (a + b)) * c", "explain: unexpected ')' at column 12")]
    [InlineData("y = log(x)", "explain: log of -1 is undefined (log needs a positive argument) in 'log(x)' at column 5")]
    [InlineData("y = x*w", "explain: undefined variable 'w' (give it a value, e.g. --at w=1) at column 7")]
    public void ErrorsAreOneLineAndExitOne(string program, string message)
    {
        var (code, stdout, stderr) = CliRunner.Run("explain", program, "--at", program.Contains('x', StringComparison.Ordinal) ? "x=-1" : "a=1,b=2,c=3");
        Assert.Equal(1, code);
        Assert.Equal(message, stderr.TrimEnd());
        Assert.Equal("", stdout);
    }

    [Theory]
    [InlineData("--at", "w1:3")]
    [InlineData("--lr", "-1")]
    public void BadOptionsAreNamed(string option, string value)
    {
        var (code, _, stderr) = CliRunner.Run("explain", "z = 2*w1", "--at", option == "--at" ? value : "w1=1", option == "--at" ? "--format" : option, option == "--at" ? "text" : value);
        Assert.Equal(1, code);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("explain: ", stderr);
    }

    [Fact]
    public void WithoutAProgramOrExampleItSaysWhatIsNeeded()
    {
        var (code, _, stderr) = CliRunner.Run("explain");
        Assert.Equal(1, code);
        Assert.Contains("a PROGRAM is required", stderr);
        Assert.Contains("unknown example 'xor'", CliRunner.Run("explain", "--example", "xor").Stderr);
        Assert.Contains("--example runs a fixed program", CliRunner.Run("explain", "z = w", "--example", "abc").Stderr);
    }

    [Theory]
    [InlineData("abc", "∂f/∂a")]
    [InlineData("chain", "dy/dt = dy/dx · dx/dt = 5 · 2t = 10t (here 30).")]
    [InlineData("w123", "After the step: z = 2.4, L = 7.6")]
    [InlineData("mazur", "out_o1  σ(net_o1)")]
    [InlineData("regression", "26.34557767")]
    [InlineData("classification", "5. Training: 20 epochs of per-row SGD")]
    public void EveryExampleRuns(string name, string expected)
    {
        var (code, stdout, stderr) = CliRunner.Run("explain", "--example", name);
        Assert.True(code == 0, stderr);
        Assert.Contains(expected, stdout);
    }

    [Fact]
    public void MazurShowsEveryWeightsUpdateAndTheTenThousandthStep()
    {
        var (_, stdout, _) = CliRunner.Run("explain", "--example", "mazur");
        Assert.Matches(@"\nw5\s+0.4\s+0.08216704056\s+0.3589164797\n", stdout);
        Assert.Matches(@"\nw1\s+0.15\s+0.0004385677345\s+0.1497807161\n", stdout);
        Assert.Contains("After 10,000 steps with η = 0.5: E = 3.510187783E-05.", stdout);
    }

    [Fact]
    public void MarkdownAndTex()
    {
        var md = CliRunner.Run("explain", "--example", "w123", "--format", "md").Stdout;
        Assert.Contains("| node | formula | value |", md);
        Assert.Contains("| z | y·w3 | -10 |", md);
        var tex = CliRunner.Run("explain", "--example", "w123", "--format", "tex").Stdout;
        Assert.StartsWith(@"\documentclass{article}", tex);
        Assert.Contains(@"$z$ & $y \cdot w_{3}$ & $-10$ \\", tex);
    }

    [Fact]
    public void StepDoesNotWaitWhenInputIsNotATerminal()
    {
        // Under the test runner stdin and stdout are not a terminal: --step prints everything at once.
        var (code, stdout, _) = CliRunner.Run("explain", "--example", "w123", "--step");
        Assert.Equal(0, code);
        Assert.Equal(CliRunner.Run("explain", "--example", "w123").Stdout, stdout);
    }

    [Fact]
    public void GraphWritesSvgAndDotForAProgram()
    {
        string svg = Path.Combine(_folder, "w.svg");
        var (code, stdout, stderr) = CliRunner.Run("graph", "g = -2*w1; y = w2 + g; z = y*w3", "--at", "w1=3,w2=4,w3=5", "--out", svg);
        Assert.True(code == 0, stderr);
        Assert.Contains("(6 nodes, 5 edges)", stdout);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var doc = XDocument.Load(svg);
        Assert.Equal(6, doc.Descendants(ns + "g").Count(g => (string?)g.Attribute("class") == "node"));
        Assert.Equal(5, doc.Descendants(ns + "g").Count(g => (string?)g.Attribute("class") == "edge"));
        Assert.StartsWith("digraph backprop {", File.ReadAllText(Path.Combine(_folder, "w.dot")));
    }

    [Fact]
    public void GraphOfOneTrainingStepOfAModel()
    {
        string svg = Path.Combine(_folder, "m.svg");
        var (code, stdout, stderr) = CliRunner.Run("graph", "--model", "2-2-2:sigmoid", "--out", svg);
        Assert.True(code == 0, stderr);
        Assert.Contains("(10 nodes, 9 edges)", stdout);
        string text = File.ReadAllText(svg);
        Assert.Contains("0.weight", text);
        Assert.Contains("grad [", text);
        _ = XDocument.Parse(text);

        var example = CliRunner.Run("graph", "--example", "mazur", "--out", Path.Combine(_folder, "mazur.svg"));
        Assert.Equal(0, example.ExitCode);
    }

    [Fact]
    public void GraphNeedsExactlyOneSource()
    {
        var (code, _, stderr) = CliRunner.Run("graph", "z = x", "--model", "2-2");
        Assert.Equal(1, code);
        Assert.StartsWith("graph: give exactly one of", stderr);
        Assert.Equal(1, CliRunner.Run("graph", "--model", "2-x").ExitCode);
        Assert.Contains("does not exist", CliRunner.Run("graph", "--model", "2-2", "--out", Path.Combine(_folder, "missing", "g.svg")).Stderr);
    }

    [Fact]
    public void GraphRefusesAProgramTooLargeToReadAndDrawsOneAtTheLimit()
    {
        // z = w+w+…+w: one node per term, two edges per term. The issue's 5,000 terms ran 101 s into an OutOfMemoryException.
        string Sum(int terms) => "z = " + string.Join("+", Enumerable.Repeat("w", terms));
        string svg = Path.Combine(_folder, "big.svg");
        var (code, stdout, stderr) = CliRunner.Run("graph", Sum(5000), "--at", "w=1", "--out", svg);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal(
            string.Create(CultureInfo.InvariantCulture, $"graph: the program has 5,000 nodes and 9,998 edges; drawings are limited to {GraphCommand.MaxNodes:N0} nodes and {GraphCommand.MaxEdges:N0} edges (explain shows programs of any size)"),
            stderr.TrimEnd('\n'), ignoreLineEndingDifferences: true);
        Assert.Empty(Directory.GetFiles(_folder));

        var edges = CliRunner.Run("graph", Sum((GraphCommand.MaxEdges / 2) + 2), "--at", "w=1", "--out", svg);
        Assert.Equal(1, edges.ExitCode);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"drawings are limited to {GraphCommand.MaxNodes:N0} nodes"), edges.Stderr);

        var atLimit = CliRunner.Run("graph", Sum(GraphCommand.MaxNodes), "--at", "w=1", "--out", svg);
        Assert.True(atLimit.ExitCode == 0, atLimit.Stderr);
        Assert.Contains($"({GraphCommand.MaxNodes} nodes, {(2 * GraphCommand.MaxNodes) - 2} edges)", atLimit.Stdout);

        // About 350 bytes per node and edge (a box with four lines, a path with its title); quadratic routing made ~30,000.
        Assert.True(new FileInfo(svg).Length < 1000L * (GraphCommand.MaxNodes + GraphCommand.MaxEdges), $"{new FileInfo(svg).Length} bytes");
        Assert.Contains("limited to", CliRunner.Run("graph", "--help").Stdout);
    }

    [Fact]
    public void GraphRefusesAModelStepTooLargeToRead()
    {
        string spec = string.Join("-", Enumerable.Repeat("3", 1 + (GraphCommand.MaxNodes / 2))) + ":relu";
        var (code, _, stderr) = CliRunner.Run("graph", "--model", spec, "--out", Path.Combine(_folder, "deep.svg"));
        Assert.Equal(1, code);
        Assert.StartsWith("graph: the model's training step has ", stderr);
        Assert.Contains("(draw a model with fewer layers)", stderr);
        Assert.Empty(Directory.GetFiles(_folder));
    }

    [Fact]
    public void VanishingShowsTheSigmoidGradientShrinkingBesideRelu()
    {
        var (code, stdout, stderr) = CliRunner.Run("vanishing", "--depth", "10", "--activation", "sigmoid");
        Assert.True(code == 0, stderr);
        var rows = stdout.Split('\n').Where(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+\d+\s")).ToList();
        Assert.Equal(10, rows.Count);
        double Ratio(string row, int column) => double.Parse(row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[column], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Ratio(rows[0], 2) < 1e-4, rows[0]);  // sigmoid: first layer ÷ last
        Assert.True(Ratio(rows[0], 5) > 0.1, rows[0]);   // relu + He: same order of magnitude
        Assert.Contains("σ'(x) = σ(x)(1 − σ(x)) ≤ 0.25", stdout);
        Assert.Contains("--depth must be between 2 and 1000", CliRunner.Run("vanishing", "--depth", "1").Stderr);
    }

    [Fact]
    public void TrainWithGradReportWritesThePlotAndTheTable()
    {
        var (code, stdout, stderr) = CliRunner.Run("train", "--epochs", "2", "--grad-report", "--out", _folder);
        Assert.True(code == 0, stderr);
        Assert.Equal(2, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // stdout: the epoch lines only
        Assert.Contains("‖∂L/∂W‖ 0", stderr);
        Assert.Contains("gradients.csv, gradnorm.png", stderr);
        var csv = File.ReadAllLines(Path.Combine(_folder, "gradients.csv"));
        Assert.Equal("epoch,layer,name,activation,grad_norm,saturated,dead_relu", csv[0]);
        Assert.Equal(1 + (2 * 3), csv.Length); // 2 epochs × 3 Linear layers
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(_folder, "gradnorm.png"))[..4]);
    }
}
