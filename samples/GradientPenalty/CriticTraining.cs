using Backprop;
using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Samples.GradientPenalty;

/// <summary>What the training reports every few steps, and at the end.</summary>
/// <param name="Step">The step just taken (1-based).</param>
/// <param name="CriticLoss">Mean over the last report interval of E[D(fake)] − E[D(real)] + penalty.</param>
/// <param name="GradientNorm">Mean over the interval of ‖∇ₓD(x̂)‖₂ on the interpolates x̂.</param>
/// <param name="Estimate">Mean over the interval of E[D(real)] − E[D(fake)], the critic's estimate of W₁.</param>
internal readonly record struct CriticReport(int Step, double CriticLoss, double GradientNorm, double Estimate);

/// <summary>
/// A WGAN-GP critic (Gulrajani et al., 2017) trained on <see cref="RingAndBlob"/>: it maximizes
/// E[D(real)] − E[D(fake)], and the gradient penalty λ·E[(‖∇ₓD(x̂)‖₂ − 1)²] on random interpolates
/// x̂ = ε·real + (1 − ε)·fake keeps it close to 1-Lipschitz, so the maximum approaches the
/// Wasserstein-1 distance. The penalty is a function of ∇ₓD, so its gradient with respect to the
/// critic's weights is a second derivative: ∇ₓD is computed with <c>createGraph: true</c>, and the
/// loss's backward pass goes through that recorded backward pass into the weights.
/// </summary>
internal static class CriticTraining
{
    /// <summary>
    /// Where the mean gradient norm settles for penalty weight <paramref name="lambda"/>: 1 + W₁/(2λ).
    /// A critic with unit gradient norm along the interpolation lines, scaled by 1 + δ, earns (1 + δ)·W₁
    /// and pays λδ²; the best δ is W₁/(2λ), so the penalty pulls the norm to 1 only as λ grows.
    /// </summary>
    public static double PredictedGradientNorm(double wasserstein1, double lambda) => 1 + (wasserstein1 / (2 * lambda));

    /// <summary>The estimate E[D(real)] − E[D(fake)] at that trade: (1 + W₁/(2λ))·W₁.</summary>
    public static double PredictedEstimate(double wasserstein1, double lambda) => PredictedGradientNorm(wasserstein1, lambda) * wasserstein1;

    /// <summary>The critic: 2 → 64 → 64 → 1 with LeakyReLU(0.2) between (float32 unless <paramref name="dtype"/> says otherwise).</summary>
    public static Sequential Critic(Generator generator, DType dtype = DType.Float32) => new(
        new Linear(2, 64, generator: generator, dtype: dtype),
        new LeakyReLU(0.2),
        new Linear(64, 64, generator: generator, dtype: dtype),
        new LeakyReLU(0.2),
        new Linear(64, 1, generator: generator, dtype: dtype));

    /// <summary>
    /// The penalty λ·mean((‖∇ₓD(x̂)‖₂ − 1)²) and the norms, with ∇ₓD recorded so the penalty can be
    /// back-propagated into the critic's weights.
    /// </summary>
    public static (Tensor Penalty, Tensor Norms) Penalty(Module critic, Tensor real, Tensor fake, double lambda, Generator generator)
    {
        var epsilon = Tensor.Rand([real.Size(0), 1], generator, real.DType);
        var interpolates = (epsilon * real + (1 - epsilon) * fake).RequiresGrad_();
        var scores = critic.Forward(interpolates);

        // d(Σ D(x̂ᵢ))/dx̂ᵢ = ∇ₓD(x̂ᵢ): each row's score depends on its own point only.
        var gradients = Autograd.Grad(scores.Sum(), [interpolates], createGraph: true)[0]!;
        var norms = (gradients * gradients).Sum(1).Sqrt();
        return (lambda * (norms - 1).Pow(2).Mean(), norms);
    }

    /// <summary>
    /// Trains a fresh critic for <paramref name="steps"/> Adam steps on batches of
    /// <paramref name="batch"/> real and fake points, reporting every <paramref name="every"/> steps.
    /// </summary>
    /// <returns>The trained critic and its reports (the last one covers the final interval).</returns>
    public static (Sequential Critic, List<CriticReport> Reports) Train(
        RingAndBlob data, int steps, double lambda, Generator generator, int batch = 128, int every = 100, Action<CriticReport>? report = null)
    {
        var critic = Critic(generator);
        var optimizer = new Adam(critic.Parameters(), lr: 1e-3, betas: (0.5, 0.9));
        var reports = new List<CriticReport>();
        double lossSum = 0, normSum = 0, estimateSum = 0;
        int count = 0;
        for (int step = 1; step <= steps; step++)
        {
            var (real, fake) = (data.Real(batch), data.Fake(batch));
            optimizer.ZeroGrad();
            var estimate = critic.Forward(real).Mean() - critic.Forward(fake).Mean();
            var (penalty, norms) = Penalty(critic, real, fake, lambda, generator);
            var loss = penalty - estimate;
            loss.Backward();
            optimizer.Step();

            lossSum += loss.Item();
            normSum += norms.Mean().Item();
            estimateSum += estimate.Item();
            count++;
            if (step % every == 0 || step == steps)
            {
                var entry = new CriticReport(step, lossSum / count, normSum / count, estimateSum / count);
                reports.Add(entry);
                report?.Invoke(entry);
                (lossSum, normSum, estimateSum, count) = (0, 0, 0, 0);
            }
        }

        return (critic, reports);
    }
}
