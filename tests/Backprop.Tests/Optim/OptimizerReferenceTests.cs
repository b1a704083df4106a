using Backprop.Optim;
using Backprop.Tests.Kernels;

namespace Backprop.Tests.Optim;

public class OptimizerReferenceTests
{
    private const int Steps = 5;

    // Lengths around the vector widths (4, 8, 16 lanes) exercise the full-vector loop and the padded tail.
    public static TheoryData<int, DType> Sizes => new()
    {
        { 3, DType.Float64 },
        { 19, DType.Float64 },
        { 3, DType.Float32 },
        { 37, DType.Float32 },
    };

    private static double Tolerance(DType dtype) => dtype == DType.Float64 ? 1e-12 : 2e-5;

    [Theory]
    [MemberData(nameof(Sizes))]
    public void SgdPlainMatchesReference(int n, DType dtype)
    {
        var p0 = Reference.InitialParameters(n);
        var actual = Reference.Run(ps => new SGD(ps, lr: 0.1), p0, Steps, dtype);
        Reference.AssertClose(Reference.Sgd(p0, Steps, lr: 0.1), actual, Tolerance(dtype));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void SgdMomentumMatchesReference(int n, DType dtype)
    {
        var p0 = Reference.InitialParameters(n);
        var actual = Reference.Run(ps => new SGD(ps, lr: 0.05, momentum: 0.9), p0, Steps, dtype);
        Reference.AssertClose(Reference.Sgd(p0, Steps, lr: 0.05, momentum: 0.9), actual, Tolerance(dtype));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void SgdMomentumDampeningWeightDecayMatchesReference(int n, DType dtype)
    {
        var p0 = Reference.InitialParameters(n);
        var actual = Reference.Run(ps => new SGD(ps, lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0.01), p0, Steps, dtype);
        Reference.AssertClose(Reference.Sgd(p0, Steps, lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0.01), actual, Tolerance(dtype));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void SgdNesterovMatchesReference(int n, DType dtype)
    {
        var p0 = Reference.InitialParameters(n);
        var actual = Reference.Run(ps => new SGD(ps, lr: 0.05, momentum: 0.9, nesterov: true), p0, Steps, dtype);
        Reference.AssertClose(Reference.Sgd(p0, Steps, lr: 0.05, momentum: 0.9, nesterov: true), actual, Tolerance(dtype));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void SgdWeightDecayMatchesReference(int n, DType dtype)
    {
        var p0 = Reference.InitialParameters(n);
        var actual = Reference.Run(ps => new SGD(ps, lr: 0.1, weightDecay: 0.1), p0, Steps, dtype);
        Reference.AssertClose(Reference.Sgd(p0, Steps, lr: 0.1, weightDecay: 0.1), actual, Tolerance(dtype));
    }

    [Fact]
    public void LargeParametersSplitOverThreadsGiveTheSameResult()
    {
        // 70,001 float32 elements: enough for the update to be split over two threads, with a tail.
        var p0 = Reference.InitialParameters(70_001);
        var one = ThreadCount.With(1, () => Reference.Run(ps => new Adam(ps, lr: 0.01), p0, Steps, DType.Float32));
        var two = ThreadCount.With(2, () => Reference.Run(ps => new Adam(ps, lr: 0.01), p0, Steps, DType.Float32));
        Assert.Equal(one[^1], two[^1]);
        Reference.AssertClose(Reference.Adam(p0, Steps, 0.01, 0.9, 0.999, 1e-8, 0, amsgrad: false, decoupled: false), two, Tolerance(DType.Float32));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void AdamMatchesReference(int n, DType dtype)
    {
        var p0 = Reference.InitialParameters(n);
        var actual = Reference.Run(ps => new Adam(ps, lr: 0.01), p0, Steps, dtype);
        Reference.AssertClose(Reference.Adam(p0, Steps, 0.01, 0.9, 0.999, 1e-8, 0, amsgrad: false, decoupled: false), actual, Tolerance(dtype));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void AdamWeightDecayMatchesReference(int n, DType dtype)
    {
        var p0 = Reference.InitialParameters(n);
        var actual = Reference.Run(ps => new Adam(ps, lr: 0.02, betas: (0.8, 0.99), eps: 1e-6, weightDecay: 0.1), p0, Steps, dtype);
        Reference.AssertClose(Reference.Adam(p0, Steps, 0.02, 0.8, 0.99, 1e-6, 0.1, amsgrad: false, decoupled: false), actual, Tolerance(dtype));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void AdamAmsgradMatchesReference(int n, DType dtype)
    {
        var p0 = Reference.InitialParameters(n);

        // A large lr makes the gradients shrink, so the running maximum differs from v after a few steps.
        var actual = Reference.Run(ps => new Adam(ps, lr: 0.3, betas: (0.5, 0.6), amsgrad: true), p0, 8, dtype);
        var expected = Reference.Adam(p0, 8, 0.3, 0.5, 0.6, 1e-8, 0, amsgrad: true, decoupled: false);
        Reference.AssertClose(expected, actual, Tolerance(dtype) * 10);
        var plain = Reference.Adam(p0, 8, 0.3, 0.5, 0.6, 1e-8, 0, amsgrad: false, decoupled: false);
        Assert.NotEqual(plain[^1][0], expected[^1][0], 1e-6);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void AdamWMatchesReference(int n, DType dtype)
    {
        var p0 = Reference.InitialParameters(n);
        var actual = Reference.Run(ps => new AdamW(ps, lr: 0.01, weightDecay: 0.5), p0, Steps, dtype);
        Reference.AssertClose(Reference.Adam(p0, Steps, 0.01, 0.9, 0.999, 1e-8, 0.5, amsgrad: false, decoupled: true), actual, Tolerance(dtype));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void RmspropMatchesReference(int n, DType dtype)
    {
        var p0 = Reference.InitialParameters(n);
        var actual = Reference.Run(ps => new RMSprop(ps), p0, Steps, dtype);
        Reference.AssertClose(Reference.Rmsprop(p0, Steps, 0.01, 0.99, 1e-8, 0, 0, centered: false), actual, Tolerance(dtype));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void RmspropCenteredMatchesReference(int n, DType dtype)
    {
        var p0 = Reference.InitialParameters(n);
        var actual = Reference.Run(ps => new RMSprop(ps, lr: 0.001, alpha: 0.9, centered: true, weightDecay: 0.05), p0, Steps, dtype);
        Reference.AssertClose(Reference.Rmsprop(p0, Steps, 0.001, 0.9, 1e-8, 0.05, 0, centered: true), actual, Tolerance(dtype) * 10);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void RmspropMomentumMatchesReference(int n, DType dtype)
    {
        var p0 = Reference.InitialParameters(n);
        var actual = Reference.Run(ps => new RMSprop(ps, lr: 0.01, momentum: 0.9), p0, Steps, dtype);
        Reference.AssertClose(Reference.Rmsprop(p0, Steps, 0.01, 0.99, 1e-8, 0, 0.9, centered: false), actual, Tolerance(dtype));
    }

    [Fact]
    public void SgdStepIsPMinusLrTimesGrad()
    {
        var p = Tensor.FromArray(new[] { 1.0, -2.0, 0.5 }, 3).RequiresGrad_();
        p.Grad = Tensor.FromArray(new[] { 0.5, 1.0, -4.0 }, 3);
        new SGD([p], lr: 0.1).Step();
        Reference.AssertClose(new[] { 0.95, -2.1, 0.9 }, p.ToArray(), 1e-15);
    }

    [Fact]
    public void SgdMomentumHandComputed()
    {
        // b1 = g = 1, p = 1 - 0.1 = 0.9; b2 = 0.9 * 1 + 1 = 1.9, p = 0.9 - 0.19 = 0.71.
        var p = Tensor.FromArray(new[] { 1.0 }, 1).RequiresGrad_();
        var opt = new SGD([p], lr: 0.1, momentum: 0.9);
        p.Grad = Tensor.FromArray(new[] { 1.0 }, 1);
        opt.Step();
        Assert.Equal(0.9, p.ToArray()[0], 15);
        opt.Step();
        Assert.Equal(0.71, p.ToArray()[0], 15);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void AdamFirstStepMovesEachParameterByLrTimesSign(DType dtype)
    {
        // Step 1: m̂ = g and v̂ = g², so the update is lr·g/(|g| + eps) ≈ lr·sign(g) whatever |g| is.
        var g = new[] { 0.5, -3.0, 1e-3, -250.0 };
        var p0 = new[] { 1.0, -2.0, 3.0, 0.0 };
        var p = (dtype == DType.Float64 ? Tensor.FromArray(p0, 4) : Tensor.FromArray(p0.Select(v => (float)v).ToArray(), 4)).RequiresGrad_();
        p.Grad = dtype == DType.Float64 ? Tensor.FromArray(g, 4) : Tensor.FromArray(g.Select(v => (float)v).ToArray(), 4);
        new Adam([p], lr: 0.01).Step();
        var after = p.ToArray();
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(p0[i] - (0.01 * Math.Sign(g[i])), after[i], 1e-6);
        }
    }

    [Fact]
    public void AdamWWithZeroGradientOnlyDecays()
    {
        // With g = 0 the Adam part is 0/(0 + eps) = 0, leaving p·(1 − lr·λ).
        var p = Tensor.FromArray(new[] { 2.0, -4.0 }, 2).RequiresGrad_();
        p.Grad = Tensor.Zeros([2], DType.Float64);
        new AdamW([p], lr: 0.1, weightDecay: 0.5).Step();
        Reference.AssertClose(new[] { 1.9, -3.8 }, p.ToArray(), 1e-15);
    }

    [Fact]
    public void ParametersWithoutGradAreSkippedAndKeepNoState()
    {
        var a = Tensor.FromArray(new[] { 1.0, 2.0 }, 2).RequiresGrad_();
        var b = Tensor.FromArray(new[] { 3.0 }, 1).RequiresGrad_();
        var opt = new Adam([a, b], lr: 0.1);
        a.Grad = Tensor.FromArray(new[] { 1.0, 1.0 }, 2);
        opt.Step();
        Reference.AssertClose(new[] { 0.9, 1.9 }, a.ToArray(), 1e-6);
        Assert.Equal(new[] { 3.0 }, b.ToArray());
        var state = opt.StateDict();
        Assert.Equal(1.0, state["state.0.step"].Item());
        Assert.DoesNotContain(state.Keys, k => k.StartsWith("state.1.", StringComparison.Ordinal));
        Assert.Equal(1, opt.StepCount);
    }

    [Fact]
    public void ZeroGradSetsEveryGradToNull()
    {
        var a = Tensor.FromArray(new[] { 1.0, 2.0 }, 2).RequiresGrad_();
        var b = Tensor.FromArray(new float[] { 3 }, 1).RequiresGrad_();
        (a * 3.0).Sum().Backward();
        (b * 2.0).Sum().Backward();
        Assert.Equal(new[] { 3.0, 3.0 }, a.Grad!.ToArray());
        Assert.Equal(new[] { 2.0 }, b.Grad!.ToArray());
        var opt = new SGD([a, b], lr: 0.1);
        opt.ZeroGrad();
        Assert.Null(a.Grad);
        Assert.Null(b.Grad);
    }

    [Fact]
    public void StepWritesIntoTheParameterStorage()
    {
        var p = Tensor.FromArray(new float[] { 1, 2, 3 }, 3).RequiresGrad_();
        float[] storage = p.F32;
        var view = p.Detach();
        p.Grad = Tensor.Ones([3]);
        new SGD([p], lr: 0.5).Step();
        Assert.Same(storage, p.F32);
        Assert.Equal(new[] { 0.5, 1.5, 2.5 }, view.ToArray());
        Assert.True(p.IsLeaf);
        Assert.True(p.RequiresGrad);
    }
}
