using System.Text.RegularExpressions;

namespace Backprop.Tests.Examples;

/// <summary>
/// Every document the code, the help texts and the docs cite is in the repository: a fresh clone
/// has no ../shared folder beside it, so a citation of a file outside the repository is a dead end.
/// </summary>
public sealed partial class DocumentationLinkTests
{
    [Fact]
    public void EveryCitedDocsPageExists()
    {
        string root = RepositoryRoot.Find();
        var missing = new List<string>();
        foreach (string file in SourceAndDocs(root))
        {
            string text = File.ReadAllText(file);
            foreach (Match m in DocsPath().Matches(text))
            {
                if (!File.Exists(Path.Combine(root, m.Value)))
                {
                    missing.Add($"{Path.GetRelativePath(root, file)} cites {m.Value}");
                }
            }

            if (file.EndsWith(".md", StringComparison.Ordinal))
            {
                foreach (Match m in MarkdownLink().Matches(text))
                {
                    string target = m.Groups[1].Value;
                    if (!target.Contains("://", StringComparison.Ordinal) && !File.Exists(Path.Combine(Path.GetDirectoryName(file)!, target)))
                    {
                        missing.Add($"{Path.GetRelativePath(root, file)} links to {target}");
                    }
                }
            }
        }

        Assert.Empty(missing);
    }

    [Fact]
    public void NothingCitesTheDesignOutsideTheRepository()
    {
        string root = RepositoryRoot.Find();
        var citing = SourceAndDocs(root)
            .Where(f => File.ReadAllText(f).Contains("DESIGN.md", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(root, f))
            .ToList();
        Assert.Empty(citing);
    }

    private static IEnumerable<string> SourceAndDocs(string root)
    {
        var files = Directory.EnumerateFiles(root, "*.md", SearchOption.TopDirectoryOnly)
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories));
        foreach (string folder in new[] { "src", "tests", "samples", "benchmarks" })
        {
            files = files.Concat(Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories));
        }

        string sep = Path.DirectorySeparatorChar.ToString();
        return files.Where(f => !f.Contains($"{sep}obj{sep}", StringComparison.Ordinal) && !f.Contains($"{sep}bin{sep}", StringComparison.Ordinal)
            && !f.EndsWith(nameof(DocumentationLinkTests) + ".cs", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"(?<![\w/.])docs/[A-Za-z0-9_\-]+\.md")]
    private static partial Regex DocsPath();

    [GeneratedRegex(@"\]\(([^)#\s]+\.md)(#[^)]*)?\)")]
    private static partial Regex MarkdownLink();
}
