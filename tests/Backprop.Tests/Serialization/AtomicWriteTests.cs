using System.Collections;
using Backprop.Serialization;

namespace Backprop.Tests.Serialization;

public sealed class AtomicWriteTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A dictionary that yields one tensor, then fails, like a model whose state dict throws midway.</summary>
    private sealed class ThrowingDictionary : IReadOnlyDictionary<string, Tensor>
    {
        public Tensor this[string key] => throw new KeyNotFoundException(key);

        public IEnumerable<string> Keys => this.Select(kv => kv.Key);

        public IEnumerable<Tensor> Values => this.Select(kv => kv.Value);

        public int Count => 2;

        public bool ContainsKey(string key) => false;

        public bool TryGetValue(string key, out Tensor value) => throw new NotSupportedException();

        public IEnumerator<KeyValuePair<string, Tensor>> GetEnumerator()
        {
            yield return new("ok", Tensor.Ones(4));
            throw new InvalidOperationException("state dict failed midway");
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private string SaveGood()
    {
        string path = _dir.File("model.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray(new float[] { 1, 2, 3 }, 3) });
        return path;
    }

    private static void AssertGood(string path) =>
        Assert.Equal(new[] { 1f, 2, 3 }, SafeTensors.Load(path)["w"].ToArray<float>());

    [Fact]
    public void ThrowingTensorDictionaryLeavesOldFileIntact()
    {
        string path = SaveGood();
        byte[] before = File.ReadAllBytes(path);

        var ex = Assert.Throws<InvalidOperationException>(() => SafeTensors.Save(path, new ThrowingDictionary()));
        Assert.Equal("state dict failed midway", ex.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        AssertGood(path);
        Assert.Equal(new[] { "model.safetensors" }, _dir.Entries());
    }

    [Fact]
    public void FailureMidWriteLeavesOldFileIntactAndNoTempFile()
    {
        string path = SaveGood();
        byte[] before = File.ReadAllBytes(path);

        var ex = Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[100_000]);
            throw new IOException("disk full");
        }));
        Assert.Equal("disk full", ex.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { "model.safetensors" }, _dir.Entries());
    }

    [Fact]
    public void UnwritableTargetLeavesNoTempFile()
    {
        // The target is a folder: the final rename fails after the temporary file was fully written.
        string folder = _dir.File("model.safetensors");
        Directory.CreateDirectory(folder);
        Assert.ThrowsAny<IOException>(() => SafeTensors.Save(folder, new Dictionary<string, Tensor> { ["w"] = Tensor.Ones(2) }));
        Assert.True(Directory.Exists(folder));
        Assert.Equal(new[] { "model.safetensors" }, _dir.Entries());
    }

    [Fact]
    public void MissingFolderIsAnIOErrorNamingThePath()
    {
        string path = Path.Combine(_dir.Path, "no-such-folder", "model.safetensors");
        var ex = Assert.Throws<DirectoryNotFoundException>(() => SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Ones(2) }));
        Assert.Contains("no-such-folder", ex.Message);
        Assert.Empty(_dir.Entries());
    }

    [Fact]
    public void SuccessfulSaveReplacesTheOldFile()
    {
        string path = SaveGood();
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["v"] = Tensor.FromArray(new long[] { 9 }, 1) });
        var loaded = SafeTensors.Load(path);
        Assert.Equal(new[] { "v" }, loaded.Keys.ToArray());
        Assert.Equal(new long[] { 9 }, loaded["v"].ToArray<long>());
        Assert.Equal(new[] { "model.safetensors" }, _dir.Entries());
    }

    [Fact]
    public void BadMetadataFailsBeforeTouchingTheFile()
    {
        string path = SaveGood();
        var ex = Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Ones(1) }, new Dictionary<string, string> { ["k"] = null! }));
        Assert.Contains("metadata value for key 'k' is null", ex.Message);
        AssertGood(path);
        Assert.Equal(new[] { "model.safetensors" }, _dir.Entries());
    }

    [Fact]
    public void TheTemporaryFileNamesItsTargetAndTheWritingProcess()
    {
        string[] during = [];
        AtomicFile.Write(_dir.File("model.safetensors"), stream =>
        {
            stream.WriteByte(1);
            during = _dir.Entries();
        });
        Assert.Matches($@"^\.model\.safetensors\.{Environment.ProcessId}\.[0-9a-f]{{32}}\.tmp$", Assert.Single(during));
        Assert.Equal(new[] { "model.safetensors" }, _dir.Entries());
    }

    [Fact]
    public void StaleTemporaryFilesAreRemovedAndThoseThatMayBeInUseAreKept()
    {
        int dead = ExitedProcessId();
        DateTime start = DateTime.UtcNow;
        string Guid() => System.Guid.NewGuid().ToString("N");
        string[] stale =
        [
            $".checkpoint.safetensors.{dead}.{Guid()}.tmp",       // its writer was killed
            $".model.safetensors.{dead}.{Guid()}.tmp",
            $".history.csv.{Guid()}.tmp",                        // from a version without the pid
        ];
        string[] kept =
        [
            $".checkpoint.safetensors.{Environment.ProcessId}.{Guid()}.tmp", // its writer is running
            $".checkpoint.safetensors.1.{Guid()}.tmp",
            "checkpoint.safetensors",
            $"checkpoint.safetensors.{Guid()}.tmp",              // not ours: no leading dot
            $".checkpoint.safetensors.{dead}.{Guid()[..31]}.tmp",
            ".notes.tmp",
            "notes.tmp",
        ];
        foreach (string name in stale.Concat(kept))
        {
            File.WriteAllText(_dir.File(name), "x");
            File.SetLastWriteTimeUtc(_dir.File(name), start.AddHours(-1));
        }

        // Written after the start: maybe by a process this machine cannot see (another container).
        string recent = $".checkpoint.safetensors.{dead}.{Guid()}.tmp";
        File.WriteAllText(_dir.File(recent), "x");
        File.SetLastWriteTimeUtc(_dir.File(recent), start.AddSeconds(1));

        var removed = AtomicFile.RemoveStaleTemporaries(_dir.Path, start);
        Assert.Equal(stale.Order(StringComparer.Ordinal), removed.Order(StringComparer.Ordinal));
        Assert.Equal(kept.Append(recent).Order(StringComparer.Ordinal), _dir.Entries());
        Assert.Empty(AtomicFile.RemoveStaleTemporaries(_dir.File("no-such-folder"), start));
    }

    /// <summary>The id of a process that has exited (and whose id is, for the moment, nobody's).</summary>
    internal static int ExitedProcessId()
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true })!;
        process.WaitForExit();
        return process.Id;
    }
}
