namespace Backprop.Cli.Training;

/// <summary>The run's output folder, checked to be writable before any training starts.</summary>
internal static class OutputFolder
{
    public static string Prepare(string? requested)
    {
        string folder = Path.GetFullPath(requested ?? Path.Combine("runs", DateTime.Now.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture)));
        try
        {
            Directory.CreateDirectory(folder);

            // A probe the size of a small checkpoint: a read-only or full disk fails here, not after an hour.
            string probe = Path.Combine(folder, $".write-probe-{Environment.ProcessId}");
            using (var stream = new FileStream(probe, FileMode.Create, FileAccess.Write))
            {
                stream.Write(new byte[1 << 20]);
                stream.Flush(flushToDisk: true);
            }

            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"--out: cannot write to {folder}: {ex.Message}");
        }

        return folder;
    }
}
