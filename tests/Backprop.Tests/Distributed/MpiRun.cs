using System.Diagnostics;
using System.Text;

namespace Backprop.Tests.Distributed;

/// <summary>Runs a program under Open MPI's mpirun, as root too, with more ranks than cores if need be.</summary>
internal static class MpiRun
{
    /// <summary>The mpirun on PATH, or null.</summary>
    public static string? Path { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => System.IO.Path.Combine(dir, "mpirun"))
        .FirstOrDefault(File.Exists);

    public const string Missing = "mpirun is not installed: apt-get install openmpi-bin libopenmpi-dev (.ci/run installs it)";

    public static string WorkerPath => System.IO.Path.Combine(AppContext.BaseDirectory, "DistributedWorker.dll");

    public static string CliPath => System.IO.Path.Combine(AppContext.BaseDirectory, "Backprop.Cli.dll");

    /// <summary>
    /// Starts <c>mpirun -np <paramref name="ranks"/> dotnet <paramref name="dll"/> args</c>; with
    /// <paramref name="tcp"/> the ranks talk over TCP on loopback only (<c>--mca btl tcp,self</c>).
    /// </summary>
    public static Process Start(int ranks, string dll, IEnumerable<string> args, StringBuilder stdout, StringBuilder stderr, bool tcp = false, IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(Path ?? throw new InvalidOperationException(Missing))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (string a in new[] { "--allow-run-as-root", "--oversubscribe", "-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(a);
        }

        if (tcp)
        {
            foreach (string a in new[] { "--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", "lo" })
            {
                info.ArgumentList.Add(a);
            }
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["TERM"] = "dumb";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
            info.ArgumentList.Add("-x");
            info.ArgumentList.Add(key);
        }

        info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(dll);
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Runs to the end (killing the job after <paramref name="timeout"/>, which fails the test).</summary>
    public static (int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed) Run(int ranks, string dll, IEnumerable<string> args, TimeSpan timeout, bool tcp = false, IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var process = Start(ranks, dll, args, stdout, stderr, tcp, environment, workingDirectory);
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"mpirun -np {ranks} {string.Join(' ', args)} did not finish within {timeout}:\n{Text(stdout)}\n{Text(stderr)}");
        }

        process.WaitForExit();
        return (process.ExitCode, Text(stdout), Text(stderr), clock.Elapsed);
    }

    public static string Text(StringBuilder sb)
    {
        lock (sb)
        {
            return sb.ToString();
        }
    }

    /// <summary>The value after "rank R: KEY " in the output.</summary>
    public static string Value(string output, int rank, string key)
    {
        string prefix = $"rank {rank}: {key} ";
        var line = output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains(prefix, StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"no '{prefix}' line in:\n{output}");
        return line[(line.IndexOf(prefix, StringComparison.Ordinal) + prefix.Length)..];
    }

    private static void Append(StringBuilder sb, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (sb)
        {
            sb.AppendLine(line);
        }
    }
}

/// <summary>A fact that needs mpirun: skipped, saying how to install it, where it is missing.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (MpiRun.Path is null)
        {
            Skip = MpiRun.Missing;
        }
    }
}

/// <summary>A theory that needs mpirun: skipped, saying how to install it, where it is missing.</summary>
public sealed class MpiTheoryAttribute : TheoryAttribute
{
    public MpiTheoryAttribute()
    {
        if (MpiRun.Path is null)
        {
            Skip = MpiRun.Missing;
        }
    }
}

/// <summary>A fact that needs mpirun and Fashion-MNIST (the bench recipes' data): skipped, saying which is missing.</summary>
public sealed class MpiFashionMnistFactAttribute : FactAttribute
{
    public MpiFashionMnistFactAttribute()
    {
        if (MpiRun.Path is null)
        {
            Skip = MpiRun.Missing;
        }
        else if (!Directory.Exists(Backprop.Data.FashionMnist.DefaultFolder))
        {
            Skip = $"{Backprop.Data.FashionMnist.DefaultFolder} is missing: apt-get install dataset-fashion-mnist";
        }
    }
}
