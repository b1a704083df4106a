using Backprop.Optim;

namespace Backprop.Tests.Optim;

/// <summary>
/// LinearLR, OneCycleLR, SequentialLR and ReduceLROnPlateau against PyTorch 1.13: the learning rates
/// (and OneCycleLR's momentum) after construction and after each step, generated with
/// torch.optim.lr_scheduler on an SGD(momentum=0.9) or Adam optimizer.
/// </summary>
public class PyTorchSchedulerTests
{
    private static SGD Sgd(double lr) => new([Tensor.Zeros([2], DType.Float64, requiresGrad: true)], lr, momentum: 0.9);

    private static Adam Adam(double lr) => new([Tensor.Zeros([2], DType.Float64, requiresGrad: true)], lr);

    /// <summary>The optimizer's rate (and <paramref name="momentum"/>'s reading) after construction and after each of <paramref name="steps"/> steps.</summary>
    private static (double[] Lrs, double[] Momenta) Run(LRScheduler scheduler, int steps, Func<double>? momentum = null)
    {
        var lrs = new List<double> { scheduler.Optimizer.Lr };
        var momenta = new List<double> { momentum?.Invoke() ?? 0 };
        for (int i = 0; i < steps; i++)
        {
            scheduler.Step();
            Assert.Equal(scheduler.GetLastLr(), scheduler.Optimizer.Lr);
            lrs.Add(scheduler.Optimizer.Lr);
            momenta.Add(momentum?.Invoke() ?? 0);
        }

        return (lrs.ToArray(), momenta.ToArray());
    }

    private static void AssertRelative(double[] expected, double[] actual, double tolerance = 1e-12)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(
                Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Abs(expected[i]) + 1e-300,
                $"step {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    [Fact]
    public void LinearLRWithPyTorchsDefaultsWarmsUpOverFiveSteps()
    {
        var optimizer = Sgd(0.1);
        var (lrs, _) = Run(new LinearLR(optimizer), 8);
        AssertRelative(new[] { 0.03333333333333333, 0.04666666666666667, 0.060000000000000005, 0.07333333333333335, 0.08666666666666668, 0.1, 0.1, 0.1, 0.1 }, lrs);
    }

    [Fact]
    public void LinearLRCanDecay()
    {
        var (lrs, _) = Run(new LinearLR(Sgd(1.0), startFactor: 0.5, endFactor: 0.1, totalIters: 4), 6);
        AssertRelative(new[] { 0.5, 0.4, 0.30000000000000004, 0.2, 0.09999999999999998, 0.09999999999999998, 0.09999999999999998 }, lrs);
    }

    [Fact]
    public void OneCycleLRCyclesTheRateAndSgdMomentumAsPyTorch()
    {
        var optimizer = Sgd(0.1);
        var scheduler = new OneCycleLR(optimizer, maxLr: 0.1, totalSteps: 20);
        var (lrs, momenta) = Run(scheduler, 20, () => optimizer.Momentum);
        AssertRelative(
            new[]
            {
                0.0040000000000000036, 0.013167184270002533, 0.037167184270002526, 0.06683281572999747, 0.09083281572999748, 0.1, 0.09874640062350874,
                0.09504846320134738, 0.089091617757105, 0.0811745653949763, 0.07169430017913009, 0.06112620219362893, 0.0500002, 0.03887419780637107,
                0.028306099820869922, 0.0188258346050237, 0.010908782242895003, 0.004951936798652629, 0.0012539993764912555, 4e-07, 0.0012539993764912555,
            },
            lrs,
            1e-10);
        AssertRelative(
            new[]
            {
                0.95, 0.9404508497187474, 0.9154508497187474, 0.8845491502812526, 0.8595491502812526, 0.85, 0.8512536043909088, 0.854951556604879,
                0.8609084258765984, 0.8688255099070633, 0.878305813044122, 0.8888739533021842, 0.8999999999999999, 0.9111260466978157, 0.9216941869558779,
                0.9311744900929366, 0.9390915741234015, 0.945048443395121, 0.9487463956090911, 0.95, 0.9487463956090911,
            },
            momenta);

        // A step past the cycle is refused, as in PyTorch, and changes nothing.
        var ex = Assert.Throws<InvalidOperationException>(scheduler.Step);
        Assert.Contains("tried to step 21 times, but the cycle has 20 steps", ex.Message);
        Assert.Equal(20, scheduler.LastEpoch);
        Assert.Equal(lrs[^1], optimizer.Lr);
    }

    [Fact]
    public void OneCycleLRThreePhaseLinearCyclesAdamsBeta1AsPyTorch()
    {
        var optimizer = Adam(0.1);
        var scheduler = new OneCycleLR(optimizer, maxLr: 1.0, epochs: 3, stepsPerEpoch: 4, pctStart: 0.25, annealStrategy: AnnealStrategy.Linear, threePhase: true, divFactor: 10, finalDivFactor: 100);
        Assert.Equal(12, scheduler.TotalSteps);
        var (lrs, momenta) = Run(scheduler, 12, () => optimizer.Betas.Beta1);

        // PyTorch's last value, one step past the final phase, is -0.013142857142857137: the optimizer refuses a negative rate, so it is 0.
        AssertRelative(
            new[] { 0.1, 0.55, 1.0, 0.55, 0.09999999999999998, 0.08585714285714287, 0.07171428571428572, 0.05757142857142858, 0.043428571428571434, 0.02928571428571429, 0.015142857142857152, 0.0010000000000000009, 0 },
            lrs);
        AssertRelative(new[] { 0.95, 0.8999999999999999, 0.85, 0.8999999999999999, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95 }, momenta);
        Assert.Equal(0.999, optimizer.Betas.Beta2);
    }

    [Fact]
    public void SequentialLRWarmsUpThenAnneals()
    {
        var optimizer = Sgd(0.5);
        var warmup = new LinearLR(optimizer, startFactor: 0.1, totalIters: 3);
        var cosine = new CosineAnnealingLR(optimizer, tMax: 5, etaMin: 0.001);
        var (lrs, _) = Run(new SequentialLR(optimizer, [warmup, cosine], [3]), 10);
        AssertRelative(
            new[] { 0.05, 0.19999999999999998, 0.35, 0.5, 0.4523497400965494, 0.32759974009654935, 0.1734002599034506, 0.04865025990345063, 0.001, 0.048650259903450614, 0.17340025990345068 },
            lrs);
    }

    [Fact]
    public void SequentialLROfThreeSchedulesRestartsEachAtItsMilestone()
    {
        var optimizer = Sgd(0.2);
        var a = new LinearLR(optimizer, startFactor: 0.25, totalIters: 4);
        var b = new ExponentialLR(optimizer, gamma: 0.5);
        var c = new StepLR(optimizer, stepSize: 2, gamma: 0.1);
        var (lrs, _) = Run(new SequentialLR(optimizer, [a, b, c], [4, 7]), 11);
        AssertRelative(
            new[] { 0.05, 0.08750000000000001, 0.12500000000000003, 0.16250000000000003, 0.2, 0.1, 0.05, 0.2, 0.2, 0.020000000000000004, 0.020000000000000004, 0.0020000000000000005 },
            lrs);
    }

    [Fact]
    public void ReduceLROnPlateauInMinModeDropsAfterPatience()
    {
        var optimizer = Sgd(1.0);
        var scheduler = new ReduceLROnPlateau(optimizer, patience: 2);
        double[] metrics = [1.0, 0.9, 0.95, 0.9, 0.91, 0.92, 0.93, 0.5, 0.5, 0.5, 0.5, 0.5, 0.4999, 0.6, 0.7];
        var lrs = metrics.Select(m => { scheduler.Step(m); return optimizer.Lr; }).ToArray();
        AssertRelative(new[] { 1.0, 1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.010000000000000002, 0.010000000000000002, 0.010000000000000002, 0.010000000000000002, 0.010000000000000002 }, lrs);
        Assert.Equal(0.4999, scheduler.Best); // 0.4999 < 0.5·(1 − 1e-4): an improvement by the relative threshold
    }

    [Fact]
    public void ReduceLROnPlateauInMaxModeWithAbsoluteThresholdCooldownAndFloor()
    {
        var optimizer = Sgd(0.1);
        var scheduler = new ReduceLROnPlateau(optimizer, PlateauMode.Max, factor: 0.5, patience: 1, threshold: 0.01, thresholdMode: ThresholdMode.Abs, cooldown: 1, minLr: 0.02);
        double[] accuracies = [0.5, 0.6, 0.605, 0.62, 0.62, 0.63, 0.631, 0.64, 0.7, 0.69, 0.69, 0.69, 0.69, 0.69, 0.69];
        var lrs = accuracies.Select(m => { scheduler.Step(m); return optimizer.Lr; }).ToArray();
        AssertRelative(new[] { 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02, 0.02 }, lrs);
    }

    [Fact]
    public void ClosedFormSchedulesRestoredMidScheduleContinueBitIdentically()
    {
        static LRScheduler[] Make(Optimizer o)
        {
            var warmup = new LinearLR(o, startFactor: 0.1, totalIters: 3);
            var cosine = new CosineAnnealingLR(o, tMax: 6);
            return [new SequentialLR(o, [warmup, cosine], [3])];
        }

        var cases = new (Func<Optimizer> Optimizer, Func<Optimizer, LRScheduler> Schedule)[]
        {
            (() => Sgd(0.3), o => new LinearLR(o, startFactor: 0.2, totalIters: 7)),
            (() => Sgd(0.3), o => new OneCycleLR(o, maxLr: 0.3, totalSteps: 10)),
            (() => Adam(0.3), o => new OneCycleLR(o, maxLr: 0.3, totalSteps: 10, threePhase: true)),
            (() => Sgd(0.3), o => Make(o)[0]),
        };
        foreach (var (makeOptimizer, makeSchedule) in cases)
        {
            var optimizer = makeOptimizer();
            var scheduler = makeSchedule(optimizer);
            Run(scheduler, 4);
            var state = scheduler.StateDict();
            var optimizerState = optimizer.StateDict();
            var expected = Run(scheduler, 6, () => Momentum(optimizer));

            // A fresh optimizer and schedule, built with the same arguments but a different rate.
            var other = makeOptimizer();
            other.Lr = 0.9;
            var restored = makeSchedule(other);
            other.LoadStateDict(optimizerState);
            restored.LoadStateDict(state);
            Assert.Equal(4, restored.LastEpoch);
            Assert.Equal(expected.Lrs[0], other.Lr);
            var actual = Run(restored, 6, () => Momentum(other));
            Assert.Equal(expected.Lrs, actual.Lrs);
            Assert.Equal(expected.Momenta, actual.Momenta);
        }
    }

    [Fact]
    public void SequentialLRStateHoldsEachChildsState()
    {
        var optimizer = Sgd(0.5);
        var warmup = new LinearLR(optimizer, startFactor: 0.1, totalIters: 3);
        var cosine = new CosineAnnealingLR(optimizer, tMax: 5);
        var scheduler = new SequentialLR(optimizer, [warmup, cosine], [3]);
        Run(scheduler, 5);
        var state = scheduler.StateDict();
        Assert.Equal(
            new[] { "base_lr", "last_epoch", "schedulers.0.base_lr", "schedulers.0.last_epoch", "schedulers.1.base_lr", "schedulers.1.last_epoch" },
            state.Keys.Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(5.0, state["last_epoch"].Item());
        Assert.Equal(2.0, state["schedulers.1.last_epoch"].Item());
        Assert.Equal(0.5, state["schedulers.1.base_lr"].Item());

        state.Remove("schedulers.1.base_lr");
        state["schedulers.0.last_epoch"] = new Tensor(new[] { -1.0 }, []);
        var ex = Assert.Throws<ArgumentException>(() => scheduler.LoadStateDict(state));
        Assert.Contains("missing key 'schedulers.1.base_lr'", ex.Message);
        Assert.Equal(5, scheduler.LastEpoch);
    }

    [Fact]
    public void ReduceLROnPlateauRestoredMidScheduleContinuesIdentically()
    {
        double[] metrics = [1.0, 0.9, 0.95, 0.9, 0.91, 0.92, 0.93, 0.5, 0.5, 0.5, 0.5, 0.5];
        var optimizer = Sgd(1.0);
        var scheduler = new ReduceLROnPlateau(optimizer, patience: 1, cooldown: 2);
        foreach (double m in metrics[..5])
        {
            scheduler.Step(m);
        }

        var state = scheduler.StateDict();
        Assert.Equal(5.0, state["last_epoch"].Item());
        Assert.Equal(0.9, state["best"].Item());
        var expected = metrics[5..].Select(m => { scheduler.Step(m); return (optimizer.Lr, scheduler.NumBadEpochs, scheduler.CooldownCounter); }).ToArray();

        var other = Sgd(1.0);
        var restored = new ReduceLROnPlateau(other, patience: 1, cooldown: 2);
        restored.LoadStateDict(state);
        Assert.Equal(state["lr"].Item(), other.Lr);
        var actual = metrics[5..].Select(m => { restored.Step(m); return (other.Lr, restored.NumBadEpochs, restored.CooldownCounter); }).ToArray();
        Assert.Equal(expected, actual);

        state["num_bad_epochs"] = new Tensor(new[] { 0.5 }, []);
        state["extra"] = new Tensor(new[] { 0.5 }, []);
        var ex = Assert.Throws<ArgumentException>(() => restored.LoadStateDict(state));
        Assert.Contains("unexpected key 'extra'", ex.Message);
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        var sgd = Sgd(0.1);
        Assert.Contains("startFactor must be in (0, 1], got 0", Assert.Throws<ArgumentException>(() => new LinearLR(sgd, startFactor: 0)).Message);
        Assert.Contains("endFactor must be in [0, 1], got 1.5", Assert.Throws<ArgumentException>(() => new LinearLR(sgd, endFactor: 1.5)).Message);
        Assert.Contains("totalIters must be at least 1", Assert.Throws<ArgumentException>(() => new LinearLR(sgd, totalIters: 0)).Message);
        Assert.Contains("pctStart must be in [0, 1], got 1.5", Assert.Throws<ArgumentException>(() => new OneCycleLR(sgd, 0.1, totalSteps: 10, pctStart: 1.5)).Message);
        Assert.Contains("maxLr must be a finite number > 0", Assert.Throws<ArgumentException>(() => new OneCycleLR(sgd, -1, totalSteps: 10)).Message);
        Assert.Contains("epochs must be at least 1", Assert.Throws<ArgumentException>(() => new OneCycleLR(sgd, 0.1, epochs: 0, stepsPerEpoch: 3)).Message);
        Assert.Contains("baseMomentum must be in [0, 1)", Assert.Throws<ArgumentException>(() => new OneCycleLR(sgd, 0.1, totalSteps: 10, baseMomentum: 1.2)).Message);
        Assert.Contains("factor must be in [0, 1)", Assert.Throws<ArgumentException>(() => new ReduceLROnPlateau(sgd, factor: 1)).Message);
        Assert.Contains("patience must be ≥ 0", Assert.Throws<ArgumentException>(() => new ReduceLROnPlateau(sgd, patience: -1)).Message);
        Assert.Contains("the metric is NaN", Assert.Throws<ArgumentException>(() => new ReduceLROnPlateau(sgd).Step(double.NaN)).Message);
        var other = Sgd(0.1);
        var foreign = new LinearLR(other);
        Assert.Contains("scheduler 1 (LinearLR) drives another optimizer", Assert.Throws<ArgumentException>(() => new SequentialLR(sgd, [new LinearLR(sgd), foreign], [2])).Message);
        Assert.Contains("2 schedulers need 1 milestones, got 0", Assert.Throws<ArgumentException>(() => new SequentialLR(sgd, [new LinearLR(sgd), new LinearLR(sgd)], [])).Message);
        Assert.Contains("milestones must be increasing", Assert.Throws<ArgumentException>(() => new SequentialLR(sgd, [new LinearLR(sgd), new LinearLR(sgd), new LinearLR(sgd)], [3, 3])).Message);
    }

    private static double Momentum(Optimizer optimizer) => optimizer switch
    {
        SGD sgd => sgd.Momentum,
        Adam adam => adam.Betas.Beta1,
        _ => 0,
    };
}
