using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

/// <summary>
/// Max pooling's backward kernel: the 2×2, stride-2 planes it writes window by window (no clearing
/// pass) against the clear-then-add scatter, bit for bit, with ties, NaN, ±∞ and −0 in the upstream
/// gradient, rows that are and are not a multiple of four outputs, and 1 and 2 threads; planes that
/// the windows do not tile keep the scatter.
/// </summary>
public class PoolingKernelTests
{
    [Theory]
    [InlineData(28, 28)]
    [InlineData(14, 14)]
    [InlineData(8, 10)]
    [InlineData(6, 8)]
    [InlineData(2, 30)]
    [InlineData(4, 14)]
    [InlineData(7, 9)]
    [InlineData(6, 4)]
    public void TheBackwardOfTwoByTwoWindowsIsTheScatterBitForBit(int height, int width)
    {
        const int planes = 5;
        int outH = height / 2, outW = width / 2;
        var g = new Window2d(1, height, width, 2, 2, 2, 2, 0, 0, 1, 1, outH, outW);
        var rng = new Random((height * 100) + width);
        // Few distinct values: many ties, so indices go to the first of equal maxima.
        var x = new float[planes * height * width];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = rng.Next(4) switch { 0 => -1f, 1 => 0f, 2 => 2f, _ => (float)rng.NextDouble() };
        }

        var y = new float[planes * outH * outW];
        var indices = new int[y.Length];
        Pooling.MaxForward(x, g, planes, y, indices);

        float[] specials = [-0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, 1e-38f, -3.5f];
        var dy = new float[y.Length];
        for (int i = 0; i < dy.Length; i++)
        {
            dy[i] = i % 3 == 0 ? specials[i / 3 % specials.Length] : (float)((rng.NextDouble() * 2) - 1);
        }

        var expected = new float[x.Length];
        for (int o = 0; o < dy.Length; o++)
        {
            int plane = o / (outH * outW);
            expected[(plane * height * width) + indices[o]] += dy[o];
        }

        foreach (int threads in (int[])[1, 2])
        {
            var dx = Enumerable.Repeat(7f, x.Length).ToArray();
            ThreadCount.With(threads, () =>
            {
                Pooling.MaxBackward(dy, indices, g, planes, dx);
                return 0;
            });
            for (int i = 0; i < x.Length; i++)
            {
                Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(dx[i]), $"{height}×{width}, threads {threads}: dx[{i}] = {dx[i]}, the scatter gives {expected[i]}");
            }
        }
    }
}
