using Backprop.Explain;
using Backprop.Scalar;

namespace Backprop.Tests.Explain;

/// <summary>explain's numbers for every worked example of docs/design.md §1.</summary>
public class WorkedExamplesExplainTests
{
    private static void AssertDecimals(double expected, double actual, int decimals, string what) =>
        Assert.True(Math.Abs(expected - actual) < 0.5 * Math.Pow(10, -decimals),
            $"{what}: expected {expected} to {decimals} decimals, got {actual:R}");

    private static double Value(Explanation e, string name) => e.Graph.Nodes.Single(n => n.Name == name).Value;

    private static double Gradient(Explanation e, string name) => e.Gradients.Single(g => g.Input.Name == name).Gradient;

    private static void AssertFiniteDifferencesAgree(Explanation e)
    {
        foreach (var g in e.Gradients)
        {
            Assert.True(Math.Abs(g.Gradient - g.FiniteDifference) <= 1e-5 + (1e-3 * Math.Abs(g.FiniteDifference)),
                $"∂/∂{g.Input.Name}: {g.Gradient} vs finite difference {g.FiniteDifference}");
        }
    }

    [Fact]
    public void EveryExampleHasAName()
    {
        Assert.Equal(["abc", "chain", "w123", "mazur", "regression", "classification"], WorkedExamples.Names);
        Assert.All(WorkedExamples.Names, n => Assert.Equal(n, WorkedExamples.Get(n).Name));
        Assert.Contains("known: abc, chain", Assert.Throws<ArgumentException>(() => WorkedExamples.Get("xor")).Message);
    }

    [Fact]
    public void Abc()
    {
        var e = WorkedExamples.Get("abc").Explain();
        Assert.Equal(4, e.Graph.Output.Value); // 2·(−3) + 10
        Assert.Equal(-3, Gradient(e, "a"));    // b
        Assert.Equal(2, Gradient(e, "b"));     // a
        Assert.Equal(1, Gradient(e, "c"));
        AssertFiniteDifferencesAgree(e);
    }

    [Fact]
    public void Chain()
    {
        var e = WorkedExamples.Get("chain").Explain();
        Assert.Equal(48, e.Graph.Output.Value); // 5·9 + 3
        Assert.Equal(30, Gradient(e, "t"));     // 10t
        Assert.Equal(5, e.Backward.GradientOf(e.Graph.Nodes.Single(n => n.Name == "x")));
        AssertFiniteDifferencesAgree(e);
    }

    [Fact]
    public void W123()
    {
        var e = WorkedExamples.Get("w123").Explain();
        Assert.Equal(-6, Value(e, "g"));
        Assert.Equal(-2, Value(e, "y"));
        Assert.Equal(-10, Value(e, "z"));
        Assert.Equal(-10, Gradient(e, "w1"));
        Assert.Equal(5, Gradient(e, "w2"));
        Assert.Equal(-2, Gradient(e, "w3"));
        AssertFiniteDifferencesAgree(e);

        var step = e.Step!;
        Assert.Equal(20, step.Value);       // loss = target − z
        Assert.Equal(-1, step.OutputGradient);
        Assert.Equal([10.0, -5.0, 2.0], step.Updates.Select(u => u.LossGradient));
        Assert.Equal([2.0, 4.5, 4.8], step.Updates.Select(u => u.NewValue), new ToleranceComparer(1e-12));
        Assert.Equal(2.4, step.OutputAfter, 12);
        Assert.Equal(7.6, step.ValueAfter, 12);
    }

    [Fact]
    public void MazurForwardPassAndOneStep()
    {
        var example = WorkedExamples.Get("mazur");
        var e = example.Explain();
        AssertDecimals(0.593269992, Value(e, "out_h1"), 9, "out_h1");
        AssertDecimals(0.596884378, Value(e, "out_h2"), 9, "out_h2");
        AssertDecimals(0.751365070, Value(e, "out_o1"), 9, "out_o1");
        AssertDecimals(0.772928465, Value(e, "out_o2"), 9, "out_o2");
        AssertDecimals(0.298371109, e.Graph.Output.Value, 9, "E");
        AssertFiniteDifferencesAgree(e);

        double[] expected = [0.149780716, 0.199561432, 0.249751144, 0.299502287, 0.358916480, 0.408666186, 0.511301270, 0.561370121];
        var updates = e.Step!.Updates;
        Assert.Equal(8, updates.Count);
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal($"w{i + 1}", updates[i].Input.Name);
            AssertDecimals(expected[i], updates[i].NewValue, 9, $"w{i + 1}");
        }

        // out_h1 and out_h2 each feed both output units: version A sums two terms.
        var shared = e.Consumers.Sums.Where(s => s.Terms.Count > 1).Select(s => s.Node.Name).Order();
        Assert.Equal(["out_h1", "out_h2"], shared);
    }

    [Fact]
    public void MazurGradientsEqualTheScalarEngines()
    {
        // The same network in the Value engine (samples/WorkedExamples, Scalar tests).
        Value[] w = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55];
        Value h1 = (w[0] * 0.05 + w[1] * 0.10 + 0.35).Sigmoid();
        Value h2 = (w[2] * 0.05 + w[3] * 0.10 + 0.35).Sigmoid();
        Value o1 = (w[4] * h1 + w[5] * h2 + 0.60).Sigmoid();
        Value o2 = (w[6] * h1 + w[7] * h2 + 0.60).Sigmoid();
        Value error = 0.5 * (0.01 - o1).Pow(2) + 0.5 * (0.99 - o2).Pow(2);
        error.Backward();

        var e = WorkedExamples.Get("mazur").Explain();
        for (int i = 0; i < 8; i++)
        {
            Assert.Equal(w[i].Grad, Gradient(e, $"w{i + 1}"), 15);
        }
    }

    [Fact]
    public void MazurTenThousandSteps()
    {
        var (e, values) = WorkedExamples.Get("mazur").Descend();
        Assert.True(Math.Abs(e - 3.5102e-05) < 5e-10, $"E = {e:R}");
        Assert.Equal(8, values.Count);
    }

    [Fact]
    public void RegressionEpochMeans()
    {
        var example = WorkedExamples.Get("regression");
        Assert.Equal(9, example.Inputs.Count);
        var e = example.Explain();
        Assert.Equal(9, e.Step!.Updates.Count); // every weight's gradient and update
        AssertFiniteDifferencesAgree(e);
        var (losses, _) = example.Train();
        double[] expected = [26.3456, 19.8594, 10.8816, 3.7770, 1.2238];
        Assert.Equal(expected.Length, losses.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            AssertDecimals(expected[i], losses[i], 4, $"epoch {i + 1}");
        }
    }

    [Fact]
    public void ClassificationLossDecreasesEveryEpoch()
    {
        var example = WorkedExamples.Get("classification");
        AssertFiniteDifferencesAgree(example.Explain());
        var (losses, _) = example.Train();
        Assert.Equal(20, losses.Count);
        for (int i = 1; i < losses.Count; i++)
        {
            Assert.True(losses[i] < losses[i - 1], $"epoch {i + 1}: {losses[i]} ≥ {losses[i - 1]}");
        }

        // The scalar engine's numbers for the same run (tests/Scalar/WorkedExamplesScalarTests).
        AssertDecimals(0.69809, losses[0], 5, "epoch 1");
        AssertDecimals(0.69207, losses[19], 5, "epoch 20");
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("chain")]
    [InlineData("w123")]
    [InlineData("mazur")]
    [InlineData("regression")]
    [InlineData("classification")]
    public void EveryExampleRendersInEveryFormat(string name)
    {
        var report = WorkedExamples.Get(name).ToReport();
        foreach (var format in Enum.GetValues<ReportFormat>())
        {
            string text = ReportWriter.ToString(report, format);
            Assert.Contains(name, text);
            if (format == ReportFormat.Tex)
            {
                ReportWriterTests.AssertTexIsAscii(text);
            }
        }
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }
}
