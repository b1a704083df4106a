using System.Runtime.InteropServices;

namespace Backprop.Cli.Training;

/// <summary>
/// Turns the signals that ask a process to end into a request to stop training at the next batch
/// (with a checkpoint of the exact position): SIGINT (Ctrl-C), SIGTERM (<c>kill</c>,
/// <c>timeout</c>, <c>docker stop</c>, job schedulers before their SIGKILL) and SIGHUP (the
/// terminal or SSH session closed). A second signal takes the default action and ends the
/// process at once, so a stuck run can still be stopped.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _received;

    public StopSignals()
    {
        Register(PosixSignal.SIGINT, 2, "SIGINT");
        Register(PosixSignal.SIGTERM, 15, "SIGTERM");
        Register(PosixSignal.SIGHUP, 1, "SIGHUP");
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <summary>The first signal's name (SIGTERM), or null if none came.</summary>
    public string? Received { get; private set; }

    /// <summary>The shell's exit status for a process ended by the first signal: 128 + its number (ExitCodes.Interrupted, Terminated, HungUp).</summary>
    public int ExitCode => 128 + _received;

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _cancel.Dispose();
    }

    private void Register(PosixSignal signal, int number, string name)
    {
        try
        {
            _registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                if (Interlocked.CompareExchange(ref _received, number, 0) == 0)
                {
                    Received = name;
                    context.Cancel = true;
                    _cancel.Cancel();
                }
            }));
        }
        catch (PlatformNotSupportedException)
        {
            // A platform without this signal cannot send it either.
        }
    }
}
