using System.Buffers.Binary;
using System.Text;

namespace Backprop.Tests.TensorBoard;

/// <summary>
/// A reader for TensorBoard event files written for the tests alone, sharing no code with the
/// library's writer: it checks every record's two masked CRC-32Cs (computed bit by bit here) and
/// decodes the Event fields by their protobuf keys, skipping any field it does not know.
/// </summary>
internal static class EventFileReader
{
    internal sealed record Event(double WallTime, long Step, string? FileVersion, List<(string Tag, float Value)> Scalars);

    public static List<Event> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var events = new List<Event>();
        int at = 0;
        while (at < bytes.Length)
        {
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));
            uint lengthCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8));
            Assert.Equal(MaskedCrc(bytes.AsSpan(at, 8)), lengthCrc);
            var data = bytes.AsSpan(at + 12, (int)length);
            uint dataCrc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + (int)length));
            Assert.Equal(MaskedCrc(data), dataCrc);
            events.Add(ParseEvent(data));
            at += 12 + (int)length + 4;
        }

        return events;
    }

    /// <summary>CRC-32C one bit at a time (no table), masked as TFRecord stores it.</summary>
    public static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        uint crc = Crc(data);
        return unchecked(((crc >> 15) | (crc << 17)) + 0xA282EAD8u);
    }

    public static uint Crc(ReadOnlySpan<byte> data)
    {
        uint crc = uint.MaxValue;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
            }
        }

        return ~crc;
    }

    private static Event ParseEvent(ReadOnlySpan<byte> data)
    {
        double wallTime = 0;
        long step = 0;
        string? version = null;
        var scalars = new List<(string, float)>();
        foreach (var (field, wire, value, bytes) in Fields(data.ToArray()))
        {
            switch (field, wire)
            {
                case (1, 1): wallTime = BitConverter.Int64BitsToDouble((long)value); break;
                case (2, 0): step = (long)value; break;
                case (3, 2): version = Encoding.UTF8.GetString(bytes!); break;
                case (5, 2):
                    foreach (var (vf, vw, _, valueBytes) in Fields(bytes!))
                    {
                        Assert.Equal((1, 2), (vf, vw));
                        string tag = "";
                        float simple = float.NaN;
                        foreach (var (f, w, v, b) in Fields(valueBytes!))
                        {
                            if ((f, w) == (1, 2))
                            {
                                tag = Encoding.UTF8.GetString(b!);
                            }
                            else if ((f, w) == (2, 5))
                            {
                                simple = BitConverter.Int32BitsToSingle((int)v);
                            }
                        }

                        scalars.Add((tag, simple));
                    }

                    break;
            }
        }

        return new Event(wallTime, step, version, scalars);
    }

    private static List<(int Field, int Wire, ulong Value, byte[]? Bytes)> Fields(byte[] data)
    {
        var fields = new List<(int, int, ulong, byte[]?)>();
        int at = 0;
        while (at < data.Length)
        {
            ulong key = Varint(data, ref at);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: fields.Add((field, wire, Varint(data, ref at), null)); break;
                case 1: fields.Add((field, wire, BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(at)), null)); at += 8; break;
                case 5: fields.Add((field, wire, BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at)), null)); at += 4; break;
                case 2:
                    int n = (int)Varint(data, ref at);
                    fields.Add((field, wire, 0, data[at..(at + n)]));
                    at += n;
                    break;
                default: throw new InvalidDataException($"wire type {wire}");
            }
        }

        return fields;
    }

    private static ulong Varint(byte[] data, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
