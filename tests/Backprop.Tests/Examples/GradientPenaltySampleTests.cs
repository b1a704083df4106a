using Backprop.Samples.GradientPenalty;

namespace Backprop.Tests.Examples;

/// <summary>samples/GradientPenalty: the WGAN-GP critic on a ring against a blob, with small step counts.</summary>
public class GradientPenaltySampleTests
{
    [Fact]
    public void ThePenaltyHoldsTheGradientNormNearOneAndTheEstimateNearW1()
    {
        var data = new RingAndBlob(new Generator(0));
        var (_, reports) = CriticTraining.Train(data, steps: 400, lambda: 10, new Generator(1), batch: 64, every: 100);
        var last = reports[^1];

        // The soft penalty's optimum: norm 1 + W₁/(2λ) = 1.0875, estimate (1 + W₁/(2λ))·W₁ = 1.902.
        Assert.Equal(1.0875, CriticTraining.PredictedGradientNorm(data.Wasserstein1, 10), 4);
        Assert.InRange(last.GradientNorm, 1.0875 - 0.01, 1.0875 + 0.01);
        Assert.InRange(last.Estimate, 1.902 * 0.97, 1.902 * 1.03);
        Assert.InRange(last.CriticLoss, -1.826 - 0.05, -1.826 + 0.05);
    }

    [Fact]
    public void ALargerPenaltyBringsTheNormCloserToOne()
    {
        var data = new RingAndBlob(new Generator(0));
        // A stiffer penalty takes longer to settle (about 600 steps here), at 1 + W₁/100 = 1.0175.
        var last = CriticTraining.Train(data, steps: 700, lambda: 50, new Generator(1), batch: 64).Reports[^1];
        Assert.Equal(1.0175, CriticTraining.PredictedGradientNorm(data.Wasserstein1, 50), 4);
        Assert.InRange(last.GradientNorm, 1.0175 - 0.005, 1.0175 + 0.005);
        Assert.InRange(last.Estimate, 1.780 * 0.98, 1.780 * 1.02);
    }

    [Fact]
    public void WithoutThePenaltyTheSlopeRunsAway()
    {
        var data = new RingAndBlob(new Generator(0));
        var reports = CriticTraining.Train(data, steps: 200, lambda: 0, new Generator(1), batch: 64).Reports;
        Assert.True(reports[^1].GradientNorm > 10, $"mean norm {reports[^1].GradientNorm}");
        Assert.True(reports[^1].Estimate > 10 * data.Wasserstein1, $"estimate {reports[^1].Estimate}");
    }

    [Fact]
    public void ThePenaltysGradientReachesTheCriticsWeightsThroughTheRecordedGradient()
    {
        // float64 critic and points; the penalty's backward pass goes through ∇ₓD (createGraph: true)
        // into every weight matrix, and matches central differences of the penalty. The biases move
        // ∇ₓD = W₃·diag(m₂)·W₂·diag(m₁)·W₁ only through the LeakyReLU masks mᵢ, which are piecewise
        // constant, so the penalty's gradient in them is zero (null for the last bias, which ∇ₓD
        // does not depend on at all), and the differences agree.
        var critic = CriticTraining.Critic(new Generator(3), DType.Float64);
        var real = new RingAndBlob(new Generator(4)).Real(16).To(DType.Float64);
        var fake = new RingAndBlob(new Generator(5)).Fake(16).To(DType.Float64);
        double Penalty() => CriticTraining.Penalty(critic, real, fake, 10, new Generator(6)).Penalty.Item();

        var (penalty, _) = CriticTraining.Penalty(critic, real, fake, 10, new Generator(6));
        penalty.Backward();
        Assert.Null(critic.NamedParameters().Last().Parameter.Grad);
        foreach (var (name, weight) in critic.NamedParameters())
        {
            if (name.EndsWith("weight", StringComparison.Ordinal))
            {
                Assert.True(weight.Grad!.Abs().Sum().Item() > 0, $"{name} got no gradient from the penalty");
            }

            foreach (int i in new[] { 0, weight.Numel / 2, weight.Numel - 1 })
            {
                double saved = weight.GetDouble(i);
                weight.SetDouble(i, saved + 1e-6);
                double plus = Penalty();
                weight.SetDouble(i, saved - 1e-6);
                double minus = Penalty();
                weight.SetDouble(i, saved);
                double numeric = (plus - minus) / 2e-6;
                double analytic = weight.Grad?.GetDouble(i) ?? 0;
                Assert.True(Math.Abs(numeric - analytic) <= 1e-6 + (1e-5 * Math.Abs(numeric)), $"{name}[{i}]: analytic {analytic:R}, numeric {numeric:R}");
            }
        }
    }
}
