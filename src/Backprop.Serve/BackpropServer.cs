using System.Net;
using System.Net.Sockets;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Backprop.Explain;
using Backprop.Serve.Explainer;
using Backprop.Serve.Playground;
using Backprop.Serve.Runs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Backprop.Serve;

/// <summary>
/// The web server of <c>backprop serve</c>: Kestrel from the shared framework, the explainer page
/// at <c>/explain</c> and its JSON API at <c>/api/explain</c>, the playground at <c>/playground</c>,
/// and, given a runs folder, the run watcher at <c>/runs</c>. Every answer carries a
/// Content-Security-Policy that allows only this server's own scripts and styles; bad requests
/// get 4xx with a message, and a bug of ours a generic 500 (and a line in <see cref="ServeOptions.ErrorLog"/>).
/// </summary>
public sealed class BackpropServer : IAsyncDisposable
{
    /// <summary>The Content-Security-Policy header of every answer: nothing but this server's own files, no inline script or style.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    // Formulas are Unicode (∂, σ, ·): written as they are rather than as \u escapes, while the
    // characters that matter in HTML (< > & ' ") stay escaped.
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.Create(UnicodeRanges.All) };

    private readonly WebApplication _app;

    private BackpropServer(WebApplication app, Uri address, IPAddress host)
    {
        _app = app;
        Address = address;
        Host = host;
    }

    /// <summary>The address the server answers at, with the port it got, e.g. <c>http://127.0.0.1:8017/</c>.</summary>
    public Uri Address { get; }

    /// <summary>The IP address it is bound to.</summary>
    public IPAddress Host { get; }

    /// <summary>Starts a server; it answers until disposed.</summary>
    /// <exception cref="ArgumentException">The host or port is not valid.</exception>
    /// <exception cref="IOException">The port is in use, or the address is not one of this machine; the message says which.</exception>
    public static async Task<BackpropServer> StartAsync(ServeOptions options, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        IPAddress host = options.ParseHost();
        var runs = options.RunsFolder is { } folder ? new RunsFolder(folder) : null;
        var app = Build(options, host, runs);
        try
        {
            await app.StartAsync(cancel).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new IOException(BindFailure(ex, host, options.Port), ex);
        }

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        var bound = new Uri(addresses.First());
        return new BackpropServer(app, new UriBuilder(bound) { Path = "/" }.Uri, host);
    }

    /// <summary>Completes when the server stops (it stops when disposed, or on the host's own shutdown).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancel) => _app.WaitForShutdownAsync(cancel);

    /// <summary>Stops the server, letting requests in progress finish for up to a second.</summary>
    public async ValueTask DisposeAsync()
    {
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
        {
            try
            {
                await _app.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Requests still running after a second are cut off.
            }
        }

        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static string BindFailure(Exception ex, IPAddress host, int port)
    {
        string where = $"{Authority(host)}:{port}";
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is AddressInUseException || e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
            {
                return $"port {port} is in use on {Authority(host)} (choose another with --port, or --port 0 for any free one)";
            }

            if (e is SocketException { SocketErrorCode: SocketError.AddressNotAvailable })
            {
                return $"cannot listen on {where}: {host} is not an address of this machine";
            }

            if (e is SocketException { SocketErrorCode: SocketError.AccessDenied })
            {
                return $"cannot listen on {where}: permission denied (ports below 1024 need root; choose a port above 1024 with --port)";
            }
        }

        return $"cannot listen on {where}: {ex.Message}";
    }

    private static string Authority(IPAddress host) => host.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{host}]" : host.ToString();

    private static WebApplication Build(ServeOptions options, IPAddress host, RunsFolder? runs)
    {
        // The empty builder reads no configuration files or environment variables and logs nothing:
        // what the server does depends on these options alone, wherever it is started.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "Backprop.Serve" });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = ServeLimits.MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestLineSize = ServeLimits.MaxRequestLineBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = ServeLimits.MaxRequestLineBytes + (32 * 1024);
            kestrel.Listen(host, options.Port);
        });
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        bool loopback = IPAddress.IsLoopback(host);
        app.Use((context, next) => Guard(context, next, loopback, options.ErrorLog));
        app.UseRouting();
        MapEndpoints(app);
        new RunsEndpoints(runs, s_json).Map(app);
        return app;
    }

    private static void MapEndpoints(IEndpointRouteBuilder app)
    {
        app.MapGet("/", context =>
        {
            context.Response.Redirect("/explain");
            return Task.CompletedTask;
        });
        app.MapGet("/explain", context => WriteAsset(context, "explain.html"));
        app.MapGet("/playground", context => WriteAsset(context, "playground.html"));
        new PlaygroundEndpoints(s_json).Map(app);
        app.MapGet("/assets/{name}", context => WriteAsset(context, (string)context.Request.RouteValues["name"]!));
        app.MapGet("/api/examples", context => context.Response.WriteAsJsonAsync(
            WorkedExamples.Names.Select(name => new { name, title = WorkedExamples.Get(name).Title })
                .Concat(WorkedExamples.MatrixNames.Select(name => new { name, title = WorkedExamples.GetMatrix(name).Title })), s_json, context.RequestAborted));
        app.MapGet("/api/explain", context =>
            context.Response.WriteAsJsonAsync(ExplainService.Explain(ExplainRequest.FromQuery(context.Request.Query)), s_json, context.RequestAborted));
        app.MapPost("/api/explain", async context =>
        {
            JsonDocument body;
            try
            {
                body = await JsonDocument.ParseAsync(context.Request.Body, new JsonDocumentOptions { MaxDepth = 8 }, context.RequestAborted).ConfigureAwait(false);
            }
            catch (JsonException ex)
            {
                throw new RequestException($"the body is not valid JSON ({ex.Message.Split(" Path:", 2)[0].TrimEnd('.')}); send an object such as {{\"program\": \"z = x*y\", \"at\": \"x=2,y=3\"}}");
            }

            using (body)
            {
                var response = ExplainService.Explain(ExplainRequest.FromJson(body.RootElement));
                await context.Response.WriteAsJsonAsync(response, s_json, context.RequestAborted).ConfigureAwait(false);
            }
        });
    }

    /// <summary>Answers with the embedded file <paramref name="name"/>, or 404.</summary>
    internal static Task WriteAsset(HttpContext context, string name)
    {
        if (Assets.Find(name) is not { } asset)
        {
            throw new RequestException($"no such file: /assets/{ExplainRequest.Shorten(name)}", StatusCodes.Status404NotFound);
        }

        context.Response.ContentType = asset.ContentType;
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.ContentLength = asset.Content.Length;
        return context.Response.Body.WriteAsync(asset.Content, context.RequestAborted).AsTask();
    }

    /// <summary>
    /// Runs every request: sets the security headers, refuses a Host header that is not this
    /// machine's when bound to loopback (a web page elsewhere cannot reach the server through DNS
    /// rebinding), and turns every exception into an answer: 4xx with the message for bad input,
    /// a generic 500 for a bug of ours. Unknown paths get 404 with a message too.
    /// </summary>
    private static async Task Guard(HttpContext context, Func<Task> next, bool loopback, TextWriter? errorLog)
    {
        SecurityHeaders(context.Response);

        // A body nobody reads (a body sent with a GET, or too large) may still be arriving when the
        // answer is sent: that connection cannot carry another request, and the client must know.
        var request = context.Request;
        bool takesBody = HttpMethods.IsPost(request.Method) && request.Path.Equals("/api/explain", StringComparison.Ordinal);
        bool close = (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0) && !takesBody;
        if (close)
        {
            context.Response.Headers.Connection = "close";
        }

        try
        {
            if (request.ContentLength > ServeLimits.MaxRequestBodyBytes)
            {
                close = true;
                throw new BadHttpRequestException("too large", StatusCodes.Status413PayloadTooLarge);
            }

            if (loopback && !IsLocalHost(context.Request.Host.Host))
            {
                throw new RequestException($"this server answers only to localhost, 127.0.0.1 or [::1], not to '{ExplainRequest.Shorten(context.Request.Host.Host)}'", StatusCodes.Status421MisdirectedRequest);
            }

            await next().ConfigureAwait(false);
            if (context.Response.StatusCode == StatusCodes.Status404NotFound && !context.Response.HasStarted)
            {
                await Error(context, StatusCodes.Status404NotFound, $"not found: {ExplainRequest.Shorten(context.Request.Path.Value ?? "")} (the explainer is at /explain)", close).ConfigureAwait(false);
            }
            else if (context.Response.StatusCode == StatusCodes.Status405MethodNotAllowed && !context.Response.HasStarted)
            {
                await Error(context, StatusCodes.Status405MethodNotAllowed, $"{context.Request.Method} is not allowed here", close).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nobody to answer.
        }
        catch (Exception ex) when (Refusal(ex) is var (status, message))
        {
            await Error(context, status, message, close || ex is BadHttpRequestException, ex as ExplainException).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            errorLog?.WriteLine($"serve: internal error ({ex.GetType().Name}) on {context.Request.Method} {context.Request.Path}: {ex.Message}");
            await Error(context, StatusCodes.Status500InternalServerError, $"internal error ({ex.GetType().Name}): a bug of ours, please report it", close).ConfigureAwait(false);
        }
    }

    /// <summary>The status and message for an exception that means the request was bad; null for one that means a bug.</summary>
    private static (int Status, string Message)? Refusal(Exception ex) => ex switch
    {
        RequestException r => (r.Status, r.Message),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => (StatusCodes.Status413PayloadTooLarge, $"the request body is larger than the limit of {ServeLimits.MaxRequestBodyBytes:N0} bytes"),
        BadHttpRequestException b => (b.StatusCode, b.Message),

        // explain's own messages name the CLI's option (e.g. --at x=1): here the values are a field.
        ExplainException e => (StatusCodes.Status400BadRequest, e.Message.Replace("e.g. --at ", "e.g. ", StringComparison.Ordinal)),
        ArgumentException a => (StatusCodes.Status400BadRequest, a.ParamName is { } name ? a.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : a.Message),
        FormatException or OverflowException => (StatusCodes.Status400BadRequest, ex.Message),
        _ => null,
    };

    private static async Task Error(HttpContext context, int status, string message, bool close, ExplainException? where = null)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        context.Response.Clear();
        SecurityHeaders(context.Response);
        context.Response.StatusCode = status;
        if (close)
        {
            context.Response.Headers.Connection = "close";
        }

        if (context.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal))
        {
            await context.Response.WriteAsJsonAsync(new ErrorDto(message, where?.Line ?? 0, where?.Column ?? 0), s_json).ConfigureAwait(false);
        }
        else
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(message + "\n").ConfigureAwait(false);
        }
    }

    /// <summary>An error answer of the API: the message, and where in the program the problem is (line and column from 1; 0 when it has no place).</summary>
    private sealed record ErrorDto(
        string Error,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)] int Line,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)] int Column);

    private static void SecurityHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
    }

    private static bool IsLocalHost(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
