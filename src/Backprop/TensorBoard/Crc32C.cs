namespace Backprop.TensorBoard;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of TFRecord files, and the
/// "mask" TFRecord applies to every stored CRC: rotate right by 15 bits, add 0xA282EAD8.
/// </summary>
internal static class Crc32C
{
    private static readonly uint[] Table = CreateTable();

    /// <summary>The CRC-32C of <paramref name="data"/>; "123456789" gives 0xE3069283.</summary>
    /// <param name="data">The bytes.</param>
    /// <returns>The checksum.</returns>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data)
        {
            crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }

    /// <summary>TFRecord's masked form of <paramref name="crc"/>, the value stored in the file.</summary>
    /// <param name="crc">A CRC-32C.</param>
    /// <returns>((crc >> 15) | (crc &lt;&lt; 17)) + 0xA282EAD8, modulo 2³².</returns>
    public static uint Mask(uint crc) => unchecked(((crc >> 15) | (crc << 17)) + 0xA282EAD8u);

    private static uint[] CreateTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
            }

            table[i] = c;
        }

        return table;
    }
}
