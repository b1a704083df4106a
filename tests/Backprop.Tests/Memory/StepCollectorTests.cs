namespace Backprop.Tests.Memory;

/// <summary>The step collector's policy against a simulated runtime with a fixed generation-0 budget.</summary>
public class StepCollectorTests
{
    /// <summary>
    /// A runtime that collects generation 0 whenever the bytes allocated since its last collection pass
    /// its budget, possibly in the middle of a step; what the step allocates after that counts toward
    /// the next window.
    /// </summary>
    private sealed class SimulatedRuntime(long budget, long startingFill = 0)
    {
        public long Allocated { get; private set; }

        public int Collections { get; private set; }

        public int Natural { get; private set; }

        private long _since = startingFill;

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

        public StepCollector Collector() => new(() => Allocated, () => Collections, Collect);
    }

    [Fact]
    public void OnceTheBudgetIsKnownEveryCollectionFallsBetweenSteps()
    {
        var runtime = new SimulatedRuntime(budget: 64 << 20);
        var collector = runtime.Collector();
        const long step = 10 << 20;
        for (int i = 0; i < 20; i++)
        {
            runtime.Step(step);
            collector.StepCompleted();
        }

        // Learned to within a step: what a step allocates after a collection inside it is not seen.
        Assert.InRange(collector.Budget, (64L << 20) - step, (64L << 20) + step);
        int naturalBefore = runtime.Natural, inducedBefore = collector.Collections;
        for (int i = 0; i < 600; i++)
        {
            runtime.Step(step);
            collector.StepCompleted();
        }

        // No collection inside a step any more, and not many more than needed: six steps of 10 MB fit
        // the 64 MB budget, so one collection every six steps at best, every five with the estimate.
        Assert.Equal(naturalBefore, runtime.Natural);
        Assert.InRange(collector.Collections - inducedBefore, 100, 120);
    }

    [Fact]
    public void TheFirstWindowDoesNotTeachABudgetItSawOnlyPartOf()
    {
        // The collector starts when the runtime's budget is already 50 of 64 MB full.
        var runtime = new SimulatedRuntime(budget: 64 << 20, startingFill: 50 << 20);
        var collector = runtime.Collector();
        runtime.Step(10 << 20);
        collector.StepCompleted();
        runtime.Step(10 << 20); // the runtime collects here, after 20 MB seen by the collector
        collector.StepCompleted();
        Assert.Equal(0, collector.Budget);
        Assert.Equal(0, collector.Collections);

        for (int i = 0; i < 10 && collector.Budget == 0; i++)
        {
            runtime.Step(10 << 20);
            collector.StepCompleted();
        }

        // The next window, counted from the end of the step the collection fell in: five steps, and
        // the step with the next collection: 60 MB against the runtime's 64 (the runtime's window also
        // held the 6 MB the earlier step allocated after its collection), within a step.
        Assert.Equal(60L << 20, collector.Budget);
    }

    [Fact]
    public void StepsLargerThanTheBudgetAddNoCollections()
    {
        var runtime = new SimulatedRuntime(budget: 64 << 20);
        var collector = runtime.Collector();
        for (int i = 0; i < 100; i++)
        {
            runtime.Step(100 << 20);
            collector.StepCompleted();
        }

        Assert.Equal(0, collector.Collections);
        Assert.True(runtime.Natural >= 100);
    }

    [Fact]
    public void AStepCollectorOverTheRealRuntimeCollectsGenerationZero()
    {
        var collector = new StepCollector();
        int before = GC.CollectionCount(0);
        for (int i = 0; i < 50; i++)
        {
            GC.KeepAlive(new byte[1 << 20]);
            collector.StepCompleted();
        }

        Assert.True(GC.CollectionCount(0) >= before + collector.Collections);
    }
}
