using System.CommandLine;
using System.Globalization;
using Backprop.Cli.Training;
using Backprop.Diagnostics;
using Backprop.NN;

namespace Backprop.Cli.Commands;

/// <summary>
/// <c>backprop vanishing --depth 10 --activation sigmoid</c>: one backward pass through a deep MLP,
/// showing the weight-gradient norm shrinking layer by layer towards the input (σ' ≤ 0.25), beside
/// the same network with ReLU and He initialization.
/// </summary>
internal static class VanishingCommand
{
    private const int Classes = 10;

    public static Command Create()
    {
        var depth = new Option<int>("--depth") { Description = "Number of Linear layers.", DefaultValueFactory = _ => 10 };
        var activation = new Option<string>("--activation") { Description = "sigmoid or tanh (compared with relu + He initialization).", DefaultValueFactory = _ => "sigmoid" };
        activation.AcceptOnlyFromAmong("sigmoid", "tanh");
        var width = new Option<int>("--width") { Description = "Units per hidden layer (and input features).", DefaultValueFactory = _ => 32 };
        var batchSize = new Option<int>("--batch-size") { Description = "Random samples in the batch.", DefaultValueFactory = _ => 64 };
        var seed = new Option<long>("--seed") { Description = "Seed of the weights and the batch.", DefaultValueFactory = _ => 0 };
        var command = new Command("vanishing", "Show vanishing gradients: per-layer gradient norms of a deep sigmoid/tanh network beside ReLU with He initialization.")
        {
            depth, activation, width, batchSize, seed,
        };
        command.SetAction(result => CommandRunner.Run("vanishing", () =>
            Run(result.GetValue(depth), result.GetValue(activation)!, result.GetValue(width), result.GetValue(batchSize), result.GetValue(seed))));
        return command;
    }

    private static int Run(int depth, string activation, int width, int batchSize, long seed)
    {
        if (depth is < 2 or > 1000)
        {
            throw new ArgumentException($"--depth must be between 2 and 1000, got {depth}");
        }

        if (width is < 1 or > 4096)
        {
            throw new ArgumentException($"--width must be between 1 and 4096, got {width}");
        }

        if (batchSize is < 1 or > 65536)
        {
            throw new ArgumentException($"--batch-size must be between 1 and 65536, got {batchSize}");
        }

        var sizes = Enumerable.Repeat(width, depth).Append(Classes).ToArray();
        var batch = new Generator(seed + 1);
        var x = Tensor.Randn([batchSize, width], batch);
        var y = Tensor.RandInt(0, Classes, [batchSize], batch);

        // The activation with PyTorch's default Linear initialization, as a network is usually built.
        var squashing = new ModelSpec(sizes, activation).Build(new Generator(seed));
        var squashed = GradientHealth.Measure(squashing, Tensor.CrossEntropy(squashing.Forward(x), y));

        // ReLU with He initialization, N(0, 2/fan_in), which keeps the gradient's scale from layer to layer.
        var relu = new ModelSpec(sizes, "relu").Build();
        var init = new Generator(seed);
        foreach (var linear in relu.Modules().OfType<Linear>())
        {
            Init.KaimingNormal(linear.Weight, nonlinearity: Nonlinearity.Relu, generator: init);
            Init.Zeros(linear.Bias!);
        }

        var rectified = GradientHealth.Measure(relu, Tensor.CrossEntropy(relu.Forward(x), y));

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{depth} Linear layers of width {width}, one backward pass of cross-entropy on {batchSize} random samples; layer 1 is next to the input."));
        var header = new List<string> { "layer", $"{activation} ‖∂L/∂W‖", "÷ last", "saturated", "relu+He ‖∂L/∂W‖", "÷ last", "dead" };
        var rows = new List<List<string>>();
        for (int i = 0; i < depth; i++)
        {
            var s = squashed[i];
            var r = rectified[i];
            rows.Add([
                (i + 1).ToString(CultureInfo.InvariantCulture),
                Scientific(s.GradNorm),
                Scientific(s.GradNorm / squashed[^1].GradNorm),
                Percent(s.SaturatedFraction),
                Scientific(r.GradNorm),
                Scientific(r.GradNorm / rectified[^1].GradNorm),
                Percent(r.DeadFraction),
            ]);
        }

        GradientReport.Print(header, rows, Console.Out);
        double squashedRatio = squashed[0].GradNorm / squashed[^1].GradNorm;
        double rectifiedRatio = rectified[0].GradNorm / rectified[^1].GradNorm;
        string derivative = activation == "sigmoid" ? "σ'(x) = σ(x)(1 − σ(x)) ≤ 0.25" : "tanh'(x) = 1 − tanh²(x) ≤ 1, and well below 1 away from 0";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{activation}: the first layer's gradient is {squashedRatio:0.0E+0} times the last layer's. Every {activation} layer multiplies the back-propagated gradient by its derivative, {derivative}."));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"relu + He: the ratio is {rectifiedRatio:0.0E+0}: ReLU's derivative is 1 where the unit is active, and He initialization (std √(2/fan_in)) keeps the scale."));
        return 0;
    }

    private static string Scientific(double v) => double.IsNaN(v) ? "n/a" : v.ToString("0.00E+0", CultureInfo.InvariantCulture);

    private static string Percent(double fraction) =>
        double.IsNaN(fraction) ? "" : (fraction * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";
}
