using System.Globalization;
using Microsoft.Playwright;

namespace Backprop.Tests.Serve;

/// <summary>
/// The playground in a real browser: Play trains and the test loss shown falls; the deep-sigmoid
/// lesson shows the first layer's gradient orders of magnitude below the last. Skipped without Chromium.
/// </summary>
public class PlaygroundPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [ChromiumFact]
    public Task PlayTrainsAndTheTestLossFalls() => browser.OnPage(nameof(PlayTrainsAndTheTestLossFalls), async page =>
    {
        await page.GotoAsync(browser.Url("/playground?data=moons&seed=3"));
        var status = page.Locator("#status");
        await page.WaitForFunctionAsync("() => document.getElementById('status').dataset.step === '0'");
        double before = double.Parse((await status.GetAttributeAsync("data-test-loss"))!, CultureInfo.InvariantCulture);
        await page.Locator("#speed").SelectOptionAsync("25");
        await page.Locator("#play").ClickAsync();
        Assert.Equal("true", await page.Locator("#play").GetAttributeAsync("aria-pressed"));
        await page.WaitForFunctionAsync("() => Number(document.getElementById('status').dataset.step) >= 300", null, new PageWaitForFunctionOptions { Timeout = 20_000 });
        await page.Locator("#play").ClickAsync();
        double after = double.Parse((await status.GetAttributeAsync("data-test-loss"))!, CultureInfo.InvariantCulture);
        Assert.True(after < before / 3, $"test loss {before} → {after}");
        Assert.Contains("test accuracy", await status.TextContentAsync());
        Assert.True(await page.Locator("#loss path.test").CountAsync() == 1);
        Assert.True(await page.Locator("#net line.w").CountAsync() == (2 * 8) + (8 * 8) + (8 * 2));
        Assert.Contains("seed=3", await page.EvaluateAsync<string>("() => location.href")); // the settings are the URL (defaults left out)
    });

    [ChromiumFact]
    public Task TheDeepSigmoidLessonShowsVanishingGradients() => browser.OnPage(nameof(TheDeepSigmoidLessonShowsVanishingGradients), async page =>
    {
        await page.GotoAsync(browser.Url("/playground"));
        await page.WaitForFunctionAsync("() => document.getElementById('status').dataset.step === '0'");
        // Mark the old session's frame, so the wait below sees the new session's first frame (under
        // load the new stream opens late, and a step sent before it would go to the old session).
        await page.EvaluateAsync("() => { document.getElementById('status').dataset.step = 'old'; }");
        await page.Locator("#lesson-sigmoid").ClickAsync();
        await BrowserFixture.WaitForLocation(page, url => url.Contains("activation=sigmoid", StringComparison.Ordinal) && url.Contains("depth=8", StringComparison.Ordinal));
        await page.WaitForFunctionAsync("() => document.getElementById('status').dataset.step === '0'");
        await page.Locator("#step").ClickAsync();
        await page.WaitForFunctionAsync("() => document.getElementById('lesson').dataset.ratio !== undefined");
        double ratio = double.Parse((await page.Locator("#lesson").GetAttributeAsync("data-ratio"))!, CultureInfo.InvariantCulture);
        Assert.True(ratio < 1e-3, $"first/last gradient norm {ratio}");
        Assert.Contains("vanishes", await page.Locator("#lesson").TextContentAsync());

        await page.EvaluateAsync("() => { document.getElementById('status').dataset.step = 'old'; }");
        await page.Locator("#lesson-relu").ClickAsync();
        await BrowserFixture.WaitForLocation(page, url => url.Contains("init=he", StringComparison.Ordinal));
        await page.WaitForFunctionAsync("() => document.getElementById('status').dataset.step === '0'");
        await page.Locator("#step").ClickAsync();
        await page.WaitForFunctionAsync("() => document.getElementById('lesson').dataset.ratio !== undefined && document.getElementById('status').dataset.step === '1'");
        ratio = double.Parse((await page.Locator("#lesson").GetAttributeAsync("data-ratio"))!, CultureInfo.InvariantCulture);
        Assert.True(ratio > 0.05, $"first/last gradient norm with ReLU + He {ratio}");
    });
}
