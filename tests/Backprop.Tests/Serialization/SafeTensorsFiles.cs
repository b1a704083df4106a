using System.Buffers.Binary;
using System.Text;

namespace Backprop.Tests.Serialization;

/// <summary>Builds safetensors files byte by byte, as another tool (or an attacker) would.</summary>
internal static class SafeTensorsFiles
{
    public static byte[] Build(string headerJson, byte[] data, bool pad = false) =>
        Build(Encoding.UTF8.GetBytes(headerJson), data, pad);

    public static byte[] Build(byte[] header, byte[] data, bool pad = false)
    {
        if (pad)
        {
            int padded = (header.Length + 7) / 8 * 8;
            header = [.. header, .. Enumerable.Repeat((byte)' ', padded - header.Length)];
        }

        return [.. Length(header.Length), .. header, .. data];
    }

    public static byte[] Length(long n)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)n);
        return bytes;
    }

    public static byte[] Floats(params float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();
}
