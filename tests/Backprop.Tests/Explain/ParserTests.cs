using Backprop.Explain;

namespace Backprop.Tests.Explain;

public class ParserTests
{
    private static double Eval(string program, params (string, double)[] inputs) =>
        ExpressionGraph.Build(ExplainProgram.Parse(program), inputs.Select(i => KeyValuePair.Create(i.Item1, i.Item2))).Output.Value;

    [Theory]
    [InlineData("y = 1 + 2*3", 7)]
    [InlineData("y = (1 + 2)*3", 9)]
    [InlineData("y = 2^3^2", 512)]          // right-associative
    [InlineData("y = -2^2", -4)]            // −(2²), as in mathematics
    [InlineData("y = (-2)^2", 4)]
    [InlineData("y = 2^-1", 0.5)]
    [InlineData("y = 8/4/2", 1)]            // left-associative
    [InlineData("y = 10 - 4 - 3", 3)]
    [InlineData("y = --3", 3)]
    [InlineData("y = 1e-3*1000", 1)]
    [InlineData("y = .5 + 1.5E1", 15.5)]
    [InlineData("a = 3\ny = a*a", 9)]
    [InlineData("a = 3; ; y = a − 1", 2)]    // typographic minus, empty statement
    [InlineData("y = 2·3×4", 24)]           // typographic times
    [InlineData("2*3 + 1", 7)]              // a bare last expression
    [InlineData("y = abs(-3) + relu(-1) + relu(2)", 5)]
    public void EvaluatesWithTheUsualPrecedence(string program, double expected) =>
        Assert.Equal(expected, Eval(program), 12);

    [Theory]
    [InlineData("y = (a + b)) * c", 12, "unexpected ')'")]
    [InlineData("y = 2 +", 8, "unexpected end of program")]
    [InlineData("y = 2 $ 3", 7, "unexpected character '$'")]
    [InlineData("y = foo(x)", 5, "unknown function 'foo'")]
    [InlineData("y = exp x", 9, "unexpected 'x'")]
    [InlineData("y = 2 3", 7, "unexpected number 3")]
    [InlineData("y = 2w", 5, "malformed number '2w'")]
    [InlineData("y = 1e+", 5, "malformed number '1e+'")]
    [InlineData("y = 1e999", 5, "too large")]
    [InlineData("", 1, "the program is empty")]
    [InlineData(" ;; ", 5, "the program is empty")]
    [InlineData("x + 1; y = 2", 1, "only the last statement may be a bare expression")]
    [InlineData("exp = 2", 1, "'exp' is a function")]
    [InlineData("y = (1", 7, "unexpected end of program (expected ')')")]
    [InlineData("y = *2", 5, "unexpected '*'")]
    [InlineData("y = 2 = 3", 7, "unexpected '='")]
    public void ParseErrorsNameTheColumn(string program, int column, string message)
    {
        var e = Assert.Throws<ExplainException>(() => ExplainProgram.Parse(program));
        Assert.Equal(column, e.Column);
        Assert.Contains(message, e.Message);
        Assert.EndsWith($"at column {column}", e.Message);
    }

    [Fact]
    public void TheIssuesExampleMessage()
    {
        var e = Assert.Throws<ExplainException>(() => ExplainProgram.Parse("z = (y + w1)*3)"));
        Assert.Equal("unexpected ')' at column 15", e.Message);
    }

    [Fact]
    public void MultiLineProgramsNameLineAndColumn()
    {
        var e = Assert.Throws<ExplainException>(() => ExplainProgram.Parse("a = 1\nb = a +\n"));
        Assert.Equal(2, e.Line);
        Assert.Equal(8, e.Column);
        Assert.EndsWith("at line 2, column 8", e.Message);
    }

    [Fact]
    public void NestingIsBoundedWithAnErrorNotAStackOverflow()
    {
        string deep = "y = " + new string('(', 10_000) + "1" + new string(')', 10_000);
        var e = Assert.Throws<ExplainException>(() => ExplainProgram.Parse(deep));
        Assert.Contains($"nested more than {Parser.MaxNesting} levels", e.Message);
        Assert.Throws<ExplainException>(() => ExplainProgram.Parse("y = " + new string('-', 10_000) + "1"));
        Assert.Throws<ExplainException>(() => ExplainProgram.Parse("y = " + string.Concat(Enumerable.Repeat("2^", 10_000)) + "1"));

        // Within the limit it parses.
        Assert.Equal(1, Eval("y = " + new string('(', Parser.MaxNesting - 1) + "1" + new string(')', Parser.MaxNesting - 1)));
    }

    [Fact]
    public void LongFlatChainsAreBuiltWithoutRecursion()
    {
        // a + a + … + a nests 100,000 deep on the left; building the graph must not recurse.
        string program = "y = " + string.Join(" + ", Enumerable.Repeat("a", 100_000));
        var graph = ExpressionGraph.Build(ExplainProgram.Parse(program), [KeyValuePair.Create("a", 0.5)]);
        Assert.Equal(50_000, graph.Output.Value);
        Assert.Equal(100_000, graph.Backward().GradientOf("a"));
    }

    [Fact]
    public void InputsAreTheNamesUsedBeforeAssignmentInOrderOfFirstUse()
    {
        var program = ExplainProgram.Parse("g = -2*w1; y = w2 + g; z = y*w3");
        Assert.Equal(["w1", "w2", "w3"], program.Inputs);
        Assert.Equal("z", program.OutputName);
        Assert.Null(ExplainProgram.Parse("a*b").OutputName);
    }
}
