using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Backprop.Explain;
using Backprop.Serve;

namespace Backprop.Tests.Serve;

/// <summary>
/// <c>/api/explain</c> over HTTP on a real port: its numbers are the explain library's, to the bit
/// and as explain prints them; every bad request gets 4xx with a message that names the problem.
/// </summary>
public class ExplainApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    public static TheoryData<string> Examples => new(WorkedExamples.Names);

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task EveryPresetGivesTheLibrarysNumbers(string name)
    {
        var json = await server.GetJson($"/api/explain?example={name}");
        var example = WorkedExamples.Get(name);
        AssertSameNumbers(example.Explain(), json);
        Assert.Equal(name, json.GetProperty("example").GetProperty("name").GetString());
        Assert.Equal(example.Program, json.GetProperty("program").GetString());
    }

    [Fact]
    public async Task MazurGivesTheSourceMaterialsNumbers()
    {
        var json = await server.GetJson("/api/explain?example=mazur");
        var nodes = json.GetProperty("nodes").EnumerateArray().Where(n => n.GetProperty("box").ValueKind != JsonValueKind.Null).ToDictionary(n => n.GetProperty("name").GetString()!);
        AssertClose(0.298371109, nodes["E"].GetProperty("value"), "E");
        Assert.Equal("0.2983711088", nodes["E"].GetProperty("value").GetProperty("text").GetString());
        AssertClose(0.593269992, nodes["out_h1"].GetProperty("value"), "out_h1");
        AssertClose(0.751365070, nodes["out_o1"].GetProperty("value"), "out_o1");
        double[] after = [0.149780716, 0.199561432, 0.249751144, 0.299502287, 0.358916480, 0.408666186, 0.511301270, 0.561370121];
        var updates = json.GetProperty("descent").GetProperty("updates").EnumerateArray().ToList();
        Assert.Equal(8, updates.Count);
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal($"w{i + 1}", updates[i].GetProperty("name").GetString());
            AssertClose(after[i], updates[i].GetProperty("newValue"), $"w{i + 1} after the step");
        }
    }

    [Fact]
    public async Task AProgramAtValuesIsExplainedAsTheLibraryDoes()
    {
        const string program = "g = -2*w1; y = w2 + g; z = y*w3";
        var json = await server.GetJson($"/api/explain?program={Uri.EscapeDataString(program)}&at=w1=3,w2=4,w3=5&target=10&loss=difference&lr=0.1");
        var e = Explanation.Create(program, [new("w1", 3), new("w2", 4), new("w3", 5)], new ExplainOptions { Target = 10, Loss = ExplainLoss.Difference, LearningRate = 0.1 });
        AssertSameNumbers(e, json);
        Assert.Equal("w1=3,w2=4,w3=5", json.GetProperty("at").GetString());
        Assert.Equal("-10", Gradient(json, "w1").GetProperty("text").GetString());
        Assert.Equal("20", json.GetProperty("descent").GetProperty("value").GetProperty("text").GetString());
    }

    [Fact]
    public async Task PostGivesTheSameAnswerAsGet()
    {
        var get = await server.GetJson("/api/explain?program=y%20%3D%20sigmoid(w*x%20%2B%20b)&at=w=0.5,x=2,b=-1&target=1&lr=0.1");
        var post = await server.PostJson("/api/explain", new { program = "y = sigmoid(w*x + b)", at = "w=0.5,x=2,b=-1", target = 1, lr = 0.1 });
        Assert.Equal(get.GetRawText(), post.GetRawText());
        var example = await server.PostJson("/api/explain", new { example = "chain" });
        Assert.Equal("30", Gradient(example, "t").GetProperty("text").GetString());
    }

    [Fact]
    public async Task AnExamplesLearningRateCanBeChosen()
    {
        var json = await server.GetJson("/api/explain?example=w123&lr=0.5");
        Assert.Equal(0.5, json.GetProperty("options").GetProperty("learningRate").GetDouble());
        var e = WorkedExamples.Get("w123");
        var expected = Explanation.Create(e.Program, e.Inputs, e.Options with { LearningRate = 0.5 });
        AssertSameNumbers(expected, json);
    }

    [Fact]
    public async Task StepsGoForwardInTopologicalOrderThenBackwardInReverse()
    {
        var json = await server.GetJson("/api/explain?example=w123");
        var steps = json.GetProperty("steps").EnumerateArray().ToList();
        var phases = steps.Select(s => s.GetProperty("phase").GetString()).ToList();
        var e = WorkedExamples.Get("w123").Explain();
        int operations = e.Graph.Nodes.Count(n => n.Kind == ExpressionNodeKind.Operation);
        Assert.Equal(["start", .. Enumerable.Repeat("forward", operations), "seed", .. Enumerable.Repeat("backward", e.Backward.Steps.Count), "done"], phases);
        Assert.Equal(Enumerable.Range(0, steps.Count), steps.Select(s => s.GetProperty("index").GetInt32()));
        var forward = steps.Where(s => s.GetProperty("phase").GetString() == "forward").Select(s => s.GetProperty("node").GetInt32()).ToList();
        Assert.Equal(forward.Order(), forward);
        var backward = steps.Where(s => s.GetProperty("phase").GetString() == "backward").Select(s => s.GetProperty("node").GetInt32()).ToList();
        Assert.Equal(e.Backward.Steps.Select(s => s.Node.Index), backward);
        Assert.Equal(backward.OrderDescending(), backward);

        // The first backward step visits z = y·w3 with ∂z/∂z = 1 and pushes 1 × w3 = 5 into y.
        var first = steps[operations + 2];
        Assert.Equal("1", first.GetProperty("upstream").GetProperty("text").GetString());
        var intoY = first.GetProperty("contributions").EnumerateArray().First();
        Assert.Equal("w3", intoY.GetProperty("localFormula").GetString());
        Assert.Equal("5", intoY.GetProperty("product").GetProperty("text").GetString());
    }

    [Fact]
    public async Task ANodeUsedTwiceShowsTheSumOverConsumersBesideTheAccumulation()
    {
        var json = await server.GetJson("/api/explain?program=y%20%3D%20x*x&at=x=3");
        var sum = Assert.Single(json.GetProperty("sums").EnumerateArray());
        Assert.Equal(0, sum.GetProperty("node").GetInt32());
        Assert.Equal(2, sum.GetProperty("terms").GetArrayLength());
        Assert.Equal("6", sum.GetProperty("gradient").GetProperty("text").GetString());
        Assert.True(sum.GetProperty("equalsVersionB").GetBoolean());
        var contributions = json.GetProperty("steps").EnumerateArray()
            .Where(s => s.GetProperty("phase").GetString() == "backward")
            .SelectMany(s => s.GetProperty("contributions").EnumerateArray()).ToList();
        Assert.Equal(["0 + 3 = 3 (1 of 2)", "3 + 3 = 6 (2 of 2)"], contributions.Select(c =>
            $"{c.GetProperty("before").GetProperty("text").GetString()} + {c.GetProperty("product").GetProperty("text").GetString()} = {c.GetProperty("after").GetProperty("text").GetString()} ({c.GetProperty("use").GetInt32()} of {c.GetProperty("uses").GetInt32()})"));
    }

    public static TheoryData<string, string> BadQueries() => new()
    {
        { "", "a program is required" },
        { "example=xor", "unknown example 'xor' (examples: abc, chain, w123, mazur, regression, classification, mazur-matrix)" },
        { "example=mazur&program=x", "an example runs its own program" },
        { "program=z%3Dx*&at=x=1", "at column 5" },
        { "program=z%3Dx*y&at=x=1", "undefined variable 'y' (give it a value, e.g. y=1)" },
        { "program=z%3Dx&at=x", "'at': expected NAME=NUMBER" },
        { "program=z%3Dx&at=x=NaN", "'at': expected NAME=NUMBER" },
        { "program=z%3Dx&at=x=1,x=2", "'x' is given a value twice" },
        { "program=z%3Dx&at=x=1,q=2", "'q' is given a value but the program does not use it" },
        { "program=z%3Dlog(x)&at=x=-1", "log" },
        { "program=z%3Dx&at=x=1&lr=-1", "'lr' (the learning rate) must be a positive number" },
        { "program=z%3Dx&at=x=1&lr=abc", "'lr' must be a number, got 'abc'" },
        { "program=z%3Dx&at=x=1&target=1e999", "'target' must be a number" },
        { "program=z%3Dx&at=x=1&target=1&loss=huber", "'loss' must be squared or difference" },
        { "program=z%3Dx&program=y%3Dx&at=x=1", "'program' is given 2 times" },
        { "program=z%3D((((x&at=x=1", "column" },
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task ABadRequestIs400WithAMessage(string query, string message)
    {
        var json = await server.GetJson("/api/explain?" + query, 400);
        Assert.Contains(message, json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task AnErrorInTheProgramSaysWhere()
    {
        var json = await server.GetJson("/api/explain?program=" + Uri.EscapeDataString("a = x + 1\nb = a * * 2") + "&at=x=1", 400);
        Assert.Equal("unexpected '*' at line 2, column 9", json.GetProperty("error").GetString());
        Assert.Equal(2, json.GetProperty("line").GetInt32());
        Assert.Equal(9, json.GetProperty("column").GetInt32());
        var values = await server.GetJson("/api/explain?program=z%3Dx&at=x=abc", 400);
        Assert.False(values.TryGetProperty("line", out _));
    }

    [Fact]
    public async Task TooLargeRequestsAreRefusedWithTheLimit()
    {
        string longProgram = "z = x" + string.Concat(Enumerable.Repeat(" + x", 2_500));
        Assert.Contains("the limit is 10,000", await Error($"/api/explain?program={Uri.EscapeDataString(longProgram)}&at=x=1", 400));

        string manyNodes = "z = x" + string.Concat(Enumerable.Repeat("+x", 1_200));
        Assert.Contains("1,201 nodes; the limit is 1,000", await Error($"/api/explain?program={Uri.EscapeDataString(manyNodes)}&at=x=1", 400));

        string manyValues = string.Join(",", Enumerable.Range(0, 201).Select(i => $"x{i}=1"));
        Assert.Contains("the limit is 200", await Error($"/api/explain?program=z%3Dx0&at={manyValues}", 400));

        using var big = new StringContent("{\"program\": \"" + new string('x', 100_000) + "\"}", Encoding.UTF8, "application/json");
        using var response = await server.Client.PostAsync("/api/explain", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("larger than the limit of 65,536 bytes", await response.Content.ReadAsStringAsync());

        // A URL past Kestrel's request-line limit is refused by Kestrel itself, also with 4xx.
        using var huge = await server.Client.GetAsync("/api/explain?program=" + new string('x', 70_000));
        Assert.InRange((int)huge.StatusCode, 400, 499);
    }

    public static TheoryData<string, string> BadBodies() => new()
    {
        { "", "the body is not valid JSON" },
        { "{\"program\": ", "the body is not valid JSON" },
        { "[1, 2]", "the body must be a JSON object" },
        { "{\"programme\": \"x\"}", "unknown field 'programme'" },
        { "{\"program\": [\"x\"]}", "'program' must be a string or a number" },
        { "{\"program\": \"z = x\", \"program\": \"y\"}", "'program' is given twice" },
        { "{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":{}}}}}}}}}}", "the body is not valid JSON" },
        { "{\"program\": \"z = x\", \"at\": \"x=1\", \"lr\": \"fast\"}", "'lr' must be a number" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task AMalformedBodyIs400WithAMessage(string body, string message)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await server.Client.PostAsync("/api/explain", content);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Contains(message, JsonDocument.Parse(text).RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task UnknownPathsAndMethodsGet4xxWithAMessage()
    {
        Assert.Contains("not found: /api/nothing", await Error("/api/nothing", 404));
        using var page = await server.Client.GetAsync("/nothing");
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Contains("the explainer is at /explain", await page.Content.ReadAsStringAsync());
        using var asset = await server.Client.GetAsync("/assets/..%2F..%2Fetc%2Fpasswd");
        Assert.Equal(HttpStatusCode.NotFound, asset.StatusCode);
        using var delete = await server.Client.DeleteAsync("/api/explain");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, delete.StatusCode);
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task EveryAnswerCarriesTheSecurityHeaders()
    {
        foreach (string path in new[] { "/explain", "/playground", "/assets/playground.js", "/assets/explain.js", "/assets/explain.css", "/api/explain?example=abc", "/api/explain?example=nope", "/nothing", "/" })
        {
            using var response = await server.Client.GetAsync(path);
            Assert.Equal(BackpropServer.ContentSecurityPolicy, string.Join(";", response.Headers.GetValues("Content-Security-Policy")));
            Assert.Contains("script-src 'self'", BackpropServer.ContentSecurityPolicy);
            Assert.DoesNotContain("unsafe", BackpropServer.ContentSecurityPolicy);
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        }
    }

    [Theory]
    [InlineData("/explain")]
    [InlineData("/playground")]
    public async Task ThePageHasNoInlineScriptAndLoadsOnlyItsOwnAssets(string page)
    {
        using var response = await server.Client.GetAsync(page);
        Assert.Equal("text/html", response.Content.Headers.ContentType!.MediaType);
        string html = await response.Content.ReadAsStringAsync();
        Assert.DoesNotMatch(@"<script(?![^>]*\bsrc=)", html);
        Assert.DoesNotMatch(@"<[^>]*\son[a-z]+\s*=", html); // no inline event handlers
        Assert.DoesNotContain("style=", html);
        var references = Regex.Matches(html, @"<(?:script|link|img)\b[^>]*\b(?:src|href)=""([^""]+)""").Select(m => m.Groups[1].Value).ToList();
        Assert.All(Regex.Matches(html, @"<a\b[^>]*href=""([^""]+)""").Select(m => m.Groups[1].Value), link => Assert.StartsWith("/", link));
        Assert.NotEmpty(references);
        foreach (string reference in references)
        {
            Assert.StartsWith("/assets/", reference);
            using var asset = await server.Client.GetAsync(reference);
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        }
    }

    [Fact]
    public async Task TheScriptInsertsTextOnlyNeverHtml()
    {
        foreach (string file in new[] { "/assets/explain.js", "/assets/playground.js" })
        {
            AssertTextOnly(await server.Client.GetStringAsync(file));
        }
    }

    private static void AssertTextOnly(string script)
    {
        foreach (string sink in new[] { "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute('style'", "setAttribute('on" })
        {
            Assert.DoesNotContain(sink, script);
        }

        Assert.Contains("textContent", script);
    }

    [Fact]
    public async Task AnotherHostNameIsRefused()
    {
        // A page on another site that points its own name at 127.0.0.1 (DNS rebinding) gets nothing.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/explain?example=abc");
        request.Headers.Host = "attacker.example";
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, response.StatusCode);
        Assert.Contains("answers only to localhost", await response.Content.ReadAsStringAsync());
        using var local = new HttpRequestMessage(HttpMethod.Get, "/api/examples");
        local.Headers.Host = $"localhost:{server.Server.Address.Port}";
        using var ok = await server.Client.SendAsync(local);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task TheExamplesAreListedAndTheRootLeadsToTheExplainer()
    {
        var examples = await server.GetJson("/api/examples");
        Assert.Equal([.. WorkedExamples.Names, .. WorkedExamples.MatrixNames], examples.EnumerateArray().Select(e => e.GetProperty("name").GetString()));
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.Server.Address };
        using var root = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        Assert.Equal("/explain", root.Headers.Location!.OriginalString);
    }

    private async Task<string> Error(string path, int status) =>
        (await server.GetJson(path, status)).GetProperty("error").GetString()!;

    private static JsonElement Gradient(JsonElement json, string input) =>
        json.GetProperty("gradients").EnumerateArray().Single(g => g.GetProperty("name").GetString() == input).GetProperty("gradient");

    private static void AssertClose(double expected, JsonElement number, string what)
    {
        double actual = number.GetProperty("value").GetDouble();
        Assert.True(Math.Abs(expected - actual) < 5e-10, $"{what}: expected {expected}, got {actual:R}");
    }

    /// <summary>Every number of the answer is the explanation's: the same double and explain's text for it.</summary>
    private static void AssertSameNumbers(Explanation e, JsonElement json)
    {
        static void Same(double expected, JsonElement number, string what)
        {
            Assert.Equal(ExplainNumber.Format(expected), number.GetProperty("text").GetString());
            var value = number.GetProperty("value");
            if (double.IsFinite(expected))
            {
                Assert.True(value.GetDouble().Equals(expected), $"{what}: expected {expected:R}, got {value.GetDouble():R}");
            }
            else
            {
                Assert.Equal(JsonValueKind.Null, value.ValueKind);
            }
        }

        var nodes = json.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(e.Graph.Nodes.Count, nodes.Count);
        foreach (var node in e.Graph.Nodes)
        {
            var n = nodes[node.Index];
            Assert.Equal(node.Name, n.GetProperty("name").GetString());
            Assert.Equal(node.Formula.ToText(), n.GetProperty("formula").GetString());
            Same(node.Value, n.GetProperty("value"), node.Name);
            if (node.RequiresGrad && e.Graph.IsOnPathToOutput(node))
            {
                Same(e.Backward.GradientOf(node), n.GetProperty("gradient"), $"∂/∂{node.Name}");
            }
        }

        Assert.Equal(e.Graph.Output.Index, json.GetProperty("output").GetInt32());
        var gradients = json.GetProperty("gradients").EnumerateArray().ToList();
        Assert.Equal(e.Gradients.Count, gradients.Count);
        for (int i = 0; i < gradients.Count; i++)
        {
            Assert.Equal(e.Gradients[i].Input.Name, gradients[i].GetProperty("name").GetString());
            Same(e.Gradients[i].Gradient, gradients[i].GetProperty("gradient"), $"gradient {i}");
            Same(e.Gradients[i].FiniteDifference, gradients[i].GetProperty("finiteDifference"), $"finite difference {i}");
        }

        var products = json.GetProperty("steps").EnumerateArray()
            .Where(s => s.GetProperty("phase").GetString() == "backward")
            .SelectMany(s => s.GetProperty("contributions").EnumerateArray()).ToList();
        var edges = e.Backward.Steps.SelectMany(s => s.Edges).ToList();
        Assert.Equal(edges.Count, products.Count);
        for (int i = 0; i < edges.Count; i++)
        {
            Same(edges[i].Product, products[i].GetProperty("product"), $"product {i}");
            Same(edges[i].LocalDerivative, products[i].GetProperty("local"), $"local derivative {i}");
            Same(edges[i].InputGradient, products[i].GetProperty("after"), $"accumulated gradient {i}");
        }

        var descent = json.GetProperty("descent");
        if (e.Step is null)
        {
            Assert.Equal(JsonValueKind.Null, descent.ValueKind);
            return;
        }

        Same(e.Step.Value, descent.GetProperty("value"), "loss");
        Same(e.Step.ValueAfter, descent.GetProperty("valueAfter"), "loss after the step");
        Same(e.Step.OutputAfter, descent.GetProperty("outputAfter"), "output after the step");
        var updates = descent.GetProperty("updates").EnumerateArray().ToList();
        for (int i = 0; i < updates.Count; i++)
        {
            Same(e.Step.Updates[i].NewValue, updates[i].GetProperty("newValue"), $"new value {i}");
            Same(e.Step.Updates[i].LossGradient, updates[i].GetProperty("lossGradient"), $"loss gradient {i}");
        }
    }
}
