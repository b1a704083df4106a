using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Backprop.Serve.Playground;

/// <summary>
/// The playground's API. <c>GET /api/playground/train?data=moons&amp;depth=2&amp;...</c> starts a
/// training session and streams it as server-sent events: <c>session</c> (the data and the layer
/// sizes), then a <c>frame</c> after every step or burst of steps, <c>end</c> when it reaches its
/// limits. The session lives as long as that response: when the page goes, training stops.
/// <c>POST /api/playground/{id}/play|pause|step</c> controls it. At most
/// <see cref="PlaygroundLimits.MaxSessions"/> sessions run at once.
/// </summary>
internal sealed class PlaygroundEndpoints
{
    /// <summary>Training steps between two frames unless the page asks for another speed.</summary>
    public const int DefaultStepsPerFrame = 5;

    /// <summary>Most training steps between two frames.</summary>
    public const int MaxStepsPerFrame = 1_000;

    /// <summary>Most time one burst of steps takes before a frame is sent, whatever the speed.</summary>
    private static readonly TimeSpan s_burst = TimeSpan.FromMilliseconds(80);

    private readonly ConcurrentDictionary<string, Channel<string>> _sessions = new(StringComparer.Ordinal);
    private readonly JsonSerializerOptions _json;
    private int _running;

    // Training can diverge: a NaN loss is sent as "NaN" (a string, valid JSON) rather than failing the frame.
    public PlaygroundEndpoints(JsonSerializerOptions json) =>
        _json = new JsonSerializerOptions(json) { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/playground/train", Train);
        app.MapPost("/api/playground/{id}/{action}", context =>
        {
            string id = (string)context.Request.RouteValues["id"]!;
            string action = (string)context.Request.RouteValues["action"]!;
            if (action is not ("play" or "pause" or "step"))
            {
                throw new RequestException($"unknown action '{Explainer.ExplainRequest.Shorten(action)}' (actions: play, pause, step)");
            }

            // play?steps=N: N training steps between two frames (the speed).
            int steps = DefaultStepsPerFrame;
            if (action == "play" && context.Request.Query.TryGetValue("steps", out var given)
                && !(given.Count == 1 && int.TryParse(given[0], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out steps) && steps is >= 1 and <= MaxStepsPerFrame))
            {
                throw new RequestException($"'steps' must be a whole number from 1 to {MaxStepsPerFrame}, got '{Explainer.ExplainRequest.Shorten(given.ToString())}'");
            }

            if (!_sessions.TryGetValue(id, out var commands))
            {
                throw new RequestException($"no training session '{Explainer.ExplainRequest.Shorten(id)}' (it ended, or its page was closed)", StatusCodes.Status404NotFound);
            }

            // A full queue means the page sends faster than training runs: the extra command is dropped.
            commands.Writer.TryWrite(action == "play" ? $"play:{steps}" : action);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        });
    }

    private async Task Train(HttpContext context)
    {
        var config = PlaygroundConfig.FromQuery(context.Request.Query);
        if (Interlocked.Increment(ref _running) > PlaygroundLimits.MaxSessions)
        {
            Interlocked.Decrement(ref _running);
            throw new RequestException($"{PlaygroundLimits.MaxSessions} training sessions are running, the most at once: close another playground page and try again", StatusCodes.Status429TooManyRequests);
        }

        string id = Guid.NewGuid().ToString("N");
        var commands = Channel.CreateBounded<string>(new BoundedChannelOptions(16) { FullMode = BoundedChannelFullMode.DropWrite });
        try
        {
            var session = new TrainingSession(config, id);
            _sessions[id] = commands;

            // Training stops when the page goes or the server stops.
            var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            using var ends = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
            var cancel = ends.Token;
            var response = context.Response;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            await Send(response, "session", session.Describe(), cancel).ConfigureAwait(false);
            await Send(response, "frame", session.Frame(), cancel).ConfigureAwait(false);

            var lifetime = Stopwatch.StartNew();
            bool playing = false;
            int stepsPerFrame = DefaultStepsPerFrame;
            while (!cancel.IsCancellationRequested)
            {
                if (lifetime.Elapsed > PlaygroundLimits.MaxLifetime || session.Steps >= PlaygroundLimits.MaxSteps)
                {
                    string reason = session.Steps >= PlaygroundLimits.MaxSteps
                        ? $"the session reached {PlaygroundLimits.MaxSteps:N0} steps"
                        : $"the session ran for {PlaygroundLimits.MaxLifetime.TotalMinutes} minutes";
                    await Send(response, "end", new { reason }, cancel).ConfigureAwait(false);
                    break;
                }

                while (commands.Reader.TryRead(out string? command))
                {
                    if (command.StartsWith("play:", StringComparison.Ordinal))
                    {
                        playing = true;
                        stepsPerFrame = int.Parse(command.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture);
                    }

                    playing = command == "pause" ? false : playing;
                    if (command == "step")
                    {
                        playing = false;
                        session.Step();
                        await Send(response, "frame", session.Frame(), cancel).ConfigureAwait(false);
                    }
                }

                if (playing)
                {
                    var burst = Stopwatch.StartNew();
                    for (int k = 0; k < stepsPerFrame && burst.Elapsed < s_burst && session.Steps < PlaygroundLimits.MaxSteps; k++)
                    {
                        session.Step();
                    }

                    await Send(response, "frame", session.Frame(), cancel).ConfigureAwait(false);
                    await Task.Delay(50, cancel).ConfigureAwait(false);
                    continue;
                }

                // Paused: wait for a command, with a comment line now and then so proxies keep the stream open.
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                wait.CancelAfter(TimeSpan.FromSeconds(15));
                try
                {
                    await commands.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                {
                    await response.WriteAsync(": waiting\n\n", cancel).ConfigureAwait(false);
                    await response.Body.FlushAsync(cancel).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested || context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested)
        {
            // The page went away, or the server is stopping: training stops with it.
        }
        finally
        {
            _sessions.TryRemove(id, out _);
            Interlocked.Decrement(ref _running);
        }
    }

    private async Task Send<T>(HttpResponse response, string name, T data, CancellationToken cancel)
    {
        string json = JsonSerializer.Serialize(data, _json);
        await response.WriteAsync($"event: {name}\ndata: {json}\n\n", cancel).ConfigureAwait(false);
        await response.Body.FlushAsync(cancel).ConfigureAwait(false);
    }
}
