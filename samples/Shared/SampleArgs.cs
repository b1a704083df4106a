using System.Globalization;

namespace Backprop.Samples;

/// <summary>
/// Command-line handling shared by the samples: a bad argument or missing data ends a sample with one
/// line on stderr naming what is wrong and exit code 1, not a stack trace.
/// </summary>
internal static class SampleArgs
{
    /// <summary>From here on, an exception nothing catches prints "<paramref name="sample"/>: message" and exits with code 1.</summary>
    public static void ReportErrorsAsOneLine(string sample) => AppDomain.CurrentDomain.UnhandledException += (_, e) =>
    {
        Console.Error.WriteLine($"{sample}: {(e.ExceptionObject as Exception)?.Message ?? e.ExceptionObject}");
        Environment.Exit(1);
    };

    /// <summary>Argument <paramref name="index"/> as a whole number of at least <paramref name="min"/>, or <paramref name="fallback"/> when absent.</summary>
    public static int Int(string[] args, int index, string name, int fallback, int min = 1)
    {
        if (index >= args.Length)
        {
            return fallback;
        }

        return int.TryParse(args[index], NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= min
            ? value
            : throw new ArgumentException($"{name} must be a whole number of at least {min}, got '{args[index]}'");
    }

    /// <summary>Argument <paramref name="index"/> as a positive finite number, or <paramref name="fallback"/> when absent.</summary>
    public static double Positive(string[] args, int index, string name, double fallback)
    {
        if (index >= args.Length)
        {
            return fallback;
        }

        return double.TryParse(args[index], NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) && value > 0
            ? value
            : throw new ArgumentException($"{name} must be a positive number, got '{args[index]}'");
    }

    /// <summary>
    /// Where a sample writes <paramref name="file"/>: runs/samples/<paramref name="sample"/>/ under
    /// <paramref name="baseDirectory"/> (default: the current directory), a folder .gitignore covers,
    /// rather than the folder <c>dotnet run</c> was started in, usually the repository root. The
    /// folder is created now, so a sample that cannot write finds out before it trains.
    /// </summary>
    public static string OutputPath(string sample, string file, string? baseDirectory = null)
    {
        string folder = Path.GetFullPath(Path.Combine(baseDirectory ?? Directory.GetCurrentDirectory(), "runs", "samples", sample));
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot create the output folder {folder}: {ex.Message}", ex);
        }

        return Path.Combine(folder, file);
    }
}
