using System.Globalization;

namespace Backprop.Cli.Training;

/// <summary>
/// The run's output folder: never one that holds another run unless told to, checked to be
/// writable, and to have room, before any training starts; removed again when the run that
/// created it fails before writing anything.
/// </summary>
internal sealed class OutputFolder
{
    /// <summary>Bytes of the write probe: the size of a small checkpoint.</summary>
    internal const int ProbeBytes = 1 << 20;

    /// <summary>The files whose presence makes a folder a run's: any one of them is someone's work (a checkpoint alone is a run interrupted before its model).</summary>
    internal static readonly string[] RunMarkers = ["checkpoint.safetensors", "model.safetensors", "history.csv", "history.json"];

    /// <summary>Everything <c>train</c> writes, which <c>--overwrite</c> removes before the new run starts.</summary>
    internal static readonly string[] RunFiles = [.. RunMarkers, "loss.png", "accuracy.png", "gradients.csv", "gradnorm.png"];

    private readonly string? _createdRoot;

    private OutputFolder(string path, string? createdRoot)
    {
        Path = path;
        _createdRoot = createdRoot;
    }

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>
    /// The full path of <paramref name="requested"/>, or by default <c>runs/&lt;timestamp&gt;</c>,
    /// with <c>-2</c>, <c>-3</c>… appended when a run started in the same second already has it.
    /// </summary>
    public static string Resolve(string? requested)
    {
        if (requested is not null)
        {
            return System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(requested));
        }

        string stem = System.IO.Path.GetFullPath(System.IO.Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)));
        string folder = stem;
        for (int n = 2; System.IO.Path.Exists(folder); n++)
        {
            folder = string.Create(CultureInfo.InvariantCulture, $"{stem}-{n}");
        }

        return folder;
    }

    /// <summary>The run files present in <paramref name="folder"/> (none when it does not exist or is not a folder).</summary>
    public static IReadOnlyList<string> ExistingRun(string folder) =>
        Directory.Exists(folder) ? [.. RunMarkers.Where(f => File.Exists(System.IO.Path.Combine(folder, f)))] : [];

    /// <summary>
    /// Refuses <paramref name="folder"/> when it holds a run (<see cref="RunMarkers"/>), naming the
    /// folder, what is there and the ways out. An empty or unrelated existing folder is fine.
    /// </summary>
    public static void RequireNoRun(string folder)
    {
        var found = ExistingRun(folder);
        if (found.Count == 0)
        {
            return;
        }

        string checkpoint = System.IO.Path.Combine(folder, "checkpoint.safetensors");
        string resume = found.Contains("checkpoint.safetensors") ? $"continue it with --resume {checkpoint}, " : "";
        throw new IOException($"--out: {folder} already holds a run ({string.Join(", ", found)}); {resume}choose another --out, or add --overwrite to replace it");
    }

    /// <summary>Deletes the files of an earlier run in <paramref name="folder"/> (<c>--overwrite</c>); other files stay.</summary>
    public static void RemoveRun(string folder)
    {
        foreach (string file in RunFiles)
        {
            File.Delete(System.IO.Path.Combine(folder, file));
        }
    }

    /// <summary>
    /// Creates <paramref name="folder"/> (and any missing parents) and probes it with a write the
    /// size of a small checkpoint, so a read-only or full disk fails now, not after an hour.
    /// </summary>
    public static OutputFolder Prepare(string folder)
    {
        if (File.Exists(folder))
        {
            throw new IOException($"--out: {folder} is a file, not a folder; choose another --out");
        }

        string? createdRoot = FirstMissing(folder);
        var output = new OutputFolder(folder, createdRoot);
        string probe = System.IO.Path.Combine(folder, $".write-probe-{Environment.ProcessId}");
        try
        {
            Directory.CreateDirectory(folder);
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
            output.RemoveIfEmpty();
            throw new IOException($"--out: cannot write to {folder}: {ex.Message}");
        }

        return output;
    }

    /// <summary>
    /// After a failed run: removes the folder, and the parents created with it, if this run created
    /// them and they are still empty (a checkpoint, or any file put there meanwhile, keeps them).
    /// Never throws: the run's own error is the one to report.
    /// </summary>
    public void RemoveIfEmpty()
    {
        if (_createdRoot is null)
        {
            return;
        }

        try
        {
            for (string? dir = Path; dir is not null; dir = System.IO.Path.GetDirectoryName(dir))
            {
                if (!Directory.Exists(dir) || Directory.EnumerateFileSystemEntries(dir).Any())
                {
                    return;
                }

                Directory.Delete(dir);
                if (dir == _createdRoot)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The outermost of <paramref name="folder"/> and its parents that does not exist yet, or null if it exists.</summary>
    private static string? FirstMissing(string folder)
    {
        string? missing = null;
        for (string? dir = folder; dir is not null && !System.IO.Path.Exists(dir); dir = System.IO.Path.GetDirectoryName(dir))
        {
            missing = dir;
        }

        return missing;
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
