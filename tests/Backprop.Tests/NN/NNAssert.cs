namespace Backprop.Tests.NN;

/// <summary>Element-wise comparisons with a tolerance, naming the first element that differs.</summary>
internal static class NNAssert
{
    public static void Close(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }
}
