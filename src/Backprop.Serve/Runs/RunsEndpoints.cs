using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Backprop.Serve.Runs;

/// <summary>
/// The run watcher: <c>GET /runs</c> (the page), <c>GET /api/runs</c> (the list) and
/// <c>GET /api/runs/{name}</c> (one run's history, gradient report and settings). The page polls
/// the API; each answer carries an ETag made from the run files' sizes and times, so a poll for a
/// run that has not changed is a 304 that costs a few stat calls and opens no file. Without a runs
/// folder every one of them answers 404 with how to start the server with one.
/// </summary>
internal sealed class RunsEndpoints(RunsFolder? runs, JsonSerializerOptions json)
{
    /// <summary>The message of every runs endpoint when the server has no runs folder.</summary>
    public const string NoRunsFolder =
        "this server has no runs folder: start it with ./backprop serve --runs DIR (the folder that holds the runs of backprop train, e.g. runs), " +
        "or train with ./backprop train --serve to watch that run";

    /// <summary>Runs read, by folder: read again only when their stamp changes. Bounded: cleared when it holds more than the list shows.</summary>
    private readonly ConcurrentDictionary<string, RunFolder> _cache = new(StringComparer.Ordinal);

    /// <summary>Adds the routes.</summary>
    /// <param name="app">The application's routes.</param>
    public void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/runs", context =>
        {
            Require();
            return BackpropServer.WriteAsset(context, "runs.html");
        });
        app.MapGet("/api/runs", context =>
        {
            var folder = Require();
            var now = DateTime.UtcNow;
            var list = folder.Names().Select(name => RunSummaryDto.From(Read(folder, name, Path.Join(folder.Root, name)), now)).ToList();
            return Answer(context, list, string.Join('\n', list.Select(r => $"{r.Name}|{r.Status}|{_cache.GetValueOrDefault(Path.Join(folder.Root, r.Name))?.Stamp}")));
        });
        app.MapGet("/api/runs/{name}", context =>
        {
            var folder = Require();
            string name = (string)context.Request.RouteValues["name"]!;
            string path = folder.Find(name);
            var run = Read(folder, name, path);
            var dto = RunDto.From(run, DateTime.UtcNow);
            return Answer(context, dto, $"{run.Stamp}|{dto.Status}");
        });
    }

    private RunsFolder Require() => runs ?? throw new RequestException(NoRunsFolder, StatusCodes.Status404NotFound);

    private RunFolder Read(RunsFolder folder, string name, string path)
    {
        string stamp = RunFolder.StampOf(folder, path);
        if (_cache.TryGetValue(path, out var cached) && cached.Stamp == stamp)
        {
            return cached;
        }

        var run = RunFolder.Read(folder, name, path);
        if (_cache.Count >= RunsFolder.MaxRuns * 2)
        {
            _cache.Clear();
        }

        _cache[path] = run;
        return run;
    }

    /// <summary>Answers 304 when the page already has this state (If-None-Match), else the JSON with its ETag.</summary>
    private Task Answer<T>(HttpContext context, T body, string state)
    {
        string etag = "\"" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(state)).AsSpan(0, 12)).ToLowerInvariant() + "\"";
        context.Response.Headers.ETag = etag;
        context.Response.Headers.CacheControl = "no-cache";
        if (context.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(tag => tag.Trim() == etag)))
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        return context.Response.WriteAsJsonAsync(body, json, context.RequestAborted);
    }
}
