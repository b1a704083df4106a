using System.CommandLine;
using System.Net;
using Backprop.Cli.Training;
using Backprop.Serve;

namespace Backprop.Cli.Commands;

/// <summary>
/// <c>backprop serve [--port N] [--host H]</c>: the explainer in the browser, at
/// <c>http://127.0.0.1:8017/explain</c> unless told otherwise, until Ctrl-C (or SIGTERM, SIGHUP).
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = $"TCP port; 0 picks a free one.", DefaultValueFactory = _ => ServeOptions.DefaultPort };
        var host = new Option<string>("--host") { Description = "Address to listen on: 127.0.0.1 (only this machine), ::1, or 0.0.0.0 for every interface.", DefaultValueFactory = _ => "127.0.0.1" };
        var command = new Command("serve", "Serve the explainer (step through a program's forward and backward pass on its graph) and the playground (train a small network on 2-D data) in the browser.")
        {
            port, host,
        };
        command.SetAction(result => CommandRunner.Run("serve", () => Run(new ServeOptions
        {
            Host = result.GetValue(host)!,
            Port = result.GetValue(port),
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
            Console.WriteLine($"serving {server.Address}explain and {server.Address}playground (Ctrl-C to stop)");
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
