using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Backprop.Tests.Faults;
using Xunit.Abstractions;

namespace Backprop.Tests.Serve;

/// <summary>
/// The fuzz test's oversized traffic keeps <c>backprop serve</c>'s memory bounded: the real command
/// as a child process (its memory is its own, not shared with the tests running beside it), sent
/// hundreds of requests with bodies past the limit, URLs at the limit and long run names. Bodies are
/// refused, not buffered, so its resident memory after them stays near where it was after a warm-up.
/// </summary>
public sealed partial class ServeMemoryTests(ITestOutputHelper output)
{
    /// <summary>Requests after the warm-up: 600 of them, about 300 MiB of bodies in all.</summary>
    private const int Requests = 600;

    /// <summary>
    /// The most the resident memory may grow over the warm-up's level. Generous for the collector's
    /// own variation (its gen-0 budget, tens of MiB), far below what keeping even a sixth of the bodies
    /// would take (50 MiB and more).
    /// </summary>
    private const long MaxGrowthBytes = 48L * 1024 * 1024;

    [Fact]
    public async Task OversizedRequestsLeaveTheServersMemoryBounded()
    {
        using var runs = new SampleRuns();
        using var cli = CliProcess.Start("serve", "--port", "0", "--runs", runs.Path);
        var address = WaitForAddress(cli);
        using var client = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };

        for (int i = 0; i < 60; i++)
        {
            await Send(client, i);
        }

        long before = ResidentBytes(cli.Id);
        var statuses = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < Requests; i++)
        {
            string outcome = await Send(client, i);
            statuses[outcome] = statuses.GetValueOrDefault(outcome) + 1;
        }

        long after = ResidentBytes(cli.Id);
        output.WriteLine($"resident memory {before / 1048576.0:F1} MiB after the warm-up, {after / 1048576.0:F1} MiB after {Requests} more requests; answers: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} ×{s.Value}"))}");

        Assert.DoesNotContain(statuses.Keys, k => k.StartsWith('5'));
        Assert.True(statuses.GetValueOrDefault("413") > 0, "no body was refused as too large");
        Assert.True(after - before < MaxGrowthBytes, $"the server's resident memory grew by {(after - before) / 1048576.0:F1} MiB over {Requests} oversized requests (limit {MaxGrowthBytes / 1048576} MiB)");
        using var check = await client.GetAsync("/api/runs/demo");
        Assert.Equal(HttpStatusCode.OK, check.StatusCode);
    }

    /// <summary>One request of the oversized kind <paramref name="i"/> picks; returns its status, or "closed" when the server cut the connection while the body was still being sent.</summary>
    private static async Task<string> Send(HttpClient client, int i)
    {
        using var request = (i % 5) switch
        {
            // 1 MiB with a Content-Length: refused at once.
            0 => new HttpRequestMessage(HttpMethod.Post, "/api/explain") { Content = new ByteArrayContent(Body(1 << 20)) },

            // 1 MiB chunked (no length): read up to the limit, then refused.
            1 => new HttpRequestMessage(HttpMethod.Post, "/api/explain") { Content = new StreamContent(new MemoryStream(Body(1 << 20))) },

            // A program as long as the URL allows.
            2 => new HttpRequestMessage(HttpMethod.Get, "/api/explain?program=" + new string('x', 60_000)),

            // A body just under the limit, a program too long to explain.
            3 => new HttpRequestMessage(HttpMethod.Post, "/api/explain") { Content = new ByteArrayContent(Body(60_000)) },

            // Long run names.
            _ => new HttpRequestMessage(HttpMethod.Get, "/api/runs/" + new string('r', 200 + (i % 100))),
        };
        if (request.Content is StreamContent)
        {
            request.Headers.TransferEncodingChunked = true;
        }

        try
        {
            using var response = await client.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            return ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException)
        {
            return "closed";
        }
    }

    private static byte[] Body(int bytes) => Encoding.UTF8.GetBytes("{\"program\": \"" + new string('x', bytes - 16) + "\"}");

    private static long ResidentBytes(int pid)
    {
        // Let the requests' garbage settle, then read what the kernel counts as resident.
        Thread.Sleep(500);
        using var process = Process.GetProcessById(pid);
        process.Refresh();
        return process.WorkingSet64;
    }

    private static Uri WaitForAddress(CliProcess cli)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMinutes(2))
        {
            if (Address().Match(cli.Stdout) is { Success: true } match)
            {
                return new Uri(match.Groups[1].Value);
            }

            if (cli.WaitForExit(TimeSpan.FromMilliseconds(50)))
            {
                break;
            }
        }

        throw new InvalidOperationException($"backprop serve did not print its address: {cli.Stdout} {cli.Stderr}");
    }

    [GeneratedRegex(@"serving (http://[^ ]+/)explain")]
    private static partial Regex Address();
}
