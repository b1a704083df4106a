using Backprop.Optim;

namespace Backprop.Tests.Optim;

public class LRSchedulerTests
{
    private static SGD MakeOptimizer(double lr) => new([Tensor.Zeros([2], DType.Float64, requiresGrad: true)], lr);

    private static double[] Schedule(LRScheduler scheduler, int epochs)
    {
        var lrs = new List<double> { scheduler.GetLastLr() };
        for (int e = 0; e < epochs; e++)
        {
            scheduler.Step();
            Assert.Equal(scheduler.GetLastLr(), scheduler.Optimizer.Lr);
            lrs.Add(scheduler.GetLastLr());
        }

        return lrs.ToArray();
    }

    [Fact]
    public void StepLRDecaysEveryStepSizeEpochs()
    {
        var lrs = Schedule(new StepLR(MakeOptimizer(0.1), stepSize: 2), 6);
        Reference.AssertClose(new[] { 0.1, 0.1, 0.01, 0.01, 0.001, 0.001, 0.0001 }, lrs, 1e-15);
    }

    [Fact]
    public void ExponentialLRDecaysEveryEpoch()
    {
        var lrs = Schedule(new ExponentialLR(MakeOptimizer(1.0), gamma: 0.5), 4);
        Assert.Equal(new[] { 1.0, 0.5, 0.25, 0.125, 0.0625 }, lrs);
    }

    [Fact]
    public void CosineAnnealingFollowsTheClosedForm()
    {
        const double eta0 = 0.1, etaMin = 0.001;
        const int tMax = 10;
        var lrs = Schedule(new CosineAnnealingLR(MakeOptimizer(eta0), tMax, etaMin), 12);
        Assert.Equal(eta0, lrs[0]);
        Assert.Equal((eta0 + etaMin) / 2, lrs[5], 15);
        Assert.Equal(etaMin, lrs[10], 15);
        for (int t = 0; t < lrs.Length; t++)
        {
            double expected = etaMin + ((eta0 - etaMin) * (1 + Math.Cos(Math.PI * t / tMax)) / 2);
            Assert.Equal(expected, lrs[t], 15);
        }

        // Monotone on [0, T_max], then the cosine rises again as in PyTorch.
        for (int t = 1; t <= tMax; t++)
        {
            Assert.True(lrs[t] < lrs[t - 1]);
        }

        Assert.True(lrs[11] > lrs[10]);
    }

    [Fact]
    public void StateDictRestoresTheEpochAndLearningRate()
    {
        var scheduler = new CosineAnnealingLR(MakeOptimizer(0.1), tMax: 8);
        Schedule(scheduler, 3);
        var dict = scheduler.StateDict();
        Assert.Equal(3.0, dict["last_epoch"].Item());
        Assert.Equal(0.1, dict["base_lr"].Item());
        Assert.Equal(DType.Float64, dict["last_epoch"].DType);
        var continued = Schedule(scheduler, 3);

        var optimizer = MakeOptimizer(0.7);
        var restored = new CosineAnnealingLR(optimizer, tMax: 8);
        restored.LoadStateDict(dict);
        Assert.Equal(3, restored.LastEpoch);
        Assert.Equal(0.1, restored.BaseLr);
        Assert.Equal(continued[0], optimizer.Lr);
        Assert.Equal(continued, Schedule(restored, 3));
    }

    [Fact]
    public void LoadStateDictNamesBadKeys()
    {
        var scheduler = new StepLR(MakeOptimizer(0.1), stepSize: 1);
        var ex = Assert.Throws<ArgumentException>(() => scheduler.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["last_epoch"] = Tensor.Scalar(2),
            ["gamma"] = Tensor.Scalar(0.5, DType.Float64),
        }));
        Assert.Contains("unexpected key 'gamma'", ex.Message);
        Assert.Contains("missing key 'base_lr'", ex.Message);
        Assert.Contains("'last_epoch' is float32 (), expected a rank-0 float64 tensor", ex.Message);
        Assert.Equal(0, scheduler.LastEpoch);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        var opt = MakeOptimizer(0.1);
        Assert.Contains("stepSize must be at least 1", Assert.Throws<ArgumentException>(() => new StepLR(opt, 0)).Message);
        Assert.Contains("tMax must be at least 1", Assert.Throws<ArgumentException>(() => new CosineAnnealingLR(opt, 0)).Message);
        Assert.Contains("gamma must be a finite number ≥ 0, got -0.5", Assert.Throws<ArgumentException>(() => new ExponentialLR(opt, -0.5)).Message);
    }
}
