using Backprop.Tests.NN;
using Backprop.Tests.Kernels;

namespace Backprop.Tests.Ops;

public class NormalizationTests
{
    /// <summary>Naive batch norm in double: per channel over every (n, spatial) position.</summary>
    private static double[] ReferenceBatchNorm(double[] x, int[] shape, double[] mean, double[] variance, double[] w, double[] b, double eps)
    {
        int n = shape[0], c = shape[1], inner = x.Length / (n * c);
        var y = new double[x.Length];
        for (int i = 0; i < n; i++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                for (int s = 0; s < inner; s++)
                {
                    int at = (((i * c) + ch) * inner) + s;
                    y[at] = ((x[at] - mean[ch]) / Math.Sqrt(variance[ch] + eps) * w[ch]) + b[ch];
                }
            }
        }

        return y;
    }

    private static (double[] Mean, double[] BiasedVariance) ChannelStats(double[] x, int[] shape)
    {
        int n = shape[0], c = shape[1], inner = x.Length / (n * c), m = n * inner;
        var mean = new double[c];
        var variance = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            var values = Enumerable.Range(0, n).SelectMany(i => Enumerable.Range(0, inner).Select(s => x[(((i * c) + ch) * inner) + s])).ToArray();
            mean[ch] = values.Average();
            variance[ch] = values.Sum(v => (v - mean[ch]) * (v - mean[ch])) / m;
        }

        return (mean, variance);
    }

    [Theory]
    [InlineData(new[] { 6, 3 })]
    [InlineData(new[] { 4, 3, 5, 2 })]
    [InlineData(new[] { 2, 4, 7 })]
    public void TrainingForwardMatchesTheBatchStatisticsReference(int[] shape)
    {
        var g = new Generator(3);
        var x = Tensor.Randn(shape, g, DType.Float64) * 2.0 + 1.5;
        var w = Tensor.Randn([shape[1]], g, DType.Float64);
        var b = Tensor.Randn([shape[1]], g, DType.Float64);

        var y = Tensor.BatchNorm(x, null, null, w, b, training: true);

        var (mean, variance) = ChannelStats(x.ToArray(), shape);
        NNAssert.Close(ReferenceBatchNorm(x.ToArray(), shape, mean, variance, w.ToArray(), b.ToArray(), 1e-5), y.ToArray(), 1e-12);
    }

    [Fact]
    public void LargeBatchNormIsSplitOverChannelsWithTheSameBitsAndValues()
    {
        // 8 × 7 × 48 × 48 float32: enough work per channel for the statistics, the forward and the
        // backward to run on two threads, in uneven ranges of channels.
        int[] shape = [8, 7, 48, 48];
        var g = new Generator(5);
        var x = Tensor.Randn(shape, g) * 2.0 + 1.5;
        var w = Tensor.Randn([7], g);
        var b = Tensor.Randn([7], g);
        var dy = Tensor.Randn(shape, g);
        var runs = new[] { 1, 2, 3 }.Select(threads => ThreadCount.With(threads, () =>
        {
            var (xi, wi, bi) = (x.Detach().RequiresGrad_(), w.Detach().RequiresGrad_(), b.Detach().RequiresGrad_());
            var (mean, variance) = (Tensor.Zeros(7), Tensor.Ones(7));
            var y = Tensor.BatchNorm(xi, mean, variance, wi, bi, training: true);
            y.Backward(dy);
            return new[] { y, xi.Grad!, wi.Grad!, bi.Grad!, mean, variance }.Select(t => t.ToArray<float>()).ToArray();
        })).ToArray();
        Assert.Equal(runs[0], runs[1]);
        Assert.Equal(runs[0], runs[2]);

        var x64 = x.ToArray();
        var (m64, v64) = ChannelStats(x64, shape);
        var expected = ReferenceBatchNorm(x64, shape, m64, v64, w.ToArray(), b.ToArray(), 1e-5);
        NNAssert.Close(expected, runs[0][0].Select(v => (double)v).ToArray(), 1e-4);
    }

    [Fact]
    public void TrainingUpdatesRunningStatisticsWithMomentumAndTheUnbiasedVariance()
    {
        // Channel 0 holds 1, 3, 5 (mean 3, biased variance 8/3, unbiased 4);
        // channel 1 holds 2, 6, 10 (mean 6, unbiased variance 16).
        var x = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 6 }, { 5, 10 } });
        var runningMean = Tensor.Zeros([2], DType.Float64);
        var runningVar = Tensor.Ones([2], DType.Float64);

        var y = Tensor.BatchNorm(x, runningMean, runningVar, training: true, momentum: 0.1);

        Assert.Equal([0.9 * 0 + (0.1 * 3), 0.9 * 0 + (0.1 * 6)], runningMean.ToArray());
        NNAssert.Close([(0.9 * 1) + (0.1 * 4), (0.9 * 1) + (0.1 * 16)], runningVar.ToArray(), 1e-15);

        // The output is normalized with the biased variance: (1 − 3)/√(8/3 + eps).
        Assert.Equal(-2 / Math.Sqrt((8.0 / 3) + 1e-5), y.ToArray()[0], 1e-12);

        // A second batch moves them again from where they are.
        Tensor.BatchNorm(x * 2.0, runningMean, runningVar, training: true, momentum: 0.5);
        NNAssert.Close([(0.5 * 0.3) + (0.5 * 6), (0.5 * 0.6) + (0.5 * 12)], runningMean.ToArray(), 1e-15);
        NNAssert.Close([(0.5 * 1.3) + (0.5 * 16), (0.5 * 2.5) + (0.5 * 64)], runningVar.ToArray(), 1e-12);
    }

    [Fact]
    public void EvaluationUsesTheRunningStatisticsAndLeavesThemAlone()
    {
        var x = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 6 } });
        var runningMean = Tensor.FromArray(new double[] { 0.5, -1 });
        var runningVar = Tensor.FromArray(new double[] { 4, 0.25 });
        var w = Tensor.FromArray(new double[] { 2, 3 });
        var b = Tensor.FromArray(new double[] { 0.1, -0.2 });

        var y = Tensor.BatchNorm(x, runningMean, runningVar, w, b, training: false, eps: 0);

        Assert.Equal([((1 - 0.5) / 2 * 2) + 0.1, ((2 + 1) / 0.5 * 3) - 0.2, ((3 - 0.5) / 2 * 2) + 0.1, ((6 + 1) / 0.5 * 3) - 0.2], y.ToArray());
        Assert.Equal([0.5, -1], runningMean.ToArray());
        Assert.Equal([4.0, 0.25], runningVar.ToArray());
    }

    [Fact]
    public void Float32MatchesFloat64()
    {
        var x64 = Tensor.Randn([8, 3, 4, 4], new Generator(5), DType.Float64);
        var x32 = Tensor.FromArray(x64.ToArray<float>(), 8, 3, 4, 4);
        var y64 = Tensor.BatchNorm(x64, null, null, training: true).ToArray();
        var y32 = Tensor.BatchNorm(x32, null, null, training: true).ToArray();
        NNAssert.Close(y64, y32, 1e-5);
        NNAssert.Close(Tensor.LayerNorm(x64, [4, 4]).ToArray(), Tensor.LayerNorm(x32, [4, 4]).ToArray(), 1e-5);
    }

    [Fact]
    public void BadArgumentsNameTheSizes()
    {
        var x = Tensor.Zeros(4, 3);
        Assert.Contains("(5)", Assert.Throws<ArgumentException>(() => Tensor.BatchNorm(x, Tensor.Zeros(5), Tensor.Ones(5), training: true)).Message);
        Assert.Contains("more than 1 value per channel", Assert.Throws<ArgumentException>(() => Tensor.BatchNorm(Tensor.Zeros(1, 3), null, null, training: true)).Message);
        Assert.Contains("running_mean and running_var", Assert.Throws<ArgumentException>(() => Tensor.BatchNorm(x, null, null, training: false)).Message);
        Assert.Contains("(4x3)", Assert.Throws<ArgumentException>(() => Tensor.LayerNorm(x, [5])).Message);
        Assert.Contains("(2)", Assert.Throws<ArgumentException>(() => Tensor.LayerNorm(x, [3], Tensor.Ones(2))).Message);
    }

    [Fact]
    public void LayerNormMatchesTheReferencePerRow()
    {
        var g = new Generator(8);
        var x = Tensor.Randn([3, 2, 5], g, DType.Float64) * 3.0;
        var w = Tensor.Randn([2, 5], g, DType.Float64);
        var b = Tensor.Randn([2, 5], g, DType.Float64);

        var y = Tensor.LayerNorm(x, [2, 5], w, b, eps: 1e-3).ToArray();

        var xs = x.ToArray();
        var expected = new double[xs.Length];
        for (int r = 0; r < 3; r++)
        {
            var row = xs.Skip(r * 10).Take(10).ToArray();
            double mean = row.Average(), variance = row.Sum(v => (v - mean) * (v - mean)) / 10;
            for (int j = 0; j < 10; j++)
            {
                expected[(r * 10) + j] = ((row[j] - mean) / Math.Sqrt(variance + 1e-3) * w.ToArray()[j]) + b.ToArray()[j];
            }
        }

        NNAssert.Close(expected, y, 1e-12);
    }

    [Fact]
    public void LayerNormGradCheckOnAWideRowUsesTheVectorPath()
    {
        var g = new Generator(2);
        var x = Tensor.Randn([2, 19], g, DType.Float64, requiresGrad: true);
        var w = Tensor.Randn([19], g, DType.Float64, requiresGrad: true);
        var b = Tensor.Randn([19], g, DType.Float64, requiresGrad: true);
        var result = GradCheck.Check(t => Tensor.LayerNorm(t[0], [19], t[1], t[2]), x, w, b);
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void DropoutIsAnOpWithTheSameMaskInBackward()
    {
        var x = Tensor.Ones([4, 8], DType.Float64, requiresGrad: true);
        var y = Tensor.Dropout(x, 0.5, train: true, new Generator(1));
        Assert.Equal("dropout", y.GradFn!.Name);
        y.Sum().Backward();
        Assert.Equal(y.ToArray(), x.Grad!.ToArray());
        Assert.Same(x, Tensor.Dropout(x, 0.5, train: false));
    }
}
