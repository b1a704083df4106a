using System.Buffers.Binary;

namespace Backprop.TensorBoard;

/// <summary>
/// The TFRecord framing of TensorBoard's event files: each record is its length (uint64, little
/// endian), the masked CRC-32C of those 8 bytes (uint32), the data, and the masked CRC-32C of the data.
/// </summary>
internal static class TfRecord
{
    /// <summary>Writes one record holding <paramref name="data"/> to <paramref name="stream"/>.</summary>
    /// <param name="stream">Where the record goes.</param>
    /// <param name="data">The record's payload (an encoded Event).</param>
    public static void Write(Stream stream, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Mask(Crc32C.Compute(header[..8])));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, Crc32C.Mask(Crc32C.Compute(data)));
        stream.Write(header);
        stream.Write(data);
        stream.Write(footer);
    }
}
