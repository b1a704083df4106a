using System.CommandLine;
using System.Net;
using System.Text.Json;
using Backprop.Cli;
using Backprop.Cli.Commands;
using Backprop.Serve;
using Backprop.Tests.Cli;

namespace Backprop.Tests.Serve;

/// <summary>
/// <c>backprop serve</c>: loopback by default, one clear line and exit code 1 when it cannot
/// listen, and numbers on its pages that are the ones <c>backprop explain</c> prints.
/// </summary>
[Collection(ConsoleCollection.Name)]
public class ServeCommandTests
{
    [Fact]
    public async Task ByDefaultOnlyThisMachineCanConnect()
    {
        Assert.Equal("127.0.0.1", new ServeOptions().Host);
        var serve = Program.CreateRoot().Subcommands.Single(c => c.Name == "serve");
        var parsed = Program.CreateRoot().Parse(["serve"]);
        Assert.Empty(parsed.Errors);
        Assert.Equal("127.0.0.1", parsed.GetValue<string>("--host"));
        Assert.Equal(ServeOptions.DefaultPort, parsed.GetValue<int>("--port"));

        await using var server = await BackpropServer.StartAsync(new ServeOptions { Port = 0 });
        Assert.True(IPAddress.IsLoopback(server.Host));
        Assert.Equal("127.0.0.1", server.Address.Host);
        Assert.NotEqual(0, server.Address.Port);
    }

    [Fact]
    public async Task APortInUseIsOneLineAndExitCode1()
    {
        await using var server = await BackpropServer.StartAsync(new ServeOptions { Port = 0 });
        int port = server.Address.Port;
        var (code, stdout, stderr) = CliRunner.Run("serve", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal("", stdout);
        Assert.Equal($"serve: port {port} is in use on 127.0.0.1 (choose another with --port, or --port 0 for any free one)", stderr.TrimEnd());
    }

    [Theory]
    [InlineData("nowhere", "serve: --host takes an IP address of this machine (127.0.0.1, ::1, 0.0.0.0) or localhost, got 'nowhere'")]
    [InlineData("127.1", "serve: --host takes an IP address")]
    [InlineData("192.0.2.1", "serve: cannot listen on 192.0.2.1:")]
    public void ABadHostIsOneLineAndExitCode1(string host, string message)
    {
        var (code, stdout, stderr) = CliRunner.Run("serve", "--host", host, "--port", "0");
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal("", stdout);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.StartsWith(message, stderr);
    }

    [Fact]
    public void APortOutOfRangeIsRefused()
    {
        var (code, _, stderr) = CliRunner.Run("serve", "--port", "70000");
        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal("serve: --port must be between 0 and 65535, got 70000", stderr.TrimEnd());
    }

    [Theory]
    [InlineData("mazur")]
    [InlineData("w123")]
    public async Task ThePagesNumbersAreTheOnesExplainPrints(string example)
    {
        await using var server = await BackpropServer.StartAsync(new ServeOptions { Port = 0 });
        using var client = new HttpClient { BaseAddress = server.Address };
        var json = JsonDocument.Parse(await client.GetStringAsync($"/api/explain?example={example}")).RootElement;
        var (code, stdout, _) = CliRunner.Run("explain", "--example", example);
        Assert.Equal(0, code);

        // Each gradient row of explain's table: the input, its gradient and finite difference as printed.
        foreach (var g in json.GetProperty("gradients").EnumerateArray())
        {
            string gradient = g.GetProperty("gradient").GetProperty("text").GetString()!;
            string fd = g.GetProperty("finiteDifference").GetProperty("text").GetString()!;
            Assert.Matches($@"\b{g.GetProperty("name").GetString()}\s*│?\s*{Escape(gradient)}\s*│?\s*{Escape(fd)}", stdout);
        }

        foreach (var node in json.GetProperty("nodes").EnumerateArray().Where(n => n.GetProperty("box").ValueKind != JsonValueKind.Null))
        {
            Assert.Contains(node.GetProperty("value").GetProperty("text").GetString()!, stdout);
        }
    }

    private static string Escape(string text) => System.Text.RegularExpressions.Regex.Escape(text);
}
