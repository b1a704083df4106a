using Microsoft.AspNetCore.Http;

namespace Backprop.Serve.Runs;

/// <summary>
/// The folder of <c>backprop train</c> runs that <c>serve --runs DIR</c> was given, and the only
/// place the server reads files from. A run is named by its subfolder's name, one path segment:
/// names with separators, <c>..</c>, control characters or a drive are refused (400), and a
/// subfolder or file that is a symbolic link counts only when its final target is inside the
/// folder too; anything else is "no such run" (404).
/// </summary>
internal sealed class RunsFolder
{
    /// <summary>The longest run name (a file name's limit on common file systems).</summary>
    public const int MaxNameLength = 255;

    /// <summary>The most runs listed: the newest ones when the folder holds more.</summary>
    public const int MaxRuns = 500;

    /// <summary>The files that make a subfolder a run's: any one of them (a run before its first epoch has none yet).</summary>
    public static readonly string[] Markers = ["history.json", "history.csv", "checkpoint.safetensors", "model.safetensors"];

    private static readonly StringComparison s_paths = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    // The folder as given (made absolute) and, when it is itself a link, where the link leads, each
    // ending in a separator: a run whose link resolves into either is inside.
    private readonly string[] _prefixes;

    /// <summary>Serves the runs in <paramref name="path"/>.</summary>
    /// <param name="path">The runs folder, absolute or relative to the current folder.</param>
    /// <exception cref="ArgumentException">The folder does not exist.</exception>
    public RunsFolder(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (!Directory.Exists(Root))
        {
            throw new ArgumentException($"--runs: no such folder: {Root} (give the folder that holds the runs of backprop train, e.g. runs)");
        }

        string? target = new DirectoryInfo(Root).ResolveLinkTarget(returnFinalTarget: true)?.FullName;
        _prefixes = [.. new[] { Root, target }.OfType<string>().Select(p => Path.EndsInDirectorySeparator(p) ? p : p + Path.DirectorySeparatorChar)];
    }

    /// <summary>The folder's full path.</summary>
    public string Root { get; }

    /// <summary>What is wrong with <paramref name="name"/> as a run's name, or null when it is one path segment.</summary>
    /// <param name="name">The name from the request.</param>
    /// <returns>A message for the user, or null.</returns>
    public static string? NameProblem(string name) => name switch
    {
        "" => "is empty",
        { Length: > MaxNameLength } => $"is longer than {MaxNameLength} characters",
        "." or ".." => "is not a run's folder but the runs folder or its parent",
        _ when name.AsSpan().IndexOfAny('/', '\\') >= 0 => "contains a path separator",

        // A URL path keeps an encoded slash encoded ("a%2Fb" arrives as it is): it is meant as a separator too.
        _ when name.Contains("%2F", StringComparison.OrdinalIgnoreCase) || name.Contains("%5C", StringComparison.OrdinalIgnoreCase) => "contains an encoded path separator (%2F)",
        _ when name.Any(char.IsControl) => "contains a control character",
        _ when name.Contains(':', StringComparison.Ordinal) || Path.IsPathRooted(name) => "is a path",
        _ => null,
    };

    /// <summary>
    /// The full path of the run called <paramref name="name"/>.
    /// </summary>
    /// <param name="name">The run's name: its subfolder's name.</param>
    /// <returns>The run's folder, inside <see cref="Root"/>.</returns>
    /// <exception cref="RequestException">400 when the name is malformed, 404 when there is no such run inside the folder.</exception>
    public string Find(string name)
    {
        if (NameProblem(name) is { } problem)
        {
            throw new RequestException($"'run' must be the name of a run's folder (one name, no '/', '\\' or '..'); '{Explainer.ExplainRequest.Shorten(name)}' {problem}");
        }

        string folder = Path.Join(Root, name);
        if (!Directory.Exists(folder) || !IsInside(new DirectoryInfo(folder)))
        {
            throw new RequestException($"no run '{Explainer.ExplainRequest.Shorten(name)}' in the runs folder (the list is at /runs)", StatusCodes.Status404NotFound);
        }

        return folder;
    }

    /// <summary>The names of the runs in the folder: subfolders inside it that hold one of <see cref="Markers"/>, at most <see cref="MaxRuns"/>, newest first.</summary>
    /// <returns>The names.</returns>
    public IReadOnlyList<string> Names()
    {
        var runs = new List<(string Name, DateTime Modified)>();
        try
        {
            foreach (var dir in new DirectoryInfo(Root).EnumerateDirectories())
            {
                if (NameProblem(dir.Name) is null && IsInside(dir) && Markers.Any(m => File(dir.FullName, m) is not null))
                {
                    runs.Add((dir.Name, dir.LastWriteTimeUtc));
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The folder went away or cannot be read: no runs to show.
        }

        return [.. runs.OrderByDescending(r => r.Modified).ThenBy(r => r.Name, StringComparer.Ordinal).Take(MaxRuns).Select(r => r.Name)];
    }

    /// <summary>The path of the file <paramref name="fileName"/> of the run in <paramref name="folder"/>, or null when it is missing, not a file, or a link leading out of the runs folder.</summary>
    /// <param name="folder">A run's folder, from <see cref="Find"/>.</param>
    /// <param name="fileName">One of the files train writes (history.json, ...).</param>
    /// <returns>The path, or null.</returns>
    public string? File(string folder, string fileName)
    {
        var file = new FileInfo(Path.Join(folder, fileName));
        try
        {
            return file.Exists && IsInside(file) ? file.FullName : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>True when <paramref name="entry"/> is not a link, or its final target lies inside the runs folder.</summary>
    private bool IsInside(FileSystemInfo entry)
    {
        try
        {
            string path = entry.FullName;
            if (entry.LinkTarget is not null)
            {
                if (entry.ResolveLinkTarget(returnFinalTarget: true) is not { Exists: true } target)
                {
                    return false;
                }

                path = target.FullName;
            }

            return _prefixes.Any(prefix => path.StartsWith(prefix, s_paths));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A link loop, or a target that cannot be read: not a run.
            return false;
        }
    }
}
