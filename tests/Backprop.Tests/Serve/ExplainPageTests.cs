using Backprop.Explain;
using Microsoft.Playwright;

namespace Backprop.Tests.Serve;

/// <summary>
/// The explainer page in a real browser (headless Chromium): each preset shows the library's
/// numbers, the keyboard steps the backward pass with the right node highlighted and the right
/// product, a shared URL opens the same state, user text stays text. Skipped without Chromium.
/// </summary>
public class ExplainPageTests(BrowserFixture browser, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<BrowserFixture>
{
    [ChromiumFact]
    public Task EachPresetShowsTheLibrarysNumbers() => browser.OnPage(nameof(EachPresetShowsTheLibrarysNumbers), async page =>
    {
        foreach (string name in WorkedExamples.Names)
        {
            var e = WorkedExamples.Get(name).Explain();
            await page.GotoAsync(browser.Url($"/explain?example={name}&step=100000"));
            await Phase(page, "done");

            // The output's box, and the gradient table with its finite differences.
            string output = e.Graph.Output.Name;
            Assert.Equal($"value {ExplainNumber.Format(e.Graph.Output.Value)}", await page.Locator($"g.node[data-name='{output}'] tspan.value").TextContentAsync());
            foreach (var g in e.Gradients)
            {
                var row = page.Locator($"#panel tr[data-input='{g.Input.Name}']");
                Assert.Equal(ExplainNumber.Format(g.Gradient), (await row.Locator("td").Nth(1).TextContentAsync())!.Trim());
                Assert.Equal(ExplainNumber.Format(g.FiniteDifference), (await row.Locator("td").Nth(2).TextContentAsync())!.Trim());
                Assert.Equal("✓ agrees", (await row.Locator("td").Nth(4).TextContentAsync())!.Trim());
            }

            foreach (var u in e.Step?.Updates ?? [])
            {
                var row = page.Locator($"#panel .table-wrap").Last.Locator($"tr[data-input='{u.Input.Name}']");
                Assert.Equal(ExplainNumber.Format(u.NewValue), (await row.Locator("td").Nth(3).TextContentAsync())!.Trim());
            }
        }

        // Mazur's network: E as the source material gives it.
        await page.GotoAsync(browser.Url("/explain?example=mazur&step=1000"));
        await Phase(page, "done");
        Assert.Equal("value 0.2983711088", await page.Locator("g.node[data-name='E'] tspan.value").TextContentAsync());
    });

    [ChromiumFact]
    public Task TheKeyboardStepsTheBackwardPass() => browser.OnPage(nameof(TheKeyboardStepsTheBackwardPass), async page =>
    {
        // w123: g = −2·w1, y = w2 + g, z = y·w3. Steps: 0 start, 1-3 forward (g, y, z), 4 seed, 5-7 backward (z, y, g), 8 done.
        await page.GotoAsync(browser.Url("/explain?example=w123"));
        await Phase(page, "start");
        await page.Keyboard.PressAsync("End");
        await Phase(page, "done");
        Assert.Equal("Step 8 of 8: gradients and one gradient-descent step", await page.Locator("#position").TextContentAsync());

        await page.Keyboard.PressAsync("ArrowLeft");
        await Phase(page, "backward");
        Assert.Equal("g", await Current(page));
        Assert.Equal("5 × -2 = -10", await Product(page, "w1"));
        await BrowserFixture.WaitForLocation(page, url => url.Contains("step=7", StringComparison.Ordinal));

        await page.Keyboard.PressAsync("ArrowLeft");
        Assert.Equal("y", await Current(page));
        Assert.Equal("5 × 1 = 5", await Product(page, "w2"));
        Assert.Equal("5 × 1 = 5", await Product(page, "g"));

        await page.Keyboard.PressAsync("ArrowLeft");
        Assert.Equal("z", await Current(page));
        Assert.Equal("1 × 5 = 5", await Product(page, "y"));
        Assert.Equal("1 × -2 = -2", await Product(page, "w3"));
        Assert.Contains("receiving", await page.Locator("g.node[data-name='w3']").GetAttributeAsync("class"));

        await page.Keyboard.PressAsync("ArrowLeft");
        await Phase(page, "seed");
        await page.Keyboard.PressAsync("Home");
        await Phase(page, "start");
        await BrowserFixture.WaitForLocation(page, url => !url.Contains("step=", StringComparison.Ordinal));
        Assert.Equal("value ?", await page.Locator("g.node[data-name='z'] tspan.value").TextContentAsync());

        await page.Keyboard.PressAsync("ArrowRight");
        await Phase(page, "forward");
        Assert.Equal("g", await Current(page));
        Assert.Equal("value -6", await page.Locator("g.node[data-name='g'] tspan.value").TextContentAsync());
        await BrowserFixture.WaitForLocation(page, url => url.Contains("step=1", StringComparison.Ordinal));
    });

    [ChromiumFact]
    public Task ASharedUrlOpensTheSameState() => browser.OnPage(nameof(ASharedUrlOpensTheSameState), async page =>
    {
        await page.GotoAsync(browser.Url("/explain?example=mazur"));
        await Phase(page, "start");
        await page.Keyboard.PressAsync("End");
        for (int i = 0; i < 6; i++)
        {
            await page.Keyboard.PressAsync("ArrowLeft");
        }

        await Phase(page, "backward");
        string url = await BrowserFixture.WaitForLocation(page, url => url.Contains("step=50", StringComparison.Ordinal));
        Assert.Contains("example=mazur", url);
        string current = await Current(page);
        string position = (await page.Locator("#position").TextContentAsync())!;
        string panel = (await page.Locator("#panel").InnerTextAsync())!;

        var other = await page.Context.NewPageAsync();
        await other.GotoAsync(url);
        await Phase(other, "backward");
        Assert.Equal(current, await Current(other));
        Assert.Equal(position, await other.Locator("#position").TextContentAsync());
        Assert.Equal(panel, await other.Locator("#panel").InnerTextAsync());

        // A program with its values and a step, as a teacher would write the link by hand.
        await other.GotoAsync(browser.Url("/explain?program=" + Uri.EscapeDataString("g = -2*w1; y = w2 + g; z = y*w3") + "&at=w1=3,w2=4,w3=5&step=7"));
        await Phase(other, "backward");
        Assert.Equal("g", await Current(other));
        Assert.Equal("5 × -2 = -10", await Product(other, "w1"));
        Assert.Equal("g = -2*w1; y = w2 + g; z = y*w3", await other.Locator("#program").InputValueAsync());
    });

    [ChromiumFact]
    public Task ANodeUsedTwiceShowsBothWaysOfSummingItsGradient() => browser.OnPage(nameof(ANodeUsedTwiceShowsBothWaysOfSummingItsGradient), async page =>
    {
        // y = x·x: steps 0 start, 1 forward, 2 seed, 3 backward (y pushes into x twice), 4 done.
        await page.GotoAsync(browser.Url("/explain?program=y%20%3D%20x*x&at=x=3&step=3"));
        await Phase(page, "backward");
        var box = page.Locator(".two-ways[data-node='x']");
        Assert.Contains("Version A: sum over consumers", await box.InnerTextAsync());
        Assert.Contains("Version B: accumulate", await box.InnerTextAsync());
        Assert.Contains("0 + 3 = 3", await box.InnerTextAsync());
        Assert.Contains("3 + 3 = 6", await box.InnerTextAsync());
        Assert.Equal("Both give 6, to the last bit.", await box.Locator(".verdict").TextContentAsync());
    });

    [ChromiumFact]
    public Task AGradientDescentStepWithAChosenLearningRate() => browser.OnPage(nameof(AGradientDescentStepWithAChosenLearningRate), async page =>
    {
        await page.GotoAsync(browser.Url("/explain?example=w123&step=8"));
        await Phase(page, "done");
        await page.Locator("#step-lr").FillAsync("0.5");
        await page.Locator(".lr-form button").ClickAsync();
        await BrowserFixture.WaitForLocation(page, url => url.Contains("lr=0.5", StringComparison.Ordinal));
        await Phase(page, "done");
        var e = WorkedExamples.Get("w123");
        var expected = Explanation.Create(e.Program, e.Inputs, e.Options with { LearningRate = 0.5 }).Step!;
        foreach (var u in expected.Updates)
        {
            // Retried until it holds: the URL changes before the new explanation has been drawn.
            var row = page.Locator(".table-wrap").Last.Locator($"tr[data-input='{u.Input.Name}']");
            await Assertions.Expect(row.Locator("td").Nth(3)).ToHaveTextAsync(ExplainNumber.Format(u.NewValue));
        }

        await Assertions.Expect(page.Locator("#panel .after")).ToContainTextAsync($"{expected.Name} = {ExplainNumber.Format(expected.ValueAfter)}");
    });

    [ChromiumFact]
    public Task UserTextIsShownAsTextNeverRun() => browser.OnPage(nameof(UserTextIsShownAsTextNeverRun), async page =>
    {
        const string attack = "<img src=x onerror=\"document.title='owned'\">";
        await page.GotoAsync(browser.Url("/explain?program=" + Uri.EscapeDataString(attack) + "&at=x=1"));
        var error = page.Locator("#error");
        await error.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible });
        Assert.StartsWith("Error: ", await error.TextContentAsync());
        Assert.Equal(0, await page.Locator("#error img, body img").CountAsync());
        Assert.Equal(attack, await page.Locator("#program").InputValueAsync());
        Assert.NotEqual("owned", await page.TitleAsync());
    });

    [ChromiumFact]
    public Task LargeTextIsPartOfTheUrl() => browser.OnPage(nameof(LargeTextIsPartOfTheUrl), async page =>
    {
        // chain: x = t², u1 = 5·x, y = u1 + 3: step 5 is the first backward step.
        await page.GotoAsync(browser.Url("/explain?example=chain&step=5"));
        await Phase(page, "backward");
        string normal = await page.EvaluateAsync<string>("() => getComputedStyle(document.documentElement).fontSize");
        await page.Locator("#large").ClickAsync();
        Assert.Equal("true", await page.Locator("#large").GetAttributeAsync("aria-pressed"));
        await BrowserFixture.WaitForLocation(page, url => url.Contains("large=1", StringComparison.Ordinal) && url.Contains("step=5", StringComparison.Ordinal));
        await page.ReloadAsync();
        await Phase(page, "backward");
        string large = await page.EvaluateAsync<string>("() => getComputedStyle(document.documentElement).fontSize");
        Assert.Equal("16px", normal);
        Assert.Equal("22px", large);
        Assert.Equal("Normal text", await page.Locator("#large").TextContentAsync());
    });

    [ChromiumFact]
    public Task AGraphOf200NodesStepsWithoutLag() => browser.OnPage(nameof(AGraphOf200NodesStepsWithoutLag), async page =>
    {
        // 40 layers h_k = tanh(w_k·h_(k−1) + b_k): 201 nodes, 81 inputs.
        var program = new System.Text.StringBuilder("h0 = x\n");
        var values = new List<string> { "x=0.5" };
        for (int k = 1; k <= 40; k++)
        {
            program.Append(System.Globalization.CultureInfo.InvariantCulture, $"h{k} = tanh(w{k}*h{k - 1} + b{k})\n");
            values.Add($"w{k}=0.{k % 9 + 1}");
            values.Add($"b{k}=-0.0{k % 7 + 1}");
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        await page.GotoAsync(browser.Url($"/explain?program={Uri.EscapeDataString(program.ToString())}&at={string.Join(",", values)}"));
        await Phase(page, "start");
        double firstPaint = watch.Elapsed.TotalSeconds;
        Assert.True(await page.Locator("g.node").CountAsync() >= 200);

        // Every step: the graph's classes and texts, the panel, the URL. Timed inside the page.
        double perStep = await page.EvaluateAsync<double>(@"() => {
            const t0 = performance.now();
            for (let i = 0; i < 400; i++) document.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight' }));
            return (performance.now() - t0) / 400;
        }");
        output.WriteLine($"201 nodes: first paint {firstPaint:F2} s, {perStep:F2} ms per step");
        Assert.Equal("done", await page.Locator("#panel").GetAttributeAsync("data-phase"));
        string last = (await page.Locator("#slider").GetAttributeAsync("max"))!;
        await BrowserFixture.WaitForLocation(page, url => url.Contains($"step={last}", StringComparison.Ordinal)); // the last step's URL is kept
        Assert.True(perStep < 50, $"{perStep:F1} ms per step");
        Assert.True(firstPaint < 5, $"first paint after {firstPaint:F1} s");
    });

    private static Task Phase(IPage page, string phase) =>
        page.Locator($"#panel[data-phase='{phase}']").WaitForAsync();

    private static async Task<string> Current(IPage page) =>
        (await page.Locator("g.node.current").GetAttributeAsync("data-name"))!;

    private static async Task<string> Product(IPage page, string input) =>
        (await page.Locator($"#panel .contribution[data-input='{input}'] .product").First.TextContentAsync())!;
}
