using System.Buffers.Binary;
using System.Diagnostics;
using Backprop.Data;

namespace Backprop.Tests.Data;

public class IdxTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UByteImagesRoundTripAsFloat32(bool gzip)
    {
        using var dir = new TempFolder();
        byte[] pixels = [0, 1, 2, 127, 128, 200, 254, 255, 7, 9, 11, 13];
        byte[] file = IdxBytes.UByte(pixels, 2, 2, 3);
        string path = dir.File("images.idx");
        File.WriteAllBytes(path, gzip ? IdxBytes.Gzip(file) : file);

        Tensor t = Idx.Read(path);

        Assert.Equal(new[] { 2, 2, 3 }, t.Shape);
        Assert.Equal(DType.Float32, t.DType);
        Assert.Equal(pixels.Select(p => (float)p).ToArray(), t.ToArray<float>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OneDimensionalUByteIsReadAsInt64Labels(bool gzip)
    {
        using var dir = new TempFolder();
        byte[] file = IdxBytes.UByte([3, 0, 9, 1, 255], 5);
        string path = dir.File("labels.idx");
        File.WriteAllBytes(path, gzip ? IdxBytes.Gzip(file) : file);

        Tensor t = Idx.Read(path);

        Assert.Equal(DType.Int64, t.DType);
        Assert.Equal(new long[] { 3, 0, 9, 1, 255 }, t.ToArray<long>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FloatDataRoundTripsBigEndian(bool gzip)
    {
        using var dir = new TempFolder();
        float[] values = [1.5f, -2.25f, 0f, 3.0e-8f, float.MaxValue, -1e6f];
        byte[] file = IdxBytes.Float(values, 3, 2);
        string path = dir.File("floats.idx");
        File.WriteAllBytes(path, gzip ? IdxBytes.Gzip(file) : file);

        Tensor t = Idx.Read(path);

        Assert.Equal(new[] { 3, 2 }, t.Shape);
        Assert.Equal(DType.Float32, t.DType);
        Assert.Equal(values, t.ToArray<float>());
    }

    [Fact]
    public void SignedAndWideIntegerTypesDecodeBigEndian()
    {
        using var dir = new TempFolder();
        var ints = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(ints, -70000);
        BinaryPrimitives.WriteInt32BigEndian(ints.AsSpan(4), 123456);
        string intPath = dir.File("ints.idx");
        File.WriteAllBytes(intPath, [.. IdxBytes.Header(0x0C, 2), .. ints]);
        string sbytePath = dir.File("sbytes.idx");
        File.WriteAllBytes(sbytePath, [.. IdxBytes.Header(0x09, 3), 0xFF, 0x80, 0x05]);
        var doubles = new byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(doubles, Math.PI);
        string doublePath = dir.File("double.idx");
        File.WriteAllBytes(doublePath, [.. IdxBytes.Header(0x0E, 1, 1), .. doubles]);

        Assert.Equal(new long[] { -70000, 123456 }, Idx.Read(intPath).ToArray<long>());
        Assert.Equal(new long[] { -1, -128, 5 }, Idx.Read(sbytePath).ToArray<long>());
        Tensor d = Idx.Read(doublePath);
        Assert.Equal(DType.Float64, d.DType);
        Assert.Equal(Math.PI, d.Item());
        Tensor asFloat = Idx.Read(intPath, DType.Float64);
        Assert.Equal(DType.Float64, asFloat.DType);
        Assert.Equal(new[] { -70000.0, 123456.0 }, asFloat.ToArray());
        Assert.Throws<ArgumentException>(() => Idx.Read(doublePath, DType.Int64));
    }

    [Fact]
    public void WrongMagicIsRejected()
    {
        using var dir = new TempFolder();
        string path = dir.File("image.png");
        File.WriteAllBytes(path, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);

        var ex = Assert.Throws<InvalidDataException>(() => Idx.Read(path));

        Assert.Contains(path, ex.Message);
        Assert.Contains("not an IDX file", ex.Message);
        Assert.Contains("89504E47", ex.Message);
    }

    [Fact]
    public void UnknownTypeCodeIsRejected()
    {
        using var dir = new TempFolder();
        string path = dir.File("odd.idx");
        File.WriteAllBytes(path, [.. IdxBytes.Header(0x0A, 1), 1, 2, 3, 4]);

        var ex = Assert.Throws<InvalidDataException>(() => Idx.Read(path));

        Assert.Contains("unknown IDX type code 0x0A", ex.Message);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void ZeroDimensionsAreRejected()
    {
        using var dir = new TempFolder();
        string path = dir.File("zero.idx");
        File.WriteAllBytes(path, [0, 0, 0x08, 0, 1, 2]);

        var ex = Assert.Throws<InvalidDataException>(() => Idx.Read(path));

        Assert.Contains("0 dimensions", ex.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedDataNamesExpectedAndActualBytes(bool gzip)
    {
        using var dir = new TempFolder();
        byte[] file = IdxBytes.UByte(new byte[1000], 60000, 28, 28);
        string path = dir.File(gzip ? "train-images-idx3-ubyte.gz" : "train-images-idx3-ubyte");
        File.WriteAllBytes(path, gzip ? IdxBytes.Gzip(file) : file);

        var ex = Assert.Throws<InvalidDataException>(() => Idx.Read(path));

        Assert.StartsWith($"{path}: truncated: header says 47040000 bytes of data (shape (60000x28x28)), file has 1000", ex.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TrailingBytesAreRejected(bool gzip)
    {
        using var dir = new TempFolder();
        byte[] file = IdxBytes.UByte([1, 2, 3, 4, 5, 6], 5);
        string path = dir.File("labels.idx");
        File.WriteAllBytes(path, gzip ? IdxBytes.Gzip(file) : file);

        var ex = Assert.Throws<InvalidDataException>(() => Idx.Read(path));

        Assert.Contains("trailing bytes: header says 5 bytes of data", ex.Message);
        Assert.Contains("file has 6", ex.Message);
    }

    [Fact]
    public void TruncatedHeaderIsRejected()
    {
        using var dir = new TempFolder();
        string path = dir.File("short.idx");
        File.WriteAllBytes(path, [0, 0, 0x08, 3, 0, 0, 0, 1]);

        var ex = Assert.Throws<InvalidDataException>(() => Idx.Read(path));

        Assert.Contains("truncated header: 3 dimensions need 16 header bytes, file has 8", ex.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HugeClaimedDimensionsInATinyFileFailFast(bool gzip)
    {
        using var dir = new TempFolder();
        string overflowPath = dir.File("overflow.idx");
        // 65535^3 elements: more than any array can hold, and more than int32 arithmetic can count.
        byte[] overflow = [.. IdxBytes.Header(0x0E, 65535, 65535, 65535), 1, 2, 3];
        File.WriteAllBytes(overflowPath, gzip ? IdxBytes.Gzip(overflow) : overflow);
        string bigPath = dir.File("big.idx");
        // 2,000,000,000 float64 elements = 16 GB claimed, 3 bytes present.
        byte[] big = [.. IdxBytes.Header(0x0E, 2_000_000_000), 1, 2, 3];
        File.WriteAllBytes(bigPath, gzip ? IdxBytes.Gzip(big) : big);
        string hugePath = dir.File("huge.idx");
        // 2,000,000,000 ubytes would be allocatable by the claim alone; the file must not make us try.
        byte[] huge = [.. IdxBytes.Header(0x08, 1000, 2_000_000), 1, 2, 3];
        File.WriteAllBytes(hugePath, gzip ? IdxBytes.Gzip(huge) : huge);

        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var overflowError = Assert.Throws<InvalidDataException>(() => Idx.Read(overflowPath));
        var bigError = Assert.Throws<InvalidDataException>(() => Idx.Read(bigPath));
        var hugeError = Assert.Throws<InvalidDataException>(() => Idx.Read(hugePath));
        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        Assert.Contains("more than", overflowError.Message);
        Assert.Contains("elements", overflowError.Message);
        if (gzip)
        {
            // Compressed: rejected before reading, as more than one read buffer can hold.
            Assert.Contains("header says 16000000000 bytes of data (shape (2000000000)), more than the", bigError.Message);
        }
        else
        {
            Assert.Contains("truncated: header says 16000000000 bytes of data", bigError.Message);
            Assert.Contains("file has 3", bigError.Message);
        }
        Assert.Contains("truncated: header says 2000000000 bytes of data", hugeError.Message);
        Assert.True(allocated < 16 << 20, $"allocated {allocated} bytes for tiny files");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public void NegativeDimensionIsRejected()
    {
        using var dir = new TempFolder();
        string path = dir.File("negative.idx");
        File.WriteAllBytes(path, [.. IdxBytes.Header(0x08, 2, -1)]);

        var ex = Assert.Throws<InvalidDataException>(() => Idx.Read(path));

        Assert.Contains("dimension 1 is negative (-1) at byte offset 8", ex.Message);
    }

    [Fact]
    public void CorruptGzipNamesTheFile()
    {
        using var dir = new TempFolder();
        byte[] gz = IdxBytes.Gzip(IdxBytes.UByte(new byte[4096], 4096));
        string path = dir.File("cut.gz");
        File.WriteAllBytes(path, gz.AsSpan(0, gz.Length / 2).ToArray());

        var ex = Assert.Throws<InvalidDataException>(() => Idx.Read(path));

        Assert.StartsWith(path, ex.Message);
    }

    [Fact]
    public void MissingFileThrowsFileNotFound()
    {
        using var dir = new TempFolder();
        var ex = Assert.Throws<FileNotFoundException>(() => Idx.Read(dir.File("absent.idx")));
        Assert.Contains("absent.idx", ex.Message);
    }
}
