using System.Buffers.Binary;
using System.Text;

namespace Backprop.TensorBoard;

/// <summary>
/// Encodes TensorFlow's <c>Event</c> protocol buffer by hand (no protobuf library), only the fields a
/// scalar log needs: Event { double wall_time = 1; int64 step = 2; string file_version = 3;
/// Summary summary = 5 }, Summary { repeated Value value = 1 }, Value { string tag = 1;
/// float simple_value = 2 } (tensorflow/core/util/event.proto and core/framework/summary.proto).
/// </summary>
internal static class EventEncoder
{
    /// <summary>The version every event file starts with, as TensorBoard's own writers put it.</summary>
    public const string FileVersion = "brain.Event:2";

    /// <summary>The first event of a file: its time and <see cref="FileVersion"/>.</summary>
    /// <param name="wallTime">Seconds since the Unix epoch.</param>
    /// <returns>The encoded Event.</returns>
    public static byte[] FileVersionEvent(double wallTime)
    {
        var buffer = new List<byte>(32);
        WriteDouble(buffer, 1, wallTime);
        WriteBytes(buffer, 3, Encoding.UTF8.GetBytes(FileVersion));
        return [.. buffer];
    }

    /// <summary>An event holding one scalar.</summary>
    /// <param name="wallTime">Seconds since the Unix epoch.</param>
    /// <param name="step">The step (the x axis in TensorBoard).</param>
    /// <param name="tag">The series' name, e.g. <c>loss/train</c>.</param>
    /// <param name="value">The value, stored as a float as TensorBoard's simple_value is.</param>
    /// <returns>The encoded Event.</returns>
    public static byte[] ScalarEvent(double wallTime, long step, string tag, float value)
    {
        var summaryValue = new List<byte>(tag.Length + 8);
        WriteBytes(summaryValue, 1, Encoding.UTF8.GetBytes(tag));
        summaryValue.Add(Tag(2, 5));
        Span<byte> bits = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bits, value);
        summaryValue.AddRange(bits);

        var summary = new List<byte>(summaryValue.Count + 4);
        WriteBytes(summary, 1, [.. summaryValue]);

        var ev = new List<byte>(summary.Count + 24);
        WriteDouble(ev, 1, wallTime);
        ev.Add(Tag(2, 0));
        WriteVarint(ev, unchecked((ulong)step));
        WriteBytes(ev, 5, [.. summary]);
        return [.. ev];
    }

    // Field numbers here are all below 16, so a key is one byte: field << 3 | wire type.
    private static byte Tag(int field, int wireType) => (byte)((field << 3) | wireType);

    private static void WriteDouble(List<byte> buffer, int field, double value)
    {
        buffer.Add(Tag(field, 1));
        Span<byte> bits = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(bits, value);
        buffer.AddRange(bits);
    }

    private static void WriteBytes(List<byte> buffer, int field, byte[] bytes)
    {
        buffer.Add(Tag(field, 2));
        WriteVarint(buffer, (ulong)bytes.Length);
        buffer.AddRange(bytes);
    }

    private static void WriteVarint(List<byte> buffer, ulong value)
    {
        while (value >= 0x80)
        {
            buffer.Add((byte)(value | 0x80));
            value >>= 7;
        }

        buffer.Add((byte)value);
    }
}
