using System.Collections.Frozen;

namespace Backprop.Serve;

/// <summary>
/// The page's files (HTML, CSS, JavaScript, icon), embedded in this assembly under <c>wwwroot/</c>:
/// the server reads no files and the page loads nothing from elsewhere, so it works offline.
/// </summary>
internal static class Assets
{
    private const string Prefix = "wwwroot/";

    private static readonly FrozenDictionary<string, Asset> s_assets = Load();

    /// <summary>The names of every asset (<c>explain.js</c>, ...).</summary>
    public static IEnumerable<string> Names => s_assets.Keys;

    /// <summary>The asset called <paramref name="name"/>, or null.</summary>
    public static Asset? Find(string name) => s_assets.GetValueOrDefault(name);

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(Assets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (string resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            string name = resource[Prefix.Length..];
            assets[name] = new Asset(name, copy.ToArray(), ContentType(name));
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        _ => "application/octet-stream",
    };
}

/// <summary>One embedded file.</summary>
/// <param name="Name">Its name under wwwroot/.</param>
/// <param name="Content">Its bytes.</param>
/// <param name="ContentType">Its media type.</param>
internal sealed record Asset(string Name, byte[] Content, string ContentType);
