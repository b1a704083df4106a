using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

/// <summary>
/// The direct convolution's kernels on their own: the AVX2 kernels (6-row tiles) and, where the CPU
/// runs them, the AVX-512 ones (8-row tiles, two-row or two-vector tiles, partial rows stored in 8-, 4-, 2- and 1-lane pieces) against a
/// float64 sum, and against each other bit for bit (each output is the same FMA chain in both).
/// </summary>
public unsafe partial class DirectConvTests
{
    /// <summary>A stride-1 correlation: image C×H×W padded by (padH, padW), kernel kH×kW dilated by d, and O output rows.</summary>
    public sealed record Shape(int C, int H, int W, int PadH, int PadW, int KH, int KW, int D, int O)
    {
        public int OutH => H + (2 * PadH) - ((KH - 1) * D);

        public int OutW => W + (2 * PadW) - ((KW - 1) * D);

        public int Seed => (C * 7919) + (H * 31) + W + (O * 101);

        internal DirectConv.Plan Plan() => new(C, H, W, PadH, PadW, KH, KW, D, D, OutH, OutW);
    }

    public static TheoryData<Shape> Shapes() =>
    [
        new Shape(1, 28, 28, 2, 2, 5, 5, 1, 16), // the Fashion-MNIST CNN's first layer: 28-wide rows, 32-lane tiles
        new Shape(16, 14, 14, 2, 2, 5, 5, 1, 32), // its second layer: two 14-wide rows per tile
        new Shape(16, 14, 14, 2, 2, 5, 5, 1, 13), // a last panel of 5 (AVX-512) or 1 (AVX2) channels
        new Shape(3, 13, 14, 1, 1, 3, 3, 1, 48), // 14-wide rows, an odd number of them, 48 channels
        new Shape(32, 14, 14, 2, 2, 5, 5, 1, 16), // 800 taps: the second layer's input gradient
        new Shape(3, 11, 13, 1, 1, 3, 3, 1, 7), // an odd number of output rows: the last one alone
        new Shape(16, 13, 12, 0, 0, 3, 3, 1, 20), // no padding, 10-wide rows, 20 channels (two 16-channel panels)
        new Shape(3, 7, 40, 2, 2, 5, 5, 1, 9), // 40-wide rows: 32 lanes, then one vector of 8
        new Shape(2, 5, 45, 1, 1, 3, 3, 1, 5), // 45-wide rows: 32 lanes, then 13
        new Shape(4, 9, 17, 2, 2, 3, 3, 2, 3), // dilation 2, 17-wide rows: 16 lanes and 1
        new Shape(1, 6, 16, 1, 1, 3, 3, 1, 17), // rows of exactly 16
        new Shape(5, 20, 30, 2, 0, 5, 3, 1, 8), // a 5×3 kernel padded only vertically
        new Shape(2, 5, 39, 1, 1, 3, 3, 1, 6), // 39-wide rows: 32 lanes, then 7 (stored as 4, 2 and 1)
        new Shape(2, 5, 38, 1, 1, 3, 3, 1, 9), // 38-wide rows: 32, then 6 (4 and 2)
        new Shape(1, 6, 47, 2, 2, 5, 5, 1, 8), // 47-wide rows: 32, then 15 (8, 4, 2 and 1)
    ];

    /// <summary>The kernel kinds this CPU runs: false = AVX2 (6-row tiles), true = AVX-512 (8-row tiles).</summary>
    private static bool[] Kinds() =>
        DirectConv.IsSupported ? DirectConv.WideSupported ? [false, true] : [false] : [];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void CorrelationMatchesTheFloat64SumAndBothKernelsAgree(Shape s)
    {
        var plan = s.Plan();
        var rng = new Random(s.Seed);
        float[] x = RandomArray(rng, s.C * s.H * s.W), w = RandomArray(rng, s.O * plan.Taps), bias = RandomArray(rng, s.O);
        float[] padded = PaddedImage(plan, x);
        var reference = new double[s.O * s.OutH * s.OutW];
        for (int o = 0; o < s.O; o++)
        {
            for (int oh = 0; oh < s.OutH; oh++)
            {
                for (int ow = 0; ow < s.OutW; ow++)
                {
                    double sum = bias[o];
                    for (int tap = 0; tap < plan.Taps; tap++)
                    {
                        sum += (double)w[(o * plan.Taps) + tap] * padded[plan.Offsets[tap] + (oh * plan.RowStride) + ow];
                    }

                    reference[(((o * s.OutH) + oh) * s.OutW) + ow] = sum;
                }
            }
        }

        var results = new List<float[]>();
        foreach (bool wide in Kinds())
        {
            float[] packed = DirectConv.PackRows(w, s.O, plan.Taps, wide);
            var panelBias = new float[DirectConv.PanelRows(s.O, wide)];
            bias.CopyTo(panelBias, 0);

            // One float past the output, set to a sentinel: no tile may store beyond its rows.
            var y = new float[reference.Length + 1];
            y[^1] = 12345f;
            var tile = new float[DirectConv.Rows * DirectConv.Lanes];
            fixed (float* pk = packed, pb = panelBias, pp = padded, py = y, pt = tile)
            {
                DirectConv.Correlate(plan, wide, pk, s.O, pb, pp, py, pt);
            }

            Assert.Equal(12345f, y[^1]);
            for (int i = 0; i < reference.Length; i++)
            {
                Assert.True(Math.Abs(y[i] - reference[i]) <= 1e-4 * (1 + Math.Abs(reference[i])), $"{(wide ? "AVX-512" : "AVX2")} y[{i}] = {y[i]}, float64 sum {reference[i]}");
            }

            results.Add(y);
        }

        AssertKernelsAgree(results);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void WeightGradientMatchesTheFloat64SumAndBothKernelsAgree(Shape s)
    {
        // Two samples: the second accumulates into the first's sums.
        var plan = s.Plan();
        var rng = new Random(s.Seed + 1);
        int pixels = s.OutH * s.OutW, outPanels = (s.O + DirectConv.Lanes - 1) / DirectConv.Lanes, ld = outPanels * DirectConv.Lanes;
        float[][] images = [PaddedImage(plan, RandomArray(rng, s.C * s.H * s.W)), PaddedImage(plan, RandomArray(rng, s.C * s.H * s.W))];
        float[][] dys = [RandomArray(rng, s.O * pixels), RandomArray(rng, s.O * pixels)];
        var reference = new double[plan.Taps * s.O];
        for (int n = 0; n < 2; n++)
        {
            for (int tap = 0; tap < plan.Taps; tap++)
            {
                for (int o = 0; o < s.O; o++)
                {
                    for (int oh = 0; oh < s.OutH; oh++)
                    {
                        for (int ow = 0; ow < s.OutW; ow++)
                        {
                            reference[(tap * s.O) + o] += (double)images[n][plan.Offsets[tap] + (oh * plan.RowStride) + ow] * dys[n][(o * pixels) + (oh * s.OutW) + ow];
                        }
                    }
                }
            }
        }

        var results = new List<float[]>();
        foreach (bool wide in Kinds())
        {
            var g = new float[DirectConv.PanelRows(plan.Taps, wide) * ld];
            var dyT = new float[ld * pixels];
            for (int n = 0; n < 2; n++)
            {
                fixed (float* pi = images[n], pdy = dys[n], pd = dyT, pg = g)
                {
                    DirectConv.TransposeOutputGradient(pdy, s.O, pixels, pd);
                    DirectConv.WeightGradient(plan, wide, pi, pd, outPanels, pg, accumulate: n > 0);
                }
            }

            var gw = new float[plan.Taps * s.O];
            for (int tap = 0; tap < plan.Taps; tap++)
            {
                for (int o = 0; o < s.O; o++)
                {
                    gw[(tap * s.O) + o] = g[(tap * ld) + o];
                    double expected = reference[(tap * s.O) + o];
                    Assert.True(Math.Abs(gw[(tap * s.O) + o] - expected) <= 1e-4 * (1 + Math.Abs(expected)), $"{(wide ? "AVX-512" : "AVX2")} g[{tap}, {o}] = {gw[(tap * s.O) + o]}, float64 sum {expected}");
                }
            }

            results.Add(gw);
        }

        AssertKernelsAgree(results);
    }

    [Theory]
    [InlineData(9, false)]
    [InlineData(25, false)]
    [InlineData(400, true)]
    [InlineData(288, true)]
    [InlineData(16, true)]
    public void WeightGradientTakesTheWideKernelAtFullWidthOrWhenItsPanelsWasteNoMoreRows(int taps, bool fewerRows)
    {
        // Where a 512-bit FMA takes one pass (Zen 5) always; elsewhere (Zen 4) when rows decide for it.
        Assert.Equal(fewerRows || CpuModel.FullWidthFma512, DirectConv.WideWeightGradient(taps, wide: true));
        Assert.False(DirectConv.WideWeightGradient(taps, wide: false));
    }

    /// <summary>Both kernels ran (where the CPU has both) and gave the same floats; with none, conv2d must not take them.</summary>
    private static void AssertKernelsAgree(List<float[]> results)
    {
        Assert.Equal(Kinds().Length, results.Count);
        if (results.Count == 0)
        {
            Assert.False(DirectConv.IsSupported);
        }

        for (int k = 1; k < results.Count; k++)
        {
            Assert.Equal(results[0], results[k]);
        }
    }

    private static float[] PaddedImage(DirectConv.Plan plan, float[] x)
    {
        var padded = new float[plan.ImageLength];
        fixed (float* px = x, pp = padded)
        {
            plan.Pad(px, pp);
        }

        return padded;
    }

    private static float[] RandomArray(Random rng, int length)
    {
        var a = new float[length];
        for (int i = 0; i < length; i++)
        {
            a[i] = (float)((rng.NextDouble() * 4) - 2);
        }

        return a;
    }
}
