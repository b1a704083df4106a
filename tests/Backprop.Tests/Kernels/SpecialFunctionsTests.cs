using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

public class SpecialFunctionsTests
{
    // References from mpmath at 30 digits.
    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(1e-10, 1.1283791670955126e-10)]
    [InlineData(0.1, 0.11246291601828489)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(1.5, 0.96610514647531073)]
    [InlineData(1.9999, 0.99532019790702939)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(2.5, 0.99959304798255504)]
    [InlineData(3.0, 0.99997790950300141)]
    [InlineData(4.0, 0.9999999845827421)]
    [InlineData(5.5, 0.99999999999999264)]
    [InlineData(6.0, 1.0)]
    [InlineData(40.0, 1.0)]
    public void ErfMatchesReferenceWithin1e15(double x, double expected)
    {
        Assert.Equal(expected, SpecialFunctions.Erf(x), 1e-15);
        Assert.Equal(-expected, SpecialFunctions.Erf(-x), 1e-15);
    }

    [Theory]
    [InlineData(-3.0, 1.9999779095030014)]
    [InlineData(-1.0, 1.8427007929497149)]
    [InlineData(0.5, 0.47950012218695346)]
    [InlineData(1.0, 0.15729920705028513)]
    [InlineData(2.0, 0.0046777349810472658)]
    [InlineData(3.0, 2.2090496998585441e-5)]
    [InlineData(5.0, 1.5374597944280349e-12)]
    [InlineData(10.0, 2.0884875837625448e-45)]
    [InlineData(20.0, 5.3958656116079009e-176)]
    [InlineData(26.0, 5.6631924088561428e-296)]
    public void ErfcHasSmallRelativeErrorInTheTail(double x, double expected)
    {
        double actual = SpecialFunctions.Erfc(x);
        Assert.True(Math.Abs(actual - expected) <= 1e-14 * expected, $"erfc({x}) = {actual:R}, expected {expected:R}");
    }

    [Fact]
    public void ErfHandlesInfinitiesAndNaN()
    {
        Assert.Equal(1.0, SpecialFunctions.Erf(double.PositiveInfinity));
        Assert.Equal(-1.0, SpecialFunctions.Erf(double.NegativeInfinity));
        Assert.Equal(0.0, SpecialFunctions.Erfc(double.PositiveInfinity));
        Assert.Equal(2.0, SpecialFunctions.Erfc(double.NegativeInfinity));
        Assert.True(double.IsNaN(SpecialFunctions.Erf(double.NaN)));
        Assert.True(double.IsNaN(SpecialFunctions.Erfc(double.NaN)));
    }

    [Fact]
    public void ErfIsMonotoneAndContinuousAcrossTheSeriesBoundary()
    {
        double previous = -1;
        for (double x = -7; x <= 7; x += 1e-3)
        {
            double v = SpecialFunctions.Erf(x);
            Assert.True(v >= previous, $"erf not monotone at {x}");
            previous = v;
        }

        double below = SpecialFunctions.Erf(Math.BitDecrement(2.0)), at = SpecialFunctions.Erf(2.0);
        Assert.True(Math.Abs(at - below) < 1e-15);
    }

    [Fact]
    public void ErfDerivativeMatchesFiniteDifferences()
    {
        for (double x = -3; x <= 3; x += 0.25)
        {
            double h = 1e-5;
            double numeric = (SpecialFunctions.Erf(x + h) - SpecialFunctions.Erf(x - h)) / (2 * h);
            Assert.Equal(2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x), numeric, 1e-9);
        }
    }

    [Fact]
    public void NormalCdfAndPdfMatchKnownValues()
    {
        Assert.Equal(0.5, SpecialFunctions.NormalCdf(0), 1e-16);
        Assert.Equal(0.8413447460685429, SpecialFunctions.NormalCdf(1), 1e-15);
        Assert.Equal(0.15865525393145705, SpecialFunctions.NormalCdf(-1), 1e-15);
        Assert.Equal(1 / Math.Sqrt(2 * Math.PI), SpecialFunctions.NormalPdf(0), 1e-16);
        // Φ(−10) ≈ 7.6e-24 must not round to 0 as ½(1 + erf(−10/√2)) would.
        Assert.Equal(7.6198530241605261e-24, SpecialFunctions.NormalCdf(-10), 1e-36);
    }

    [Fact]
    public void Log1PIsAccurateForSmallArguments()
    {
        Assert.Equal(9.9999999995e-11, SpecialFunctions.Log1P(1e-10), 1e-25);
        Assert.Equal(-0.69314718055994531, SpecialFunctions.Log1P(-0.5), 1e-16);
        Assert.Equal(1e-300, SpecialFunctions.Log1P(1e-300));
        Assert.Equal(double.NegativeInfinity, SpecialFunctions.Log1P(-1));
        Assert.Equal(Math.Log(1e300), SpecialFunctions.Log1P(1e300), 1e-12);
    }
}
