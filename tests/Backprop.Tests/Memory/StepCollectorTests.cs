namespace Backprop.Tests.Memory;

/// <summary>The step collector's policy against a simulated runtime with a fixed generation-0 budget.</summary>
public class StepCollectorTests
{
    private const long MB = 1 << 20;

    /// <summary>
    /// A runtime that collects generation 0 whenever the bytes allocated since its last collection pass
    /// its budget, possibly in the middle of a step; what the step allocates after that counts toward
    /// the next window.
    /// </summary>
    private sealed class SimulatedRuntime(long budget, long startingFill = 0)
    {
        private long _since = startingFill;

        public long Allocated { get; private set; }

        public int Collections { get; private set; }

        public int Natural { get; private set; }

        public void Step(long bytes)
        {
            Allocated += bytes;
            _since += bytes;
            while (_since > budget)
            {
                _since -= budget;
                Collections++;
                Natural++;
            }
        }

        public void Collect()
        {
            _since = 0;
            Collections++;
        }

        public StepCollector Collector(long budget) => new(budget, () => Allocated, () => Collections, Collect);
    }

    [Theory]
    [InlineData(10, 64, 50, 3)]  // 10 MB steps: three fit the 32 MB window, one collection every three
    [InlineData(41, 48, 1, 1)]   // the CNN's 41 MB steps in a 48 MB budget (the window): one per step
    [InlineData(2, 64, 50, 15)]  // the MLP's 2 MB steps: fifteen fit the 32 MB window
    [InlineData(20, 48, 0, 2)]   // 20 MB steps: two fit the budget, which is the window (2 × 22.5 MB > 32)
    [InlineData(2, 16, 0, 7)]    // a budget below the window: seven 2 MB steps fit 16 MB
    public void CollectionsFallBetweenStepsAndNoMoreOftenThanNeeded(long stepMB, long budgetMB, long startingFillMB, int stepsPerCollection)
    {
        var runtime = new SimulatedRuntime(budgetMB * MB, startingFillMB * MB);
        var collector = runtime.Collector(budgetMB * MB);
        for (int i = 0; i < 100; i++)
        {
            runtime.Step(stepMB * MB);
            collector.StepCompleted();
        }

        int naturalBefore = runtime.Natural, inducedBefore = collector.Collections;
        int steps = 62 * stepsPerCollection;
        for (int i = 0; i < steps; i++)
        {
            runtime.Step(stepMB * MB);
            collector.StepCompleted();
        }

        Assert.Equal(naturalBefore, runtime.Natural);
        Assert.Equal(62, collector.Collections - inducedBefore);
    }

    [Fact]
    public void StepsLargerThanTheBudgetAddNoCollections()
    {
        var runtime = new SimulatedRuntime(64 * MB);
        var collector = runtime.Collector(64 * MB);
        for (int i = 0; i < 100; i++)
        {
            runtime.Step(100 * MB);
            collector.StepCompleted();
        }

        Assert.Equal(0, collector.Collections);
        Assert.True(runtime.Natural >= 100);
    }

    [Fact]
    public void TinyStepsAreCollectedAtMostTwicePerBudget()
    {
        // Even with a budget far below the real one, collections come at most once per half budget.
        var runtime = new SimulatedRuntime(64 * MB);
        var collector = runtime.Collector(8 * MB);
        for (int i = 0; i < 1000; i++)
        {
            runtime.Step(MB / 2);
            collector.StepCompleted();
        }

        Assert.InRange(collector.Collections, 1, 1000 / 8);
    }

    [Fact]
    public void WithoutAKnownBudgetItNeverCollects()
    {
        var runtime = new SimulatedRuntime(64 * MB);
        var collector = runtime.Collector(0);
        for (int i = 0; i < 100; i++)
        {
            runtime.Step(10 * MB);
            collector.StepCompleted();
        }

        Assert.Equal(0, collector.Collections);
    }

    [Fact]
    public void OverTheRealRuntimeItReadsTheBudgetAndCollectsGenerationZero()
    {
        var collector = new StepCollector();
        Assert.True(collector.Budget > 0, "the runtime reports its generation-0 budget limit");
        int before = GC.CollectionCount(0);
        for (int i = 0; i < 200; i++)
        {
            GC.KeepAlive(new byte[1 << 20]);
            collector.StepCompleted();
        }

        Assert.True(GC.CollectionCount(0) >= before + collector.Collections);
    }
}
