// Second derivatives put to work, with the exact Hessians of Autograd.Functional.Hessian:
//   newton    Newton's method on L2-regularized logistic regression: the gradient norm falls
//             quadratically (its exponent doubles per step), against gradient descent's steady
//             linear decrease;
//   spectrum  the eigenvalues of a tiny tanh network's loss Hessian at a minimum it was trained to,
//             and their condition number.
// The linear algebra (Cholesky solve, Jacobi eigenvalues) is written out in this sample on double arrays.
//
// Run: dotnet run -c Release --project samples/SecondOrder               (both, seconds)
//      dotnet run -c Release --project samples/SecondOrder -- newton     (or spectrum)
using Backprop;
using Backprop.Samples;
using Backprop.Samples.SecondOrder;

SampleArgs.ReportErrorsAsOneLine("SecondOrder");
string part = args.Length > 0 ? args[0] : "both";
if (part is not ("newton" or "spectrum" or "both"))
{
    throw new ArgumentException($"unknown part '{part}' (expected newton, spectrum or both)");
}

if (part is "newton" or "both")
{
    NewtonVersusGradientDescent();
}

if (part is "spectrum" or "both")
{
    Spectrum();
}

static void NewtonVersusGradientDescent()
{
    var problem = new LogisticRegression(count: 200, features: 3, alpha: 1e-3, new Generator(0));
    var start = new double[problem.Features + 1];
    Console.WriteLine($"L2-regularized logistic regression, 200 points, {problem.Features} features + bias, alpha = {problem.Alpha}");

    // σ' ≤ 1/4, so the Hessian at w = 0 (where σ' = 1/4 for every point) bounds the curvature everywhere:
    // its largest eigenvalue is the smoothness constant L, and 1/L is gradient descent's safe step.
    double smoothness = JacobiEigenvalues.Compute(NewtonMethod.Hessian(problem.Loss, start))[^1];
    var (newton, _) = NewtonMethod.Newton(problem.Loss, start, tolerance: 1e-13, maxIterations: 20);
    var (descent, _) = NewtonMethod.GradientDescent(problem.Loss, start, 1 / smoothness, tolerance: 1e-10, maxIterations: 20000);
    Console.WriteLine($"Newton (exact Hessian, Cholesky solve) against gradient descent with step 1/L = {1 / smoothness:F3}");
    Console.WriteLine(" iter   Newton |grad|   descent |grad|");
    for (int k = 0; k < newton.Count; k++)
    {
        Console.WriteLine($"{k,5}   {newton[k].GradientNorm,13:0.00e+00}   {descent[k].GradientNorm,14:0.00e+00}");
    }

    Console.WriteLine(descent[^1].GradientNorm < 1e-10
        ? $"gradient descent needs {descent[^1].Iteration} iterations to bring |grad| below 1e-10; Newton needed {newton[^1].Iteration}"
        : $"gradient descent is still at |grad| = {descent[^1].GradientNorm:0.00e+00} after {descent[^1].Iteration} iterations");
    Console.WriteLine($"loss at the minimum: {newton[^1].Loss:F12}");
}

static void Spectrum()
{
    Console.WriteLine();
    Console.WriteLine($"A 2-4-1 tanh network ({TinyNetwork.ParameterCount} parameters, float64), MSE + (alpha/2)|p|^2 with alpha = {TinyNetwork.Alpha} on 25 grid points: Adam, then Newton steps");
    var (minimum, newton) = TinyNetwork.TrainToMinimum();
    foreach (var iterate in newton)
    {
        Console.WriteLine($"  Newton {iterate.Iteration}: loss {iterate.Loss:0.000000e+00}, |grad| {iterate.GradientNorm:0.00e+00}");
    }

    double[] eigenvalues = JacobiEigenvalues.Compute(NewtonMethod.Hessian(TinyNetwork.Loss, minimum));
    Console.WriteLine($"eigenvalues of the {eigenvalues.Length} x {eigenvalues.Length} Hessian at the minimum (Jacobi):");
    Console.WriteLine("  " + string.Join(", ", eigenvalues.Select(e => e.ToString("0.000e+00", System.Globalization.CultureInfo.InvariantCulture))));
    Console.WriteLine($"smallest {eigenvalues[0]:0.000e+00}, largest {eigenvalues[^1]:0.000e+00}, condition number {eigenvalues[^1] / eigenvalues[0]:0.0e+00}");
    int flat = eigenvalues.Count(e => e < 10 * TinyNetwork.Alpha);
    Console.WriteLine($"All positive: a strict minimum. {flat} of them are below 10·alpha = {10 * TinyNetwork.Alpha}: directions the 25 points");
    Console.WriteLine("hardly constrain, held mostly by the L2 term (whose Hessian is alpha·I). A tanh network's symmetries");
    Console.WriteLine("(swapping hidden units, flipping the signs of one unit's weights in and out) are discrete: they map");
    Console.WriteLine("this minimum to other, equal ones rather than along a flat valley, so they add no zero eigenvalue.");
    Console.WriteLine("The spread is why gradient descent is slow here: its step must suit the largest curvature, and it");
    Console.WriteLine($"then gains only a factor of about 1 - 1/{eigenvalues[^1] / eigenvalues[0]:F0} per step along the flattest direction.");
}
