using System.Text;
using Backprop.TensorBoard;

namespace Backprop.Tests.TensorBoard;

public sealed class SummaryWriterTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "backprop-tb-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("123456789", 0xE3069283u)]
    [InlineData("", 0x00000000u)]
    [InlineData("a", 0xC1D04330u)]
    public void Crc32CMatchesTheKnownCheckValues(string text, uint expected)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        Assert.Equal(expected, Crc32C.Compute(bytes));
        Assert.Equal(expected, EventFileReader.Crc(bytes));
    }

    [Fact]
    public void ThirtyTwoZeroBytesHaveTheRfc3720Crc()
    {
        // RFC 3720 (iSCSI) B.4: 32 bytes of zeros give 0x8A9136AA.
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
    }

    [Fact]
    public void TheMaskRotatesAndAddsTfRecordsConstant()
    {
        Assert.Equal(0xA282EAD8u, Crc32C.Mask(0));
        Assert.Equal(unchecked((0xE3069283u >> 15 | 0xE3069283u << 17) + 0xA282EAD8u), Crc32C.Mask(0xE3069283u));
    }

    [Fact]
    public void TheFileStartsWithItsVersionAndHoldsEveryScalarInOrder()
    {
        string path;
        using (var writer = new SummaryWriter(_folder))
        {
            path = writer.FilePath;
            Assert.StartsWith("events.out.tfevents.", Path.GetFileName(path), StringComparison.Ordinal);
            writer.AddScalar("loss/train", 0.75, 1, wallTime: 1700000000.25);
            writer.AddScalar("accuracy/test", 0.875, 2);
            writer.AddScalar("big step", -1.5, 5_000_000_000L);
            writer.AddScalar("negative step", 3, -7);
        }

        var events = EventFileReader.Read(path);
        Assert.Equal(5, events.Count);
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        Assert.Empty(events[0].Scalars);
        Assert.InRange(events[0].WallTime, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 600, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Equal(1700000000.25, events[1].WallTime);
        Assert.Equal(1, events[1].Step);
        Assert.Equal(("loss/train", 0.75f), Assert.Single(events[1].Scalars));
        Assert.Equal(("accuracy/test", 0.875f), Assert.Single(events[2].Scalars));
        Assert.Equal(5_000_000_000L, events[3].Step);
        Assert.Equal(("big step", -1.5f), Assert.Single(events[3].Scalars));
        Assert.Equal(-7, events[4].Step);
        Assert.All(events.Skip(1), e => Assert.Null(e.FileVersion));
    }

    [Fact]
    public void AScalarEventHasTheExactProtobufBytes()
    {
        // Event{wall_time=1 (09 + double), step=3 (10 03), summary (2A len){value (0A len){tag "a" (0A 01 61), simple_value 2.0f (15 + float)}}}
        byte[] expected =
        [
            0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F,
            0x10, 0x03,
            0x2A, 0x0A, 0x0A, 0x08, 0x0A, 0x01, 0x61, 0x15, 0, 0, 0, 0x40,
        ];
        Assert.Equal(expected, EventEncoder.ScalarEvent(1.0, 3, "a", 2f));
    }

    [Fact]
    public void AClosedWriterRefusesAndTwoWritersInOneFolderGetTwoFiles()
    {
        var first = new SummaryWriter(_folder);
        using var second = new SummaryWriter(_folder);
        first.Dispose();
        first.Dispose();
        Assert.Throws<ObjectDisposedException>(() => first.AddScalar("x", 1, 0));
        Assert.NotEqual(first.FilePath, second.FilePath);
        Assert.Equal(2, Directory.GetFiles(_folder, "events.out.tfevents.*").Length);
        Assert.Throws<ArgumentException>(() => second.AddScalar("", 1, 0));
    }
}
