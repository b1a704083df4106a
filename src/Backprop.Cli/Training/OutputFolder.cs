using System.Globalization;

namespace Backprop.Cli.Training;

/// <summary>The run's output folder, checked to be writable, and to have room, before any training starts.</summary>
internal static class OutputFolder
{
    /// <summary>Bytes of the write probe: the size of a small checkpoint.</summary>
    internal const int ProbeBytes = 1 << 20;

    public static string Prepare(string? requested)
    {
        string folder = Path.GetFullPath(requested ?? Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)));
        string probe = Path.Combine(folder, $".write-probe-{Environment.ProcessId}");
        try
        {
            Directory.CreateDirectory(folder);

            // A probe the size of a small checkpoint: a read-only or full disk fails here, not after an hour.
            try
            {
                using var stream = new FileStream(probe, FileMode.Create, FileAccess.Write);
                stream.Write(new byte[ProbeBytes]);
                stream.Flush(flushToDisk: true);
            }
            finally
            {
                // Also when the write failed: a half-written probe must not be left to fill the disk.
                if (File.Exists(probe))
                {
                    File.Delete(probe);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"--out: cannot write to {folder}: {ex.Message}");
        }

        return folder;
    }

    /// <summary>
    /// Roughly what a run of a model with <paramref name="parameters"/> float32 parameters writes at
    /// its peak: a checkpoint (weights and up to two optimizer moments) twice over while the new one
    /// replaces the old, the model file, and 1 MiB of history and plots.
    /// </summary>
    public static long EstimateBytes(long parameters) => (parameters * 4 * ((3 * 2) + 1)) + (1 << 20);

    /// <summary>Fails now, not at the first checkpoint, when the disk holding <paramref name="folder"/> has less than <paramref name="bytes"/> free.</summary>
    public static void RequireFreeSpace(string folder, long bytes) => RequireFreeSpace(folder, bytes, FreeBytes(folder));

    internal static void RequireFreeSpace(string folder, long bytes, long? free)
    {
        if (free is long available && available < bytes)
        {
            throw new IOException(string.Create(
                CultureInfo.InvariantCulture,
                $"--out: not enough space in {folder}: {available / 1048576.0:F1} MiB free, the run needs about {bytes / 1048576.0:F1} MiB for checkpoints, the model and plots"));
        }
    }

    /// <summary>Free bytes for this process on the folder's file system, or null where that cannot be asked (the probe has passed; go on).</summary>
    private static long? FreeBytes(string folder)
    {
        try
        {
            return new DriveInfo(folder).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}
