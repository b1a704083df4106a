using Backprop.Samples.SecondOrder;

namespace Backprop.Tests.Examples;

/// <summary>samples/SecondOrder: Newton's method with exact Hessians, and a tiny network's Hessian spectrum at a minimum.</summary>
public class SecondOrderSampleTests
{
    // The minimum samples/SecondOrder's spectrum part trains the 2-4-1 tanh network to (seed 0), to 16 digits.
    private static readonly double[] Minimum =
    [
        0.9058760520384758, 0.5652997288497141, 0.9058760520384767, -0.5652997288497148, 0.9058760520384761, 0.5652997288497146,
        -0.905876052038475, 0.5652997288497141, 0.7691620900296712, 0.7691620900296717, -0.7691620900296716, 0.7691620900296705,
        -1.1608304361357076, 1.1608304361357078, 1.1608304361357071, 1.1608304361357078, -6.117079723805836E-17,
    ];

    [Fact]
    public void CholeskySolvesASymmetricPositiveDefiniteSystemAndRefusesAnIndefiniteOne()
    {
        double[,] a = { { 4, 2, 0.4 }, { 2, 5, 1 }, { 0.4, 1, 3 } };
        double[] x = [1, -2, 0.5];
        double[] b = [.. Enumerable.Range(0, 3).Select(i => Enumerable.Range(0, 3).Sum(j => a[i, j] * x[j]))];
        double[] solved = Cholesky.Solve(a, b);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(x[i], solved[i], 12);
        }

        var error = Assert.Throws<ArgumentException>(() => Cholesky.Solve(new double[,] { { 1, 2 }, { 2, 1 } }, [1, 1]));
        Assert.Contains("not positive definite", error.Message);
    }

    [Fact]
    public void JacobiFindsTheKnownEigenvaluesOfTheSecondDifferenceMatrix()
    {
        // tridiag(−1, 2, −1) of order n has eigenvalues 2 − 2·cos(kπ/(n + 1)), k = 1..n.
        const int n = 6;
        var a = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            a[i, i] = 2;
            if (i > 0)
            {
                a[i, i - 1] = a[i - 1, i] = -1;
            }
        }

        double[] eigenvalues = JacobiEigenvalues.Compute(a);
        for (int k = 1; k <= n; k++)
        {
            Assert.Equal(2 - (2 * Math.Cos(k * Math.PI / (n + 1))), eigenvalues[k - 1], 12);
        }

        Assert.Throws<ArgumentException>(() => JacobiEigenvalues.Compute(new double[,] { { 1, 2 }, { 0, 1 } }));
    }

    [Fact]
    public void NewtonConvergesQuadraticallyWhereGradientDescentCrawls()
    {
        var problem = new LogisticRegression(count: 200, features: 3, alpha: 1e-3, new Generator(0));
        var start = new double[problem.Features + 1];
        var (newton, minimum) = NewtonMethod.Newton(problem.Loss, start, tolerance: 1e-10, maxIterations: 20);
        Assert.True(newton[^1].GradientNorm < 1e-10, $"Newton ended at |grad| {newton[^1].GradientNorm}");
        Assert.True(newton.Count - 1 <= 6, $"Newton took {newton.Count - 1} iterations");

        // Quadratic: once the norm is small, the next is about its square (the exponent doubles).
        for (int k = 2; k < newton.Count; k++)
        {
            if (newton[k - 1].GradientNorm < 1e-2)
            {
                Assert.True(newton[k].GradientNorm < 10 * newton[k - 1].GradientNorm * newton[k - 1].GradientNorm, $"iteration {k}: {newton[k - 1].GradientNorm} → {newton[k].GradientNorm}");
            }
        }

        double smoothness = JacobiEigenvalues.Compute(NewtonMethod.Hessian(problem.Loss, start))[^1];
        var (descent, _) = NewtonMethod.GradientDescent(problem.Loss, start, 1 / smoothness, tolerance: 1e-10, maxIterations: 500);
        Assert.Equal(500, descent[^1].Iteration);
        Assert.True(descent[^1].GradientNorm > 1e-3, $"gradient descent reached {descent[^1].GradientNorm} in 500 iterations");

        // Its loss is still above Newton's minimum, which is a minimum: the Hessian there is positive definite.
        Assert.True(descent[^1].Loss > newton[^1].Loss);
        Assert.True(JacobiEigenvalues.Compute(NewtonMethod.Hessian(problem.Loss, minimum))[0] > 0);
    }

    [Fact]
    public void TheTinyNetworkTrainsToTheMinimumWhoseHessianIsPositiveDefinite()
    {
        var (parameters, newton) = TinyNetwork.TrainToMinimum();
        Assert.True(newton[^1].GradientNorm < 1e-12, $"|grad| {newton[^1].GradientNorm}");
        Assert.True(newton.Count <= 10, $"{newton.Count - 1} Newton iterations");
        for (int i = 0; i < Minimum.Length; i++)
        {
            Assert.True(Math.Abs(parameters[i] - Minimum[i]) < 1e-8, $"parameter {i}: {parameters[i]:R}, expected {Minimum[i]:R}");
        }
    }

    [Fact]
    public void TheHessianAtTheMinimumIsSymmetricWithEigenvaluesMatchingPyTorch()
    {
        // torch.autograd.functional.hessian of the same loss at the same parameters, then torch.linalg.eigvalsh (PyTorch 1.13, float64).
        double[] expected =
        [
            0.0022862555923434755, 0.002408269046425793, 0.002530027605113753, 0.002984088637763544, 0.0036296977783862685,
            0.006358697239395454, 0.006921902272545438, 0.009419136988424595, 0.02935951308940887, 0.046241509994702036,
            0.08405464763039332, 0.10362342039578377, 0.34902976150468035, 0.42546282586982814, 2.2047175926209923,
            3.337742402714809, 7.710263378208625,
        ];
        var (loss, gradient) = NewtonMethod.LossAndGradient(TinyNetwork.Loss, Minimum);
        Assert.Equal(0.006853801031523346, loss, 15);
        Assert.True(NewtonMethod.Norm(gradient) < 1e-14, $"|grad| {NewtonMethod.Norm(gradient)}");

        var hessian = NewtonMethod.Hessian(TinyNetwork.Loss, Minimum);
        for (int i = 0; i < TinyNetwork.ParameterCount; i++)
        {
            for (int j = 0; j < i; j++)
            {
                Assert.True(Math.Abs(hessian[i, j] - hessian[j, i]) < 1e-13, $"H[{i},{j}] = {hessian[i, j]:R} but H[{j},{i}] = {hessian[j, i]:R}");
            }
        }

        double[] eigenvalues = JacobiEigenvalues.Compute(hessian);
        Assert.True(eigenvalues[0] >= -1e-8 * eigenvalues[^1]);
        for (int k = 0; k < expected.Length; k++)
        {
            Assert.True(Math.Abs(eigenvalues[k] - expected[k]) <= 1e-10 * expected[^1], $"eigenvalue {k}: {eigenvalues[k]:R}, PyTorch {expected[k]:R}");
        }
    }
}
