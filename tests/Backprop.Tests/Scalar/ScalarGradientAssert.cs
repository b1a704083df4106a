namespace Backprop.Tests.Scalar;

/// <summary>The finite-difference check shared by the tests of both scalar engines (Value and Tape).</summary>
internal static class ScalarGradientAssert
{
    private const double H = 1e-6;

    /// <summary>(f(x + h) − f(x − h)) / 2h with h = 1e-6.</summary>
    public static double CentralDifference(Func<double, double> f, double x) =>
        (f(x + H) - f(x - H)) / (2 * H);

    // Central difference has truncation error O(h²) and rounding error about 1e-16·|f| / h ≈ 1e-10·|f|,
    // so 1e-6 relative is loose enough yet catches any wrong rule.
    public static void AssertGradClose(double expected, double actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-6 * (1 + Math.Abs(expected)),
            $"expected gradient {expected:R}, got {actual:R}");
}
