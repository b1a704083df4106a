using Backprop.Serve;
using Microsoft.Playwright;

namespace Backprop.Tests.Serve;

/// <summary>A fact that is reported as skipped (with the reason) when Debian's Chromium is not installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (!File.Exists(BrowserFixture.Chromium))
        {
            Skip = BrowserFixture.Missing;
        }
    }
}

/// <summary>A theory that is reported as skipped (with the reason) when Debian's Chromium is not installed.</summary>
public sealed class ChromiumTheoryAttribute : TheoryAttribute
{
    public ChromiumTheoryAttribute()
    {
        if (!File.Exists(BrowserFixture.Chromium))
        {
            Skip = BrowserFixture.Missing;
        }
    }
}

/// <summary>
/// A server on a free loopback port and a headless Chromium driven by Playwright: Debian's
/// /usr/bin/chromium (apt-get install chromium), so nothing is downloaded; Playwright's driver
/// ships in its NuGet package. One browser per test class; each test opens its own page.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";

    public const string Missing = "/usr/bin/chromium is missing: apt-get install chromium chromium-driver (.ci/run does)";

    private IPlaywright? _playwright;

    public BackpropServer Server { get; private set; } = null!;

    /// <summary>The runs folder the server watches (<c>--runs</c>); a test adds its own run to it.</summary>
    public SampleRuns Runs { get; } = new();

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where a failing test saves its screenshot.</summary>
    public static string FailureFolder => Path.Combine(RepositoryRoot.Find(), "tests", "Backprop.Tests", "TestResults", "browser-failures");

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
        {
            return;
        }

        Server = await BackpropServer.StartAsync(new ServeOptions { Port = 0, RunsFolder = Runs.Path });
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    public async Task DisposeAsync()
    {
        if (_playwright is null)
        {
            Runs.Dispose();
            return;
        }

        await Browser.DisposeAsync();
        _playwright.Dispose();
        await Server.DisposeAsync();
        Runs.Dispose();
    }

    /// <summary>
    /// Runs <paramref name="test"/> on a new page of 1400×1000 pixels; page errors and
    /// Content-Security-Policy violations fail it, and a failure saves a screenshot named after the test.
    /// </summary>
    public async Task OnPage(string name, Func<IPage, Task> test)
    {
        await using var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var page = await context.NewPageAsync();
        // Generous: CI runs these beside the training tests on two cores, where a step can take seconds.
        page.SetDefaultTimeout(30_000);
        var problems = new List<string>();
        page.PageError += (_, error) => problems.Add("page error: " + error);
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.Contains("Failed to load resource: the server responded with a status of 4", StringComparison.Ordinal))
            {
                problems.Add("console error: " + message.Text);
            }
        };
        try
        {
            await test(page);
            Assert.True(problems.Count == 0, string.Join("\n", problems));
        }
        catch (Exception ex)
        {
            Directory.CreateDirectory(FailureFolder);
            string path = Path.Combine(FailureFolder, name + ".png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
            throw new Xunit.Sdk.XunitException($"{ex.Message}\n{string.Join("\n", problems)}\nscreenshot: {path}\n{ex}");
        }
    }

    /// <summary>
    /// Waits until the page's own <c>location.href</c> satisfies <paramref name="matches"/> and returns it.
    /// The pages write their state into the URL with history.replaceState, throttled to one write per
    /// 200 ms; Playwright's WaitForURLAsync waits for a navigation event that, under load, it once never
    /// reported (CI at 557cc31 timed out after 30 s), so this asks the page itself, every 50 ms.
    /// </summary>
    public static async Task<string> WaitForLocation(IPage page, Func<string, bool> matches, int timeoutMs = 30_000)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            string href = await page.EvaluateAsync<string>("() => location.href");
            if (matches(href))
            {
                return href;
            }

            if (clock.ElapsedMilliseconds > timeoutMs)
            {
                throw new TimeoutException($"the page's URL did not reach the expected state within {timeoutMs} ms; it is {href}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The absolute URL of <paramref name="path"/> on the server.</summary>
    public string Url(string path) => new Uri(Server.Address, path).ToString();
}
