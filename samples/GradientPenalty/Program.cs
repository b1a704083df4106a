// A WGAN-GP critic on a 2-D problem: "real" points on a circle of radius 2, "fake" points in a small
// blob at the origin. The critic maximizes E[D(real)] − E[D(fake)] under the gradient penalty
// λ·(‖∇ₓD(x̂)‖₂ − 1)² on interpolates x̂, a loss that contains a gradient, so training it differentiates
// the critic twice (Autograd.Grad with createGraph: true). With the penalty the gradient norms settle
// near 1 and the estimate near the Wasserstein-1 distance; without it (λ = 0) both run away.
//
// The penalty is soft: scaling a critic with unit gradient norm by 1 + δ raises the estimate to
// (1 + δ)·W₁ and costs λδ², so the best trade is δ = W₁/(2λ), not 0. The sample prints that
// prediction next to what training reaches (a larger λ brings the norm closer to 1).
//
// Run: dotnet run -c Release --project samples/GradientPenalty              (1000 steps, seconds)
//      dotnet run -c Release --project samples/GradientPenalty -- 3000 50   (STEPS, LAMBDA)
using Backprop;
using Backprop.Samples;
using Backprop.Samples.GradientPenalty;

SampleArgs.ReportErrorsAsOneLine("GradientPenalty");
int steps = SampleArgs.Int(args, 0, "STEPS", 1000);
double lambda = SampleArgs.Positive(args, 1, "LAMBDA", 10.0);

var data = new RingAndBlob(new Generator(0));
Console.WriteLine($"real: uniform on a circle of radius {data.Radius}; fake: N(0, {data.BlobStd}²I); W1 = {data.Wasserstein1:F4}");
foreach (double l in new[] { lambda, 0.0 })
{
    Console.WriteLine();
    Console.WriteLine(l > 0
        ? $"critic with the gradient penalty, lambda = {l}: expect mean |grad_x D| -> {CriticTraining.PredictedGradientNorm(data.Wasserstein1, l):F4}, estimate -> {CriticTraining.PredictedEstimate(data.Wasserstein1, l):F4}"
        : "the same critic without it (lambda = 0): nothing bounds its slope");
    Console.WriteLine("   step   critic loss   mean |grad_x D|   E[D(real)] - E[D(fake)]");
    CriticTraining.Train(data, steps, l, new Generator(1), report: r =>
        Console.WriteLine($"{r.Step,7}   {r.CriticLoss,11:F4}   {r.GradientNorm,15:F4}   {r.Estimate,23:F4}"));
}
