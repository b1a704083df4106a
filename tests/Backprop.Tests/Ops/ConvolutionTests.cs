using Backprop.Tests.Kernels;

namespace Backprop.Tests.Ops;

public class ConvolutionTests
{
    /// <summary>One conv2d configuration: input (N, C, H, W), weight (O, C/groups, kH, kW) and the window options.</summary>
    public sealed record Case(int[] Input, int[] Weight, bool Bias, (int, int) Stride, (int, int) Padding, (int, int) Dilation, int Groups)
    {
        public override string ToString() =>
            $"x{string.Join("x", Input)} w{string.Join("x", Weight)} bias={Bias} s{Stride} p{Padding} d{Dilation} g{Groups}";
    }

    public static TheoryData<Case> Cases() =>
    [
        new Case([2, 3, 7, 5], [4, 3, 3, 2], true, (1, 1), (0, 0), (1, 1), 1),
        new Case([3, 4, 9, 8], [6, 2, 3, 3], true, (2, 2), (1, 1), (1, 1), 2),
        new Case([1, 2, 11, 10], [3, 2, 2, 3], false, (3, 2), (2, 1), (2, 3), 1),
        new Case([2, 3, 6, 7], [3, 1, 3, 3], true, (1, 1), (2, 2), (2, 2), 3),
        new Case([5, 3, 4, 3], [2, 3, 1, 1], true, (1, 1), (0, 0), (1, 1), 1),
        new Case([2, 3, 5, 6], [2, 3, 1, 1], false, (2, 3), (1, 0), (1, 1), 1),
        new Case([19, 2, 5, 5], [3, 2, 3, 3], true, (1, 1), (1, 1), (1, 1), 1),
        new Case([2, 1, 3, 4], [2, 1, 5, 6], true, (1, 1), (1, 1), (1, 1), 1),
        new Case([3, 1, 28, 28], [4, 1, 5, 5], true, (1, 1), (2, 2), (1, 1), 1),

        // The layers of the Fashion-MNIST recipe's second stage, and larger grouped and dilated ones.
        new Case([2, 16, 14, 14], [32, 16, 5, 5], true, (1, 1), (2, 2), (1, 1), 1),
        new Case([10, 8, 30, 29], [6, 4, 7, 7], true, (2, 2), (3, 2), (1, 1), 2),
        new Case([1, 12, 21, 23], [4, 12, 5, 5], false, (1, 1), (4, 4), (2, 2), 1),

        // Stride-1 shapes of the direct kernels (Kernels/DirectConv.cs): 7 channels (a last panel of one),
        // 27 taps, two sample blocks; rows of 26, 16 and 45 outputs (two and three tiles); 20 output
        // channels (two 16-wide panels of the weight gradient); padding beyond (k−1)·d, whose input
        // gradient takes im2col; a 1×1 kernel on 12-wide rows.
        new Case([9, 3, 12, 14], [7, 3, 3, 3], true, (1, 1), (1, 1), (1, 1), 1),
        new Case([2, 5, 10, 28], [20, 5, 5, 3], true, (1, 1), (2, 0), (1, 1), 1),
        new Case([3, 4, 16, 16], [6, 4, 3, 3], false, (1, 1), (2, 2), (2, 2), 1),
        new Case([2, 2, 12, 12], [3, 2, 3, 3], true, (1, 1), (3, 3), (1, 1), 1),
        new Case([1, 2, 6, 45], [4, 2, 3, 3], true, (1, 1), (1, 1), (1, 1), 1),
        new Case([2, 3, 12, 12], [12, 3, 1, 1], true, (1, 1), (0, 0), (1, 1), 1),
    ];

    private static Tensor Random(int[] shape, long seed, DType dtype = DType.Float64) =>
        (Tensor.Rand(shape, seed, dtype) * 4 - 2).Detach();

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardMatchesDirectLoopsInFloat64(Case c)
    {
        var (x, w, b) = (Random(c.Input, 1), Random(c.Weight, 2), c.Bias ? Random([c.Weight[0]], 3) : null);

        var y = Tensor.Conv2d(x, w, b, c.Stride, c.Padding, c.Dilation, c.Groups);

        var (expected, shape) = Reference.Conv2d(x.ToArray(), c.Input, w.ToArray(), c.Weight, b?.ToArray(), c.Stride, c.Padding, c.Dilation, c.Groups);
        Assert.Equal(shape, y.Shape);
        AssertClose(expected, y.ToArray(), 1e-12);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float32ForwardMatchesTheFloat64Reference(Case c)
    {
        var (x, w, b) = (Random(c.Input, 4, DType.Float32), Random(c.Weight, 5, DType.Float32), c.Bias ? Random([c.Weight[0]], 6, DType.Float32) : null);

        var y = Tensor.Conv2d(x, w, b, c.Stride, c.Padding, c.Dilation, c.Groups);

        var (expected, _) = Reference.Conv2d(x.ToArray(), c.Input, w.ToArray(), c.Weight, b?.ToArray(), c.Stride, c.Padding, c.Dilation, c.Groups);
        Assert.Equal(DType.Float32, y.DType);
        AssertClose(expected, y.ToArray(), 1e-4);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BackwardMatchesDirectLoops(Case c) => AssertBackwardMatchesReference(c, DType.Float64, 7, 1e-11);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float32BackwardMatchesTheFloat64Reference(Case c) => AssertBackwardMatchesReference(c, DType.Float32, 14, 1e-4);

    /// <summary>Conv2d's backward in <paramref name="dtype"/> (inputs seeded from <paramref name="seed"/>) against the float64 direct loops.</summary>
    private static void AssertBackwardMatchesReference(Case c, DType dtype, int seed, double tolerance)
    {
        var x = Random(c.Input, seed, dtype).RequiresGrad_();
        var w = Random(c.Weight, seed + 1, dtype).RequiresGrad_();
        var b = c.Bias ? Random([c.Weight[0]], seed + 2, dtype).RequiresGrad_() : null;
        var y = Tensor.Conv2d(x, w, b, c.Stride, c.Padding, c.Dilation, c.Groups);
        var gy = Random(y.Shape, seed + 3, dtype);

        y.Backward(gy);

        var (gx, gw, gb) = Reference.Conv2dBackward(gy.ToArray(), y.Shape, x.ToArray(), c.Input, w.ToArray(), c.Weight, c.Stride, c.Padding, c.Dilation, c.Groups);
        AssertClose(gx, x.Grad!.ToArray(), tolerance);
        AssertClose(gw, w.Grad!.ToArray(), tolerance);
        if (b is not null)
        {
            AssertClose(gb, b.Grad!.ToArray(), tolerance);
        }
    }

    [Theory]
    [InlineData(new[] { 19, 3, 9, 8 })]
    [InlineData(new[] { 19, 3, 14, 14 })]
    [InlineData(new[] { 19, 3, 20, 28 })]
    public void ResultsAreBitIdenticalForOneAndTwoThreads(int[] input)
    {
        // 19 samples: three blocks of the weight-gradient sum, split differently by one and two threads
        // (8-wide rows take im2col, 14-wide rows the direct kernels, 28-wide rows of 5 channels on AVX-512
        // the weight gradient along the pixels).
        var x = Random(input, 11, DType.Float32);
        var w = Random([5, 3, 3, 3], 12, DType.Float32);
        var b = Random([5], 13, DType.Float32);
        var runs = new[] { 1, 2 }.Select(threads => ThreadCount.With(threads, () =>
        {
            var (xi, wi, bi) = (x.Detach().RequiresGrad_(), w.Detach().RequiresGrad_(), b.Detach().RequiresGrad_());
            var y = Tensor.Conv2d(xi, wi, bi, padding: 1);
            y.Backward(Tensor.OnesLike(y) * 0.5);
            return new[] { y, xi.Grad!, wi.Grad!, bi.Grad! }.Select(t => t.ToArray<float>()).ToArray();
        })).ToArray();
        for (int i = 0; i < runs[0].Length; i++)
        {
            Assert.Equal(runs[0][i], runs[1][i]);
        }
    }

    [Fact]
    public void GradientsAreComputedOnlyForInputsThatRequireThem()
    {
        var x = Random([2, 1, 6, 6], 14);
        var w = Random([3, 1, 3, 3], 15).RequiresGrad_();
        Tensor.Conv2d(x, w).Sum().Backward();
        Assert.Null(x.Grad);
        Assert.NotNull(w.Grad);
    }

    [Fact]
    public void UnbatchedInputGivesUnbatchedOutput()
    {
        var x = Random([2, 5, 4], 16);
        var w = Random([3, 2, 3, 3], 17);
        var y = Tensor.Conv2d(x, w, padding: 1);
        Assert.Equal([3, 5, 4], y.Shape);
        AssertClose(Tensor.Conv2d(x.Unsqueeze(0), w, padding: 1).ToArray(), y.ToArray(), 0);
    }

    [Fact]
    public void Conv1dMatchesDirectLoops()
    {
        var x = Random([3, 4, 11], 18);
        var w = Random([6, 2, 3], 19);
        var b = Random([6], 20);

        var y = Tensor.Conv1d(x, w, b, stride: 2, padding: 2, dilation: 2, groups: 2);

        // A length-L signal is a 1 x L image: the 2-D reference with a height-1 kernel.
        var (expected, shape) = Reference.Conv2d(x.ToArray(), [3, 4, 1, 11], w.ToArray(), [6, 2, 1, 3], b.ToArray(), (1, 2), (0, 2), (1, 2), 2);
        Assert.Equal([3, 6, shape[3]], y.Shape);
        AssertClose(expected, y.ToArray(), 1e-12);
    }

    [Fact]
    public void IdentityKernelCopiesTheInput()
    {
        // A 3x3 kernel with a single 1 in the middle and padding 1 reproduces the image exactly.
        var x = Random([2, 1, 5, 4], 21);
        var w = Tensor.Zeros([1, 1, 3, 3], DType.Float64);
        w.SetDouble(4, 1);
        Assert.Equal(x.ToArray(), Tensor.Conv2d(x, w, padding: 1).ToArray());
    }

    [Theory]
    [InlineData(new[] { 1, 1, 4, 4 }, new[] { 1, 1, 7, 7 }, 1, 1, "7x7, dilated 7x7", "6x6")]
    [InlineData(new[] { 2, 1, 3, 3 }, new[] { 1, 1, 2, 2 }, 0, 3, "2x2, dilated 4x4", "3x3")]
    public void KernelLargerThanThePaddedInputIsRejected(int[] input, int[] weight, int padding, int dilation, string kernel, string padded)
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Tensor.Conv2d(Tensor.Zeros(input), Tensor.Zeros(weight), padding: padding, dilation: dilation));
        Assert.Contains($"kernel ({kernel})", ex.Message);
        Assert.Contains($"padded input ({padded}", ex.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void EmptyInputImagesAreRejected(int padding)
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Conv2d(Tensor.Zeros(2, 1, 0, 5), Tensor.Zeros(3, 1, 1, 1), padding: padding));
        Assert.Contains("input (2x1x0x5) is empty", ex.Message);
    }

    [Fact]
    public void ChannelMismatchNamesBothSizes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Conv2d(Tensor.Zeros(2, 3, 8, 8), Tensor.Zeros(4, 1, 3, 3)));
        Assert.Contains("(2x3x8x8) has 3 channels", ex.Message);
        Assert.Contains("(4x1x3x3)", ex.Message);
        Assert.Contains("expects 1", ex.Message);
    }

    [Theory]
    [InlineData(4, 6, 3, "in_channels (4")]
    [InlineData(6, 4, 3, "out_channels (4")]
    public void GroupsThatDoNotDivideTheChannelsAreRejected(int inChannels, int outChannels, int groups, string named)
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Tensor.Conv2d(Tensor.Zeros(1, inChannels, 5, 5), Tensor.Zeros(outChannels, 2, 3, 3), groups: groups));
        Assert.Contains($"groups={groups}", ex.Message);
        Assert.Contains(named, ex.Message);
    }

    [Fact]
    public void OtherBadArgumentsAreRejectedWithTheirValues()
    {
        var x = Tensor.Zeros(1, 2, 5, 5);
        var w = Tensor.Zeros(3, 2, 3, 3);
        Assert.Contains("(3)", Assert.Throws<ArgumentException>(() => Tensor.Conv2d(x, w, Tensor.Zeros(4))).Message);
        Assert.Contains("stride must be at least 1, got (0, 1)", Assert.Throws<ArgumentException>(() => Tensor.Conv2d(x, w, stride: (0, 1))).Message);
        Assert.Contains("padding must be non-negative, got (-1, -1)", Assert.Throws<ArgumentException>(() => Tensor.Conv2d(x, w, padding: -1)).Message);
        Assert.Contains("dilation must be at least 1", Assert.Throws<ArgumentException>(() => Tensor.Conv2d(x, w, dilation: 0)).Message);
        Assert.Contains("groups must be at least 1, got 0", Assert.Throws<ArgumentException>(() => Tensor.Conv2d(x, w, groups: 0)).Message);
        Assert.Contains("(2x5x5x1x1)", Assert.Throws<ArgumentException>(() => Tensor.Conv2d(Tensor.Zeros(2, 5, 5, 1, 1), w)).Message);
        Assert.Contains("(3x2x3)", Assert.Throws<ArgumentException>(() => Tensor.Conv2d(x, Tensor.Zeros(3, 2, 3))).Message);
        Assert.Contains("dtype mismatch", Assert.Throws<ArgumentException>(() => Tensor.Conv2d(x, Tensor.Zeros([3, 2, 3, 3], DType.Float64))).Message);
        Assert.Contains("(3x2x3x3)", Assert.Throws<ArgumentException>(() => Tensor.Conv1d(Tensor.Zeros(1, 2, 5), w)).Message);
    }

    [Fact]
    public void EmptyBatchGivesEmptyOutputAndZeroWeightGradient()
    {
        var w = Random([3, 2, 3, 3], 22).RequiresGrad_();
        var y = Tensor.Conv2d(Tensor.Zeros([0, 2, 5, 5], DType.Float64), w);
        Assert.Equal([0, 3, 3, 3], y.Shape);
        y.Sum().Backward();
        Assert.All(w.Grad!.ToArray(), v => Assert.Equal(0, v));
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    /// <summary>Convolution straight from its definition, one output element at a time, in double.</summary>
    private static class Reference
    {
        public static (double[] Y, int[] Shape) Conv2d(double[] x, int[] xs, double[] w, int[] ws, double[]? b, (int H, int W) s, (int H, int W) p, (int H, int W) d, int groups)
        {
            var (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3]);
            var (o, cg, kh, kw) = (ws[0], ws[1], ws[2], ws[3]);
            int oh = ((h + (2 * p.H) - (d.H * (kh - 1)) - 1) / s.H) + 1;
            int ow = ((wd + (2 * p.W) - (d.W * (kw - 1)) - 1) / s.W) + 1;
            int og = o / groups;
            var y = new double[n * o * oh * ow];
            for (int ni = 0; ni < n; ni++)
            {
                for (int oi = 0; oi < o; oi++)
                {
                    int group = oi / og;
                    for (int i = 0; i < oh; i++)
                    {
                        for (int j = 0; j < ow; j++)
                        {
                            double sum = b?[oi] ?? 0;
                            for (int ci = 0; ci < cg; ci++)
                            {
                                for (int u = 0; u < kh; u++)
                                {
                                    for (int v = 0; v < kw; v++)
                                    {
                                        int ih = (i * s.H) - p.H + (u * d.H), iw = (j * s.W) - p.W + (v * d.W);
                                        if (ih >= 0 && ih < h && iw >= 0 && iw < wd)
                                        {
                                            sum += w[(((oi * cg) + ci) * kh + u) * kw + v] * x[(((ni * c) + (group * cg) + ci) * h + ih) * wd + iw];
                                        }
                                    }
                                }
                            }

                            y[(((ni * o) + oi) * oh + i) * ow + j] = sum;
                        }
                    }
                }
            }

            return (y, [n, o, oh, ow]);
        }

        /// <summary>dL/dx, dL/dW, dL/db for upstream gradient gy, by scattering every product of the forward sum.</summary>
        public static (double[] Gx, double[] Gw, double[] Gb) Conv2dBackward(double[] gy, int[] ys, double[] x, int[] xs, double[] w, int[] ws, (int H, int W) s, (int H, int W) p, (int H, int W) d, int groups)
        {
            var (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3]);
            var (o, cg, kh, kw) = (ws[0], ws[1], ws[2], ws[3]);
            var (oh, ow) = (ys[2], ys[3]);
            int og = o / groups;
            var (gx, gw, gb) = (new double[x.Length], new double[w.Length], new double[o]);
            for (int ni = 0; ni < n; ni++)
            {
                for (int oi = 0; oi < o; oi++)
                {
                    int group = oi / og;
                    for (int i = 0; i < oh; i++)
                    {
                        for (int j = 0; j < ow; j++)
                        {
                            double g = gy[(((ni * o) + oi) * oh + i) * ow + j];
                            gb[oi] += g;
                            for (int ci = 0; ci < cg; ci++)
                            {
                                for (int u = 0; u < kh; u++)
                                {
                                    for (int v = 0; v < kw; v++)
                                    {
                                        int ih = (i * s.H) - p.H + (u * d.H), iw = (j * s.W) - p.W + (v * d.W);
                                        if (ih >= 0 && ih < h && iw >= 0 && iw < wd)
                                        {
                                            int wi = (((oi * cg) + ci) * kh + u) * kw + v;
                                            int xi = (((ni * c) + (group * cg) + ci) * h + ih) * wd + iw;
                                            gw[wi] += g * x[xi];
                                            gx[xi] += g * w[wi];
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }

            return (gx, gw, gb);
        }
    }
}
