using System.Diagnostics;
using Backprop.Data;
using Backprop.Scalar;

namespace Backprop.Cli.Bench;

/// <summary>
/// micrograd's demo step with the <see cref="Value"/> engine: an MLP 2→16→16→1 (ReLU) on 100
/// two-moons points, SVM max-margin loss plus 1e-4·Σw², SGD with lr 1 − 0.9·k/100.
/// </summary>
internal static class ScalarBenchmark
{
    public static IEnumerable<(int Step, double Loss, double Accuracy, double Seconds)> Run(int steps)
    {
        var moons = Moons.Make(100, noise: 0.1, seed: 1);
        var x = moons.Features.ToArray();
        var y = moons.Labels.ToArray<long>().Select(l => l == 1 ? 1.0 : -1.0).ToArray();
        var generator = new Generator(1337);
        var layers = new[] { Layer(2, 16, generator), Layer(16, 16, generator), Layer(16, 1, generator) };
        var parameters = layers.SelectMany(l => l.SelectMany(n => n)).ToArray();
        for (int k = 0; k < steps; k++)
        {
            var clock = Stopwatch.StartNew();
            Value dataLoss = 0;
            Value regularization = 0;
            int correct = 0;
            for (int i = 0; i < y.Length; i++)
            {
                Value[] activations = [x[2 * i], x[(2 * i) + 1]];
                for (int l = 0; l < layers.Length; l++)
                {
                    activations = Forward(layers[l], activations, relu: l < layers.Length - 1);
                }

                var score = activations[0];
                dataLoss += (1 + (-y[i] * score)).Relu();
                correct += (score.Data > 0) == (y[i] > 0) ? 1 : 0;
            }

            foreach (var p in parameters)
            {
                regularization += p * p;
            }

            var loss = (dataLoss * (1.0 / y.Length)) + (1e-4 * regularization);
            foreach (var p in parameters)
            {
                p.Grad = 0;
            }

            loss.Backward();
            double lr = 1.0 - (0.9 * k / 100);
            foreach (var p in parameters)
            {
                p.Data -= lr * p.Grad;
            }

            yield return (k + 1, loss.Data, (double)correct / y.Length, clock.Elapsed.TotalSeconds);
        }
    }

    /// <summary>Neurons of a layer: nin weights then a bias each, weights uniform in [−1, 1] as micrograd.</summary>
    private static Value[][] Layer(int nin, int nout, Generator generator) =>
        Enumerable.Range(0, nout)
            .Select(_ => Enumerable.Range(0, nin + 1).Select(i => new Value(i < nin ? (2 * generator.NextDouble()) - 1 : 0)).ToArray())
            .ToArray();

    private static Value[] Forward(Value[][] layer, Value[] input, bool relu)
    {
        var output = new Value[layer.Length];
        for (int n = 0; n < layer.Length; n++)
        {
            var neuron = layer[n];
            Value sum = neuron[^1];
            for (int i = 0; i < input.Length; i++)
            {
                sum += neuron[i] * input[i];
            }

            output[n] = relu ? sum.Relu() : sum;
        }

        return output;
    }
}
