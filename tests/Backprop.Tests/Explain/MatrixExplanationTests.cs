using Backprop.Explain;

namespace Backprop.Tests.Explain;

/// <summary>explain's matrix form: array values, @, transpose, sum/mean, broadcasting, shape errors, the rules and their numbers.</summary>
public class MatrixExplanationTests
{
    private const string Network = "h = sigmoid(W1 @ x + b1); y = W2 @ h + b2; L = sum((y - t)^2)";

    private static KeyValuePair<string, Tensor> V(string name, string value) => KeyValuePair.Create(name, ExplainArray.Parse(value));

    private static MatrixExplanation Explain(string program, params (string Name, string Value)[] inputs) =>
        MatrixExplanation.Create(program, inputs.Select(i => V(i.Name, i.Value)));

    private static readonly (string, string)[] s_network =
        [("W1", "[[0.15,0.20],[0.25,0.30]]"), ("x", "[0.05,0.10]"), ("b1", "[0.35,0.35]"), ("W2", "[[0.4,0.45],[0.5,0.55]]"), ("b2", "0.6"), ("t", "[0.01,0.99]")];

    [Theory]
    [InlineData("2.5", new int[0], new[] { 2.5 })]
    [InlineData(" [0.05, 0.10] ", new[] { 2 }, new[] { 0.05, 0.10 })]
    [InlineData("[[1,2,3],[4,5,6]]", new[] { 2, 3 }, new[] { 1.0, 2, 3, 4, 5, 6 })]
    [InlineData("[[1],[-2e-1]]", new[] { 2, 1 }, new[] { 1.0, -0.2 })]
    [InlineData("[ [ 1 , 2 ] ]", new[] { 1, 2 }, new[] { 1.0, 2 })]
    public void ParsesNumbersVectorsAndMatrices(string text, int[] shape, double[] data)
    {
        var value = ExplainArray.Parse(text);
        Assert.Equal(DType.Float64, value.DType);
        Assert.Equal(shape, value.Shape);
        Assert.Equal(data, value.ToArray());
    }

    [Theory]
    [InlineData("[[1,2],[3]]", "row 2 has 1 number, row 1 has 2")]
    [InlineData("[]", "an empty array")]
    [InlineData("[1,2", "unclosed '['")]
    [InlineData("[[[1]]]", "too deeply nested")]
    [InlineData("[1,[2]]", "unexpected '['")]
    [InlineData("[1,a]", "expected a number, got 'a'")]
    [InlineData("[1,2]]", "unexpected ']' after the value")]
    [InlineData("[1e999]", "too large")]
    public void BadArraysAreRefusedSayingWhatIsWrong(string text, string message) =>
        Assert.Contains(message, Assert.Throws<ExplainException>(() => ExplainArray.Parse(text)).Message);

    [Fact]
    public void FormatsValuesAsTheyAreParsed()
    {
        Assert.Equal("[[0.15, 0.2], [0.25, 0.3]]", ExplainArray.Format(ExplainArray.Parse("[[0.15,0.20],[0.25,0.30]]")));
        Assert.Equal("[-1, 0.5]", ExplainArray.Format(ExplainArray.Parse("[-1,0.5]")));
        Assert.Equal("3", ExplainArray.Format(ExplainArray.Parse("3")));
        Assert.Equal("2×3", ExplainArray.FormatShape([2, 3]));
        Assert.Equal("scalar", ExplainArray.FormatShape([]));
    }

    [Theory]
    [InlineData("L = sum(W @ x)", true)]
    [InlineData("L = sum(x)", true)]
    [InlineData("L = mean(x)", true)]
    [InlineData("y = x'; L = sum(y)", true)]
    [InlineData("y = T(x)", true)]
    [InlineData("y = [1, 2]*x", true)]
    [InlineData("y = 2*x + sigmoid(x)", false)]
    [InlineData("sum = a + b; mean = sum/2; T = mean", false)] // the names stay free for scalar programs
    public void KnowsWhichProgramsUseTheMatrixForm(string program, bool matrix) =>
        Assert.Equal(matrix, ExplainProgram.Parse(program).UsesMatrixForm);

    [Theory]
    [InlineData("y = @x", 5, "unexpected character '@'")]
    [InlineData("y = 'x", 5, "unexpected character '''")]
    [InlineData("y = (@ x)", 6, "unexpected character '@'")]
    [InlineData("y = x @", 8, "unexpected end of program")]
    [InlineData("y = [1, 2", 5, "unclosed '['")]
    [InlineData("y = [1, 2]]", 11, "unexpected character ']'")]
    [InlineData("y = [[1, 2], [3]]", 14, "row 2 has 1 number, row 1 has 2")]
    public void MatrixSyntaxErrorsNameTheColumn(string program, int column, string message)
    {
        var e = Assert.Throws<ExplainException>(() => ExplainProgram.Parse(program));
        Assert.Contains(message, e.Message);
        Assert.Equal(column, e.Column);
    }

    [Fact]
    public void ArrayLiteralsInTheProgramAreConstants()
    {
        var e = Explain("y = [[1, 2], [3, 4]] @ x; L = sum(y)", ("x", "[1, -1]"));
        Assert.Equal([-1.0, -1.0], e.Nodes.Single(n => n.Name == "y").Value.ToArray());
        Assert.Equal(["x"], e.Inputs.Select(i => i.Name));
        Assert.Equal([4.0, 6.0], e.GradientOf("x").ToArray());
        Assert.Contains(e.Nodes, n => n.Kind == ExpressionNodeKind.Constant && n.Name == "[[1, 2], [3, 4]]");
    }

    [Theory]
    [InlineData("y = W @ x; L = sum(y)", "W=[[1,2,3],[4,5,6]]", "x=[1,2]", 7, "W is (2×3) and x is (2): the inner sizes 3 and 2 differ")]
    [InlineData("L = sum(a + b)", "a=[1,2]", "b=[1,2,3]", 11, "a is (2) and b is (3)")]
    [InlineData("L = sum(a * b)", "a=[[1,2],[3,4]]", "b=[1,2,3]", 11, "a is (2×2) and b is (3)")]
    [InlineData("L = sum(a @ b)", "a=2", "b=[1,2]", 11, "'@' needs vectors or matrices, not a scalar")]
    [InlineData("y = a + b", "a=[1,2]", "b=[3,4]", 1, "the output y is a vector (2); explain differentiates a scalar")]
    [InlineData("L = sum(log(a)) + b", "a=[1,-2]", "b=0", 9, "log of -2 at entry [1] is undefined")]
    [InlineData("L = sum(a / b)", "a=[1,2]", "b=[[1,0],[2,3]]", 11, "division by zero in u1 = a / b: b is 0 at entry [0, 1]")]
    public void ShapeAndDomainErrorsNameThePositionAndTheShapes(string program, string a, string b, int column, string message)
    {
        var inputs = new[] { a, b }.Select(s => V(s[..s.IndexOf('=')], s[(s.IndexOf('=') + 1)..]));
        var error = Assert.Throws<ExplainException>(() => MatrixExplanation.Create(program, inputs));
        Assert.Contains(message, error.Message);
        Assert.Equal(column, error.Column);
        Assert.EndsWith($"at column {column}", error.Message);
    }

    [Fact]
    public void TheScalarExplanationRefusesTheMatrixFormWithAPosition()
    {
        var e = Assert.Throws<ExplainException>(() => Explanation.Create("y = a @ b", [KeyValuePair.Create("a", 1.0), KeyValuePair.Create("b", 2.0)]));
        Assert.Equal(7, e.Column);
        Assert.Contains("'@' works on vectors and matrices", e.Message);
        e = Assert.Throws<ExplainException>(() => Explanation.Create("y = [1, 2]*a", [KeyValuePair.Create("a", 1.0)]));
        Assert.Equal(5, e.Column);
        e = Assert.Throws<ExplainException>(() => Explanation.Create("y = a'", [KeyValuePair.Create("a", 1.0)]));
        Assert.Equal(6, e.Column);
    }

    [Theory]
    [InlineData(Network)]
    [InlineData("y = W @ x + b; L = mean(y^2) + sum(W' * c)")]
    [InlineData("z = x @ W; L = sum(tanh(z) / (1 + exp(-z)))")]
    [InlineData("d = x @ x; L = sqrt(d) + sum(abs(x - 0.5) * relu(x))")]
    [InlineData("A = W @ W'; L = sum(A ^ 3) / 100 + mean(log(sigmoid(A)))")]
    public void EveryGradientAgreesWithFiniteDifferencesAndTheRulesAddUpToTheEngines(string program)
    {
        var values = new Dictionary<string, string>
        {
            ["W1"] = "[[0.15,0.20],[0.25,0.30]]", ["x"] = "[0.3,-0.7,1.1]", ["b1"] = "[0.35,0.35]", ["W2"] = "[[0.4,0.45],[0.5,0.55]]",
            ["b2"] = "0.6", ["t"] = "[0.01,0.99]", ["W"] = "[[0.5,-0.4,0.3],[0.2,0.1,-0.6]]", ["b"] = "0.5", ["c"] = "[[1],[2],[3]]",
        };
        if (program == Network)
        {
            values["x"] = "[0.05,0.10]";
        }

        var parsed = ExplainProgram.Parse(program);
        var e = MatrixExplanation.Create(parsed, parsed.Inputs.Select(n => V(n, program.Contains("z = x @ W") && n == "W" ? "[[0.5,-0.4],[0.3,0.2],[0.1,-0.6]]" : values[n])));
        Assert.NotEmpty(e.Gradients);
        foreach (var g in e.Gradients)
        {
            Assert.NotNull(g.FiniteDifference);
            Assert.Equal(g.Input.Shape, g.Gradient.Shape);
            Assert.True(g.MaxRelativeError < 1e-6, $"{program}: ∂/∂{g.Input.Name} {ExplainArray.Format(g.Gradient)} vs {ExplainArray.Format(g.FiniteDifference!)}");
        }

        Assert.True(e.LargestRuleDifference < 1e-12, $"{program}: the rules differ from the engine by {e.LargestRuleDifference}");
        Assert.NotEmpty(ReportWriter.ToString(e.ToReport(), ReportFormat.Text));
    }

    [Fact]
    public void ShowsTheMatrixFormRulesWithTheScalarChainRuleBeside()
    {
        var e = Explain(Network, s_network);
        string text = ReportWriter.ToString(e.ToReport(), ReportFormat.Text);
        var w2 = e.Steps.SelectMany(s => s.Edges).Single(edge => edge.Input.Name == "W2");
        Assert.Equal("∂L/∂W2 = δ_u3·hᵀ (outer product, 2×2)", w2.Rule);
        Assert.Equal("∂L/∂W2[i,j] = δ_u3[i]·h[j]", w2.ScalarRule);
        var h = e.Steps.SelectMany(s => s.Edges).Single(edge => edge.Input.Name == "h");
        Assert.Equal("∂L/∂h = W2ᵀ·δ_u3", h.Rule);
        Assert.Equal("∂L/∂h[j] = Σ_i W2[i,j]·δ_u3[i]", h.ScalarRule);
        var sigmoid = e.Steps.Single(s => s.Node.Name == "h").Edges.Single();
        Assert.Equal("∂L/∂u2 = diag(σ'(u2))·δ_h = δ_h ⊙ σ'(u2)", sigmoid.Rule);
        Assert.Equal("σ'(u2) = h ⊙ (1 − h) (the diagonal of the Jacobian ∂h/∂u2)", sigmoid.LocalRule);
        var b2 = e.Steps.SelectMany(s => s.Edges).Single(edge => edge.Input.Name == "b2");
        Assert.Equal("∂L/∂b2 = δ_y summed over all entries (b2 was broadcast to 2)", b2.Rule);
        Assert.Equal("∂L/∂b2 = Σ_i δ_y[i]", b2.ScalarRule);
        var sum = e.Steps.Single(s => s.Node.Name == "L").Edges.Single();
        Assert.Equal("∂L/∂u5 = δ_L·1 (δ_L copied to each of the 2 entries)", sum.Rule);

        // The value of each rule is its formula evaluated: δ_u3·hᵀ entry by entry, Wᵀ·δ for h.
        double[] delta = e.GradientOf(e.Nodes.Single(n => n.Name == "u3"))!.ToArray();
        double[] hv = e.Nodes.Single(n => n.Name == "h").Value.ToArray();
        double[] w2v = e.Nodes.Single(n => n.Name == "W2").Value.ToArray();
        Assert.Equal([delta[0] * hv[0], delta[0] * hv[1], delta[1] * hv[0], delta[1] * hv[1]], w2.Contribution.ToArray());
        Assert.Equal((w2v[0] * delta[0]) + (w2v[2] * delta[1]), h.Contribution.ToArray()[0], 15);

        Assert.Contains("∂L/∂W2 = δ_u3·hᵀ (outer product, 2×2)", text);
        Assert.Contains("  scalar: ∂L/∂W2[i,j] = δ_u3[i]·h[j]", text);
        Assert.Contains("∂L/∂W1 = δ_u1·xᵀ (outer product, 2×2)", text);
        Assert.Contains("∂L/∂x = W1ᵀ·δ_u1", text);
        Assert.Matches(@"\nW2\s+input\s+2×2\s+\[\[0.4, 0.45\], \[0.5, 0.55\]\]\n", text);
        Assert.Contains("the largest difference is 0", text);
        string md = ReportWriter.ToString(e.ToReport(), ReportFormat.Markdown);
        Assert.Contains("| u3 (2) |", md);
    }

    [Theory]
    [InlineData("L = sum(A @ B)", "A=[[1,2],[3,4]]", "B=[[5,6],[7,8]]", "A", "∂L/∂A = δ_u1·Bᵀ", "∂L/∂A[i,j] = Σ_k δ_u1[i,k]·B[j,k]")]
    [InlineData("L = sum(A @ B)", "A=[[1,2],[3,4]]", "B=[[5,6],[7,8]]", "B", "∂L/∂B = Aᵀ·δ_u1", "∂L/∂B[j,k] = Σ_i A[i,j]·δ_u1[i,k]")]
    [InlineData("L = sum(x @ B)", "x=[1,2]", "B=[[5,6,1],[7,8,1]]", "B", "∂L/∂B = x·δ_u1ᵀ (outer product, 2×3)", "∂L/∂B[j,k] = x[j]·δ_u1[k]")]
    [InlineData("L = x @ y", "x=[1,2]", "y=[3,4]", "x", "∂L/∂x = δ_L·y (dot product)", "∂L/∂x[i] = δ_L·y[i]")]
    [InlineData("L = sum(A + b)", "A=[[1,2],[3,4]]", "b=[5,6]", "b", "∂L/∂b = δ_u1 summed over the rows (b was broadcast to 2×2)", "∂L/∂b[j] = Σ_i δ_u1[i,j]")]
    [InlineData("L = sum(A * b)", "A=[[1,2],[3,4]]", "b=[[5],[6]]", "b", "∂L/∂b = (δ_u1 ⊙ A) summed over the columns (b was broadcast to 2×2)", "∂L/∂b[i,0] = Σ_j δ_u1[i,j]·A[i,j]")]
    [InlineData("L = sum(A')", "A=[[1,2],[3,4]]", "b=1", "A", "∂L/∂A = δ_u1ᵀ", "∂L/∂A[i,j] = δ_u1[j,i]")]
    [InlineData("L = mean(A) + b", "A=[[1,2],[3,4]]", "b=1", "A", "∂L/∂A = (δ_u1/N)·1 with N = 4 (δ_u1/N copied to each entry)", "∂L/∂A[i,j] = δ_u1/4")]
    public void EachOperationHasItsRule(string program, string a, string b, string input, string rule, string scalar)
    {
        var inputs = new[] { a, b }.Select(s => V(s[..s.IndexOf('=')], s[(s.IndexOf('=') + 1)..]));
        var edge = MatrixExplanation.Create(ExplainProgram.Parse(program), inputs.Where(i => program.Contains(i.Key, StringComparison.Ordinal)))
            .Steps.SelectMany(s => s.Edges).First(e => e.Input.Name == input);
        Assert.Equal(rule, edge.Rule);
        Assert.Equal(scalar, edge.ScalarRule);
    }

    /// <summary>
    /// Held-out reference: PyTorch 1.13 in float64 (torch.autograd.grad) on
    /// h = tanh(W @ X.T + b); L = mean(relu(h)*c) + sum(exp(-h)/2) + sum(W**2)/10.
    /// </summary>
    [Fact]
    public void MatchesPyTorchFloat64Gradients()
    {
        var e = Explain(
            "h = tanh(W @ X' + b); L = mean(relu(h) * c) + sum(exp(-h) / 2) + sum(W^2)/10",
            ("W", "[[0.3,-0.2,0.5],[0.1,0.4,-0.6]]"),
            ("X", "[[1.0,0.5,-1.0],[0.2,-0.3,0.8],[-0.7,0.9,0.1],[0.4,0.4,0.4]]"),
            ("b", "[[0.1],[-0.2]]"),
            ("c", "[1.5,-0.5,2.0,0.25]"));
        Assert.Equal(4.429564285189451, e.Output.Value.Item(), 1e-14);
        double[][] torch =
        [
            [-0.27335711174507465, -0.9148811596599303, 0.31276037251894445, -0.21920794173724684, -0.23241846916374437, -0.7691486235061463],
            [-0.1810518989396846, 0.09531298493459976, -0.2600438460723765, -0.12836530880421068, -0.171661582624706, 0.20866385213818228,
             -0.20280429436815883, 0.02552893735457438, -0.15782856529289152, -0.14791493263607872, -0.18030541651835075, 0.21169322277381694],
            [-1.7210147586704636, -1.4383200714699382],
            [0.07554597213964544, 0.06889100356726836, 0.0037488754048525213, 0.04093467435108816],
        ];
        for (int i = 0; i < 4; i++)
        {
            double[] ours = e.Gradients[i].Gradient.ToArray();
            Assert.Equal(torch[i].Length, ours.Length);
            for (int k = 0; k < ours.Length; k++)
            {
                Assert.Equal(torch[i][k], ours[k], 1e-13);
            }

            Assert.True(e.Gradients[i].MaxRelativeError < 1e-6);
        }
    }

    [Fact]
    public void TheMazurNetworkInMatrixFormGivesTheScalarFormsNumbers()
    {
        var matrix = WorkedExamples.GetMatrix("mazur-matrix").Explain();
        var scalar = WorkedExamples.Get("mazur").Explain();
        Assert.Equal(0.298371109, matrix.Output.Value.Item(), 9);
        Assert.Equal(scalar.Graph.Output.Value, matrix.Output.Value.Item(), 15);

        // W1 holds w1..w4 by rows, W2 holds w5..w8.
        double[] w = [.. matrix.GradientOf("W1").ToArray(), .. matrix.GradientOf("W2").ToArray()];
        for (int k = 0; k < 8; k++)
        {
            Assert.Equal(scalar.Backward.GradientOf($"w{k + 1}"), w[k], 15);
        }

        Assert.Equal(0.082167041, w[4], 9);
        double[] after = [.. matrix.Updates[0].NewValue.ToArray(), .. matrix.Updates[1].NewValue.ToArray()];
        Assert.Equal(scalar.Step!.Updates.Select(u => u.NewValue), after, (a, b) => Math.Abs(a - b) < 1e-15);
        Assert.Equal(scalar.Step.OutputAfter, matrix.OutputAfter, 15);

        // The two reports print the same numbers.
        string matrixText = ReportWriter.ToString(WorkedExamples.GetMatrix("mazur-matrix").ToReport(), ReportFormat.Text);
        string scalarText = ReportWriter.ToString(WorkedExamples.Get("mazur").ToReport(), ReportFormat.Text);
        foreach (double value in new[] { scalar.Graph.Output.Value, w[0], w[3], w[4], w[7], scalar.Step.OutputAfter }
            .Concat(scalar.Step.Updates.Select(u => u.NewValue)))
        {
            string printed = ExplainNumber.Format(value);
            Assert.Contains(printed, scalarText);
            Assert.Contains(printed, matrixText);
        }
    }

    [Fact]
    public void ALearningRateTakesOneStep()
    {
        var e = MatrixExplanation.Create(Network, s_network.Select(i => V(i.Item1, i.Item2)), new ExplainOptions { LearningRate = 0.1 });
        double before = e.Output.Value.Item();
        Assert.True(e.OutputAfter < before);
        Assert.Equal(
            e.Inputs[0].Value.ToArray().Zip(e.Gradients[0].Gradient.ToArray(), (x, g) => x - (0.1 * g)),
            e.Updates[0].NewValue.ToArray());
    }

    // The mazur-matrix example without its last line E = 0.5*sum((t - o)^2): the output o is a vector.
    private const string MazurWithoutLoss = "x = [0.05, 0.10]; b1 = [0.35, 0.35]; b2 = [0.60, 0.60]\nh = sigmoid(W1 @ x + b1)\no = sigmoid(W2 @ h + b2)";

    private static MatrixExplanation MazurWithTarget(ExplainOptions options) => MatrixExplanation.Create(
        MazurWithoutLoss,
        [V("W1", "[[0.15,0.20],[0.25,0.30]]"), V("W2", "[[0.40,0.45],[0.50,0.55]]")],
        options);

    [Fact]
    public void ATargetArrayPutsTheSquaredLossOnAVectorOutputGivingTwiceMazursE()
    {
        var e = MazurWithTarget(new ExplainOptions { TargetArray = ExplainArray.Parse("[0.01,0.99]"), LearningRate = 0.5 });
        var example = WorkedExamples.GetMatrix("mazur-matrix").Explain();

        // L = sum((T − o)²) = 2·E, E = ½·sum((t − o)²) = 0.2983711088 (Mazur's).
        Assert.Equal("L", e.OutputName);
        Assert.Equal("o", e.ProgramOutput.Name);
        Assert.Equal([2], e.ProgramOutput.Shape);
        Assert.Equal(2 * 0.298371109, e.Output.Value.Item(), 8);
        Assert.Equal(2 * example.Output.Value.Item(), e.Output.Value.Item(), 14);
        Assert.Equal("sum((T − o)²)", e.Output.Formula);
        Assert.Equal("T", e.Target!.Name);
        Assert.Equal([0.01, 0.99], e.Target.Value.ToArray());
        Assert.Equal(e.Target, e.Nodes[^2]);
        Assert.Equal(e.Output, e.Nodes[^1]);

        // Every gradient is twice the example's, and agrees with the finite differences.
        for (int i = 0; i < 2; i++)
        {
            double[] got = e.Gradients[i].Gradient.ToArray(), half = example.Gradients[i].Gradient.ToArray();
            Assert.Equal(half.Select(g => 2 * g), got, (a, b) => Math.Abs(a - b) < 1e-15);
            Assert.True(e.Gradients[i].MaxRelativeError < 1e-5, $"{e.Gradients[i].Input.Name}: {e.Gradients[i].MaxRelativeError}");
        }

        Assert.Equal(0.1643340811, e.GradientOf("W2").ToArray()[0], 10);

        // The loss node is the first visited: it sends −2(T − o) to o, entry by entry.
        var loss = e.Steps[0];
        Assert.Equal(e.Output, loss.Node);
        var edge = Assert.Single(loss.Edges);
        Assert.Equal("o", edge.Input.Name);
        Assert.Equal("∂L/∂o = −2(T − o)·δ_L entry by entry", edge.Rule);
        Assert.Equal("∂L/∂o[i] = −2·(T[i] − o[i])·δ_L", edge.ScalarRule);
        double[] o = e.ProgramOutput.Value.ToArray();
        Assert.Equal([-2 * (0.01 - o[0]), -2 * (0.99 - o[1])], edge.Contribution.ToArray());
        Assert.True(e.LargestRuleDifference < 1e-15);

        // The step lowers L, evaluated with the same target.
        Assert.True(e.OutputAfter < e.Output.Value.Item());
        Assert.Equal(0.3178329594, e.Updates[1].NewValue.ToArray()[0], 10);
    }

    [Fact]
    public void ANumberTargetStandsForEveryEntryAndTheDifferenceLossSendsMinusOne()
    {
        var e = MatrixExplanation.Create("y = W @ x", [V("W", "[[1,2],[3,4],[5,6]]"), V("x", "[1,-1]")],
            new ExplainOptions { Target = 0.5, Loss = ExplainLoss.Difference });
        Assert.Equal("sum(T − y)", e.Output.Formula);
        Assert.Equal((0.5 + 1) + (0.5 + 1) + (0.5 + 1), e.Output.Value.Item(), 14); // y = [-1, -1, -1]
        Assert.Empty(e.Target!.Shape);
        var edge = Assert.Single(e.Steps[0].Edges);
        Assert.Equal("∂L/∂y = −δ_L·1 (−δ_L copied to each of the 3 entries)", edge.Rule);
        Assert.Equal("∂L/∂y[i] = −δ_L", edge.ScalarRule);
        Assert.Equal([-1.0, -1, -1], edge.Contribution.ToArray());

        // ∂L/∂W = −1·xᵀ for every row; ∂L/∂x = Wᵀ·(−1).
        Assert.Equal([-1.0, 1, -1, 1, -1, 1], e.GradientOf("W").ToArray());
        Assert.Equal([-9.0, -12], e.GradientOf("x").ToArray());
        Assert.All(e.Gradients, g => Assert.True(g.MaxRelativeError < 1e-6));
    }

    [Fact]
    public void ATargetOnAMatrixOutputAndOnAScalarOutput()
    {
        var m = MatrixExplanation.Create("Y = A * 2", [V("A", "[[1,2],[3,4]]")], new ExplainOptions { TargetArray = ExplainArray.Parse("[[0,0],[0,10]]") });
        Assert.Equal(4 + 16 + 36 + 4, m.Output.Value.Item(), 14); // (T − Y)² summed: Y = [[2,4],[6,8]]
        Assert.Equal([8.0, 16, 24, -8], m.GradientOf("A").ToArray()); // −2(T − Y)·2
        Assert.Equal("∂L/∂Y[i,j] = −2·(T[i,j] − Y[i,j])·δ_L", m.Steps[0].Edges[0].ScalarRule);

        var s = MatrixExplanation.Create("y = sum(x)", [V("x", "[1,2]")], new ExplainOptions { Target = 1 });
        Assert.Equal(4, s.Output.Value.Item(), 14);
        Assert.Equal("∂L/∂y = −2(T − y)·δ_L", s.Steps[0].Edges[0].Rule);
        Assert.Equal([4.0, 4], s.GradientOf("x").ToArray());
    }

    [Theory]
    [InlineData("[1,2,3]", "the target T has shape (3) but the output o has shape (2): give a number or an array of shape (2)")]
    [InlineData("[[0.01,0.99]]", "the target T has shape (1×2) but the output o has shape (2)")]
    public void ATargetOfAnotherShapeIsRefusedNamingBothShapes(string target, string message) =>
        Assert.StartsWith(message, Assert.Throws<ExplainException>(() => MazurWithTarget(new ExplainOptions { TargetArray = ExplainArray.Parse(target) })).Message);

    [Fact]
    public void TheLossAndTargetTakeFreeNamesAndTheScalarFormRefusesATargetArray()
    {
        var e = MatrixExplanation.Create("T = x * 2; L = T + 1", [V("x", "[1,2]")], new ExplainOptions { Target = 0 });
        Assert.Equal("loss", e.OutputName);
        Assert.Equal("target", e.Target!.Name);
        Assert.Equal("sum((target − L)²)", e.Output.Formula);
        Assert.Contains("for the matrix form", Assert.Throws<ArgumentException>(() =>
            Explanation.Create("z = 2*w", [KeyValuePair.Create("w", 1.0)], new ExplainOptions { TargetArray = ExplainArray.Parse("[1,2]") })).Message);
        Assert.Contains("finite", Assert.Throws<ArgumentException>(() =>
            MatrixExplanation.Create("y = x", [V("x", "[1,2]")], new ExplainOptions { Target = double.NaN })).Message);
    }

    [Fact]
    public void NodesUsedTwiceSumWhatTheirConsumersSend()
    {
        var e = Explain("y = W @ x; L = sum(y * y) + sum(W)", ("W", "[[1,2],[3,4]]"), ("x", "[1,-1]"));
        var w = e.Steps.SelectMany(s => s.Edges).Where(edge => edge.Input.Name == "W").ToList();
        Assert.Equal(2, w.Count);
        Assert.Equal(w[0].Contribution.Add(w[1].Contribution).ToArray(), e.GradientOf("W").ToArray());
        Assert.Contains("W is used 2 times", ReportWriter.ToString(e.ToReport(), ReportFormat.Text));
    }
}
