namespace Backprop.Tests;

/// <summary>The repository the tests were built from, for tests that read its files (docs, README, shipped data).</summary>
internal static class RepositoryRoot
{
    /// <summary>The nearest folder above the test assembly that holds Backprop.slnx.</summary>
    public static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Backprop.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Backprop.slnx above {AppContext.BaseDirectory}");
    }
}
