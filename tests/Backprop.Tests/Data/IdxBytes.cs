using System.Buffers.Binary;
using System.IO.Compression;

namespace Backprop.Tests.Data;

/// <summary>Builds IDX files byte by byte, independently of the reader under test.</summary>
internal static class IdxBytes
{
    public static byte[] Header(byte typeCode, params int[] dims)
    {
        var header = new byte[4 + (4 * dims.Length)];
        header[2] = typeCode;
        header[3] = (byte)dims.Length;
        for (int i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + (4 * i)), dims[i]);
        }

        return header;
    }

    public static byte[] UByte(byte[] data, params int[] dims) => [.. Header(0x08, dims), .. data];

    public static byte[] Float(float[] data, params int[] dims)
    {
        var body = new byte[4 * data.Length];
        for (int i = 0; i < data.Length; i++)
        {
            BinaryPrimitives.WriteSingleBigEndian(body.AsSpan(4 * i), data[i]);
        }

        return [.. Header(0x0D, dims), .. body];
    }

    public static byte[] Gzip(byte[] raw)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest))
        {
            gzip.Write(raw);
        }

        return buffer.ToArray();
    }
}
