using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace Backprop.Kernels;

/// <summary>
/// What the instruction-set flags do not say about the processor: its vendor and family (CPUID leaves
/// 0 and 1), for the few choices where two machines with the same instruction sets want different
/// kernels.
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
