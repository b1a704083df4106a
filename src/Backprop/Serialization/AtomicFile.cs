using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Backprop.Serialization;

/// <summary>
/// Writes a file so that a reader (or a crash) never sees it half-written: the content goes to a
/// temporary file in the same folder, is flushed to disk, and only then replaces the target by a
/// rename. Until the rename, an existing file at the target path is left untouched.
/// </summary>
internal static partial class AtomicFile
{
    /// <summary>
    /// Calls <paramref name="write"/> with a stream onto a temporary file next to
    /// <paramref name="path"/>, flushes it to disk, then moves it over <paramref name="path"/>.
    /// If anything throws, the temporary file is deleted and the exception propagates.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);

        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath) ?? ".";

        // Same folder as the target, so the final move is a rename within one file system
        // (atomic on POSIX and NTFS) rather than a copy across devices. The writer's process id is
        // in the name so that RemoveStaleTemporaries can tell a kill's leftover from a live write.
        string tempPath = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(stream);

                // Flush(true) reaches the disk, not just the OS cache: after a power loss the rename
                // must not point at data that was never written.
                stream.Flush(flushToDisk: true);
            }

            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(tempPath);
            throw;
        }
    }

    /// <summary>
    /// Deletes the temporary files that <see cref="Write"/> leaves in <paramref name="folder"/> when
    /// its process is killed mid-write, and returns their names. A file counts as stale only when
    /// its name has this class's pattern (<c>.&lt;name&gt;.&lt;pid&gt;.&lt;32 hex digits&gt;.tmp</c>, or
    /// <c>.&lt;name&gt;.&lt;32 hex digits&gt;.tmp</c> from versions that did not record the pid), the
    /// process that wrote it is not running (for names with a pid), and it was last written before
    /// <paramref name="notWrittenSinceUtc"/> (the caller's start): a write in progress touches its
    /// file continuously, so this also spares one by a process this machine cannot see (another
    /// container sharing the folder, whose pids mean nothing here).
    /// </summary>
    public static IReadOnlyList<string> RemoveStaleTemporaries(string folder, DateTime notWrittenSinceUtc)
    {
        var removed = new List<string>();
        if (!Directory.Exists(folder))
        {
            return removed;
        }

        foreach (string path in Directory.EnumerateFiles(folder, ".*.tmp"))
        {
            var match = TemporaryName().Match(Path.GetFileName(path));
            if (!match.Success)
            {
                continue;
            }

            if (match.Groups["pid"].Success && IsRunning(int.Parse(match.Groups["pid"].ValueSpan, CultureInfo.InvariantCulture)))
            {
                continue;
            }

            try
            {
                if (File.GetLastWriteTimeUtc(path) < notWrittenSinceUtc)
                {
                    File.Delete(path);
                    removed.Add(Path.GetFileName(path));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Left for a later run: a leftover hidden file is harmless, failing a run over it is not.
            }
        }

        return removed;
    }

    // Up to 9 digits, so the pid always fits an int (Linux pids have at most 7).
    [GeneratedRegex(@"^\..+?\.(?:(?<pid>[0-9]{1,9})\.)?[0-9a-f]{32}\.tmp$", RegexOptions.CultureInvariant)]
    private static partial Regex TemporaryName();

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId)
        {
            return true;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return false;
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or NotSupportedException or UnauthorizedAccessException)
        {
            // Cannot tell: assume it is running rather than delete a file being written.
            return true;
        }
    }

    private static void TryDelete(string tempPath)
    {
        try
        {
            File.Delete(tempPath);
        }
        catch (IOException)
        {
            // The original exception is the one worth reporting; a leftover hidden .tmp file is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
