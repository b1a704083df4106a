using System.Buffers.Binary;
using System.IO.Compression;

namespace Backprop.Data;

/// <summary>
/// Reads IDX files, the format of MNIST and Fashion-MNIST (gzip-compressed or raw). A file is a
/// magic number <c>00 00 &lt;type&gt; &lt;ndims&gt;</c>, then <c>ndims</c> big-endian int32 sizes,
/// then the elements in row-major order, big-endian. Type codes: 0x08 ubyte, 0x09 sbyte,
/// 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64.
/// </summary>
public static class Idx
{
    private static ReadOnlySpan<byte> GzipMagic => [0x1F, 0x8B];

    /// <summary>The largest expansion deflate can achieve (258-byte matches coded in about 2 bits each), rounded up.</summary>
    private const long MaxDeflateRatio = 1032;

    /// <summary>
    /// Reads the IDX file at <paramref name="path"/> (gzip detected by its magic bytes 1f 8b) into a
    /// tensor with the file's shape. The header is validated before any data is read or allocated:
    /// a known type code, at least one dimension, non-negative sizes whose product does not overflow
    /// and whose byte count equals the data in the file exactly. By default integer data becomes
    /// int64 when the file is 1-D (labels) and float32 otherwise (images, unscaled); float32 and
    /// float64 data keep their type. Pass <paramref name="dtype"/> to choose (integer data may
    /// become any dtype; float data only float32 or float64). Errors are
    /// <see cref="InvalidDataException"/>s naming the file and what is wrong.
    /// </summary>
    /// <param name="path">The IDX file, plain or gzip-compressed.</param>
    /// <param name="dtype">The element type wanted, or null for the default above.</param>
    /// <returns>A new tensor of the file's shape, of the dtype chosen as above.</returns>
    public static Tensor Read(string path, DType? dtype = null) => Read(path, dtype, out _);

    /// <summary>As <see cref="Read(string, DType?)"/>, also returning the file's IDX type code.</summary>
    internal static Tensor Read(string path, DType? dtype, out byte typeCode)
    {
        byte[] data = ReadPayload(path, out typeCode, out int[] shape);
        return Decode(data, typeCode, shape, ResolveDType(typeCode, shape.Length, dtype, path));
    }

    /// <summary>
    /// Reads an unsigned-byte IDX file (type 0x08, as MNIST-style images and labels) without
    /// converting it: the bytes in row-major order and the shape.
    /// </summary>
    internal static byte[] ReadUnsignedBytes(string path, out int[] shape)
    {
        byte[] data = ReadPayload(path, out byte typeCode, out shape);
        if (typeCode != 0x08)
        {
            throw new InvalidDataException($"{path}: expected unsigned bytes (IDX type 0x08), got type 0x{typeCode:X2}");
        }

        return data;
    }

    private static byte[] ReadPayload(string path, out byte typeCode, out int[] shape)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        Span<byte> sniff = stackalloc byte[2];
        int sniffed = file.ReadAtLeast(sniff, 2, throwOnEndOfStream: false);
        file.Position = 0;
        bool gzip = sniffed == 2 && sniff.SequenceEqual(GzipMagic);
        using Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
        try
        {
            // Deflate expands data at most about 1032-fold, so a gzip file can hold at most that many
            // times its own size: up to that bound the claimed size may be allocated at once (one buffer
            // instead of a doubling series, which at least doubles the peak memory of a large load).
            long upfront = gzip ? file.Length * MaxDeflateRatio : 0;
            return ReadPayload(stream, gzip ? null : file.Length, path, out typeCode, out shape, upfront);
        }
        catch (InvalidDataException ex) when (gzip && !ex.Message.StartsWith(path, StringComparison.Ordinal))
        {
            // GZipStream reports corrupt or cut-off compressed data without saying which file.
            throw new InvalidDataException($"{path}: corrupt gzip data: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Reads IDX data from <paramref name="stream"/>; <paramref name="length"/> is the stream's total
    /// length in bytes when known (raw files), or null (compressed data, counted while reading).
    /// <paramref name="source"/> names the data in error messages.
    /// </summary>
    internal static Tensor Read(Stream stream, long? length, string source, DType? dtype, out byte typeCode)
    {
        byte[] data = ReadPayload(stream, length, source, out typeCode, out int[] shape);
        return Decode(data, typeCode, shape, ResolveDType(typeCode, shape.Length, dtype, source));
    }

    /// <summary>
    /// Reads the header and the raw big-endian payload, validating sizes; <paramref name="typeCode"/>
    /// and <paramref name="shape"/> describe the payload.
    /// </summary>
    private static byte[] ReadPayload(Stream stream, long? length, string source, out byte typeCode, out int[] shape, long upfront = 0)
    {
        Span<byte> magic = stackalloc byte[4];
        int got = stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        if (got < 4)
        {
            throw new InvalidDataException($"{source}: truncated: file has {got} bytes, an IDX header needs at least 4");
        }

        if (magic[0] != 0 || magic[1] != 0)
        {
            throw new InvalidDataException(
                $"{source}: not an IDX file: magic number is {Convert.ToHexString(magic)}, expected 0000 followed by a type code and the number of dimensions");
        }

        typeCode = magic[2];
        int elementSize = typeCode switch
        {
            0x08 or 0x09 => 1,
            0x0B => 2,
            0x0C or 0x0D => 4,
            0x0E => 8,
            _ => throw new InvalidDataException(
                $"{source}: unknown IDX type code 0x{typeCode:X2} at byte offset 2 (expected 0x08 ubyte, 0x09 sbyte, 0x0B int16, 0x0C int32, 0x0D float32 or 0x0E float64)"),
        };
        int ndims = magic[3];
        if (ndims == 0)
        {
            throw new InvalidDataException($"{source}: the header declares 0 dimensions at byte offset 3; expected at least 1");
        }

        int headerSize = 4 + (4 * ndims);
        Span<byte> dimBytes = stackalloc byte[4 * ndims];
        got = stream.ReadAtLeast(dimBytes, dimBytes.Length, throwOnEndOfStream: false);
        if (got < dimBytes.Length)
        {
            throw new InvalidDataException($"{source}: truncated header: {ndims} dimensions need {headerSize} header bytes, file has {4 + got}");
        }

        shape = new int[ndims];
        long count = 1;
        for (int i = 0; i < ndims; i++)
        {
            shape[i] = BinaryPrimitives.ReadInt32BigEndian(dimBytes[(4 * i)..]);
            if (shape[i] < 0)
            {
                throw new InvalidDataException($"{source}: dimension {i} is negative ({shape[i]}) at byte offset {4 + (4 * i)}");
            }

            count *= shape[i];
            if (count > Array.MaxLength)
            {
                throw new InvalidDataException(
                    $"{source}: dimensions {Shapes.Format(shape.AsSpan(0, i + 1))}{(i + 1 < ndims ? "..." : string.Empty)} hold more than {Array.MaxLength} elements, the most one tensor can hold");
            }
        }

        long expected = count * elementSize;
        if (length is long total && total - headerSize != expected)
        {
            throw new InvalidDataException(DataLengthMessage(source, shape, expected, total - headerSize, decompressed: false));
        }

        // The data is read into one byte array: past its limit the buffer arithmetic below would
        // overflow once a (compressed) stream really delivered over 1 GiB (found reviewing the fuzz results).
        if (expected > Array.MaxLength)
        {
            throw new InvalidDataException(
                $"{source}: header says {expected} bytes of data (shape {Shapes.Format(shape)}), more than the {Array.MaxLength} bytes one read buffer can hold");
        }

        // Raw data: the size was checked against the file's length above. Compressed data: the claimed
        // size is trusted for allocation only up to the caller's bound.
        return ReadExactly(stream, expected, source, shape, decompressed: length is null, length ?? upfront);
    }

    private static DType ResolveDType(byte typeCode, int ndims, DType? dtype, string source)
    {
        bool isFloat = typeCode is 0x0D or 0x0E;
        if (dtype is not DType requested)
        {
            return typeCode switch
            {
                0x0D => DType.Float32,
                0x0E => DType.Float64,
                _ => ndims == 1 ? DType.Int64 : DType.Float32,
            };
        }

        if (isFloat && requested == DType.Int64)
        {
            throw new ArgumentException($"{source}: holds {(typeCode == 0x0D ? "float32" : "float64")} data, which cannot be read as int64");
        }

        return requested;
    }

    private static string DataLengthMessage(string source, int[] shape, long expected, long actual, bool decompressed) =>
        $"{source}: {(actual < expected ? "truncated" : "trailing bytes")}: header says {expected} bytes of data (shape {Shapes.Format(shape)}), file has {actual}{(decompressed ? " after decompression" : string.Empty)}";

    /// <summary>
    /// Reads exactly <paramref name="expected"/> bytes. Up to <paramref name="upfront"/> bytes (a bound
    /// the caller has checked against the input's real size) are allocated at once; past it the buffer
    /// grows only as real bytes arrive, so a tiny input claiming a huge size fails before using memory.
    /// </summary>
    private static byte[] ReadExactly(Stream stream, long expected, string source, int[] shape, bool decompressed, long upfront)
    {
        const int Chunk = 1 << 16;
        var buffer = new byte[(int)Math.Min(expected, Math.Max(Chunk, upfront))];
        long filled = 0;
        while (true)
        {
            if (filled == buffer.Length)
            {
                if (filled == expected)
                {
                    break;
                }

                // Grow geometrically but never past the claimed size.
                Array.Resize(ref buffer, (int)Math.Min(expected, Math.Max(Chunk, (long)buffer.Length * 2)));
            }

            int read = stream.Read(buffer, (int)filled, buffer.Length - (int)filled);
            if (read == 0)
            {
                throw new InvalidDataException(DataLengthMessage(source, shape, expected, filled, decompressed));
            }

            filled += read;
        }

        Span<byte> probe = stackalloc byte[4096];
        long extra = 0;
        int more;
        while ((more = stream.Read(probe)) > 0)
        {
            extra += more;
        }

        if (extra > 0)
        {
            throw new InvalidDataException(DataLengthMessage(source, shape, expected, expected + extra, decompressed));
        }

        return buffer;
    }

    private static Tensor Decode(byte[] data, byte typeCode, int[] shape, DType dtype)
    {
        var tensor = Tensor.Empty(shape, dtype);
        int n = tensor.Numel;
        switch (typeCode)
        {
            case 0x08 when tensor._data is float[] pixels:
                // The common case (MNIST-style images): skip the per-element dtype dispatch.
                for (int i = 0; i < n; i++)
                {
                    pixels[i] = data[i];
                }

                break;
            case 0x08:
                for (int i = 0; i < n; i++)
                {
                    tensor.SetDouble(i, data[i]);
                }

                break;
            case 0x09:
                for (int i = 0; i < n; i++)
                {
                    tensor.SetDouble(i, (sbyte)data[i]);
                }

                break;
            case 0x0B:
                for (int i = 0; i < n; i++)
                {
                    tensor.SetDouble(i, BinaryPrimitives.ReadInt16BigEndian(data.AsSpan(2 * i)));
                }

                break;
            case 0x0C:
                for (int i = 0; i < n; i++)
                {
                    tensor.SetDouble(i, BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4 * i)));
                }

                break;
            case 0x0D:
                for (int i = 0; i < n; i++)
                {
                    tensor.SetDouble(i, BinaryPrimitives.ReadSingleBigEndian(data.AsSpan(4 * i)));
                }

                break;
            default:
                for (int i = 0; i < n; i++)
                {
                    tensor.SetDouble(i, BinaryPrimitives.ReadDoubleBigEndian(data.AsSpan(8 * i)));
                }

                break;
        }

        return tensor;
    }
}
