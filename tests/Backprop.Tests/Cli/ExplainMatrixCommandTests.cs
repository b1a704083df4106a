namespace Backprop.Tests.Cli;

/// <summary><c>backprop explain</c> end to end in matrix form: arrays in --at, shape errors, the mazur-matrix example.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class ExplainMatrixCommandTests
{
    private const string Network = "h = sigmoid(W1 @ x + b1); y = W2 @ h + b2; L = sum((y - t)^2)";
    private const string Values = "W1=[[0.15,0.20],[0.25,0.30]],x=[0.05,0.10],b1=[0.35,0.35],W2=[[0.4,0.45],[0.5,0.55]],b2=[0.6,0.6],t=[0.01,0.99]";

    [Fact]
    public void ExplainsANetworkInMatrixForm()
    {
        var (code, stdout, stderr) = CliRunner.Run("explain", Network, "--at", Values);
        Assert.True(code == 0, stderr);
        Assert.Contains("Program (matrix form)", stdout);
        Assert.Contains("Inputs: W1 (2×2) = [[0.15, 0.2], [0.25, 0.3]], x (2) = [0.05, 0.1]", stdout);
        Assert.Matches(@"\nh\s+sigmoid\(u2\)\s+2\s+\[0.5932699921, 0.5968843783\]\n", stdout);
        Assert.Contains("2. Backward pass in matrix form (reverse topological order)", stdout);
        Assert.Contains("∂L/∂W1 = δ_u1·xᵀ (outer product, 2×2)", stdout);
        Assert.Contains("scalar: ∂L/∂W1[i,j] = δ_u1[i]·x[j]", stdout);
        Assert.Contains("∂L/∂u2 = diag(σ'(u2))·δ_h = δ_h ⊙ σ'(u2)", stdout);
        Assert.Contains("3. Gradients of L", stdout);
        Assert.Matches(@"\nW2\s+2×2\s+\[\[1.300336249, 1.308258304\], \[0.2787436391, 0.2804418324\]\]\s+\[\[", stdout);
        Assert.DoesNotContain("4. One gradient-descent step", stdout);
    }

    [Fact]
    public void MarkdownAndAStepWork()
    {
        var (code, stdout, stderr) = CliRunner.Run("explain", Network, "--at", Values, "--format", "md", "--lr", "0.5");
        Assert.True(code == 0, stderr);
        Assert.Contains("# 2. Backward pass in matrix form", stdout);
        Assert.Contains("| W1 (2×2) |", stdout);
        Assert.Contains("# 4. One gradient-descent step", stdout);
    }

    [Theory]
    [InlineData("y = W @ x; L = sum(y)", "W=[[1,2,3],[4,5,6]],x=[1,2]", "explain: shapes do not match in y = W @ x: W is (2×3) and x is (2): the inner sizes 3 and 2 differ (A @ B needs A's columns = B's rows) at column 7")]
    [InlineData("L = sum(W @ x)", "W=[[1,2],[3]],x=[1,2]", "explain: --at W: the rows of a matrix need the same length")]
    [InlineData("L = sum(W @ x)", "W=[[1,2],[3,4]]", "explain: undefined variable 'x'")]
    [InlineData("L = sum(x)", "x=[1,2],5", "explain: --at: expected NAME=VALUE")]
    [InlineData("y = x + 1", "x=[1,2]", "explain: the output y is a vector (2); explain differentiates a scalar")]
    public void ErrorsAreOneClearLineAndExitOne(string program, string at, string message)
    {
        var (code, stdout, stderr) = CliRunner.Run("explain", program, "--at", at);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.StartsWith(message, stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));
    }

    // The mazur-matrix example without its last line: the output o is a vector; --target puts L = sum((T − o)²) on it.
    private const string MazurWithoutLoss = "x = [0.05, 0.10]; b1 = [0.35, 0.35]; b2 = [0.60, 0.60]\nh = sigmoid(W1 @ x + b1)\no = sigmoid(W2 @ h + b2)";
    private const string MazurWeights = "W1=[[0.15,0.20],[0.25,0.30]],W2=[[0.40,0.45],[0.50,0.55]]";

    [Fact]
    public void ATargetArrayAddsTheLossNodeGivingTwiceMazursE()
    {
        var (code, stdout, stderr) = CliRunner.Run("explain", MazurWithoutLoss, "--at", MazurWeights, "--target", "[0.01,0.99]");
        Assert.True(code == 0, stderr);
        Assert.Contains("Output: o (2). Target T (2) = [0.01, 0.99], with the loss L = sum((T − o)²) on top of o (scalar): ∂L/∂o = −2(T − o) entry by entry.", stdout);
        Assert.Matches(@"
T\s+target\s+2\s+\[0.01, 0.99\]
", stdout);
        Assert.Matches(@"
L\s+sum\(\(T − o\)²\)\s+scalar\s+0.5967422175
", stdout); // 2·E = 2·0.2983711088
        Assert.Contains("∂L/∂o = −2(T − o)·δ_L entry by entry", stdout);
        Assert.Contains("scalar: ∂L/∂o[i] = −2·(T[i] − o[i])·δ_L", stdout);
        Assert.Contains("3. Gradients of L", stdout);

        // ∂L/∂W2 is twice the example's ∂E/∂W2 = [[0.08216704056, 0.08266762785], [-0.02260254048, -0.02274024222]].
        Assert.Matches(@"
W2\s+2×2\s+\[\[0.1643340811, 0.1653352557\], \[-0.04520508095, -0.04548048443\]\]\s+\[\[", stdout);
    }

    [Fact]
    public void TheDifferenceLossAndANumberTargetInMarkdownAndTex()
    {
        var (code, md, stderr) = CliRunner.Run("explain", "y = W @ x", "--at", "W=[[1,2],[3,4]],x=[1,-1]", "--target", "0.5", "--loss", "difference", "--format", "md");
        Assert.True(code == 0, stderr);
        Assert.Contains("| L | sum(T − y) | scalar | 3 |", md);
        Assert.Contains("| L (scalar) | 1 | y (2) | ∂L/∂y = −δ_L·1 (−δ_L copied to each of the 2 entries) | [-1, -1] |", md);

        var (texCode, tex, texError) = CliRunner.Run("explain", MazurWithoutLoss, "--at", MazurWeights, "--target", "[0.01,0.99]", "--format", "tex");
        Assert.True(texCode == 0, texError);
        Assert.Contains(@"$\partial L/\partial o = -2(T - o)\cdot \delta_{L} \text{ entry by entry }$", tex);
        Assert.Contains(@"L & $\operatorname{sum}((T - o)^{2})$ & $\text{scalar}$ & $0.5967422175$ \\", tex);
        Assert.All(tex, c => Assert.True(c < 128 && c != '?', $"'{c}' in the LaTeX"));
    }

    [Theory]
    [InlineData("[1,2,3]", "explain: the target T has shape (3) but the output o has shape (2): give a number or an array of shape (2)")]
    [InlineData("[0.01,", "explain: --target: ")]
    public void ABadTargetIsOneLineAndExitOne(string target, string message)
    {
        var (code, stdout, stderr) = CliRunner.Run("explain", MazurWithoutLoss, "--at", MazurWeights, "--target", target);
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.StartsWith(message, stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public void AnArrayTargetSelectsTheMatrixFormAndAScalarTargetMustBeANumber()
    {
        var (code, _, stderr) = CliRunner.Run("explain", "z = 2*w", "--at", "w=1", "--target", "[1,2]");
        Assert.Equal(1, code);
        Assert.StartsWith("explain: the target T has shape (2) but the output z is a scalar: give a number", stderr);
        var (badCode, _, badError) = CliRunner.Run("explain", "z = 2*w", "--at", "w=1", "--target", "abc");
        Assert.Equal(1, badCode);
        Assert.StartsWith("explain: --target: expected a number", badError);
    }

    [Fact]
    public void HelpDescribesTheMatrixFormsTarget()
    {
        var (code, stdout, _) = CliRunner.Run("explain", "--help");
        Assert.Equal(0, code);
        Assert.Contains("an array of y's shape", stdout);
    }

    [Fact]
    public void TexSetsTheMatrixFormAsLatexWithBmatrices()
    {
        var (code, tex, stderr) = CliRunner.Run("explain", "--example", "mazur-matrix", "--format", "tex");
        Assert.True(code == 0, stderr);
        Assert.StartsWith(@"\documentclass{article}", tex);
        Assert.EndsWith(@"\end{document}" + "\n", tex.ReplaceLineEndings("\n"));

        // The same content as text: W2's gradient as a matrix, the rules as math beside the scalar chain rule.
        Assert.Contains(@"$\begin{bmatrix} 0.08216704056 & 0.08266762785 \\ -0.02260254048 & -0.02274024222 \end{bmatrix}$", tex);
        Assert.Contains(@"$\partial E/\partial W1 = \delta_{u1}\cdot x^{\top} (\text{ outer product }, 2\times 2)$", tex);
        Assert.Contains(@"$\text{scalar: }\partial E/\partial W1[i,j] = \delta_{u1}[i]\cdot x[j]$", tex);
        Assert.Contains(@"$\partial E/\partial u4 = \operatorname{diag}(\sigma'(u4))\cdot \delta_{o} = \delta_{o} \odot  \sigma'(u4)$", tex);
        Assert.Contains(@"$\sigma'(u4) = o \odot  (1 - o) (\text{ the diagonal of the Jacobian } \partial o/\partial u4)$ & $\begin{bmatrix} 0.1868156018 \\ 0.1755100528 \end{bmatrix}$", tex);
        Assert.Contains(@"o & $\operatorname{sigmoid}(u4)$ & $2$ & $\begin{bmatrix} 0.7513650696 \\ 0.7729284653 \end{bmatrix}$ \\", tex); // a vector as a column
        Assert.Contains(@"E & $0.5\cdot u7$ & $\text{scalar}$ & $0.2983711088$ \\", tex);

        // Nothing pdflatex has no glyph for: every symbol became math or was escaped, and the braces balance.
        Assert.All(tex, c => Assert.True(c < 128 && c != '?', $"'{c}' in the LaTeX"));
        Assert.Equal(tex.Count(c => c == '{'), tex.Count(c => c == '}'));
    }

    [Theory]
    [InlineData("W1ᵀ·δ_u3", @"W1^{\top}\cdot \delta_{u3}")]
    [InlineData("Σ_k δ_u[i,k]·B[j,k]", @"\sum_{k} \delta_{u}[i,k]\cdot B[j,k]")]
    [InlineData("δ_u ⊙ b ⊙ a^(b − 1)", @"\delta_{u} \odot  b \odot  a^{(b - 1)}")]
    [InlineData("δ_u·1.5·a^0.5", @"\delta_{u}\cdot 1.5\cdot a^{0.5}")]
    [InlineData("(δ_u2 ⊙ 2·out_h1) summed over the rows (b was broadcast to 2×3)", @"(\delta_{u2} \odot  2\cdot \mathit{out\_h1}) \text{ summed over the rows } (b \text{ was broadcast to } 2\times 3)")]
    [InlineData("δ_u·[a > 0]·relu'(a)", @"\delta_{u}\cdot [a > 0]\cdot \operatorname{relu}'(a)")]
    public void RulesBecomeTexMath(string text, string tex) => Assert.Equal(tex, Backprop.Explain.MatrixTex.Math(text));

    [Fact]
    public void TheMazurMatrixExampleGivesTheScalarExamplesNumbers()
    {
        var (code, matrix, stderr) = CliRunner.Run("explain", "--example", "mazur-matrix");
        Assert.True(code == 0, stderr);
        var (_, scalar, _) = CliRunner.Run("explain", "--example", "mazur");
        Assert.Matches(@"\nE\s+0.5·u7\s+scalar\s+0.2983711088\n", matrix);
        Assert.Matches(@"\nE\s+.*0.2983711088\n", scalar);
        foreach (string number in new[] { "0.08216704056", "0.08266762785", "-0.02260254048", "-0.02274024222", "0.0004385677345", "0.3589164797", "0.5613701211", "0.2910277737" })
        {
            Assert.Contains(number, scalar);
            Assert.Contains(number, matrix);
        }
    }

    [Fact]
    public void ScalarProgramsAreUnchanged()
    {
        var (code, stdout, stderr) = CliRunner.Run("explain", "g = -2*w1; y = w2 + g; z = y*w3", "--at", "w1=3,w2=4,w3=5");
        Assert.True(code == 0, stderr);
        Assert.Contains("1. Forward pass (topological order)", stdout);
        Assert.DoesNotContain("matrix form", stdout);
    }
}
