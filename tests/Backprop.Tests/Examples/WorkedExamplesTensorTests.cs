namespace Backprop.Tests.Examples;

/// <summary>The worked examples of docs/design.md §1, with the tensor engine in float64.</summary>
public class WorkedExamplesTensorTests
{
    private static Tensor Leaf(double v) => Tensor.Scalar(v, DType.Float64, requiresGrad: true);

    [Theory]
    [InlineData(2.0, -3.0, 10.0)]
    [InlineData(-0.5, 4.0, 1.0)]
    public void ABPlusC(double av, double bv, double cv)
    {
        var (a, b, c) = (Leaf(av), Leaf(bv), Leaf(cv));
        (a * b + c).Backward();
        Assert.Equal(bv, a.Grad!.Item());
        Assert.Equal(av, b.Grad!.Item());
        Assert.Equal(1.0, c.Grad!.Item());
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.5)]
    [InlineData(-4.0)]
    public void ChainRule(double tv)
    {
        var t = Leaf(tv);
        var x = t.Pow(2);
        (5.0 * x + 3.0).Backward();
        Assert.Equal(10 * tv, t.Grad!.Item(), 12);
    }

    [Fact]
    public void W123()
    {
        var (w1, w2, w3) = (Leaf(3), Leaf(4), Leaf(5));
        var g = -2.0 * w1;
        var y = w2 + g;
        var z = y * w3;
        Assert.Equal(-10.0, z.Item());
        Assert.Equal(20.0, (10.0 - z).Item());
        z.Backward();
        Assert.Equal(-10.0, w1.Grad!.Item());
        Assert.Equal(5.0, w2.Grad!.Item());
        Assert.Equal(-2.0, w3.Grad!.Item());
    }

    private sealed class Mazur
    {
        // Columns are units: W1[:, 0] = (w1, w2) feeds h1, W1[:, 1] = (w3, w4) feeds h2; likewise W2.
        public Tensor W1 = Tensor.FromArray(new[] { 0.15, 0.25, 0.20, 0.30 }, 2, 2).RequiresGrad_();
        public Tensor W2 = Tensor.FromArray(new[] { 0.40, 0.50, 0.45, 0.55 }, 2, 2).RequiresGrad_();
        private readonly Tensor _x = Tensor.FromArray(new[] { 0.05, 0.10 }, 1, 2);
        private readonly Tensor _t = Tensor.FromArray(new[] { 0.01, 0.99 }, 1, 2);

        public (Tensor Hidden, Tensor Output, Tensor Error) Forward()
        {
            var hidden = (_x.Matmul(W1) + 0.35).Sigmoid();
            var output = (hidden.Matmul(W2) + 0.60).Sigmoid();
            return (hidden, output, 0.5 * (_t - output).Pow(2).Sum());
        }

        public double Step(double lr)
        {
            var (_, _, e) = Forward();
            e.Backward();
            using (Backprop.Autograd.NoGrad())
            {
                W1 = (W1 - (lr * W1.Grad!)).RequiresGrad_();
                W2 = (W2 - (lr * W2.Grad!)).RequiresGrad_();
            }

            return e.Item();
        }
    }

    [Fact]
    public void MazurForwardAndOneStep()
    {
        var net = new Mazur();
        var (h, o, e) = net.Forward();
        Assert.Equal(0.593269992, h.ToArray()[0], 9);
        Assert.Equal(0.596884378, h.ToArray()[1], 9);
        Assert.Equal(0.751365070, o.ToArray()[0], 9);
        Assert.Equal(0.772928465, o.ToArray()[1], 9);
        Assert.Equal(0.298371109, e.Item(), 9);
        net.Step(0.5);
        var w1 = net.W1.ToArray(); // [w1, w3, w2, w4]
        var w2 = net.W2.ToArray(); // [w5, w7, w6, w8]
        Assert.Equal(0.358916480, w2[0], 9);
        Assert.Equal(0.408666186, w2[2], 9);
        Assert.Equal(0.511301270, w2[1], 9);
        Assert.Equal(0.561370121, w2[3], 9);
        Assert.Equal(0.149780716, w1[0], 9);
        Assert.Equal(0.199561432, w1[2], 9);
        Assert.Equal(0.249751144, w1[1], 9);
        Assert.Equal(0.299502287, w1[3], 9);
    }

    [Fact]
    public void MazurTenThousandSteps()
    {
        var net = new Mazur();
        for (int i = 0; i < 10_000; i++)
        {
            net.Step(0.5);
        }

        Assert.Equal(3.5102e-05, net.Forward().Error.Item(), 9);
    }

    [Fact]
    public void LinearRegressionEpochMeans()
    {
        double[,] rows = { { 8, 8, 4 }, { 7, 9, 5 }, { 6, 10, 6 }, { 5, 12, 7 } };
        var w1 = Tensor.Full([2, 2], 0.1, DType.Float64, requiresGrad: true);
        var b1 = Tensor.Zeros([2], DType.Float64, requiresGrad: true);
        var w2 = Tensor.Full([2, 1], 0.1, DType.Float64, requiresGrad: true);
        var b2 = Tensor.Zeros([1], DType.Float64, requiresGrad: true);
        double[] expected = [26.3456, 19.8594, 10.8816, 3.7770, 1.2238];
        foreach (double want in expected)
        {
            double total = 0;
            for (int r = 0; r < 4; r++)
            {
                var x = Tensor.FromArray(new[] { rows[r, 0], rows[r, 1] }, 1, 2);
                var y = Tensor.FromArray(new[] { rows[r, 2] }, 1, 1);
                var loss = (y - (x.Matmul(w1) + b1).Matmul(w2) - b2).Pow(2).Sum();
                total += loss.Item();
                loss.Backward();
                using (Backprop.Autograd.NoGrad())
                {
                    w1 = (w1 - (0.001 * w1.Grad!)).RequiresGrad_();
                    b1 = (b1 - (0.001 * b1.Grad!)).RequiresGrad_();
                    w2 = (w2 - (0.001 * w2.Grad!)).RequiresGrad_();
                    b2 = (b2 - (0.001 * b2.Grad!)).RequiresGrad_();
                }
            }

            Assert.Equal(want, total / 4, 4);
        }
    }

    [Fact]
    public void ClassificationWithBinaryCrossEntropyDecreasesEveryEpoch()
    {
        var x = Tensor.FromArray(new double[] { 8, 8, 7, 9, 6, 10, 5, 5 }, 4, 2);
        var y = Tensor.FromArray(new double[] { 1, 1, 0, 0 }, 4, 1);
        var w1 = Tensor.Full([2, 2], 0.1, DType.Float64, requiresGrad: true);
        var b1 = Tensor.Zeros([2], DType.Float64, requiresGrad: true);
        var w2 = Tensor.Full([2, 1], 0.1, DType.Float64, requiresGrad: true);
        var b2 = Tensor.Zeros([1], DType.Float64, requiresGrad: true);
        double previous = double.PositiveInfinity;
        for (int epoch = 0; epoch < 50; epoch++)
        {
            double total = 0;
            for (int r = 0; r < 4; r++)
            {
                var p = ((x[r..(r + 1)].Matmul(w1) + b1).Matmul(w2) + b2).Sigmoid();
                var loss = Tensor.BinaryCrossEntropy(p, y[r..(r + 1)]);
                total += loss.Item();
                loss.Backward();
                using (Backprop.Autograd.NoGrad())
                {
                    w1 = (w1 - (0.01 * w1.Grad!)).RequiresGrad_();
                    b1 = (b1 - (0.01 * b1.Grad!)).RequiresGrad_();
                    w2 = (w2 - (0.01 * w2.Grad!)).RequiresGrad_();
                    b2 = (b2 - (0.01 * b2.Grad!)).RequiresGrad_();
                }
            }

            Assert.True(total < previous, $"epoch {epoch}: loss {total} did not fall below {previous}");
            previous = total;
        }
    }

    [Fact]
    public void ReadmeTensorExampleRecoversTheWeights()
    {
        var x = Tensor.Randn([64, 3], seed: 0);
        var yTrue = x.Matmul(Tensor.FromArray(new float[] { 2, -1, 0.5f }, 3, 1)) + 1;
        var w = Tensor.Zeros([3, 1], requiresGrad: true);
        var b = Tensor.Zeros([1], requiresGrad: true);
        for (int step = 0; step < 200; step++)
        {
            var loss = Tensor.MseLoss(x.Matmul(w) + b, yTrue);
            w.ZeroGrad();
            b.ZeroGrad();
            loss.Backward();
            using (Backprop.Autograd.NoGrad())
            {
                w = (w - (0.1 * w.Grad!)).Detach().RequiresGrad_();
                b = (b - (0.1 * b.Grad!)).Detach().RequiresGrad_();
            }
        }

        var wv = w.ToArray();
        Assert.Equal(2.0, wv[0], 2);
        Assert.Equal(-1.0, wv[1], 2);
        Assert.Equal(0.5, wv[2], 2);
        Assert.Equal(1.0, b.Item(), 2);
    }
}
