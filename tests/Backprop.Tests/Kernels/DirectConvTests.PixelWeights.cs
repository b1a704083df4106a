using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

/// <summary>
/// The AVX-512 weight gradient along the pixels (<see cref="DirectConv.PixelWeights"/>, for one panel
/// of at most 16 output channels): against the float64 sum over two samples, with kernel rows of 3, 5
/// and 7 taps, channel counts that leave a partial tile, rows of exactly 16 pixels and rows with a
/// partial last vector; and exact where an overlapped lane holds an infinite pixel.
/// </summary>
public unsafe partial class DirectConvTests
{
    public static TheoryData<Shape> PixelShapes() =>
    [
        new Shape(1, 28, 28, 2, 2, 5, 5, 1, 16), // the Fashion-MNIST CNN's first layer
        new Shape(3, 7, 40, 2, 2, 5, 5, 1, 9), // 40-wide rows: 32, then 8 overlapping; 4 + 4 + 1 channels
        new Shape(2, 5, 45, 1, 1, 3, 3, 1, 5), // 3-tap kernel rows, 45-wide rows
        new Shape(5, 20, 30, 2, 0, 5, 3, 1, 8), // a 5×3 kernel, no horizontal padding: 28-wide rows
        new Shape(2, 9, 20, 3, 3, 7, 7, 1, 4), // 7-tap kernel rows: tiles of 5 and 2 taps
        new Shape(1, 6, 16, 1, 1, 3, 3, 1, 16), // rows of exactly 16: no partial vector
        new Shape(1, 6, 47, 2, 2, 5, 5, 1, 3), // 47-wide rows: 32, then 15 overlapping
    ];

    [Theory]
    [MemberData(nameof(PixelShapes))]
    public void PixelWeightGradientMatchesTheFloat64Sum(Shape s)
    {
        Assert.True(DirectConv.PixelWeightsFit(s.O, s.OutW, s.D));
        if (!DirectConv.WideSupported)
        {
            return;
        }

        var plan = s.Plan();
        var rng = new Random(s.Seed + 2);
        int pixels = s.OutH * s.OutW, ld = DirectConv.Lanes, rows = DirectConv.PanelRows(plan.Taps, wide: true);
        float[][] images = [PaddedImage(plan, RandomArray(rng, s.C * s.H * s.W)), PaddedImage(plan, RandomArray(rng, s.C * s.H * s.W))];
        float[][] dys = [RandomArray(rng, s.O * pixels), RandomArray(rng, s.O * pixels)];
        var g = PixelWeightGradient(plan, s.KW, s.O, images, dys, ld, rows);
        for (int tap = 0; tap < rows; tap++)
        {
            for (int o = 0; o < ld; o++)
            {
                double expected = 0;
                for (int n = 0; n < 2 && tap < plan.Taps && o < s.O; n++)
                {
                    for (int oh = 0; oh < s.OutH; oh++)
                    {
                        for (int ow = 0; ow < s.OutW; ow++)
                        {
                            expected += (double)images[n][plan.Offsets[tap] + (oh * plan.RowStride) + ow] * dys[n][(o * pixels) + (oh * s.OutW) + ow];
                        }
                    }
                }

                float actual = g[(tap * ld) + o];
                Assert.True(Math.Abs(actual - expected) <= 1e-4 * (1 + Math.Abs(expected)), $"g[{tap}, {o}] = {actual}, float64 sum {expected}");
            }
        }
    }

    [Theory]
    [InlineData(1, 16, 5, 28, true)] // the Fashion-MNIST CNN's first layer: 25 taps fill 25 of 32 tap rows
    [InlineData(1, 16, 3, 28, true)]
    [InlineData(2, 16, 5, 28, true)]
    [InlineData(3, 16, 5, 32, true)]
    [InlineData(3, 8, 5, 32, true)] // 8 channels leave half of the tap kernel's 16 lanes idle
    [InlineData(1, 4, 3, 28, true)]
    [InlineData(16, 8, 5, 20, true)]
    [InlineData(8, 8, 3, 24, true)]
    [InlineData(3, 16, 3, 32, false)] // 3-tap kernel rows use 3 of 5 tap slots; 27 taps fill 27 of 32 rows
    [InlineData(8, 16, 3, 24, false)]
    [InlineData(16, 16, 5, 20, false)] // both full: the tap kernel stays
    [InlineData(1, 17, 5, 28, false)] // two channel panels
    [InlineData(1, 16, 5, 14, false)] // rows under 16 pixels
    public void PixelWeightGradientIsTakenWhereItsTilesWasteLess(int channels, int outChannels, int kernel, int outW, bool expected)
    {
        // As measured on the Zen 5 (8-tap panels); see PixelWeightGradient's remarks.
        int taps = channels * kernel * kernel;
        Assert.Equal(expected, DirectConv.PixelWeightGradient(outChannels, outW, 1, kernel, taps, wideWeights: true, wide: true));
        Assert.False(DirectConv.PixelWeightGradient(outChannels, outW, 1, kernel, taps, wideWeights: true, wide: false));
        Assert.False(DirectConv.PixelWeightGradient(outChannels, outW, 2, kernel, taps, wideWeights: true, wide: true));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PixelWeightGradientOfAnInfiniteValueIsInfinite(bool inGradient)
    {
        // A 28-wide row's second vector overlaps the first by 4 pixels (12..15): an infinite pixel (or
        // gradient) there times a zeroed gradient (or pixel) lane alone would make NaN. With everything
        // else positive, every tap that reads the pixel (all 25 of a 5×5 kernel around an interior
        // pixel), or every tap of the gradient's channel, gets +∞.
        if (!DirectConv.WideSupported)
        {
            return;
        }

        var s = new Shape(1, 8, 28, 2, 2, 5, 5, 1, 2);
        var plan = s.Plan();
        var x = new float[s.H * s.W];
        var dy = new float[s.O * s.OutH * s.OutW];
        x.AsSpan().Fill(inGradient ? 0.25f : 0f);
        dy.AsSpan().Fill(0.5f);
        if (inGradient)
        {
            dy[(3 * s.OutW) + 14] = float.PositiveInfinity; // channel 0
        }
        else
        {
            x[(3 * s.W) + 14] = float.PositiveInfinity;
        }

        int rows = DirectConv.PanelRows(plan.Taps, wide: true);
        var g = PixelWeightGradient(plan, s.KW, s.O, [PaddedImage(plan, x)], [dy], DirectConv.Lanes, rows);
        for (int tap = 0; tap < plan.Taps; tap++)
        {
            for (int o = 0; o < s.O; o++)
            {
                float actual = g[(tap * DirectConv.Lanes) + o];
                if (inGradient && o > 0)
                {
                    Assert.True(float.IsFinite(actual), $"g[{tap}, {o}] = {actual}");
                }
                else
                {
                    Assert.Equal(float.PositiveInfinity, actual);
                }
            }
        }
    }

    /// <summary>The samples' lane sums, then the transposed partial the caller sums over blocks.</summary>
    private static float[] PixelWeightGradient(DirectConv.Plan plan, int kernelW, int outChannels, float[][] images, float[][] dys, int ld, int rows)
    {
        var lanes = new float[DirectConv.PixelWeightLanes(plan.Taps)];
        var g = new float[rows * ld];
        g.AsSpan().Fill(float.NaN); // every entry must be written
        fixed (float* pl = lanes, pg = g)
        {
            for (int n = 0; n < images.Length; n++)
            {
                fixed (float* pi = images[n], pdy = dys[n])
                {
                    DirectConv.PixelWeights(plan, kernelW, pi, pdy, outChannels, pl, first: n == 0);
                }
            }

            DirectConv.FinishPixelWeights(pl, plan.Taps, outChannels, pg, ld, rows);
        }

        return g;
    }
}
