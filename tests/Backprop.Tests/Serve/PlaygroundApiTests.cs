using System.Net;
using System.Text.Json;

namespace Backprop.Tests.Serve;

/// <summary>
/// The playground's training stream over HTTP: a session trains the library's MLP and its test
/// loss falls; a deep sigmoid network's first-layer gradient is orders of magnitude below its
/// last, and ReLU with He initialization recovers it; bad settings get 4xx; at most four sessions
/// run at once, and a session ends with its page.
/// </summary>
public class PlaygroundApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task TrainingLowersTheTestLoss()
    {
        await using var stream = await EventStream.Open(server.Client, "data=moons&seed=1");
        var session = await stream.Next("session");
        Assert.Equal([2, 8, 8, 2], session.GetProperty("sizes").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(280, session.GetProperty("train").GetArrayLength());
        Assert.Equal(120, session.GetProperty("test").GetArrayLength());
        var first = await stream.Next("frame");
        Assert.Equal(0, first.GetProperty("step").GetInt32());
        Assert.Equal(48 * 48, Convert.FromBase64String(first.GetProperty("heat").GetString()!).Length);

        await Post($"/api/playground/{session.GetProperty("id").GetString()}/play?steps=25", HttpStatusCode.NoContent);
        JsonElement frame;
        do
        {
            frame = await stream.Next("frame");
        }
        while (frame.GetProperty("step").GetInt32() < 400);

        double before = first.GetProperty("testLoss").GetDouble(), after = frame.GetProperty("testLoss").GetDouble();
        await Close(stream);
        Assert.True(after < before / 4, $"test loss {before} → {after}");
        Assert.True(frame.GetProperty("testAccuracy").GetDouble() > 0.95, frame.GetRawText());
        Assert.Equal(3, frame.GetProperty("gradientNorms").GetArrayLength());
        Assert.Equal(3, frame.GetProperty("weights").GetArrayLength());
    }

    [Theory]
    [InlineData("sigmoid", "default", 0, 1e-3)]
    [InlineData("relu", "he", 0.05, 20)]
    public async Task DeepSigmoidGradientsVanishAndReluWithHeRecovers(string activation, string init, double least, double most)
    {
        await using var stream = await EventStream.Open(server.Client, $"data=circles&depth=8&width=8&activation={activation}&init={init}&optimizer=sgd&lr=0.1");
        var session = await stream.Next("session");
        await stream.Next("frame");
        await Post($"/api/playground/{session.GetProperty("id").GetString()}/step", HttpStatusCode.NoContent);
        var frame = await stream.Next("frame");
        Assert.Equal(1, frame.GetProperty("step").GetInt32());
        var norms = frame.GetProperty("gradientNorms").EnumerateArray().Select(n => n.GetDouble()).ToList();
        Assert.Equal(9, norms.Count);
        double ratio = norms[0] / norms[^1];
        await Close(stream);
        Assert.InRange(ratio, least, most);
    }

    [Fact]
    public async Task TheLargestNetworkTrainsAndIsSentWithoutItsWeights()
    {
        await using var stream = await EventStream.Open(server.Client, "depth=10&width=32&points=2000&batch=2000");
        var session = await stream.Next("session");
        Assert.Equal(12, session.GetProperty("sizes").GetArrayLength());
        await Post($"/api/playground/{session.GetProperty("id").GetString()}/step", HttpStatusCode.NoContent);
        await stream.Next("frame");
        var frame = await stream.Next("frame");
        Assert.Equal(1, frame.GetProperty("step").GetInt32());
        Assert.Equal(11, frame.GetProperty("gradientNorms").GetArrayLength());
        Assert.Equal(0, frame.GetProperty("weights").GetArrayLength()); // 9,344 weights: too many to draw
        await Close(stream);
    }

    public static TheoryData<string, string> BadSettings() => new()
    {
        { "depth=99", "'depth' must be a whole number from 1 to 10, got '99'" },
        { "width=0", "'width' must be a whole number from 1 to 32" },
        { "data=swiss", "'data' must be one of moons, circles, spiral, xor, got 'swiss'" },
        { "activation=gelu", "'activation' must be one of relu, tanh, sigmoid" },
        { "lr=0", "'lr' (the learning rate) must be positive" },
        { "lr=fast", "'lr' must be a number from 0 to 10, got 'fast'" },
        { "points=5", "'points' must be a whole number from 20 to 2000" },
        { "noise=NaN", "'noise' must be a number from 0 to 1" },
        { "depth=2&depth=3", "'depth' is given 2 times" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task BadSettingsAre400WithAMessage(string query, string message)
    {
        var json = await server.GetJson("/api/playground/train?" + query, 400);
        Assert.Contains(message, json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task ControllingASessionThatDoesNotExistIs4xx()
    {
        Assert.Contains("no training session 'nope'", await Post("/api/playground/nope/play", HttpStatusCode.NotFound));
        Assert.Contains("unknown action 'fly'", await Post("/api/playground/nope/fly", HttpStatusCode.BadRequest));
        await using var stream = await EventStream.Open(server.Client, "data=xor");
        string id = (await stream.Next("session")).GetProperty("id").GetString()!;
        Assert.Contains("'steps' must be a whole number from 1 to 1000", await Post($"/api/playground/{id}/play?steps=0", HttpStatusCode.BadRequest));
        await Close(stream);
    }

    [Fact]
    public async Task AtMostFourSessionsRunAndOneEndsWithItsPage()
    {
        var streams = new List<EventStream>();
        try
        {
            for (int i = 0; i < 4; i++)
            {
                var stream = await EventStream.Open(server.Client, $"data=spiral&seed={i}");
                await stream.Next("session");
                streams.Add(stream);
            }

            var refused = await server.GetJson("/api/playground/train?data=moons", 429);
            Assert.Contains("4 training sessions are running", refused.GetProperty("error").GetString());

            // The page goes: its session stops and its place is free again.
            var gone = streams[0];
            streams.RemoveAt(0);
            await Close(gone);
            await using var next = await EventStream.Open(server.Client, "data=moons");
            await next.Next("session");
            await Close(next);
        }
        finally
        {
            foreach (var stream in streams)
            {
                await Close(stream);
            }
        }

        Assert.Empty(server.Errors);
    }

    /// <summary>Closes a stream as a page that goes does, and waits until the server has ended its session.</summary>
    private async Task Close(EventStream stream)
    {
        string id = (await stream.Session()).GetProperty("id").GetString()!;
        await stream.DisposeAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            using var response = await server.Client.PostAsync($"/api/playground/{id}/pause", null);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"session {id} still runs 10 s after its stream was closed");
            await Task.Delay(20);
        }
    }

    /// <summary>POSTs without a body, asserts the status and returns the error message (empty for 204).</summary>
    private async Task<string> Post(string path, HttpStatusCode status)
    {
        using var response = await server.Client.PostAsync(path, null);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"POST {path}: expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? "" : JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()!;
    }

    /// <summary>A server-sent event stream: its events in order, each parsed as JSON.</summary>
    private sealed class EventStream : IAsyncDisposable
    {
        private readonly HttpResponseMessage _response;
        private readonly StreamReader _reader;
        private JsonElement? _session;

        private EventStream(HttpResponseMessage response, StreamReader reader)
        {
            _response = response;
            _reader = reader;
        }

        public static async Task<EventStream> Open(HttpClient client, string query)
        {
            var response = await client.GetAsync("/api/playground/train?" + query, HttpCompletionOption.ResponseHeadersRead);
            if (!response.IsSuccessStatusCode)
            {
                // Only a refusal has an end to read: a stream runs until it is closed.
                Assert.Fail($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
            return new EventStream(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
        }

        public async Task<JsonElement> Session() => _session ?? await Next("session");

        /// <summary>The next event, which must be called <paramref name="name"/>; within 20 seconds.</summary>
        public async Task<JsonElement> Next(string name)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            string? eventName = null;
            while (true)
            {
                string? line = await _reader.ReadLineAsync(timeout.Token).ConfigureAwait(false) ?? throw new EndOfStreamException("the stream ended");
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    eventName = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    Assert.Equal(name, eventName);
                    var data = JsonDocument.Parse(line[6..]).RootElement.Clone();
                    if (name == "session")
                    {
                        _session = data;
                    }

                    return data;
                }
            }
        }

        public ValueTask DisposeAsync()
        {
            _reader.Dispose();
            _response.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
