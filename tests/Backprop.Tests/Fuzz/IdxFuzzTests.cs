using System.Buffers.Binary;
using System.IO.Compression;
using Backprop.Data;
using Backprop.Tests.Data;

namespace Backprop.Tests.Fuzz;

public sealed class IdxFuzzTests : IDisposable
{
    private static readonly byte[] s_interesting = [0x00, 0x01, 0x02, 0x03, 0x04, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x1F, 0x7F, 0x80, 0x8B, 0xFF];

    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Valid files of every type code and rank the reader knows, to mutate.</summary>
    private static byte[][] Seeds()
    {
        static byte[] Typed(byte type, int size, Action<Span<byte>, int> write, params int[] dims)
        {
            int n = dims.Aggregate(1, (a, b) => a * b);
            var body = new byte[n * size];
            for (int i = 0; i < n; i++)
            {
                write(body.AsSpan(i * size), i);
            }

            return [.. IdxBytes.Header(type, dims), .. body];
        }

        return
        [
            IdxBytes.UByte([.. Enumerable.Range(0, 24).Select(i => (byte)(i * 10))], 2, 3, 4),
            IdxBytes.UByte([0, 1, 2, 9, 5], 5),
            Typed(0x09, 1, (s, i) => s[0] = (byte)(sbyte)(i - 3), 6),
            Typed(0x0B, 2, (s, i) => BinaryPrimitives.WriteInt16BigEndian(s, (short)(i * -300)), 2, 3),
            Typed(0x0C, 4, (s, i) => BinaryPrimitives.WriteInt32BigEndian(s, i * 100_000), 4),
            IdxBytes.Float([1.5f, -2, float.MaxValue, 0, 3, 4], 3, 2),
            Typed(0x0E, 8, (s, i) => BinaryPrimitives.WriteDoubleBigEndian(s, i / 3.0), 1, 1, 3),
            IdxBytes.UByte([], 0, 5),
        ];
    }

    private static bool Clear(string message, string source) =>
        message.StartsWith(source + ": ", StringComparison.Ordinal) && message.Length > source.Length + 10;

    private static void CheckTensor(Tensor t) => Assert.Equal(t.Numel, t.Shape.Aggregate(1L, (a, b) => a * b));

    [Fact]
    public async Task MutatedRawFilesLoadOrThrowInvalidDataException()
    {
        var seeds = Seeds();
        int cases = Fuzzing.Cases(20_000), loaded = 0;
        await Fuzzing.WithinTime(() =>
        {
            var rng = new Random(1701);
            for (int i = 0; i < cases; i++)
            {
                byte[] valid = seeds[rng.Next(seeds.Length)];
                byte[] file = Fuzzing.MutateBytes(valid, rng, hot: 4 + (4 * valid[3]), s_interesting);
                bool ok = Fuzzing.LoadsOrThrows<InvalidDataException>(
                    () => CheckTensor(Idx.Read(new MemoryStream(file), file.Length, "fuzz.idx", null, out _)),
                    m => Clear(m, "fuzz.idx"),
                    i,
                    () => Convert.ToHexString(file));
                loaded += ok ? 1 : 0;
            }
        });

        // Data-byte edits keep a file valid; header edits mostly do not.
        Assert.InRange(loaded, 1, cases * 9 / 10);
    }

    [Fact]
    public async Task MutatedFilesReadAsGzipStreamsLoadOrThrowInvalidDataException()
    {
        // The decompressed length is unknown up front: the reader must not trust the header to size its buffer.
        var seeds = Seeds();
        int cases = Fuzzing.Cases(5_000);
        await Fuzzing.WithinTime(() =>
        {
            var rng = new Random(1702);
            for (int i = 0; i < cases; i++)
            {
                byte[] valid = seeds[rng.Next(seeds.Length)];
                byte[] raw = Fuzzing.MutateBytes(valid, rng, hot: 4 + (4 * valid[3]), s_interesting);
                byte[] gz = IdxBytes.Gzip(raw);
                Fuzzing.LoadsOrThrows<InvalidDataException>(
                    () => CheckTensor(Idx.Read(new GZipStream(new MemoryStream(gz), CompressionMode.Decompress), null, "fuzz.idx.gz", null, out _)),
                    m => Clear(m, "fuzz.idx.gz"),
                    i,
                    () => Convert.ToHexString(raw));
            }
        });
    }

    [Fact]
    public async Task MutatedCompressedFilesOnDiskLoadOrThrowInvalidDataException()
    {
        // Edits to the compressed bytes: corrupt gzip must also be named by file.
        var seeds = Seeds();
        int cases = Fuzzing.Cases(400);
        string path = _dir.File("fuzz.idx.gz");
        await Fuzzing.WithinTime(() =>
        {
            var rng = new Random(1703);
            for (int i = 0; i < cases; i++)
            {
                byte[] gz = Fuzzing.MutateBytes(IdxBytes.Gzip(seeds[rng.Next(seeds.Length)]), rng, hot: 0, s_interesting);
                File.WriteAllBytes(path, gz);
                Fuzzing.LoadsOrThrows<InvalidDataException>(() => CheckTensor(Idx.Read(path)), m => Clear(m, path), i, () => Convert.ToHexString(gz));
            }
        });
    }

    [Fact]
    public async Task RandomBytesAreRejectedOrLoaded()
    {
        int cases = Fuzzing.Cases(10_000);
        await Fuzzing.WithinTime(() =>
        {
            var rng = new Random(1704);
            for (int i = 0; i < cases; i++)
            {
                var file = new byte[rng.Next(0, 64)];
                rng.NextBytes(file);
                if (file.Length >= 4 && rng.Next(2) == 0)
                {
                    // Give half of them a plausible magic so the header checks past it are reached.
                    (file[0], file[1], file[2], file[3]) = (0, 0, s_interesting[rng.Next(6, 12)], (byte)rng.Next(1, 5));
                }

                Fuzzing.LoadsOrThrows<InvalidDataException>(
                    () => CheckTensor(Idx.Read(new MemoryStream(file), file.Length, "random.idx", null, out _)),
                    m => Clear(m, "random.idx"),
                    i,
                    () => Convert.ToHexString(file));
            }
        });
    }

    public static TheoryData<byte, int[]> HugeClaims() => new()
    {
        { 0x08, [int.MaxValue] },
        { 0x0E, [int.MaxValue] },
        { 0x0E, [268_435_455] },
        { 0x0D, [60_000, 28, 28] },
        { 0x0D, [65_535, 65_535] },
        { 0x08, [46_341, 46_341] },
        { 0x0C, [1 << 20, 1 << 20, 1 << 20, 1 << 20] },
        { 0x08, [0, int.MaxValue, int.MaxValue] },
    };

    [Theory]
    [MemberData(nameof(HugeClaims))]
    public void ASmallFileClaimingHugeSizesFailsWithoutAllocatingThem(byte type, int[] dims)
    {
        byte[] file = [.. IdxBytes.Header(type, dims), 1, 2, 3, 4, 5, 6, 7, 8];
        foreach (bool gzip in new[] { false, true })
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var ex = Assert.Throws<InvalidDataException>(() => gzip
                ? Idx.Read(new GZipStream(new MemoryStream(IdxBytes.Gzip(file)), CompressionMode.Decompress), null, "huge.idx", null, out _)
                : Idx.Read(new MemoryStream(file), file.Length, "huge.idx", null, out _));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.StartsWith("huge.idx: ", ex.Message);
            Assert.True(allocated < 1 << 20, $"gzip={gzip}: allocated {allocated} bytes for a {file.Length}-byte file");
        }
    }

    [Fact]
    public void ACompressedFileClaimingMoreThanOneBufferIsRejectedBeforeReading()
    {
        // 268,435,455 float64 = 2,147,483,640 bytes: just past Array.MaxLength. Without the check a
        // gzip stream that really held that much overflowed the buffer growth after allocating 1 GiB.
        byte[] gz = IdxBytes.Gzip([.. IdxBytes.Header(0x0E, 268_435_455), 0, 0, 0, 0, 0, 0, 0, 0]);
        var ex = Assert.Throws<InvalidDataException>(() => Idx.Read(new GZipStream(new MemoryStream(gz), CompressionMode.Decompress), null, "big.idx.gz", null, out _));
        Assert.Equal($"big.idx.gz: header says 2147483640 bytes of data (shape (268435455)), more than the {Array.MaxLength} bytes one read buffer can hold", ex.Message);
    }
}
