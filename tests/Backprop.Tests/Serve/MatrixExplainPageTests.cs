using Backprop.Explain;
using Microsoft.Playwright;

namespace Backprop.Tests.Serve;

/// <summary>
/// The explainer page in matrix form in a real browser (headless Chromium): the example picker offers
/// mazur-matrix, the keyboard steps its backward pass with δ, the matrix-form rule, the scalar chain
/// rule and the rule's value as grids, a link opens the same step, a shape error shows the CLI's message.
/// </summary>
public class MatrixExplainPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [ChromiumFact]
    public Task TheKeyboardStepsTheBackwardPassOfMazurMatrix() => browser.OnPage(nameof(TheKeyboardStepsTheBackwardPassOfMazurMatrix), async page =>
    {
        var e = WorkedExamples.GetMatrix("mazur-matrix").Explain();
        await page.GotoAsync(browser.Url("/explain?example=mazur-matrix"));
        await Phase(page, "start");
        Assert.Contains("mazur-matrix", await page.Locator("#example option[value='mazur-matrix']").TextContentAsync());
        Assert.Equal("mazur-matrix", await page.Locator("#example").InputValueAsync());
        Assert.Equal("W1 (2×2)", await page.Locator("g.node[data-name='W1'] tspan.title").TextContentAsync());
        Assert.Equal("2×2", await page.Locator("#panel tr[data-node='W1'] table.grid").GetAttributeAsync("data-shape"));

        // End, then one step back: the last backward step visits u1 = W1 @ x and sends δ_u1·xᵀ to W1.
        await page.Keyboard.PressAsync("End");
        await Phase(page, "done");
        await page.Keyboard.PressAsync("ArrowLeft");
        await Phase(page, "backward");
        Assert.Equal("u1", await Current(page));
        int last = e.Nodes.Count(n => n.Kind == ExpressionNodeKind.Operation) + e.Steps.Count + 1;
        await BrowserFixture.WaitForLocation(page, new System.Text.RegularExpressions.Regex($"step={last}(&|$)").IsMatch); // the URL is written at most every 200 ms
        Assert.Equal("[0.008771354689, 0.009954254705]", await page.Locator("#panel .upstream table.grid").GetAttributeAsync("title").ContinueWith(t => t.Result![(t.Result!.IndexOf(':') + 2)..]));
        var intoW1 = page.Locator("#panel .contribution[data-input='W1']");
        Assert.Equal("∂E/∂W1 = δ_u1·xᵀ (outer product, 2×2)", await intoW1.Locator(".rule").TextContentAsync());
        Assert.Contains("∂E/∂W1[i,j] = δ_u1[i]·x[j]", await intoW1.Locator(".scalar-rule").TextContentAsync());
        Assert.Equal(["0.0004385677345", "0.0008771354689", "0.0004977127353", "0.0009954254705"],
            await intoW1.Locator(".product table.grid td").AllTextContentsAsync());
        Assert.Contains("receiving", await page.Locator("g.node[data-name='W1']").GetAttributeAsync("class"));
        Assert.Equal("∂E/∂W1 = [[0.0004385677345, 0.0008771354689],", await page.Locator("g.node[data-name='W1'] tspan.grad").First.TextContentAsync());

        // Back through the sigmoid of the output layer: δ ⊙ σ'(u4) with the Jacobian's diagonal.
        for (int i = 0; i < 5; i++)
        {
            await page.Keyboard.PressAsync("ArrowLeft");
        }

        Assert.Equal("o", await Current(page));
        var intoU4 = page.Locator("#panel .contribution[data-input='u4']");
        Assert.Equal("∂E/∂u4 = diag(σ'(u4))·δ_o = δ_o ⊙ σ'(u4)", await intoU4.Locator(".rule").TextContentAsync());
        Assert.Equal(["0.1868156018", "0.1755100528"], await intoU4.Locator(".local table.grid td").AllTextContentsAsync());

        // A shared link opens the same step.
        var stepParameter = new System.Text.RegularExpressions.Regex($"step={last - 5}(&|$)");
        string url = await BrowserFixture.WaitForLocation(page, stepParameter.IsMatch);
        var other = await page.Context.NewPageAsync();
        await other.GotoAsync(url);
        await Phase(other, "backward");
        Assert.Equal("o", await Current(other));
        Assert.Equal(await page.Locator("#panel").InnerTextAsync(), await other.Locator("#panel").InnerTextAsync());

        // The last step: the gradients with their finite differences, and Mazur's step.
        await page.Keyboard.PressAsync("End");
        await Phase(page, "done");
        var w2 = page.Locator("#panel .gradient-card[data-input='W2']");
        Assert.Equal("0.08216704056", await w2.Locator("table.grid.value td").First.TextContentAsync());
        Assert.Contains("✓ agrees", await w2.InnerTextAsync());
        Assert.Contains("0.3589164797", await page.Locator("#panel .update[data-input='W2'] table.grid.value").InnerTextAsync());
    });

    [ChromiumFact]
    public Task AShapeErrorShowsTheClisMessage() => browser.OnPage(nameof(AShapeErrorShowsTheClisMessage), async page =>
    {
        await page.GotoAsync(browser.Url("/explain?program=" + Uri.EscapeDataString("L = sum(W @ x)") + "&at=" + Uri.EscapeDataString("W=[[1,2],[3,4]],x=[1,2,3]")));
        var error = page.Locator("#error");
        await error.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible });
        string text = (await error.TextContentAsync())!;
        Assert.StartsWith("Error: shapes do not match in u1 = W @ x: W is (2×2) and x is (3)", text);
        Assert.Contains("^", text); // the caret under the '@'
    });

    private static Task Phase(IPage page, string phase) =>
        page.Locator($"#panel[data-phase='{phase}']").WaitForAsync();

    private static async Task<string> Current(IPage page) =>
        (await page.Locator("g.node.current").GetAttributeAsync("data-name"))!;
}
