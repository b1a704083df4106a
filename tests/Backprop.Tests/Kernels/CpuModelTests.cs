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
