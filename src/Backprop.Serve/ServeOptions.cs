using System.Globalization;
using System.Net;

namespace Backprop.Serve;

/// <summary>Where <see cref="BackpropServer"/> listens.</summary>
public sealed record ServeOptions
{
    /// <summary>The port <c>backprop serve</c> uses unless told otherwise.</summary>
    public const int DefaultPort = 8017;

    /// <summary>
    /// The address to bind: <c>127.0.0.1</c> (the default: only this machine can connect),
    /// <c>localhost</c>, <c>::1</c>, or an address of this machine such as <c>0.0.0.0</c> (every
    /// interface) when the page is meant for others, e.g. a classroom.
    /// </summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The TCP port, 1 to 65535, or 0 for any free port (the address it got is <see cref="BackpropServer.Address"/>).</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>
    /// The folder of <c>backprop train</c> runs that <c>/runs</c> shows (each subfolder one run), and
    /// the only folder the server reads; null for none (then <c>/runs</c> answers 404 saying how to give one).
    /// </summary>
    public string? RunsFolder { get; init; }

    /// <summary>Where to write one line per internal error (a bug of ours); null for nowhere.</summary>
    public TextWriter? ErrorLog { get; init; }

    /// <summary>The address <see cref="Host"/> names.</summary>
    /// <exception cref="ArgumentException">It is neither an IP address nor <c>localhost</c>, or the port is out of range.</exception>
    internal IPAddress ParseHost()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException($"--port must be between 0 and 65535, got {Port.ToString(CultureInfo.InvariantCulture)}");
        }

        string host = Host.Trim();
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.Loopback;
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        // IPAddress.TryParse also takes "1" and "127.1" (old shorthand for 0.0.0.1, 127.0.0.1): only the full forms.
        bool full = host.Contains(':', StringComparison.Ordinal) || host.Count(c => c == '.') == 3;
        return full && IPAddress.TryParse(host, out var address)
            ? address
            : throw new ArgumentException($"--host takes an IP address of this machine (127.0.0.1, ::1, 0.0.0.0) or localhost, got '{Host}'");
    }
}
