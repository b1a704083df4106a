using Backprop.Optim;

namespace Backprop.Tests.Optim;

public class ConvergenceTests
{
    public static TheoryData<string, int> Optimizers => new()
    {
        { "sgd", 200 },
        { "sgd-momentum", 200 },
        { "sgd-nesterov", 200 },
        { "adam", 1000 },
        { "adamw", 1000 },
        { "rmsprop", 1000 },
        { "rmsprop-centered", 1000 },
    };

    private static Optimizer Make(string name, Tensor[] ps) => name switch
    {
        "sgd" => new SGD(ps, lr: 0.1),
        "sgd-momentum" => new SGD(ps, lr: 0.05, momentum: 0.9),
        "sgd-nesterov" => new SGD(ps, lr: 0.05, momentum: 0.9, nesterov: true),
        "adam" => new Adam(ps, lr: 0.05),
        "adamw" => new AdamW(ps, lr: 0.05, weightDecay: 0),
        "rmsprop" => new RMSprop(ps, lr: 0.01),
        "rmsprop-centered" => new RMSprop(ps, lr: 0.01, centered: true, momentum: 0.5),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void MinimizesAQuadraticThroughAutograd(string name, int steps)
    {
        // f(x) = Σ wᵢ (xᵢ − cᵢ)², minimum 0 at x = c; gradients come from Backward().
        var c = Tensor.FromArray(new[] { 1.0, -2.0, 0.5, 3.0, -0.25 }, 5);
        var w = Tensor.FromArray(new[] { 1.0, 2.0, 0.5, 1.5, 3.0 }, 5);
        var x = Tensor.Zeros([5], DType.Float64, requiresGrad: true);
        var opt = Make(name, [x]);
        double first = double.NaN, last = double.NaN;
        for (int i = 0; i < steps; i++)
        {
            opt.ZeroGrad();
            var d = x - c;
            var loss = (w * d * d).Sum();
            loss.Backward();
            opt.Step();
            last = loss.Item();
            if (i == 0)
            {
                first = last;
            }
        }

        Assert.True(last < first * 1e-6, $"{name}: loss went from {first} to {last}");
        Reference.AssertClose(c.ToArray(), x.ToArray(), 1e-3);
        Assert.Equal(steps, opt.StepCount);
    }

    [Fact]
    public void AdamWDecayPullsAnUnconstrainedParameterToZero()
    {
        // Without a gradient signal (g = 0), AdamW decays p by (1 − lr·λ) per step.
        var x = Tensor.FromArray(new[] { 2.0 }, 1).RequiresGrad_();
        var opt = new AdamW([x], lr: 0.1, weightDecay: 0.5);
        for (int i = 0; i < 10; i++)
        {
            x.Grad = Tensor.Zeros([1], DType.Float64);
            opt.Step();
        }

        Assert.Equal(2.0 * Math.Pow(0.95, 10), x.Item(), 12);
    }
}
