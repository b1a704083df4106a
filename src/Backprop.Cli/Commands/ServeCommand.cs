using System.CommandLine;
using System.Net;
using Backprop.Cli.Training;
using Backprop.Serve;

namespace Backprop.Cli.Commands;

/// <summary>
/// <c>backprop serve [--port N] [--host H] [--runs DIR]</c>: the explainer and the playground in
/// the browser, at <c>http://127.0.0.1:8017/explain</c> unless told otherwise, and with
/// <c>--runs</c> the runs of <c>backprop train</c> in DIR at <c>/runs</c>, until Ctrl-C (or SIGTERM, SIGHUP).
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = $"TCP port; 0 picks a free one.", DefaultValueFactory = _ => ServeOptions.DefaultPort };
        var host = new Option<string>("--host") { Description = "Address to listen on: 127.0.0.1 (only this machine), ::1, or 0.0.0.0 for every interface.", DefaultValueFactory = _ => "127.0.0.1" };
        var runs = new Option<string?>("--runs") { Description = "A folder of backprop train runs (e.g. runs) to watch at /runs: their loss, accuracy and gradient curves, live while one trains." };
        var command = new Command("serve", "Serve the explainer (step through a program's forward and backward pass on its graph), the playground (train a small network on 2-D data) and, with --runs, the runs of backprop train in the browser.")
        {
            port, host, runs,
        };
        command.SetAction(result => CommandRunner.Run("serve", () => Run(new ServeOptions
        {
            Host = result.GetValue(host)!,
            Port = result.GetValue(port),
            RunsFolder = result.GetValue(runs),
            ErrorLog = Console.Error,
        })));
        return command;
    }

    private static int Run(ServeOptions options)
    {
        using var stop = new StopSignals();
        var server = BackpropServer.StartAsync(options, stop.Token).GetAwaiter().GetResult();
        try
        {
            string watch = options.RunsFolder is null ? "" : $" and the runs in {Path.GetFullPath(options.RunsFolder)} at {server.Address}runs";
            Console.WriteLine($"serving {server.Address}explain, {server.Address}playground{watch} (Ctrl-C to stop)");
            if (!IPAddress.IsLoopback(server.Host))
            {
                Console.Error.WriteLine($"serve: listening on {options.Host}: other machines on the network can open these pages");
            }

            try
            {
                server.WaitForShutdownAsync(stop.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C, SIGTERM or SIGHUP.
            }
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        return stop.Received is null ? ExitCodes.Success : stop.ExitCode;
    }
}
