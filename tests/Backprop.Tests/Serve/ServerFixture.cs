using System.Net.Http.Json;
using System.Text.Json;
using Backprop.Serve;

namespace Backprop.Tests.Serve;

/// <summary>
/// A <c>backprop serve</c> server on a free loopback port of this machine (real Kestrel, real
/// sockets), one per test class, watching a folder of sample runs, and a client for it. Internal errors it logs are collected, so a
/// test can check that none occurred.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private readonly StringWriter _errors = new();

    /// <summary>The runs the server watches (<c>--runs</c>): a good one, a broken one, and links that lead out of the folder.</summary>
    public SampleRuns Runs { get; } = new();

    public BackpropServer Server { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    /// <summary>The lines the server wrote for internal errors (bugs of ours), so far.</summary>
    public string Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        Server = await BackpropServer.StartAsync(new ServeOptions { Port = 0, RunsFolder = Runs.Path, ErrorLog = TextWriter.Synchronized(_errors) });
        // A response closed before its end (a training stream) closes its connection at once, as a
        // browser does, instead of being drained for reuse: the server sees the page go.
        var handler = new SocketsHttpHandler { MaxResponseDrainSize = 0 };
        Client = new HttpClient(handler) { BaseAddress = Server.Address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        Runs.Dispose();
    }

    /// <summary>GETs <paramref name="path"/> and parses the JSON answer, asserting the status.</summary>
    public async Task<JsonElement> GetJson(string path, int status = 200)
    {
        using var response = await Client.GetAsync(path);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"GET {path}: expected {status}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>POSTs <paramref name="body"/> as JSON and parses the answer, asserting the status.</summary>
    public async Task<JsonElement> PostJson(string path, object body, int status = 200)
    {
        using var response = await Client.PostAsJsonAsync(path, body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"POST {path}: expected {status}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
