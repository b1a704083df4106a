using System.CommandLine;
using System.Globalization;

namespace Backprop.Cli.Commands;

/// <summary>
/// <c>backprop train</c>: for now, trains the 2-2-2 sigmoid network of the worked example
/// (DESIGN.md §1) with plain gradient descent and prints the error as it falls.
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var steps = new Option<int>("--steps") { Description = "Gradient-descent steps.", DefaultValueFactory = _ => 10_000 };
        var lr = new Option<double>("--lr") { Description = "Learning rate η.", DefaultValueFactory = _ => 0.5 };
        var command = new Command("train", "Train the 2-2-2 sigmoid network of the worked example (E = ½Σ(t − o)², biases held).")
        {
            steps,
            lr,
        };
        command.SetAction(result => CommandRunner.Run("train", () => Run(result.GetValue(steps), result.GetValue(lr))));
        return command;
    }

    private static int Run(int steps, double lr)
    {
        if (steps < 0)
        {
            throw new ArgumentException($"--steps must be non-negative, got {steps}");
        }

        var x = Tensor.FromArray(new[] { 0.05, 0.10 }, 1, 2);
        var t = Tensor.FromArray(new[] { 0.01, 0.99 }, 1, 2);
        var w1 = Tensor.FromArray(new[] { 0.15, 0.25, 0.20, 0.30 }, 2, 2).RequiresGrad_();
        var w2 = Tensor.FromArray(new[] { 0.40, 0.50, 0.45, 0.55 }, 2, 2).RequiresGrad_();
        double b1 = 0.35, b2 = 0.60;
        for (int step = 0; step <= steps; step++)
        {
            var output = ((x.Matmul(w1) + b1).Sigmoid().Matmul(w2) + b2).Sigmoid();
            var error = 0.5 * (t - output).Pow(2).Sum();
            if (step == 0 || step == steps || (step & (step - 1)) == 0)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {step} E {error.Item():G9}"));
            }

            if (step == steps)
            {
                break;
            }

            error.Backward();
            using (Autograd.NoGrad())
            {
                w1 = (w1 - (lr * w1.Grad!)).RequiresGrad_();
                w2 = (w2 - (lr * w2.Grad!)).RequiresGrad_();
            }
        }

        return 0;
    }
}
