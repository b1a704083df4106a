namespace Backprop.Serialization;

/// <summary>
/// Writes a file so that a reader (or a crash) never sees it half-written: the content goes to a
/// temporary file in the same folder, is flushed to disk, and only then replaces the target by a
/// rename. Until the rename, an existing file at the target path is left untouched.
/// </summary>
internal static class AtomicFile
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
        // (atomic on POSIX and NTFS) rather than a copy across devices.
        string tempPath = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
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
