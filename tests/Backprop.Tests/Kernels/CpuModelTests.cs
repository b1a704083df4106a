using System.Runtime.Intrinsics;
using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

/// <summary>
/// The processor's vendor and family as CpuModel decodes them from CPUID, against what Linux reports
/// for the same processor in /proc/cpuinfo, and the full-width AVX-512 rule that follows from them
/// (the weight-gradient kernel choice it feeds is tested in DirectConvTests).
/// </summary>
public class CpuModelTests
{
    [Fact]
    public void VendorAndFamilyAreWhatTheKernelReports()
    {
        var (vendor, family) = FromProcCpuinfo();
        if (vendor is null)
        {
            // Not Linux on x86: nothing to compare against; CPUID itself must then be absent or say something.
            Assert.True(CpuModel.Vendor.Length is 0 or 12);
            return;
        }

        Assert.Equal(vendor, CpuModel.Vendor);
        Assert.Equal(family, CpuModel.Family);
    }

    [Fact]
    public void FullWidthAvx512IsAmdFamily26OrLaterWithAvx512On()
    {
        bool expected = Vector512.IsHardwareAccelerated && CpuModel.Vendor == "AuthenticAMD" && CpuModel.Family >= 26;
        Assert.Equal(expected, CpuModel.FullWidthFma512);
    }

    [Fact]
    public void L2IsWhatLinuxReportsForTheSameCache()
    {
        // Linux describes each cache of cpu0 in sysfs from the same CPUID leaves; compare where it does.
        const string root = "/sys/devices/system/cpu/cpu0/cache";
        if (!Directory.Exists(root) || CpuModel.Vendor.Length == 0)
        {
            return;
        }

        foreach (var dir in Directory.GetDirectories(root, "index*"))
        {
            string Read(string name) => File.ReadAllText(Path.Combine(dir, name)).Trim();
            if (Read("level") != "2" || Read("type") is not ("Data" or "Unified"))
            {
                continue;
            }

            int ways = int.Parse(Read("ways_of_associativity"), System.Globalization.CultureInfo.InvariantCulture);
            int sets = int.Parse(Read("number_of_sets"), System.Globalization.CultureInfo.InvariantCulture);
            int line = int.Parse(Read("coherency_line_size"), System.Globalization.CultureInfo.InvariantCulture);
            if (CpuModel.L2.Ways != 0)
            {
                Assert.Equal((ways, sets * line), CpuModel.L2);
            }

            return;
        }
    }

    [Theory]
    [InlineData(144, 8192, 65536, 18)]
    [InlineData(144, 4096, 65536, 9)]
    [InlineData(144, 16384, 65536, 36)]
    [InlineData(144, 65536, 65536, 144)]
    [InlineData(144, 3136, 65536, 1)]
    [InlineData(144, 12288, 65536, 9)]
    [InlineData(5, 65536 * 3, 65536, 5)]
    [InlineData(144, 8192, 0, 0)]
    public void RowsPerSetCountsRowsStartingOnOneSet(int rows, long stride, int wayBytes, int expected) =>
        Assert.Equal(expected, CpuModel.RowsPerSet(rows, stride, wayBytes));

    private static (string? Vendor, int Family) FromProcCpuinfo()
    {
        const string path = "/proc/cpuinfo";
        if (!File.Exists(path))
        {
            return (null, 0);
        }

        string? vendor = null;
        int family = -1;
        foreach (var line in File.ReadLines(path))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                continue;
            }

            string key = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
            if (key == "vendor_id" && vendor is null)
            {
                vendor = value;
            }
            else if (key == "cpu family" && family < 0)
            {
                family = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
            }

            if (vendor is not null && family >= 0)
            {
                break;
            }
        }

        return vendor is null || family < 0 ? (null, 0) : (vendor, family);
    }
}
