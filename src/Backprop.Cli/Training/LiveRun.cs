using Backprop.Serve;

namespace Backprop.Cli.Training;

/// <summary>
/// <c>train --serve</c>: a <c>backprop serve</c> server on the folder that holds the run's
/// folder, started before the first epoch, so the run's page (<c>/runs?run=NAME</c>) shows each
/// epoch as it is written. In a terminal it keeps serving after training until Ctrl-C; when the
/// output is redirected (a script, CI, a test) nobody is there to press Ctrl-C, so it stops with
/// the training and the command never hangs.
/// </summary>
internal sealed class LiveRun : IDisposable
{
    private readonly BackpropServer _server;

    private LiveRun(BackpropServer server, Uri page)
    {
        _server = server;
        Page = page;
    }

    /// <summary>The run's page.</summary>
    public Uri Page { get; }

    /// <summary>Starts the server on <paramref name="port"/> (0: any free one) and says where the run's page is.</summary>
    /// <param name="folder">The run's folder (full path, created).</param>
    /// <param name="port">The TCP port.</param>
    /// <param name="where">Where messages go.</param>
    /// <returns>The running server.</returns>
    /// <exception cref="IOException">The port is in use; the message says so and how to choose another.</exception>
    public static LiveRun Start(string folder, int port, TextWriter where)
    {
        string parent = Path.GetDirectoryName(folder) ?? folder;
        var server = BackpropServer.StartAsync(new ServeOptions { Port = port, RunsFolder = parent, ErrorLog = Console.Error }).GetAwaiter().GetResult();
        var page = new Uri(server.Address, "runs?run=" + Uri.EscapeDataString(Path.GetFileName(folder)));
        where.WriteLine($"watch this run at {page} (the runs in {parent} are at {server.Address}runs)");
        return new LiveRun(server, page);
    }

    /// <summary>
    /// After training: in a terminal, keeps serving until a stop signal (Ctrl-C); otherwise returns
    /// at once (the server stops when disposed).
    /// </summary>
    /// <param name="where">Where the message goes.</param>
    /// <param name="stop">The command's stop signals.</param>
    public void ServeUntilStopped(TextWriter where, StopSignals stop)
    {
        if (Terminal.IsOutputRedirected || Terminal.IsInputRedirected || stop.Token.IsCancellationRequested)
        {
            return;
        }

        where.WriteLine($"training finished; still serving {Page} (Ctrl-C to stop)");
        try
        {
            _server.WaitForShutdownAsync(stop.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C, SIGTERM or SIGHUP: the run is complete, so the command still succeeds.
        }
    }

    /// <summary>Stops the server.</summary>
    public void Dispose() => _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
