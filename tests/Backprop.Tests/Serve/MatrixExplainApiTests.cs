using System.Text.Json;
using Backprop.Explain;

namespace Backprop.Tests.Serve;

/// <summary>
/// <c>/api/explain</c> for programs in matrix form: every value, δ, rule and rule value is the
/// library's <see cref="MatrixExplanation"/> (as <c>backprop explain</c> prints it); shape errors and
/// sizes past the server's limits are refused with 400 and the CLI's message.
/// </summary>
public class MatrixExplainApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task MazurMatrixGivesTheSourceMaterialsNumbersToThePrintedDigits()
    {
        var json = await server.GetJson("/api/explain?example=mazur-matrix");
        Assert.Equal("matrix", json.GetProperty("form").GetString());
        Assert.Equal("mazur-matrix", json.GetProperty("example").GetProperty("name").GetString());
        var nodes = Nodes(json);
        Assert.Equal("0.2983711088", nodes["E"].GetProperty("value").GetProperty("text").GetString());
        Assert.Equal("scalar", nodes["E"].GetProperty("value").GetProperty("shapeText").GetString());
        var w2 = nodes["W2"].GetProperty("gradient");
        Assert.Equal("2×2", w2.GetProperty("shapeText").GetString());
        Assert.Equal([2, 2], w2.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal("0.08216704056", w2.GetProperty("entries")[0].GetString());
        Assert.Equal(["[[0.08216704056, 0.08266762785],", " [-0.02260254048, -0.02274024222]]"], w2.GetProperty("lines").EnumerateArray().Select(l => l.GetString()));

        // The step: Mazur's new weights, W1 by rows holding w1..w4 and W2 holding w5..w8.
        double[] after = [0.149780716, 0.199561432, 0.249751144, 0.299502287, 0.358916480, 0.408666186, 0.511301270, 0.561370121];
        var updates = json.GetProperty("descent").GetProperty("updates").EnumerateArray().ToList();
        Assert.Equal(["W1", "W2"], updates.Select(u => u.GetProperty("name").GetString()));
        double[] got = [.. updates.SelectMany(u => u.GetProperty("newValue").GetProperty("values").EnumerateArray().Select(v => v.GetDouble()))];
        for (int i = 0; i < after.Length; i++)
        {
            Assert.True(Math.Abs(after[i] - got[i]) < 5e-10, $"w{i + 1} after the step: expected {after[i]}, got {got[i]:R}");
        }
    }

    [Fact]
    public async Task EveryNumberIsTheLibrarys()
    {
        var json = await server.GetJson("/api/explain?example=mazur-matrix");
        var e = WorkedExamples.GetMatrix("mazur-matrix").Explain();
        var nodes = json.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(e.Nodes.Count, nodes.Count);
        foreach (var node in e.Nodes)
        {
            Assert.Equal(node.Name, nodes[node.Index].GetProperty("name").GetString());
            Assert.Equal(node.Formula, nodes[node.Index].GetProperty("formula").GetString());
            AssertSame(node.Value, nodes[node.Index].GetProperty("value"), node.Name);
            if (e.GradientOf(node) is { } g)
            {
                AssertSame(g, nodes[node.Index].GetProperty("gradient"), "∂E/∂" + node.Name);
            }
        }

        // Steps: start, one forward step per operation, seed, one backward step per visited node, done.
        var steps = json.GetProperty("steps").EnumerateArray().ToList();
        int operations = e.Nodes.Count(n => n.Kind == ExpressionNodeKind.Operation);
        Assert.Equal(["start", .. Enumerable.Repeat("forward", operations), "seed", .. Enumerable.Repeat("backward", e.Steps.Count), "done"],
            steps.Select(s => s.GetProperty("phase").GetString()));
        var backward = steps.Where(s => s.GetProperty("phase").GetString() == "backward").ToList();
        for (int k = 0; k < e.Steps.Count; k++)
        {
            Assert.Equal(e.Steps[k].Node.Index, backward[k].GetProperty("node").GetInt32());
            AssertSame(e.Steps[k].Upstream, backward[k].GetProperty("upstream"), "δ_" + e.Steps[k].Node.Name);
            var contributions = backward[k].GetProperty("contributions").EnumerateArray().ToList();
            Assert.Equal(e.Steps[k].Edges.Count, contributions.Count);
            for (int j = 0; j < contributions.Count; j++)
            {
                var edge = e.Steps[k].Edges[j];
                Assert.Equal(edge.Rule, contributions[j].GetProperty("rule").GetString());
                Assert.Equal(edge.ScalarRule, contributions[j].GetProperty("scalarRule").GetString());
                AssertSame(edge.Contribution, contributions[j].GetProperty("contribution"), edge.Rule);
            }
        }

        // The last backward step visits u1 = W1 @ x and sends δ_u1·xᵀ to W1.
        var intoW1 = backward[^1].GetProperty("contributions")[0];
        Assert.Equal("∂E/∂W1 = δ_u1·xᵀ (outer product, 2×2)", intoW1.GetProperty("rule").GetString());
        Assert.Equal("∂E/∂W1[i,j] = δ_u1[i]·x[j]", intoW1.GetProperty("scalarRule").GetString());
        Assert.Equal(["0.0004385677345", "0.0008771354689", "0.0004977127353", "0.0009954254705"],
            intoW1.GetProperty("contribution").GetProperty("entries").EnumerateArray().Select(x => x.GetString()));

        // The elementwise sigmoid: the diagonal of its Jacobian with its values.
        var intoU4 = backward.Single(s => nodes[s.GetProperty("node").GetInt32()].GetProperty("name").GetString() == "o").GetProperty("contributions")[0];
        Assert.Equal("∂E/∂u4 = diag(σ'(u4))·δ_o = δ_o ⊙ σ'(u4)", intoU4.GetProperty("rule").GetString());
        Assert.Equal("σ'(u4) = o ⊙ (1 − o) (the diagonal of the Jacobian ∂o/∂u4)", intoU4.GetProperty("localRule").GetString());
        Assert.Equal("[0.1868156018, 0.1755100528]", intoU4.GetProperty("local").GetProperty("text").GetString());

        foreach (var g in json.GetProperty("gradients").EnumerateArray())
        {
            Assert.True(g.GetProperty("agrees").GetBoolean(), g.GetProperty("name").GetString());
        }
    }

    [Fact]
    public async Task AProgramWithArrayValuesIsExplainedAsTheLibraryDoesByGetAndPost()
    {
        const string program = "h = tanh(W @ x + b)\nL = sum((h - t)^2)";
        const string at = "W=[[0.5,-1],[2,0.25]],x=[1,2],b=[0.1,-0.2],t=[0.3,0.4]";
        var get = await server.GetJson($"/api/explain?program={Uri.EscapeDataString(program)}&at={Uri.EscapeDataString(at)}&lr=0.1");
        var post = await server.PostJson("/api/explain", new { program, at, lr = 0.1 });
        Assert.Equal(get.GetRawText(), post.GetRawText());
        var e = MatrixExplanation.Create(program, [
            new("W", ExplainArray.Parse("[[0.5,-1],[2,0.25]]")), new("x", ExplainArray.Parse("[1,2]")),
            new("b", ExplainArray.Parse("[0.1,-0.2]")), new("t", ExplainArray.Parse("[0.3,0.4]"))], new ExplainOptions { LearningRate = 0.1 });
        var gradients = get.GetProperty("gradients").EnumerateArray().ToList();
        Assert.Equal(e.Gradients.Select(g => g.Input.Name), gradients.Select(g => g.GetProperty("name").GetString()));
        for (int i = 0; i < gradients.Count; i++)
        {
            AssertSame(e.Gradients[i].Gradient, gradients[i].GetProperty("gradient"), "∂L/∂" + e.Gradients[i].Input.Name);
        }

        // The values come back in the syntax of 'at', every number round-tripping, so the page's link gives the same program.
        Assert.Equal(at, get.GetProperty("at").GetString());
        Assert.Equal(ExplainNumber.Format(e.OutputAfter), get.GetProperty("descent").GetProperty("outputAfter").GetProperty("text").GetString());
    }

    [Fact]
    public async Task AProgramUsingTheMatrixFormWithNumberValuesIsExplainedInMatrixForm()
    {
        var json = await server.GetJson("/api/explain?program=" + Uri.EscapeDataString("L = sum([1, 2]*w)") + "&at=w=3");
        Assert.Equal("matrix", json.GetProperty("form").GetString());
        Assert.Equal("3", json.GetProperty("gradients")[0].GetProperty("gradient").GetProperty("text").GetString());
    }

    [Fact]
    public async Task AShapeErrorIs400WithTheClisMessageNamingBothShapes()
    {
        const string program = "L = sum(W @ x)";
        var json = await server.GetJson($"/api/explain?program={Uri.EscapeDataString(program)}&at={Uri.EscapeDataString("W=[[1,2],[3,4]],x=[1,2,3]")}", 400);
        string message = json.GetProperty("error").GetString()!;
        var cli = Assert.Throws<ExplainException>(() => MatrixExplanation.Create(program, [new("W", ExplainArray.Parse("[[1,2],[3,4]]")), new("x", ExplainArray.Parse("[1,2,3]"))]));
        Assert.Equal(cli.Message, message);
        Assert.Contains("W is (2×2) and x is (3)", message);
        Assert.Equal(1, json.GetProperty("line").GetInt32());
        Assert.Equal(cli.Column, json.GetProperty("column").GetInt32());
    }

    [Fact]
    public async Task ATargetArrayPutsTheLossOnTheOutputByGetAndPost()
    {
        const string program = "x = [0.05, 0.10]; b1 = [0.35, 0.35]; b2 = [0.60, 0.60]\nh = sigmoid(W1 @ x + b1)\no = sigmoid(W2 @ h + b2)";
        const string at = "W1=[[0.15,0.2],[0.25,0.3]],W2=[[0.4,0.45],[0.5,0.55]]";
        var get = await server.GetJson($"/api/explain?program={Uri.EscapeDataString(program)}&at={Uri.EscapeDataString(at)}&target={Uri.EscapeDataString("[0.01,0.99]")}");
        var post = await server.PostJson("/api/explain", new { program, at, target = "[0.01,0.99]" });
        Assert.Equal(get.GetRawText(), post.GetRawText());
        Assert.Equal("matrix", get.GetProperty("form").GetString());
        Assert.Equal("L", get.GetProperty("outputName").GetString());
        Assert.Equal("[0.01,0.99]", get.GetProperty("options").GetProperty("target").GetString());
        Assert.Equal("squared", get.GetProperty("options").GetProperty("loss").GetString());

        var e = MatrixExplanation.Create(program, [new("W1", ExplainArray.Parse("[[0.15,0.2],[0.25,0.3]]")), new("W2", ExplainArray.Parse("[[0.4,0.45],[0.5,0.55]]"))],
            new ExplainOptions { TargetArray = ExplainArray.Parse("[0.01,0.99]") });
        var nodes = Nodes(get);
        Assert.Equal("0.5967422175", nodes["L"].GetProperty("value").GetProperty("text").GetString());
        Assert.Equal("sum((T − o)²)", nodes["L"].GetProperty("formula").GetString());
        Assert.Equal("2", nodes["T"].GetProperty("value").GetProperty("shapeText").GetString());
        var gradients = get.GetProperty("gradients").EnumerateArray().ToList();
        for (int i = 0; i < gradients.Count; i++)
        {
            AssertSame(e.Gradients[i].Gradient, gradients[i].GetProperty("gradient"), "∂L/∂" + e.Gradients[i].Input.Name);
        }

        var first = get.GetProperty("steps").EnumerateArray().First(s => s.GetProperty("phase").GetString() == "backward");
        Assert.Equal("∂L/∂o = −2(T − o)·δ_L entry by entry", first.GetProperty("contributions")[0].GetProperty("rule").GetString());

        // A number target in matrix form, with the difference loss.
        var difference = await server.GetJson($"/api/explain?program={Uri.EscapeDataString("y = W @ x")}&at={Uri.EscapeDataString("W=[[1,2],[3,4]],x=[1,-1]")}&target=0.5&loss=difference");
        Assert.Equal("3", Nodes(difference)["L"].GetProperty("value").GetProperty("text").GetString());
        Assert.Equal("0.5", difference.GetProperty("options").GetProperty("target").GetString());
        Assert.Equal("difference", difference.GetProperty("options").GetProperty("loss").GetString());
    }

    [Fact]
    public async Task ATargetOfAnotherShapeIs400WithOneMessageNamingBothShapes()
    {
        var json = await server.GetJson($"/api/explain?program={Uri.EscapeDataString("y = W @ x")}&at={Uri.EscapeDataString("W=[[1,2],[3,4]],x=[1,-1]")}&target={Uri.EscapeDataString("[1,2,3]")}", 400);
        Assert.Equal("the target T has shape (3) but the output y has shape (2): give a number or an array of shape (2)", json.GetProperty("error").GetString());
        var bad = await server.GetJson($"/api/explain?program={Uri.EscapeDataString("y = W @ x")}&at={Uri.EscapeDataString("W=[[1,2],[3,4]],x=[1,-1]")}&target={Uri.EscapeDataString("[1,")}", 400);
        Assert.StartsWith("'target': ", bad.GetProperty("error").GetString());
        Assert.Empty(server.Errors);
    }

    public static TheoryData<string, string, string> BadMatrixRequests() => new()
    {
        { "L = sum(W @ x)", "W=[[1,2],[3]],x=[1,2]", "'at' W: the rows of a matrix need the same length" },
        { "L = sum(x)", "x=[1,2],5", "'at': expected NAME=VALUE" },
        { "h = W @ x", "W=[[1,2],[3,4]],x=[1,2]", "explain differentiates a scalar" },
        { "L = sum(x + y)", "x=[1,2],y=[1,2,3]", "x is (2) and y is (3)" },
        { "L = sum(A @ B)", "A=[" + string.Join(",", Enumerable.Range(1, 30).Select(i => $"[{i}]")) + "],B=[[" + string.Join(",", Enumerable.Range(1, 30)) + "]]", "u1 = A @ B would have 900 entries (30×30); the limit is 400" },
        { "L = sum(x)", "x=[" + string.Join(",", Enumerable.Range(1, 201)) + "]", "more than 200 entries in all; the limit is 200" },
    };

    [Theory]
    [MemberData(nameof(BadMatrixRequests))]
    public async Task ABadMatrixRequestIs400WithAMessage(string program, string at, string message)
    {
        var json = await server.GetJson($"/api/explain?program={Uri.EscapeDataString(program)}&at={Uri.EscapeDataString(at)}", 400);
        Assert.Contains(message, json.GetProperty("error").GetString());
        Assert.Empty(server.Errors);
    }

    private static Dictionary<string, JsonElement> Nodes(JsonElement json) =>
        json.GetProperty("nodes").EnumerateArray().Where(n => n.GetProperty("box").ValueKind != JsonValueKind.Null).ToDictionary(n => n.GetProperty("name").GetString()!);

    /// <summary>The same shape, the same doubles to the bit and explain's text for each entry.</summary>
    private static void AssertSame(Tensor expected, JsonElement value, string what)
    {
        Assert.Equal(expected.Shape, value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        double[] data = expected.Detach().ToArray();
        var values = value.GetProperty("values").EnumerateArray().ToList();
        var entries = value.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(data.Length, values.Count);
        for (int k = 0; k < data.Length; k++)
        {
            Assert.True(values[k].GetDouble().Equals(data[k]), $"{what}[{k}]: expected {data[k]:R}, got {values[k].GetDouble():R}");
            Assert.Equal(ExplainNumber.Format(data[k]), entries[k].GetString());
        }

        Assert.Equal(ExplainArray.Format(expected.Detach()), value.GetProperty("text").GetString());
    }
}
