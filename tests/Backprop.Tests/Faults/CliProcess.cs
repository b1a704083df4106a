using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Backprop.Tests.Faults;

/// <summary>
/// The real <c>backprop</c> command as a child process: the Backprop.Cli.dll built next to the test
/// assembly, run with <c>dotnet</c>, so a test can kill it as the operating system would.
/// </summary>
internal sealed partial class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private CliProcess(Process process)
    {
        _process = process;
    }

    public static string CliPath => Path.Combine(AppContext.BaseDirectory, "Backprop.Cli.dll");

    public static CliProcess Start(params string[] args) => StartIn(null, args);

    /// <summary>Starts the CLI with <paramref name="workingDirectory"/> (null: the test's) as its current folder.</summary>
    public static CliProcess StartIn(string? workingDirectory, params string[] args)
    {
        // Through coreutils' env, which resets the stop signals to their default action first: a
        // process inherits ignored signals, and a test host started in the background by a
        // non-interactive shell (`dotnet test … &`) ignores SIGINT, so its CLI would too and the
        // SIGINT test would see a run that finishes instead of stopping.
        var info = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        info.ArgumentList.Add("--default-signal=HUP,INT,TERM");
        info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(CliPath);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var process = new Process { StartInfo = info };
        var cli = new CliProcess(process);
        process.OutputDataReceived += (_, e) => Append(cli._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(cli._stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Runs to the end (at most <paramref name="timeout"/>) and returns the exit code and output.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(TimeSpan timeout, params string[] args) => RunIn(null, timeout, args);

    /// <summary>As <see cref="Run"/>, in <paramref name="workingDirectory"/>.</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunIn(string? workingDirectory, TimeSpan timeout, params string[] args)
    {
        using var cli = StartIn(workingDirectory, args);
        if (!cli.WaitForExit(timeout))
        {
            cli.Kill();
            throw new TimeoutException($"backprop {string.Join(' ', args)} did not finish within {timeout}");
        }

        return (cli.ExitCode, cli.Stdout, cli.Stderr);
    }

    /// <summary>The child's process id.</summary>
    public int Id => _process.Id;

    public int ExitCode => _process.ExitCode;

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>The "epoch N ..." lines printed so far (a train run's progress when stdout is not a terminal).</summary>
    public int EpochLines => Stdout.Split('\n').Count(l => l.StartsWith("epoch ", StringComparison.Ordinal));

    /// <summary>Waits until the run has printed <paramref name="epochs"/> epoch lines; false if it exited first.</summary>
    public bool WaitForEpochLines(int epochs)
    {
        while (EpochLines < epochs)
        {
            if (WaitForExit(TimeSpan.FromMilliseconds(2)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Waits for exit, and for the output streams to be drained.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }

        _process.WaitForExit();
        return true;
    }

    /// <summary>SIGKILL on Unix: no handler runs, nothing is flushed: the process is gone at once.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill();
        }
        catch (InvalidOperationException)
        {
            // It already exited.
        }

        _process.WaitForExit();
    }

    /// <summary>
    /// Sends <paramref name="signal"/> (a POSIX signal number: 1 SIGHUP, 2 SIGINT, 15 SIGTERM) as
    /// <c>kill -SIG pid</c>, a terminal, <c>timeout</c> or a job scheduler would.
    /// </summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    private static void Append(StringBuilder sb, string? line)
    {
        if (line is not null)
        {
            lock (sb)
            {
                sb.AppendLine(line);
            }
        }
    }
}
