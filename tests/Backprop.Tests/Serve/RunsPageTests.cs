using Microsoft.Playwright;

namespace Backprop.Tests.Serve;

/// <summary>
/// The run watcher in a real browser: a run's curves grow as its history gains epochs; a name that
/// tries to leave the runs folder, an unknown run and a half-written history each show a message;
/// the list works from the keyboard, and the state is the URL. Skipped without Chromium.
/// </summary>
public class RunsPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string TrainPoints = "() => document.querySelectorAll('#loss .series-train .pt').length";

    [ChromiumFact]
    public Task ARunsCurveGrowsAsItsEpochsAreWritten() => browser.OnPage(nameof(ARunsCurveGrowsAsItsEpochsAreWritten), async page =>
    {
        string folder = browser.Runs.Run("growing-" + Guid.NewGuid().ToString("N")[..6]);
        string name = Path.GetFileName(folder);
        SampleRuns.WriteHistory(folder, 2);
        await page.GotoAsync(browser.Url("/runs?run=" + name));
        await page.WaitForFunctionAsync($"() => ({TrainPoints})() === 2");
        Assert.Equal(2, await page.Locator("#loss .series-test .pt").CountAsync());
        Assert.Equal(name, await page.Locator("#run-name").TextContentAsync());
        await page.WaitForFunctionAsync($"() => document.querySelector('#runs tr[data-run=\"{name}\"]') !== null");
        Assert.Contains("● live", await page.Locator($"#runs tr[data-run=\"{name}\"] .status").TextContentAsync());

        // Two more epochs, written atomically as train writes them: the page polls and redraws.
        SampleRuns.WriteHistory(folder, 4);
        await page.WaitForFunctionAsync($"() => ({TrainPoints})() === 4", null, new PageWaitForFunctionOptions { Timeout = 20_000 });
        Assert.Equal(4, await page.Locator("#accuracy .series-acc .pt").CountAsync());
        Assert.Contains("epoch 4", await page.Locator("#run-status").TextContentAsync());
        Assert.Equal(4, await page.Locator("#epochs tbody tr").CountAsync());
    });

    [ChromiumTheory]
    [InlineData("..%2F..%2Foutside", "'run' must be the name of a run's folder")]
    [InlineData("..%2Foutside%2Fhistory.json", "'run' must be the name of a run's folder")]
    [InlineData("outside", "no run 'outside' in the runs folder")]
    [InlineData("nope", "no run 'nope' in the runs folder")]
    public Task ANameThatLeavesTheFolderOrIsUnknownShowsAMessage(string run, string message) => browser.OnPage(nameof(ANameThatLeavesTheFolderOrIsUnknownShowsAMessage), async page =>
    {
        await page.GotoAsync(browser.Url("/runs?run=" + run));
        var error = page.Locator("#error");
        await error.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible });
        Assert.Contains(message, await error.TextContentAsync());
        Assert.True(await page.Locator("#run").IsHiddenAsync());
        Assert.DoesNotContain(SampleRuns.Secret, await page.ContentAsync());
    });

    [ChromiumFact]
    public Task AHalfWrittenHistoryIsAMessageOnThePage() => browser.OnPage(nameof(AHalfWrittenHistoryIsAMessageOnThePage), async page =>
    {
        await page.GotoAsync(browser.Url("/runs?run=broken"));
        var problems = page.Locator("#problems");
        await problems.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible });
        Assert.StartsWith("history.json: not valid JSON", await problems.TextContentAsync());
        Assert.Equal(0, await page.Locator("#loss .pt").CountAsync());
    });

    [ChromiumFact]
    public Task TheListWorksFromTheKeyboardAndTheStateIsTheUrl() => browser.OnPage(nameof(TheListWorksFromTheKeyboardAndTheStateIsTheUrl), async page =>
    {
        await page.GotoAsync(browser.Url("/runs?run=broken&large=1"));
        Assert.Contains("large", await page.EvaluateAsync<string>("() => document.documentElement.className"));
        var demo = page.Locator("#runs a", new PageLocatorOptions { HasTextString = "demo" });
        await demo.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        string url = await BrowserFixture.WaitForLocation(page, url => url.Contains("run=demo", StringComparison.Ordinal));
        Assert.Contains("large=1", url);
        await page.WaitForFunctionAsync("() => document.getElementById('run-name').textContent === 'demo'");
        Assert.Equal("page", await demo.GetAttributeAsync("aria-current"));
        // The demo run's gradient report: one line per layer, each named at its end.
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#grads .layer-label').length === 2");
        Assert.Equal(["layer 0 (sigmoid)", "layer 2 (none)"], (await page.Locator("#grads .layer-label").AllTextContentsAsync()).Order());
        Assert.Contains("./backprop train --data digits", await page.Locator("#command").TextContentAsync());
    });
}
