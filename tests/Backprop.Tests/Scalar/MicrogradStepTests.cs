using Backprop.Cli.Bench;

namespace Backprop.Tests.Scalar;

/// <summary>micrograd's demo step (the scalar benchmark) on the two scalar engines.</summary>
public class MicrogradStepTests
{
    [Fact]
    public void BothEnginesGiveTheSameLossTrajectory()
    {
        const int Steps = 6;
        var tape = ScalarBenchmark.Run(Steps, ScalarEngine.Tape).ToArray();
        var value = ScalarBenchmark.Run(Steps, ScalarEngine.Value).ToArray();
        Assert.Equal(Steps, tape.Length);
        for (int k = 0; k < Steps; k++)
        {
            // The engines add a parameter's 100+ gradient terms in different orders, so the last
            // bits may differ; a wrong derivative anywhere would change the loss in the first digits.
            double relative = Math.Abs(tape[k].Loss - value[k].Loss) / value[k].Loss;
            Assert.True(relative < 1e-12, $"step {k + 1}: tape loss {tape[k].Loss:R}, value loss {value[k].Loss:R}");
            Assert.Equal(value[k].Accuracy, tape[k].Accuracy);
            Assert.Equal(k + 1, tape[k].Step);
        }

        // micrograd's demo: the loss starts above 1 and falls as the moons are separated.
        Assert.True(tape[0].Loss > 1, $"{tape[0].Loss}");
        Assert.True(tape[^1].Loss < 0.6 * tape[0].Loss, $"{tape[0].Loss} -> {tape[^1].Loss}");
    }

    [Fact]
    public void TheTapeStepAllocatesNothingAfterTheFirst()
    {
        var steps = ScalarBenchmark.Run(6, ScalarEngine.Tape).ToArray();
        Assert.True(steps[0].AllocatedBytes > 0); // the tape grows to the size of a step

        // Now and then the runtime itself allocates a few KB on this thread in the middle of a step
        // (seen as 7 KB in one step while the full suite ran), so one clean step is the proof: an
        // allocation made by the step's code would show in every step.
        Assert.Contains(0L, steps[1..].Select(s => s.AllocatedBytes));
        Assert.All(steps[1..], s => Assert.True(s.AllocatedBytes < 64 * 1024, $"step {s.Step} allocated {s.AllocatedBytes} bytes"));
        Assert.True(ScalarBenchmark.Run(2, ScalarEngine.Value).Last().AllocatedBytes > 1_000_000); // an object per node
    }
}
