using System.Runtime.CompilerServices;
using Backprop.NN;

namespace Backprop.Tests.Autograd;

public sealed class AnomalyModeTests
{
    private static Tensor Leaf(params double[] values) => Tensor.FromArray(values).RequiresGrad_();

    private static int Line([CallerLineNumber] int line = 0) => line;

    [Fact]
    public void TheFirstForwardThatProducesInfIsNamedWithItsCreationSite()
    {
        var x = Leaf(1.0, 0.0, 2.0);
        int line = 0;
        var ex = Assert.Throws<AnomalyException>(() =>
        {
            using (Backprop.Autograd.DetectAnomaly())
            {
                var y = x * 2.0;
                line = Line() + 1;
                var z = y.Log();
                _ = z.Sqrt(); // would also be non-finite: only the first op is reported
            }
        });

        Assert.Equal("log", ex.Op);
        Assert.Equal("forward", ex.Phase);
        Assert.StartsWith($"AnomalyModeTests.cs:{line} in ", ex.CreationSite);
        Assert.Contains("via Tensor.Log", ex.CreationSite);
        Assert.StartsWith("anomaly: forward of 'log' produced -Inf (1 of 3 elements not finite, first at flat index 1) from finite inputs; op created at AnomalyModeTests.cs:", ex.Message);
    }

    [Fact]
    public void TheFirstBackwardThatProducesInfIsNamedWithWhereItsOpWasCreated()
    {
        // sqrt is finite at 0, its derivative 1/(2·sqrt(x)) is not.
        var x = Leaf(4.0, 0.0);
        AnomalyException? ex = null;
        int line = 0;
        using (Backprop.Autograd.DetectAnomaly())
        {
            line = Line() + 1;
            var y = x.Sqrt();
            var loss = (y * 3.0).Sum();
            ex = Assert.Throws<AnomalyException>(() => loss.Backward());
        }

        Assert.Equal("sqrt", ex.Op);
        Assert.Equal("backward", ex.Phase);
        Assert.StartsWith($"AnomalyModeTests.cs:{line} in ", ex.CreationSite);
        Assert.StartsWith("anomaly: backward of 'sqrt' produced +Inf in the gradient of input 0 (1 of 2 elements not finite, first at flat index 1), from a finite upstream gradient; op created at AnomalyModeTests.cs:", ex.Message);
    }

    [Fact]
    public void NaNFromAFiniteForwardIsReported()
    {
        var a = Leaf(0.0, 1.0);
        using (Backprop.Autograd.DetectAnomaly())
        {
            var ex = Assert.Throws<AnomalyException>(() => a / a);
            Assert.Equal("div", ex.Op);
            Assert.Contains("produced NaN (1 of 2 elements", ex.Message);
        }
    }

    [Fact]
    public void AnInputThatWasAlreadyNonFiniteIsBlamedOnTheData()
    {
        var data = Tensor.FromArray(new[] { 1f, float.NaN, 3f }, 1, 3);
        var model = new Linear(3, 2, generator: new Generator(0));
        using (Backprop.Autograd.DetectAnomaly())
        {
            var ex = Assert.Throws<AnomalyException>(() => model.Forward(data));
            Assert.Contains("received NaN in input 0 (1 of 3 elements not finite, first at flat index 1)", ex.Message);
            Assert.Contains("not produced by a checked op", ex.Message);
            Assert.StartsWith("AnomalyModeTests.cs:", ex.CreationSite);
        }
    }

    [Fact]
    public void ANonFiniteSeedIsNamedAsTheCause()
    {
        var x = Leaf(1.0, 2.0);
        using (Backprop.Autograd.DetectAnomaly())
        {
            var y = x * 2.0;
            var ex = Assert.Throws<AnomalyException>(() => y.Backward(Tensor.FromArray(new[] { 1.0, double.PositiveInfinity })));
            Assert.Equal("mul", ex.Op);
            Assert.Contains("the upstream gradient it received already held +Inf", ex.Message);
        }
    }

    [Fact]
    public void ForwardsUnderNoGradAreCheckedToo()
    {
        var x = Tensor.FromArray(new[] { -1.0 });
        using (Backprop.Autograd.DetectAnomaly())
        using (Backprop.Autograd.NoGrad())
        {
            Assert.Equal("sqrt", Assert.Throws<AnomalyException>(() => x.Sqrt()).Op);
        }
    }

    [Fact]
    public void OffByDefaultAndOutsideTheScope()
    {
        Assert.False(Backprop.Autograd.IsAnomalyEnabled);
        var x = Leaf(0.0);
        var y = x.Sqrt();
        y.Sum().Backward();
        Assert.Equal(double.PositiveInfinity, x.Grad!.Item());

        using (Backprop.Autograd.DetectAnomaly())
        {
            Assert.True(Backprop.Autograd.IsAnomalyEnabled);
            using (Backprop.Autograd.DetectAnomaly())
            {
                Assert.True(Backprop.Autograd.IsAnomalyEnabled);
            }

            Assert.True(Backprop.Autograd.IsAnomalyEnabled);
        }

        Assert.False(Backprop.Autograd.IsAnomalyEnabled);
        Assert.True(double.IsNegativeInfinity(Leaf(0.0).Log().Item()));
    }

    [Fact]
    public void TheModeIsPerThread()
    {
        bool other = true;
        using (Backprop.Autograd.DetectAnomaly())
        {
            var thread = new Thread(() => other = Backprop.Autograd.IsAnomalyEnabled);
            thread.Start();
            thread.Join();
        }

        Assert.False(other);
    }

    [Fact]
    public void ANodeCreatedBeforeTheModeHasAnUnknownSite()
    {
        var x = Leaf(0.0);
        var loss = x.Sqrt().Sum();
        using (Backprop.Autograd.DetectAnomaly())
        {
            var ex = Assert.Throws<AnomalyException>(() => loss.Backward());
            Assert.Equal("sqrt", ex.Op);
            Assert.Contains("unknown: the op was created before anomaly mode was turned on", ex.CreationSite);
        }
    }

    [Fact]
    public void FiniteTrainingIsUnchangedByTheMode()
    {
        var (withMode, without) = (TrainSteps(anomaly: true), TrainSteps(anomaly: false));
        Assert.Equal(without, withMode);
    }

    private static float[] TrainSteps(bool anomaly)
    {
        var g = new Generator(1);
        var model = new Sequential(new Linear(4, 8, generator: g), new GELU(), new Linear(8, 3, generator: g));
        var opt = new Backprop.Optim.Adam(model.Parameters(), lr: 1e-2);
        var x = Tensor.Randn([16, 4], seed: 2);
        var y = Tensor.FromArray(Enumerable.Range(0, 16).Select(i => (long)(i % 3)).ToArray(), 16);
        using var scope = anomaly ? Backprop.Autograd.DetectAnomaly() : null;
        for (int step = 0; step < 5; step++)
        {
            opt.ZeroGrad();
            Tensor.CrossEntropy(model.Forward(x), y).Backward();
            opt.Step();
        }

        return model.Parameters().SelectMany(p => p.ToArray<float>()).ToArray();
    }
}
