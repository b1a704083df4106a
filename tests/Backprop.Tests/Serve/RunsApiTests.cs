using System.Net;
using System.Text.Json;
using Backprop.Serve;
using Backprop.Serve.Runs;

namespace Backprop.Tests.Serve;

/// <summary>
/// The run watcher's API (<c>serve --runs DIR</c>): the list and one run with its history, gradient
/// report and settings; 400 for a malformed name and 404 for an unknown one or a link out of the
/// folder, never a file outside it; a half-written history is a message, not a 500; an unchanged
/// run answers 304; a server without a runs folder says how to start one with it.
/// </summary>
public class RunsApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task TheListNamesEachRunWithItsEpochsAccuracyAndStatus()
    {
        var list = await server.GetJson("/api/runs");
        var names = list.EnumerateArray().Select(r => r.GetProperty("name").GetString()).ToList();
        Assert.Contains("demo", names);
        Assert.Contains("broken", names);
        Assert.DoesNotContain("outside", names); // a link to a folder outside the runs folder
        var demo = list.EnumerateArray().Single(r => r.GetProperty("name").GetString() == "demo");
        Assert.Equal(3, demo.GetProperty("epochs").GetInt32());
        Assert.Equal(30, demo.GetProperty("plannedEpochs").GetInt32());
        Assert.Equal(1 - (0.5 / 3), demo.GetProperty("testAccuracy").GetDouble(), 12);
        Assert.Equal("live", demo.GetProperty("status").GetString()); // written just now, no model yet
    }

    [Fact]
    public async Task ARunHasItsHistoryGradientReportAndSettings()
    {
        var run = await server.GetJson("/api/runs/demo");
        var epochs = run.GetProperty("epochs").EnumerateArray().ToList();
        Assert.Equal([1, 2, 3], epochs.Select(e => e.GetProperty("epoch").GetInt32()));
        Assert.Equal(2.0 / 3, epochs[2].GetProperty("trainLoss").GetDouble(), 12);
        Assert.Equal(2.5 / 3, epochs[2].GetProperty("testLoss").GetDouble(), 12);

        var gradients = run.GetProperty("gradients").EnumerateArray().ToList();
        Assert.Equal(4, gradients.Count);
        Assert.Equal(0.02, gradients[2].GetProperty("gradNorm").GetDouble());
        Assert.Equal("sigmoid", gradients[2].GetProperty("activation").GetString());
        Assert.Equal(0.4, gradients[2].GetProperty("saturated").GetDouble());
        Assert.Equal(JsonValueKind.Null, gradients[3].GetProperty("saturated").ValueKind);

        var settings = run.GetProperty("settings").EnumerateArray().ToDictionary(s => s.GetProperty("flag").GetString()!, s => s.GetProperty("value").GetString());
        Assert.Equal("digits", settings["--data"]);
        Assert.Equal("0.001", settings["--lr"]);
        Assert.Equal("7", settings["--seed"]);
        Assert.False(settings.ContainsKey("--augment")); // a checkpoint written before --augment existed
        Assert.False(settings.ContainsKey("--label-column")); // null: not set
        Assert.Empty(run.GetProperty("problems").EnumerateArray());
    }

    [Fact]
    public async Task AHalfWrittenHistoryIsAMessageNotA500()
    {
        var run = await server.GetJson("/api/runs/broken");
        Assert.Empty(run.GetProperty("epochs").EnumerateArray());
        string problem = Assert.Single(run.GetProperty("problems").EnumerateArray()).GetString()!;
        Assert.StartsWith("history.json: not valid JSON", problem);
        Assert.DoesNotContain(server.Runs.Path, problem); // names the file, not where it is
        Assert.Equal("", server.Errors);
    }

    [Theory]
    [InlineData("..%5C..%5Cetc")]
    [InlineData("a%5Cb")]
    [InlineData("a:b")]
    [InlineData("%01")]
    [InlineData("%2E%2E%2F%2E%2E%2Foutside")]
    public async Task AMalformedNameIs400(string name)
    {
        var error = await server.GetJson("/api/runs/" + name, 400);
        Assert.StartsWith("'run' must be the name of a run's folder", error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task ANameLongerThanAFileNameIs400()
    {
        var error = await server.GetJson("/api/runs/" + new string('a', RunsFolder.MaxNameLength + 1), 400);
        Assert.Contains("longer than 255 characters", error.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("nope")]
    [InlineData("outside")] // a link to a folder outside the runs folder
    [InlineData("..")] // the URL's dot segment is removed: /api/runs/.. is /api
    [InlineData("%2E%2E")]
    public async Task AnUnknownRunOrALinkOutOfTheFolderIs404(string name)
    {
        using var response = await server.Client.GetAsync("/api/runs/" + name);
        string text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("999", text);
        Assert.DoesNotContain(SampleRuns.Secret, text);
    }

    [Fact]
    public async Task AFileLinkedFromOutsideTheFolderIsNotRead()
    {
        // runs/leak/history.csv links to a file outside, whose first line an error message would quote.
        var run = await server.GetJson("/api/runs/leak");
        Assert.DoesNotContain(SampleRuns.Secret, run.GetRawText());
        Assert.Empty(run.GetProperty("epochs").EnumerateArray());
        Assert.Empty(run.GetProperty("files").EnumerateArray());
    }

    [Fact]
    public async Task AnUnchangedRunIs304AndANewEpochChangesItsETag()
    {
        string folder = server.Runs.Run("etag-" + Guid.NewGuid().ToString("N")[..8]);
        string name = Path.GetFileName(folder);
        SampleRuns.WriteHistory(folder, 2);
        using var first = await server.Client.GetAsync("/api/runs/" + name);
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);

        using var again = new HttpRequestMessage(HttpMethod.Get, "/api/runs/" + name);
        again.Headers.IfNoneMatch.Add(etag);
        using var unchanged = await server.Client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);

        // A history written with a different size and time: the run has changed.
        SampleRuns.WriteHistory(folder, 3);
        File.SetLastWriteTimeUtc(Path.Combine(folder, "history.json"), DateTime.UtcNow.AddSeconds(1));
        using var after = new HttpRequestMessage(HttpMethod.Get, "/api/runs/" + name);
        after.Headers.IfNoneMatch.Add(etag);
        using var changed = await server.Client.SendAsync(after);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(etag, changed.Headers.ETag);
        var json = JsonDocument.Parse(await changed.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(3, json.GetProperty("epochs").GetArrayLength());
    }

    [Fact]
    public async Task AFinishedRunWroteItsModelAfterItsLastCheckpoint()
    {
        string folder = server.Runs.Run("finished-" + Guid.NewGuid().ToString("N")[..8]);
        SampleRuns.WriteHistory(folder, 1);
        SampleRuns.WriteCheckpoint(folder, """{"Epochs":1}""");
        File.SetLastWriteTimeUtc(Path.Combine(folder, "checkpoint.safetensors"), DateTime.UtcNow.AddSeconds(-10));
        File.WriteAllText(Path.Combine(folder, "model.safetensors"), "");
        var run = await server.GetJson("/api/runs/" + Path.GetFileName(folder));
        Assert.Equal("finished", run.GetProperty("status").GetString());
    }

    [Fact]
    public async Task ARunThatStoppedWritingLongAgoIsStopped()
    {
        string folder = server.Runs.Run("stopped-" + Guid.NewGuid().ToString("N")[..8]);
        SampleRuns.WriteHistory(folder, 2);
        var hourAgo = DateTime.UtcNow.AddHours(-1);
        File.SetLastWriteTimeUtc(Path.Combine(folder, "history.json"), hourAgo);
        Directory.SetLastWriteTimeUtc(folder, hourAgo);
        var run = await server.GetJson("/api/runs/" + Path.GetFileName(folder));
        Assert.Equal("stopped", run.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("/runs")]
    [InlineData("/api/runs")]
    [InlineData("/api/runs/demo")]
    public async Task WithoutARunsFolderTheRunsAnswer404SayingHowToGiveOne(string path)
    {
        await using var plain = await BackpropServer.StartAsync(new ServeOptions { Port = 0 });
        using var client = new HttpClient { BaseAddress = plain.Address };
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("./backprop serve --runs DIR", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ARunsFolderThatDoesNotExistIsRefusedAtStart()
    {
        string missing = Path.Combine(server.Runs.Path, "no-such-folder", "deeper");
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => BackpropServer.StartAsync(new ServeOptions { Port = 0, RunsFolder = missing }));
        Assert.Equal($"--runs: no such folder: {missing} (give the folder that holds the runs of backprop train, e.g. runs)", ex.Message);
    }

    [Fact]
    public async Task ThePageIsServedWithTheContentSecurityPolicy()
    {
        using var response = await server.Client.GetAsync("/runs?run=demo");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(BackpropServer.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("/assets/runs.js", await response.Content.ReadAsStringAsync());
    }
}
