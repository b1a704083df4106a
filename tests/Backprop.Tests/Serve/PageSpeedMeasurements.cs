using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Backprop.Tests.Serve;

/// <summary>A measurement, not a test of speed: run with BACKPROP_MEASURE=1 (and Chromium installed); it prints figures and asserts only what it measured happened.</summary>
public sealed class MeasurementFactAttribute : FactAttribute
{
    public MeasurementFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("BACKPROP_MEASURE") != "1")
        {
            Skip = "a measurement: run with BACKPROP_MEASURE=1 (docs/performance.md, Browser pages)";
        }
        else if (!File.Exists(BrowserFixture.Chromium))
        {
            Skip = BrowserFixture.Missing;
        }
    }
}

/// <summary>
/// The figures of docs/performance.md's "Browser pages": first contentful paint of each page (median
/// of 5 loads, each in a fresh browser context, against a warm server) and the time from a → key
/// press to the frame after the highlight moved, stepping a 200-node graph. No wall time is asserted.
/// </summary>
public class PageSpeedMeasurements(BrowserFixture browser, ITestOutputHelper output) : IClassFixture<BrowserFixture>
{
    /// <summary>2 inputs and 99 statements of 2 operations each: 200 nodes.</summary>
    public static string Program200()
    {
        var sb = new StringBuilder("a1 = sigmoid(x) * y");
        for (int i = 2; i <= 99; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"; a{i} = sigmoid(a{i - 1}) * y");
        }

        return sb.ToString();
    }

    [MeasurementFact]
    public async Task FirstPaintAndStepping()
    {
        string program = Program200();
        string explain200 = "/explain?program=" + Uri.EscapeDataString(program) + "&at=" + Uri.EscapeDataString("x=0.5,y=0.9");
        using (var client = new HttpClient { BaseAddress = browser.Server.Address })
        {
            var json = JsonDocument.Parse(await client.GetStringAsync("/api/explain?program=" + Uri.EscapeDataString(program) + "&at=" + Uri.EscapeDataString("x=0.5,y=0.9"))).RootElement;
            output.WriteLine($"the program has {json.GetProperty("nodes").GetArrayLength()} nodes and {json.GetProperty("steps").GetArrayLength()} steps");
        }

        foreach (string path in new[] { "/explain?example=mazur", "/playground", "/runs?run=demo", explain200 })
        {
            var paints = new List<double>();
            for (int load = 0; load < 6; load++)
            {
                await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
                var page = await context.NewPageAsync();
                await page.GotoAsync(browser.Url(path), new PageGotoOptions { WaitUntil = WaitUntilState.Load });
                double fcp = await page.EvaluateAsync<double>("() => new Promise(resolve => { const find = () => { const e = performance.getEntriesByName('first-contentful-paint')[0]; if (e) resolve(e.startTime); else setTimeout(find, 20); }; find(); })");
                if (load > 0)
                {
                    paints.Add(fcp); // the first load warms the server
                }
            }

            paints.Sort();
            output.WriteLine($"first contentful paint {Shorten(path)}: median {paints[2]:F0} ms (of {string.Join(", ", paints.Select(p => p.ToString("F0", CultureInfo.InvariantCulture)))})");
        }

        await browser.OnPage("stepping-200", async page =>
        {
            await page.GotoAsync(browser.Url(explain200));
            await page.WaitForFunctionAsync("() => document.querySelectorAll('#graph .node').length >= 200");
            var times = await page.EvaluateAsync<double[]>(@"async () => {
                const times = [];
                const frame = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
                await frame();
                const steps = Number(document.getElementById('slider').max);
                for (let i = 0; i < steps; i++) {
                    const t0 = performance.now();
                    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
                    await frame();
                    times.push(performance.now() - t0);
                    if (document.getElementById('slider').value !== String(i + 1)) throw new Error('step ' + (i + 1) + ' not shown');
                }
                return times;
            }");
            Assert.Equal(398, times.Length); // 399 steps: from the start to the end
            Assert.Equal(0, await page.Locator("#graph .node.current").CountAsync()); // the last step (done) highlights none
            var sorted = times.Order().ToArray();
            output.WriteLine($"200-node graph, {times.Length} steps: key press to the frame after the highlight moved: median {sorted[sorted.Length / 2]:F1} ms, 95th percentile {sorted[(int)(sorted.Length * 0.95)]:F1} ms, max {sorted[^1]:F1} ms");
        });
    }

    private static string Shorten(string path) => path.Length <= 40 ? path : path[..12] + "…(200 nodes)";
}
