using Backprop;
using Backprop.Optim;

namespace Backprop.Samples.SecondOrder;

/// <summary>
/// A 2-4-1 tanh network's mean squared error on 25 grid points of t = sin(π·x₁/2)·x₂ plus the L2 term
/// (α/2)·‖p‖², as a function of its 17 parameters flattened into one float64 vector p: W₁ (4 × 2),
/// b₁ (4), W₂ (1 × 4), b₂ (1), in that order. Written this way the loss's Hessian is one 17 × 17 matrix.
/// Without the L2 term this loss has no minimum at finite parameters: a tanh unit can always sharpen a
/// little more (its weights grow) and fit a little better, so training drifts along an ever flatter
/// valley and the smallest Hessian eigenvalues shrink toward zero; α = 10⁻³ gives it a strict minimum.
/// </summary>
internal static class TinyNetwork
{
    /// <summary>The number of parameters: 4·2 + 4 + 1·4 + 1.</summary>
    public const int ParameterCount = 17;

    /// <summary>α, the weight of the L2 term.</summary>
    public const double Alpha = 1e-3;

    private static readonly (Tensor Inputs, Tensor Targets) Data = Grid();

    /// <summary>The loss at the flat parameter vector <paramref name="p"/>, a scalar.</summary>
    public static Tensor Loss(Tensor p)
    {
        var w1 = p.Narrow(0, 0, 8).Reshape(4, 2);
        var b1 = p.Narrow(0, 8, 4);
        var w2 = p.Narrow(0, 12, 4).Reshape(1, 4);
        var b2 = p.Narrow(0, 16, 1);
        var hidden = Tensor.Linear(Data.Inputs, w1, b1).Tanh();
        return Tensor.MseLoss(Tensor.Linear(hidden, w2, b2), Data.Targets) + (Alpha / 2 * (p * p).Sum());
    }

    /// <summary>
    /// Trains from a seeded random start to a minimum: <paramref name="adamSteps"/> Adam steps bring it
    /// near one, then Newton steps (exact Hessian, damped while it is not positive definite; see
    /// <see cref="NewtonMethod.DampedNewton"/>) converge quadratically until the gradient norm is below
    /// <paramref name="tolerance"/>.
    /// </summary>
    /// <returns>The parameters at the minimum and the Newton iterates.</returns>
    public static (double[] Parameters, List<Iterate> Newton) TrainToMinimum(long seed = 0, int adamSteps = 2000, double tolerance = 1e-12)
    {
        var p = (0.5 * Tensor.Randn([ParameterCount], new Generator(seed), DType.Float64)).RequiresGrad_();
        var adam = new Adam([p], lr: 0.02);
        for (int step = 0; step < adamSteps; step++)
        {
            adam.ZeroGrad();
            Loss(p).Backward();
            adam.Step();
        }

        var (iterates, minimum) = NewtonMethod.DampedNewton(Loss, p.Detach().ToArray(), tolerance, maxIterations: 50);
        return (minimum, iterates);
    }

    private static (Tensor Inputs, Tensor Targets) Grid()
    {
        var inputs = new List<double>();
        var targets = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            for (int j = 0; j < 5; j++)
            {
                double x1 = -1 + (0.5 * i), x2 = -1 + (0.5 * j);
                inputs.AddRange([x1, x2]);
                targets.Add(Math.Sin(Math.PI * x1 / 2) * x2);
            }
        }

        return (Tensor.FromArray(inputs.ToArray(), 25, 2), Tensor.FromArray(targets.ToArray(), 25, 1));
    }
}
