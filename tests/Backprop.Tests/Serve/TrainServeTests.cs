using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Backprop.Diagnostics;
using Backprop.Tests.Cli;
using Backprop.Tests.Faults;
using Backprop.Tests.Serialization;

namespace Backprop.Tests.Serve;

/// <summary>
/// <c>train --serve</c>: prints the run's page, writes history.json after every epoch (before the
/// epoch's line is printed), answers for the run while it trains, and, its output being redirected
/// as in CI, stops serving when training ends instead of waiting for Ctrl-C.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed partial class TrainServeTests
{
    [Fact]
    public async Task TheRunIsServedWhileItTrainsAndHistoryJsonIsWrittenAfterEveryEpoch()
    {
        using var temp = new TempFolder();
        string folder = Path.Combine(temp.Path, "live");
        using var cli = CliProcess.Start("train", "--data", "digits", "--epochs", "30", "--batch-size", "8", "--threads", "2", "--out", folder, "--serve", "--port", "0");

        for (int epoch = 1; epoch <= 2; epoch++)
        {
            Assert.True(cli.WaitForEpochLines(epoch), $"the run ended before epoch {epoch}: {cli.Stderr}");
            var history = TrainingHistory.ReadJson(Path.Combine(folder, "history.json"));
            Assert.True(history.Epochs.Count >= epoch, $"after the line of epoch {epoch}, history.json holds {history.Epochs.Count} epochs");
        }

        var match = Page().Match(cli.Stderr);
        Assert.True(match.Success, $"no page address in: {cli.Stderr}");
        var page = new Uri(match.Groups[1].Value);
        Assert.Equal("?run=live", page.Query);

        // The server answers for the run while it trains (30 short epochs leave seconds to ask).
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var run = await client.GetFromJsonAsync<JsonElement>(new Uri(page, "/api/runs/live"));
        Assert.True(run.GetProperty("epochs").GetArrayLength() >= 2);
        Assert.Equal(30, run.GetProperty("plannedEpochs").GetInt32());

        // Output redirected: training ends, so does the command (no waiting for Ctrl-C), and so does the server.
        Assert.True(cli.WaitForExit(TimeSpan.FromMinutes(3)), "train --serve did not exit after training");
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        Assert.Equal(30, TrainingHistory.ReadJson(Path.Combine(folder, "history.json")).Epochs.Count);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri(page, "/api/runs")));
    }

    [Fact]
    public void PortWithoutServeIsRefused()
    {
        var (code, _, stderr) = CliRunner.Run("train", "--port", "9000", "--epochs", "1");
        Assert.Equal(Backprop.Cli.Commands.ExitCodes.Failure, code);
        Assert.Equal("train: --port 9000 needs --serve (the port is the one the run is served on)", stderr.TrimEnd());
    }

    [GeneratedRegex(@"watch this run at (http://\S+)")]
    private static partial Regex Page();
}
