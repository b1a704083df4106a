using Backprop;

namespace Backprop.Samples.SecondOrder;

/// <summary>One iterate of a minimizer: the iteration, the loss there and the gradient's norm.</summary>
internal readonly record struct Iterate(int Iteration, double Loss, double GradientNorm);

/// <summary>
/// Newton's method with the exact Hessian from <see cref="Autograd.Functional.Hessian"/>, against plain
/// gradient descent. Newton steps by d = H⁻¹·∇L (solved by <see cref="Cholesky"/>), the minimizer of
/// the local quadratic model, so near a minimum the error squares every step (quadratic
/// convergence); gradient descent with step 1/L shrinks it by a constant factor, about 1 − μ/L
/// for curvatures between μ and L.
/// </summary>
internal static class NewtonMethod
{
    /// <summary>The loss and its gradient at <paramref name="x"/>, by one backward pass.</summary>
    public static (double Loss, double[] Gradient) LossAndGradient(Func<Tensor, Tensor> loss, double[] x)
    {
        var (value, gradient) = Autograd.Functional.Vjp(loss, Tensor.FromArray(x));
        return (value.Item(), gradient.ToArray());
    }

    /// <summary>The Hessian at <paramref name="x"/> as an n × n array.</summary>
    public static double[,] Hessian(Func<Tensor, Tensor> loss, double[] x)
    {
        int n = x.Length;
        double[] flat = Autograd.Functional.Hessian(loss, Tensor.FromArray(x)).ToArray();
        var h = new double[n, n];
        Buffer.BlockCopy(flat, 0, h, 0, flat.Length * sizeof(double));
        return h;
    }

    /// <summary>
    /// Newton's method from <paramref name="start"/> until the gradient norm is below
    /// <paramref name="tolerance"/> or <paramref name="maxIterations"/> steps were taken.
    /// </summary>
    /// <returns>Every iterate, the start first, and the last point.</returns>
    public static (List<Iterate> Iterates, double[] Point) Newton(Func<Tensor, Tensor> loss, double[] start, double tolerance, int maxIterations)
    {
        var x = (double[])start.Clone();
        var iterates = new List<Iterate>();
        for (int k = 0; ; k++)
        {
            var (value, gradient) = LossAndGradient(loss, x);
            iterates.Add(new Iterate(k, value, Norm(gradient)));
            if (iterates[^1].GradientNorm < tolerance || k == maxIterations)
            {
                return (iterates, x);
            }

            double[] step = Cholesky.Solve(Hessian(loss, x), gradient);
            for (int i = 0; i < x.Length; i++)
            {
                x[i] -= step[i];
            }
        }
    }

    /// <summary>
    /// Newton's method with Levenberg–Marquardt damping, for a start where the Hessian may be
    /// indefinite (a network's loss away from its minimum): each step solves (H + μI)·d = ∇L with the
    /// smallest μ in 0, 10⁻⁶·s, 10⁻⁵·s, … (s the Hessian's largest diagonal magnitude) for which the
    /// matrix is positive definite and the loss decreases. Near a strict minimum μ = 0 is accepted, and
    /// the steps are Newton's, converging quadratically.
    /// </summary>
    /// <returns>Every iterate, the start first, and the last point.</returns>
    public static (List<Iterate> Iterates, double[] Point) DampedNewton(Func<Tensor, Tensor> loss, double[] start, double tolerance, int maxIterations)
    {
        var x = (double[])start.Clone();
        var iterates = new List<Iterate>();
        for (int k = 0; ; k++)
        {
            var (value, gradient) = LossAndGradient(loss, x);
            iterates.Add(new Iterate(k, value, Norm(gradient)));
            if (iterates[^1].GradientNorm < tolerance || k == maxIterations)
            {
                return (iterates, x);
            }

            var h = Hessian(loss, x);
            double scale = Enumerable.Range(0, x.Length).Max(i => Math.Abs(h[i, i]));
            for (double mu = 0; ; mu = mu == 0 ? 1e-6 * scale : 10 * mu)
            {
                if (mu > 1e6 * scale)
                {
                    throw new InvalidOperationException($"damped Newton: no damping up to {mu:G3} decreases the loss at iteration {k}");
                }

                var damped = (double[,])h.Clone();
                for (int i = 0; i < x.Length; i++)
                {
                    damped[i, i] += mu;
                }

                double[] step;
                try
                {
                    step = Cholesky.Solve(damped, gradient);
                }
                catch (ArgumentException)
                {
                    continue;
                }

                double[] next = x.Select((xi, i) => xi - step[i]).ToArray();
                if (LossAndGradient(loss, next).Loss <= value)
                {
                    x = next;
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Gradient descent x ← x − η·∇L(x) from <paramref name="start"/> until the gradient norm is below
    /// <paramref name="tolerance"/> or <paramref name="maxIterations"/> steps were taken.
    /// </summary>
    /// <returns>Every iterate, the start first, and the last point.</returns>
    public static (List<Iterate> Iterates, double[] Point) GradientDescent(Func<Tensor, Tensor> loss, double[] start, double learningRate, double tolerance, int maxIterations)
    {
        var x = (double[])start.Clone();
        var iterates = new List<Iterate>();
        for (int k = 0; ; k++)
        {
            var (value, gradient) = LossAndGradient(loss, x);
            iterates.Add(new Iterate(k, value, Norm(gradient)));
            if (iterates[^1].GradientNorm < tolerance || k == maxIterations)
            {
                return (iterates, x);
            }

            for (int i = 0; i < x.Length; i++)
            {
                x[i] -= learningRate * gradient[i];
            }
        }
    }

    /// <summary>‖v‖₂.</summary>
    public static double Norm(double[] v) => Math.Sqrt(v.Sum(e => e * e));
}
