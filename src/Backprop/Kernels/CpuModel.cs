using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace Backprop.Kernels;

/// <summary>
/// What the instruction-set flags do not say about the processor: its vendor and family (CPUID leaves
/// 0 and 1) and the shape of its L2 cache (CPUID's cache descriptions), for the few choices where two
/// machines with the same instruction sets want different kernels.
/// </summary>
internal static class CpuModel
{
    /// <summary>The CPUID vendor string ("AuthenticAMD", "GenuineIntel", …); empty off x86.</summary>
    public static readonly string Vendor = ReadVendor();

    /// <summary>The display family (base family, plus the extended family when the base is 15); 0 off x86.</summary>
    public static readonly int Family = ReadFamily();

    /// <summary>
    /// Whether a 512-bit FMA runs in one pass at the rate of a 256-bit one, so AVX-512 code does twice
    /// the arithmetic per cycle: AMD Zen 5 (family 26) and later, with AVX-512 enabled. Zen 4 (family
    /// 25) splits each 512-bit FMA into two 256-bit halves, so there the two widths reach the same peak
    /// (block 11 of docs/performance-history.md: one core's SGEMM 217–257 GFLOP/s against 97–101).
    /// </summary>
    public static readonly bool FullWidthFma512 = Vector512.IsHardwareAccelerated && Vendor == "AuthenticAMD" && Family >= 26;

    /// <summary>
    /// The L2 data cache's associativity and the bytes one way spans (sets × line size: addresses that
    /// far apart fall on the same set), from CPUID leaf 0x8000001D (AMD) or 4 (Intel); (0, 0) where
    /// CPUID does not describe it.
    /// </summary>
    public static readonly (int Ways, int WayBytes) L2 = ReadL2();

    /// <summary>
    /// How many of <paramref name="rows"/> rows <paramref name="strideBytes"/> apart start on the same
    /// L2 set: a stride that is a multiple of a large power of two sends the rows to a few sets, and
    /// more rows on a set than <see cref="L2"/>'s ways evict each other however little they hold. 0
    /// where the cache is unknown.
    /// </summary>
    public static int RowsPerL2Set(int rows, long strideBytes) => RowsPerSet(rows, strideBytes, L2.WayBytes);

    /// <summary><see cref="RowsPerL2Set"/> for a cache whose one way spans <paramref name="wayBytes"/> (a power of two).</summary>
    internal static int RowsPerSet(int rows, long strideBytes, int wayBytes)
    {
        if (wayBytes <= 0 || rows <= 0)
        {
            return 0;
        }

        // Row r starts at offset r·stride mod wayBytes: the multiples of gcd(stride, wayBytes) below
        // wayBytes, wayBytes / gcd of them, taken in turn; with wayBytes a power of two the gcd is the
        // largest power of two dividing both (the caller asks once per block of a GEMM, so no loop).
        int shift = Math.Min(BitOperations.TrailingZeroCount(strideBytes), BitOperations.Log2((uint)wayBytes));
        long starts = (long)wayBytes >> shift;
        return (int)((rows + starts - 1) / starts);
    }

    private static (int Ways, int WayBytes) ReadL2()
    {
        if (!X86Base.IsSupported)
        {
            return (0, 0);
        }

        // AMD describes its caches in leaf 0x8000001D when it has topology extensions (leaf 0x80000001,
        // ECX bit 22); Intel in leaf 4. Both: EAX bits 0-4 the type (0 ends the list, 1 data, 3
        // unified), 5-7 the level; EBX bits 22-31 ways - 1, 0-11 line size - 1; ECX sets - 1.
        int leaf;
        if (Vendor == "AuthenticAMD")
        {
            bool extensions = (uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax >= 0x8000001D
                && (X86Base.CpuId(unchecked((int)0x80000001), 0).Ecx & (1 << 22)) != 0;
            leaf = extensions ? unchecked((int)0x8000001D) : 0;
        }
        else
        {
            leaf = X86Base.CpuId(0, 0).Eax >= 4 ? 4 : 0;
        }

        for (int index = 0; leaf != 0 && index < 16; index++)
        {
            var (eax, ebx, ecx, _) = X86Base.CpuId(leaf, index);
            int type = eax & 0x1F;
            if (type == 0)
            {
                break;
            }

            if (((eax >> 5) & 7) == 2 && type is 1 or 3)
            {
                int ways = ((ebx >> 22) & 0x3FF) + 1, line = (ebx & 0xFFF) + 1;
                long wayBytes = (long)line * ((uint)ecx + 1L);
                return wayBytes <= int.MaxValue && BitOperations.IsPow2(wayBytes) ? (ways, (int)wayBytes) : (0, 0);
            }
        }

        return (0, 0);
    }

    private static string ReadVendor()
    {
        if (!X86Base.IsSupported)
        {
            return "";
        }

        // Twelve ASCII characters in EBX, EDX, ECX, each register little-endian.
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        Span<byte> bytes = stackalloc byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, ebx);
        BinaryPrimitives.WriteInt32LittleEndian(bytes[4..], edx);
        BinaryPrimitives.WriteInt32LittleEndian(bytes[8..], ecx);
        return Encoding.ASCII.GetString(bytes);
    }

    private static int ReadFamily()
    {
        if (!X86Base.IsSupported)
        {
            return 0;
        }

        int eax = X86Base.CpuId(1, 0).Eax;
        int family = (eax >> 8) & 0xF;
        return family == 0xF ? family + ((eax >> 20) & 0xFF) : family;
    }
}
