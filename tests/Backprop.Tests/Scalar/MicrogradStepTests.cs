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
        var steps = ScalarBenchmark.Run(4, ScalarEngine.Tape).ToArray();
        Assert.True(steps[0].AllocatedBytes > 0); // the tape grows to the size of a step
        Assert.All(steps[1..], s => Assert.Equal(0, s.AllocatedBytes));
        Assert.True(ScalarBenchmark.Run(2, ScalarEngine.Value).Last().AllocatedBytes > 1_000_000); // an object per node
    }
}
