namespace Backprop.Tests.Ops;

public class PoolingTests
{
    private static Tensor Random(int[] shape, long seed, DType dtype = DType.Float64) =>
        (Tensor.Rand(shape, seed, dtype) * 4 - 2).Detach();

    [Theory]
    [InlineData(2, 3, 6, 8, 2, 2, 2, 2, 0, 0, 1, 1, false)]
    [InlineData(1, 2, 7, 9, 2, 2, 2, 2, 0, 0, 1, 1, false)]
    [InlineData(2, 2, 7, 9, 3, 3, 2, 2, 1, 1, 1, 1, false)]
    [InlineData(1, 3, 9, 8, 3, 2, 2, 3, 1, 1, 2, 1, false)]
    [InlineData(2, 1, 7, 6, 2, 3, 2, 2, 1, 0, 1, 2, true)]
    [InlineData(1, 2, 5, 5, 5, 5, 1, 1, 2, 2, 1, 1, false)]
    [InlineData(2, 2, 5, 22, 2, 2, 2, 2, 0, 0, 1, 1, false)]
    [InlineData(1, 3, 9, 30, 2, 2, 2, 2, 0, 0, 1, 1, false)]
    [InlineData(2, 2, 6, 3, 2, 2, 2, 2, 0, 0, 1, 1, false)]
    [InlineData(1, 2, 8, 9, 2, 2, 2, 2, 0, 0, 2, 2, false)]
    [InlineData(1, 2, 7, 9, 2, 2, 2, 2, 0, 0, 1, 1, true)]
    public void MaxPoolMatchesDirectLoops(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw, bool ceil)
    {
        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var x = Random([n, c, h, w], 1, dtype).RequiresGrad_();
            var y = Tensor.MaxPool2d(x, (kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil);
            var (expected, shape, argMax) = Reference.Pool(x.ToArray(), [n, c, h, w], (kh, kw), (sh, sw), (ph, pw), (dh, dw), ceil, Reference.Kind.Max, true);
            Assert.Equal(shape, y.Shape);
            Assert.Equal(expected, y.ToArray());

            // Random values have no ties: each output's gradient lands on the reference argmax of its window.
            var gy = Random(shape, 2, dtype);
            y.Backward(gy);
            var gradient = new double[x.Numel];
            var upstream = gy.ToArray();
            int outPlane = shape[2] * shape[3];
            for (int o = 0; o < upstream.Length; o++)
            {
                gradient[((o / outPlane) * h * w) + argMax[o]] += upstream[o];
            }

            AssertClose(gradient, x.Grad!.ToArray(), dtype == DType.Float32 ? 1e-6 : 0);
        }
    }

    [Theory]
    [InlineData(6)]
    [InlineData(8)]
    [InlineData(14)]
    [InlineData(16)]
    [InlineData(18)]
    [InlineData(28)]
    [InlineData(30)]
    [InlineData(34)]
    public void MaxPoolTiesGoToTheFirstMaxInRowMajorOrderAndNaNToTheLast(int width)
    {
        // Values from {0, 1, 2} tie in most windows; a few NaN. PyTorch scans a window row by row and
        // takes a value when it is larger or NaN, so ties go to the first and NaN to the last NaN.
        var random = new Random(width);
        var data = new double[2 * 3 * 4 * width];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = random.Next(40) == 0 ? double.NaN : random.Next(3);
        }

        foreach (var dtype in new[] { DType.Float64, DType.Float32 })
        {
            var x = (dtype == DType.Float32 ? Tensor.FromArray(Array.ConvertAll(data, v => (float)v), [2, 3, 4, width]) : Tensor.FromArray(data, [2, 3, 4, width])).RequiresGrad_();
            var y = Tensor.MaxPool2d(x, 2);
            var (expected, shape, argMax) = Reference.Pool(data, [2, 3, 4, width], (2, 2), (2, 2), (0, 0), (1, 1), false, Reference.Kind.Max, true);
            Assert.Equal(expected, y.ToArray());

            var gy = Tensor.Arange(1, (shape[0] * shape[1] * shape[2] * shape[3]) + 1, 1, dtype).Reshape(shape);
            y.Backward(gy);
            var gradient = new double[data.Length];
            int outPlane = shape[2] * shape[3];
            for (int o = 0; o < outPlane * shape[0] * shape[1]; o++)
            {
                gradient[((o / outPlane) * 4 * width) + argMax[o]] += o + 1;
            }

            Assert.Equal(gradient, x.Grad!.ToArray());
        }
    }

    [Theory]
    [InlineData(2, 3, 6, 8, 2, 2, 2, 2, 0, 0, false, true)]
    [InlineData(1, 2, 7, 9, 3, 3, 2, 2, 1, 1, false, true)]
    [InlineData(1, 2, 7, 9, 3, 3, 2, 2, 1, 1, false, false)]
    [InlineData(2, 1, 6, 5, 3, 2, 2, 2, 1, 1, true, true)]
    [InlineData(2, 1, 6, 5, 3, 2, 2, 2, 1, 1, true, false)]
    [InlineData(1, 1, 5, 7, 2, 4, 3, 1, 1, 2, false, true)]
    public void AvgPoolMatchesDirectLoops(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, bool ceil, bool countIncludePad)
    {
        var x = Random([n, c, h, w], 2);
        var y = Tensor.AvgPool2d(x, (kh, kw), (sh, sw), (ph, pw), ceil, countIncludePad);
        var (expected, shape, _) = Reference.Pool(x.ToArray(), [n, c, h, w], (kh, kw), (sh, sw), (ph, pw), (1, 1), ceil, Reference.Kind.Avg, countIncludePad);
        Assert.Equal(shape, y.Shape);
        AssertClose(expected, y.ToArray(), 1e-14);
    }

    [Fact]
    public void AvgPoolCountsPaddingOnlyWhenAsked()
    {
        // A 3x3 window centred on the corner of a 2x2 image of ones, padding 1: four real taps out of nine.
        var x = Tensor.Ones([1, 1, 2, 2], DType.Float64);
        Assert.Equal(4.0 / 9, Tensor.AvgPool2d(x, 3, stride: 2, padding: 1).Item(), 15);
        Assert.Equal(1.0, Tensor.AvgPool2d(x, 3, stride: 2, padding: 1, countIncludePad: false).Item(), 15);
    }

    [Theory]
    [InlineData(7, 5, 3, 2)]
    [InlineData(4, 6, 4, 6)]
    [InlineData(5, 5, 1, 1)]
    [InlineData(3, 4, 5, 7)]
    public void AdaptiveAvgPoolMatchesDirectLoops(int h, int w, int oh, int ow)
    {
        var x = Random([2, 3, h, w], 3);
        var y = Tensor.AdaptiveAvgPool2d(x, (oh, ow));
        Assert.Equal([2, 3, oh, ow], y.Shape);
        var data = x.ToArray();
        var expected = new double[2 * 3 * oh * ow];
        for (int p = 0; p < 6; p++)
        {
            for (int i = 0; i < oh; i++)
            {
                for (int j = 0; j < ow; j++)
                {
                    int h0 = (int)Math.Floor((double)i * h / oh), h1 = (int)Math.Ceiling((double)(i + 1) * h / oh);
                    int w0 = (int)Math.Floor((double)j * w / ow), w1 = (int)Math.Ceiling((double)(j + 1) * w / ow);
                    double sum = 0;
                    for (int a = h0; a < h1; a++)
                    {
                        for (int b = w0; b < w1; b++)
                        {
                            sum += data[(p * h * w) + (a * w) + b];
                        }
                    }

                    expected[(p * oh * ow) + (i * ow) + j] = sum / ((h1 - h0) * (w1 - w0));
                }
            }
        }

        AssertClose(expected, y.ToArray(), 1e-14);
    }

    [Fact]
    public void GlobalAdaptivePoolIsTheMeanOverHeightAndWidth()
    {
        var x = Random([2, 3, 5, 4], 4);
        AssertClose(x.Mean([2, 3]).ToArray(), Tensor.AdaptiveAvgPool2d(x, 1).ToArray(), 1e-14);
    }

    [Fact]
    public void MaxPoolGradientGoesToEachWindowsMax()
    {
        // Overlapping 2x2 windows, stride 1: the 9 wins four windows and the 8 three; their gradients add up.
        var x = Tensor.FromArray(new double[] { 1, 2, 3, 4, 4, 9, 0, 1, 0, 2, 8, 1, 5, 1, 1, 2 }, 1, 1, 4, 4).RequiresGrad_();
        var y = Tensor.MaxPool2d(x, 2, stride: 1);
        Assert.Equal([9, 9, 4, 9, 9, 8, 5, 8, 8], y.ToArray());
        y.Backward(Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, 1, 1, 3, 3));
        var expected = new double[16];
        expected[5] = 1 + 2 + 4 + 5;
        expected[3] = 3;
        expected[10] = 6 + 8 + 9;
        expected[12] = 7;
        Assert.Equal(expected, x.Grad!.ToArray());
    }

    [Theory]
    [InlineData(2, 0, 5)]
    [InlineData(2, 0, 0)]
    [InlineData(3, 1, 0)]
    public void MaxPoolPropagatesNaN(int kernel, int padding, int nanAt)
    {
        var data = Enumerable.Range(0, 16).Select(i => (double)i).ToArray();
        data[nanAt] = double.NaN;
        var y = Tensor.MaxPool2d(Tensor.FromArray(data, 1, 1, 4, 4), kernel, stride: 2, padding: padding).ToArray();
        Assert.True(double.IsNaN(y[0]));
        Assert.False(double.IsNaN(y[^1]));
    }

    [Fact]
    public void UnbatchedInputGivesUnbatchedOutput()
    {
        var x = Random([3, 6, 5], 5);
        Assert.Equal([3, 3, 2], Tensor.MaxPool2d(x, 2).Shape);
        Assert.Equal([3, 3, 2], Tensor.AvgPool2d(x, 2).Shape);
        Assert.Equal([3, 2, 2], Tensor.AdaptiveAvgPool2d(x, 2).Shape);
        Assert.Equal(Tensor.MaxPool2d(x.Unsqueeze(0), 2).ToArray(), Tensor.MaxPool2d(x, 2).ToArray());
    }

    [Fact]
    public void KernelLargerThanThePaddedInputIsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.MaxPool2d(Tensor.Zeros(1, 1, 3, 8), 5, padding: 0));
        Assert.Contains("kernel (5x5", ex.Message);
        Assert.Contains("padded input (3x8", ex.Message);
        Assert.Contains("output would be 0x", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Tensor.AvgPool2d(Tensor.Zeros(2, 1, 4, 0), 2));
        Assert.Contains("(2x1x4x0)", ex.Message);
    }

    [Fact]
    public void BadPoolingArgumentsAreRejectedWithTheirValues()
    {
        var x = Tensor.Zeros(1, 1, 6, 6);
        Assert.Contains("padding (2, 2) must be at most half of the kernel size (3, 3)", Assert.Throws<ArgumentException>(() => Tensor.MaxPool2d(x, 3, padding: 2)).Message);
        Assert.Contains("kernel size must be at least 1, got (0, 2)", Assert.Throws<ArgumentException>(() => Tensor.AvgPool2d(x, (0, 2))).Message);
        Assert.Contains("stride must be at least 1", Assert.Throws<ArgumentException>(() => Tensor.MaxPool2d(x, 2, stride: 0)).Message);
        Assert.Contains("(6x6)", Assert.Throws<ArgumentException>(() => Tensor.MaxPool2d(Tensor.Zeros(6, 6), 2)).Message);
        Assert.Contains("output size must be positive, got (0, 3)", Assert.Throws<ArgumentException>(() => Tensor.AdaptiveAvgPool2d(x, (0, 3))).Message);
        Assert.Contains("(1x1x0x6)", Assert.Throws<ArgumentException>(() => Tensor.AdaptiveAvgPool2d(Tensor.Zeros(1, 1, 0, 6), 2)).Message);
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    /// <summary>Pooling from the definition: every window enumerated tap by tap, PyTorch's output-size and divisor rules.</summary>
    private static class Reference
    {
        public enum Kind
        {
            Max,
            Avg,
        }

        public static (double[] Y, int[] Shape, int[] ArgMax) Pool(double[] x, int[] xs, (int H, int W) k, (int H, int W) s, (int H, int W) p, (int H, int W) d, bool ceil, Kind kind, bool countIncludePad)
        {
            int oh = OutSize(xs[2], k.H, s.H, p.H, d.H, ceil), ow = OutSize(xs[3], k.W, s.W, p.W, d.W, ceil);
            int planes = xs[0] * xs[1], h = xs[2], w = xs[3];
            var y = new double[planes * oh * ow];
            var arg = new int[y.Length];
            for (int pl = 0; pl < planes; pl++)
            {
                for (int i = 0; i < oh; i++)
                {
                    for (int j = 0; j < ow; j++)
                    {
                        double max = double.NegativeInfinity, sum = 0;
                        int count = 0;
                        for (int u = 0; u < k.H; u++)
                        {
                            for (int v = 0; v < k.W; v++)
                            {
                                int ih = (i * s.H) - p.H + (u * d.H), iw = (j * s.W) - p.W + (v * d.W);
                                if (ih >= 0 && ih < h && iw >= 0 && iw < w)
                                {
                                    double value = x[(pl * h * w) + (ih * w) + iw];
                                    sum += value;
                                    count++;
                                    if (value > max || double.IsNaN(value))
                                    {
                                        max = value;
                                        arg[(pl * oh * ow) + (i * ow) + j] = (ih * w) + iw;
                                    }
                                }
                            }
                        }

                        // PyTorch's divisor with padding: the window clipped to the padded input (not to the input).
                        int h0 = (i * s.H) - p.H, w0 = (j * s.W) - p.W;
                        int padded = (Math.Min(h0 + k.H, h + p.H) - h0) * (Math.Min(w0 + k.W, w + p.W) - w0);
                        y[(pl * oh * ow) + (i * ow) + j] = kind == Kind.Max ? max : sum / (countIncludePad ? padded : count);
                    }
                }
            }

            return (y, [xs[0], xs[1], oh, ow], arg);
        }

        private static int OutSize(int size, int k, int s, int p, int d, bool ceil)
        {
            double exact = (double)(size + (2 * p) - (d * (k - 1)) - 1) / s;
            int o = (int)(ceil ? Math.Ceiling(exact) : Math.Floor(exact)) + 1;
            return ceil && (o - 1) * s >= size + p ? o - 1 : o;
        }
    }
}

public class MaxPoolIndicesTests
{
    [Fact]
    public void IndicesAreFlatPositionsInThePlaneAsPyTorchNumbersThem()
    {
        // One plane 4x4; 2x2 windows. torch.nn.functional.max_pool2d(x, 2, return_indices=True)
        // gives values [[6, 8], [14, 16]] at indices [[5, 7], [13, 15]] for x = arange(1, 17).view(1, 1, 4, 4).
        var x = (Tensor.Arange(16, DType.Float64) + 1).View(1, 1, 4, 4);
        var (values, indices) = Backprop.NN.F.MaxPool2dWithIndices(x, 2);
        Assert.Equal(DType.Int64, indices.DType);
        Assert.Equal([1, 1, 2, 2], indices.Shape);
        Assert.Equal([6.0, 8, 14, 16], values.ToArray<double>());
        Assert.Equal([5L, 7, 13, 15], indices.ToArray<long>());

        // Ties: the first in the window wins; with padding and stride 1 the positions stay in the input plane.
        var ties = Tensor.Ones([1, 2, 3], DType.Float64);
        var (_, tieIndices) = Backprop.NN.F.MaxPool2dWithIndices(ties, 2, stride: 1);
        Assert.Equal([1, 2], tieIndices.Shape[1..]);
        Assert.Equal([0L, 1], tieIndices.ToArray<long>());
        var (padded, paddedIndices) = Backprop.NN.F.MaxPool2dWithIndices(x.View(1, 4, 4), 3, stride: 2, padding: 1);
        Assert.Equal([1, 2, 2], padded.Shape);
        Assert.Equal([5L, 7, 13, 15], paddedIndices.ToArray<long>());
    }

    [Fact]
    public void ValuesBackPropagateAsMaxPool2dAndMatchIt()
    {
        var x = Tensor.Randn([2, 3, 5, 6], seed: 4, dtype: DType.Float64).RequiresGrad_();
        var module = new Backprop.NN.MaxPool2d(2, stride: 2, ceilMode: true);
        var (values, indices) = module.ForwardWithIndices(x);
        Assert.Equal(module.Forward(x).ToArray<double>(), values.ToArray<double>());
        Assert.False(indices.RequiresGrad);
        values.Sum().Backward();

        // Each index's input position received exactly one unit of gradient.
        var grad = x.Grad!.ToArray<double>();
        var flat = indices.ToArray<long>();
        int outPlane = values.Shape[2] * values.Shape[3];
        for (int i = 0; i < flat.Length; i++)
        {
            int plane = i / outPlane;
            Assert.Equal(1.0, grad[(plane * 30) + (int)flat[i]]);
        }

        Assert.Equal(flat.Length, grad.Sum());
    }
}
