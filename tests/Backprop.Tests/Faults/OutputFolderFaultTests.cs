using Backprop.Cli.Training;
using Backprop.Tests.Cli;
using Backprop.Tests.Serialization;

namespace Backprop.Tests.Faults;

/// <summary>
/// An output folder that cannot take the run's files fails <c>backprop train</c> before the first
/// batch, with one line naming the folder and the reason, and leaves nothing behind.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class OutputFolderFaultTests
{
    private static void AssertFailedBeforeTraining(int code, string stdout, string stderr, string folder, string reason)
    {
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.StartsWith($"train: --out: {reason}", stderr);
        Assert.Contains(folder, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(File.Exists(Path.Combine(folder, "checkpoint.safetensors")));
    }

    [TmpfsFact]
    public void AFullDiskFailsBeforeTrainingAndLeavesNoProbe()
    {
        using var disk = new Tmpfs("size=256k");
        var (code, stdout, stderr) = CliRunner.Run("train", "--epochs", "30", "--out", disk.Path);
        AssertFailedBeforeTraining(code, stdout, stderr, disk.Path, $"cannot write to {disk.Path}: No space left on device");
        Assert.Empty(Directory.GetFileSystemEntries(disk.Path));
    }

    [TmpfsFact]
    public void ADiskTooSmallForTheCheckpointsFailsBeforeTraining()
    {
        // Room for the 1 MiB probe but not for the default MLP's checkpoints (167,178 parameters).
        using var disk = new Tmpfs("size=3m");
        var (code, stdout, stderr) = CliRunner.Run("train", "--epochs", "30", "--out", disk.Path);
        AssertFailedBeforeTraining(code, stdout, stderr, disk.Path, $"not enough space in {disk.Path}: 3.0 MiB free, the run needs about 5.5 MiB");
        Assert.Empty(Directory.GetFileSystemEntries(disk.Path));
    }

    [TmpfsFact]
    public void AReadOnlyFileSystemFailsBeforeTraining()
    {
        using var disk = new Tmpfs("size=8m,ro");
        var (code, stdout, stderr) = CliRunner.Run("train", "--epochs", "30", "--out", disk.Path);
        AssertFailedBeforeTraining(code, stdout, stderr, disk.Path, $"cannot write to {disk.Path}: ");
        Assert.Contains("Read-only file system", stderr);

        var nested = CliRunner.Run("train", "--out", Path.Combine(disk.Path, "run1"));
        AssertFailedBeforeTraining(nested.ExitCode, nested.Stdout, nested.Stderr, Path.Combine(disk.Path, "run1"), "cannot write to ");
    }

    [UnprivilegedFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void AFolderWithoutWritePermissionFailsBeforeTraining()
    {
        using var dir = new TempFolder();
        File.SetUnixFileMode(dir.Path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            var (code, stdout, stderr) = CliRunner.Run("train", "--epochs", "30", "--out", dir.Path);
            AssertFailedBeforeTraining(code, stdout, stderr, dir.Path, $"cannot write to {dir.Path}: ");
        }
        finally
        {
            File.SetUnixFileMode(dir.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public void AnOutputPathUnderAFileFailsBeforeTraining()
    {
        // The probe's error path without any mount: the folder cannot even be created.
        using var dir = new TempFolder();
        string file = dir.File("not-a-folder");
        File.WriteAllText(file, "x");
        string folder = Path.Combine(file, "run");
        var (code, stdout, stderr) = CliRunner.Run("train", "--epochs", "30", "--out", folder);
        AssertFailedBeforeTraining(code, stdout, stderr, folder, $"cannot write to {folder}: ");
    }

    [Fact]
    public void TheFreeSpaceCheckNamesWhatIsMissing()
    {
        var ex = Assert.Throws<IOException>(() => OutputFolder.RequireFreeSpace("/data/run", 10 << 20, free: 3 << 20));
        Assert.Equal("--out: not enough space in /data/run: 3.0 MiB free, the run needs about 10.0 MiB for checkpoints, the model and plots", ex.Message);
        OutputFolder.RequireFreeSpace("/data/run", 10 << 20, free: 10 << 20);
        OutputFolder.RequireFreeSpace("/data/run", 10 << 20, free: null);
        Assert.Equal((167_178L * 28) + (1 << 20), OutputFolder.EstimateBytes(167_178));
    }
}

/// <summary>A fact reported as skipped when run as root, which ignores permission bits.</summary>
public sealed class UnprivilegedFactAttribute : FactAttribute
{
    public UnprivilegedFactAttribute()
    {
        if (Environment.IsPrivilegedProcess || !OperatingSystem.IsLinux())
        {
            Skip = "root ignores permission bits (AReadOnlyFileSystemFailsBeforeTraining covers a read-only folder there)";
        }
    }
}
