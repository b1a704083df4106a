using System.Diagnostics;

namespace Backprop.Tests.Faults;

/// <summary>
/// A tmpfs of a given size or mode mounted on a fresh temporary folder, for disk-full and read-only
/// tests: the real kernel errors (ENOSPC, EROFS), not simulated ones. Needs Linux and root.
/// </summary>
internal sealed class Tmpfs : IDisposable
{
    private static readonly Lazy<string?> s_unavailable = new(Probe);

    public Tmpfs(string options)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "backprop-tmpfs-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
        var (code, error) = Run("mount", "-t", "tmpfs", "-o", options, "tmpfs", Path);
        if (code != 0)
        {
            Directory.Delete(Path);
            throw new IOException($"mount -t tmpfs -o {options} failed ({code}): {error}");
        }
    }

    /// <summary>Null where tmpfs mounts work; otherwise why not (the reason a test is skipped).</summary>
    public static string? Unavailable => s_unavailable.Value;

    public string Path { get; }

    public void Dispose()
    {
        Run("umount", Path);
        Directory.Delete(Path, recursive: true);
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "tmpfs mounts need Linux";
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return "mounting a tmpfs needs root";
        }

        try
        {
            using var probe = new Tmpfs("size=64k");
            return null;
        }
        catch (Exception ex) when (ex is IOException or System.ComponentModel.Win32Exception)
        {
            return $"cannot mount a tmpfs here: {ex.Message}";
        }
    }

    private static (int Code, string Error) Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        string error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, error.Trim());
    }
}

/// <summary>A fact reported as skipped, with the reason, where a tmpfs cannot be mounted.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (Tmpfs.Unavailable is { } reason)
        {
            Skip = reason;
        }
    }
}
