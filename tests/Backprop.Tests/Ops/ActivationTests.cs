namespace Backprop.Tests.Ops;

public class ActivationTests
{
    private static Tensor F64(params double[] values) => Tensor.FromArray(values);

    private static Tensor Random(int[] shape, long seed, double low = -2, double high = 2) =>
        (Tensor.Rand(shape, seed, DType.Float64) * (high - low) + low).Detach().RequiresGrad_();

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    private static void AssertAllFinite(Tensor t) =>
        Assert.All(t.ToArray(), v => Assert.True(double.IsFinite(v), $"non-finite value {v} in {t}"));

    [Fact]
    public void ElementwiseActivationsMatchReferenceValues()
    {
        var x = F64(-1, 0, 0.5, 2);
        AssertClose([Math.Tanh(-1), 0, 0.46211715726000976, Math.Tanh(2)], x.Tanh().ToArray(), 1e-15);
        AssertClose([1 / (1 + Math.E), 0.5, 1 / (1 + Math.Exp(-0.5)), 0.88079707797788244], x.Sigmoid().ToArray(), 1e-15);
        AssertClose([0, 0, 0.5, 2], x.Relu().ToArray(), 0);
        AssertClose([-0.01, 0, 0.5, 2], x.LeakyRelu().ToArray(), 1e-17);
        AssertClose([-0.2, 0, 0.5, 2], x.LeakyRelu(0.2).ToArray(), 1e-17);
    }

    [Fact]
    public void GeluIsTheExactErfForm()
    {
        // x·Φ(x), references from mpmath; PyTorch's default approximate='none'.
        var x = F64(-3, -1, -0.5, 0, 0.5, 1, 2, 3);
        double[] expected =
        [
            -0.0040496940948902836, -0.15865525393145705, -0.15426876936299345, 0,
            0.34573123063700655, 0.8413447460685429, 1.9544997361036416, 2.9959503059051097,
        ];
        AssertClose(expected, x.Gelu().ToArray(), 1e-15);

        var x32 = Tensor.FromArray(new float[] { -3, -1, -0.5f, 0, 0.5f, 1, 2, 3 });
        var y32 = x32.Gelu();
        Assert.Equal(DType.Float32, y32.DType);
        AssertClose(expected, y32.ToArray(), 3e-7);
    }

    [Fact]
    public void GeluDerivativeIsPhiPlusXTimesDensity()
    {
        var x = F64(-3, -1, -0.5, 0, 0.5, 1, 2, 3).RequiresGrad_();
        x.Gelu().Sum().Backward();
        double[] expected =
        [
            -0.011945647204183927, -0.083315470587686298, 0.13250487534383716, 0.5,
            0.86749512465616284, 1.0833154705876863, 1.0852318010781969, 1.0119456472041839,
        ];
        AssertClose(expected, x.Grad!.ToArray(), 1e-15);
    }

    [Fact]
    public void ElementwiseActivationsPassGradCheck()
    {
        var x = Random([3, 4], seed: 1, -3, 3);
        Assert.True(GradCheck.Check(t => t[0].Tanh(), x).Passed);
        Assert.True(GradCheck.Check(t => t[0].Sigmoid(), x).Passed);
        Assert.True(GradCheck.Check(t => t[0].Relu(), x).Passed);
        Assert.True(GradCheck.Check(t => t[0].LeakyRelu(0.1), x).Passed);
        Assert.True(GradCheck.Check(t => t[0].Gelu(), x).Passed);
    }

    [Fact]
    public void ReluAndLeakyReluGradientsAreMasks()
    {
        var x = F64(-2, -0.5, 0, 0.5, 3).RequiresGrad_();
        x.Relu().Sum().Backward();
        Assert.Equal(new double[] { 0, 0, 0, 1, 1 }, x.Grad!.ToArray());
        x.ZeroGrad();
        x.LeakyRelu(0.25).Sum().Backward();
        Assert.Equal(new double[] { 0.25, 0.25, 0.25, 1, 1 }, x.Grad!.ToArray());
    }

    [Fact]
    public void SigmoidAndTanhSaturateWithoutNaN()
    {
        var x = F64(-1000, 1000).RequiresGrad_();
        var s = x.Sigmoid();
        Assert.Equal(new double[] { 0, 1 }, s.ToArray());
        s.Sum().Backward();
        Assert.Equal(new double[] { 0, 0 }, x.Grad!.ToArray());

        var x32 = Tensor.FromArray(new float[] { -1000, -100, 100, 1000 }).RequiresGrad_();
        var t = x32.Tanh();
        Assert.Equal(new double[] { -1, -1, 1, 1 }, t.ToArray());
        t.Sum().Backward();
        AssertAllFinite(x32.Grad!);
        AssertAllFinite(x32.Sigmoid());
    }

    [Fact]
    public void SoftmaxMatchesDefinitionAndSumsToOne()
    {
        var x = Tensor.FromArray(new double[,] { { 1, 2, 3 }, { -1, 0, 5 } });
        var y = x.Softmax(1).ToArray();
        double z0 = Math.Exp(1) + Math.Exp(2) + Math.Exp(3), z1 = Math.Exp(-1) + 1 + Math.Exp(5);
        AssertClose([Math.Exp(1) / z0, Math.Exp(2) / z0, Math.Exp(3) / z0, Math.Exp(-1) / z1, 1 / z1, Math.Exp(5) / z1], y, 1e-15);

        var logY = x.LogSoftmax(-1).ToArray();
        AssertClose([1 - Math.Log(z0), 2 - Math.Log(z0), 3 - Math.Log(z0), -1 - Math.Log(z1), -Math.Log(z1), 5 - Math.Log(z1)], logY, 1e-14);
    }

    [Fact]
    public void SoftmaxAlongDimZeroNormalizesColumns()
    {
        var x = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 5 } });
        var y = x.Softmax(0).ToArray();
        AssertClose([1 / (1 + Math.Exp(2)), 1 / (1 + Math.Exp(3)), 1 / (1 + Math.Exp(-2)), 1 / (1 + Math.Exp(-3))], y, 1e-15);
        Assert.Equal(new[] { 2, 2 }, x.Softmax(0).Shape);
    }

    [Fact]
    public void SoftmaxOfAScalarIsOne()
    {
        Assert.Equal(1.0, Tensor.Scalar(3.5, DType.Float64).Softmax(0).Item());
        Assert.Equal(0.0, Tensor.Scalar(3.5, DType.Float64).LogSoftmax(-1).Item());
    }

    [Fact]
    public void SoftmaxAndLogSoftmaxAreFiniteForLogitsOfPlusMinus1000()
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var x = Tensor.FromArray(new double[,] { { 1000, -1000, 0 }, { -1000, -1000, -1000 } });
            if (dtype == DType.Float32)
            {
                x = Tensor.FromArray(x.ToArray<float>(), 2, 3);
            }

            x.RequiresGrad_();
            var y = x.Softmax(1);
            AssertClose([1, 0, 0, 1 / 3.0, 1 / 3.0, 1 / 3.0], y.ToArray(), 1e-7);
            var logY = x.LogSoftmax(1);
            AssertClose([0, -2000, -1000, -Math.Log(3), -Math.Log(3), -Math.Log(3)], logY.ToArray(), 1e-4);

            var weights = Tensor.FromArray(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });
            (y * (dtype == DType.Float32 ? Tensor.FromArray(weights.ToArray<float>(), 2, 3) : weights)).Sum().Backward();
            AssertAllFinite(x.Grad!);
            x.ZeroGrad();
            logY.Sum().Backward();
            AssertAllFinite(x.Grad!);
        }
    }

    [Fact]
    public void SoftmaxAndLogSoftmaxPassGradCheckAlongEveryDim()
    {
        var x = Random([2, 3, 4], seed: 2);
        for (int dim = -3; dim < 3; dim++)
        {
            int d = dim;
            Assert.True(GradCheck.Check(t => t[0].Softmax(d), x).Passed, $"softmax dim {d}");
            Assert.True(GradCheck.Check(t => t[0].LogSoftmax(d), x).Passed, $"log_softmax dim {d}");
        }
    }

    [Fact]
    public void SoftmaxRejectsBadDimAndIntegerInput()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros(2, 3).Softmax(2));
        Assert.Contains("softmax", ex.Message);
        var ex2 = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new long[] { 1, 2 }).LogSoftmax(0));
        Assert.Contains("log_softmax", ex2.Message);
        Assert.Contains("int64", ex2.Message);
    }

    [Fact]
    public void GradientsKeepTheInputDType()
    {
        var x = Tensor.Randn([3, 4], seed: 3).RequiresGrad_();
        (x.Gelu() + x.Softmax(1) + x.LogSoftmax(0) + x.Tanh() + x.Sigmoid() + x.Relu() + x.LeakyRelu()).Sum().Backward();
        Assert.Equal(DType.Float32, x.Grad!.DType);
        AssertAllFinite(x.Grad);
    }
}
