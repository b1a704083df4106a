using System.Diagnostics;
using System.Runtime.CompilerServices;
using Backprop.Data;
using Backprop.Scalar;

namespace Backprop.Cli.Bench;

/// <summary>The scalar autodiff engine a benchmark step runs on.</summary>
internal enum ScalarEngine
{
    /// <summary>The flat-array <see cref="Scalar.Tape"/> with <see cref="Var"/> handles.</summary>
    Tape,

    /// <summary>The readable <see cref="Scalar.Value"/> graph, one object per node.</summary>
    Value,
}

/// <summary>One step of the scalar benchmark: its loss and accuracy before the update, and what it cost.</summary>
/// <param name="Step">1-based step number.</param>
/// <param name="Loss">The loss the step back-propagated.</param>
/// <param name="Accuracy">The fraction of points on the right side of 0 before the update.</param>
/// <param name="Seconds">Wall time of forward, backward and update.</param>
/// <param name="AllocatedBytes">Bytes allocated by this thread during the step.</param>
internal readonly record struct ScalarStep(int Step, double Loss, double Accuracy, double Seconds, long AllocatedBytes);

/// <summary>
/// micrograd's demo step: an MLP 2→16→16→1 (ReLU) on 100 two-moons points, SVM max-margin loss
/// mean(relu(1 − y·score)) plus 1e-4·Σw², SGD with lr 1 − 0.9·k/100. The two engines build the same
/// graph from the same initial weights, operation for operation.
/// </summary>
internal static class ScalarBenchmark
{
    /// <summary>The seed of the initial weights when none is given: micrograd's demo seeds its random module with 1337.</summary>
    public const long DefaultSeed = 1337;

    private static readonly int[] Sizes = [2, 16, 16, 1];

    /// <summary>
    /// Runs <paramref name="steps"/> steps on <paramref name="engine"/>, yielding each as it completes (the timing covers only the step).
    /// <paramref name="seed"/> draws the initial weights; the data set is the same for every seed, as Fashion-MNIST is for the other recipes.
    /// </summary>
    public static IEnumerable<ScalarStep> Run(int steps, ScalarEngine engine = ScalarEngine.Tape, long seed = DefaultSeed) =>
        engine == ScalarEngine.Tape ? RunTape(steps, seed) : RunValue(steps, seed);

    private static IEnumerable<ScalarStep> RunTape(int steps, long seed)
    {
        var (x, y, initial) = Setup(seed);
        var tape = new Tape();
        Var[][][] layers = initial.Select(l => l.Select(n => n.Select(tape.Leaf).ToArray()).ToArray()).ToArray();
        Var[] parameters = layers.SelectMany(l => l.SelectMany(n => n)).ToArray();
        int parameterNodes = tape.Count;
        Var[][] activations = Sizes.Select(size => new Var[size]).ToArray(); // reused: no allocation per step
        for (int k = 0; k < steps; k++)
        {
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            var (loss, correct) = TapeStep(tape, parameterNodes, layers, parameters, activations, x, y, k);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
            yield return new(k + 1, loss, (double)correct / y.Length, seconds, allocated);
        }
    }

    /// <summary>Forward, backward and update on the tape; returns the loss and the number of points classified right.</summary>
    // Fully optimized from its first call: it runs only once per step, too few calls for tiered
    // compilation to promote it in a short benchmark, and its tier-0 code took 4.5 ms a step instead of 1.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double Loss, int Correct) TapeStep(Tape tape, int parameterNodes, Var[][][] layers, Var[] parameters, Var[][] activations, double[] x, double[] y, int k)
    {
        tape.Rewind(parameterNodes);
        Var dataLoss = tape.Leaf(0);
        Var regularization = tape.Leaf(0);
        int correct = 0;
        for (int i = 0; i < y.Length; i++)
        {
            activations[0][0] = tape.Leaf(x[2 * i]);
            activations[0][1] = tape.Leaf(x[(2 * i) + 1]);
            for (int l = 0; l < layers.Length; l++)
            {
                Forward(layers[l], activations[l], activations[l + 1], relu: l < layers.Length - 1);
            }

            Var score = activations[^1][0];
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

        return (loss.Data, correct);
    }

    /// <summary>output[n] = (relu)(b_n + Σᵢ w_ni · input[i]), summed left to right from the bias as micrograd's Neuron.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Forward(Var[][] layer, Var[] input, Var[] output, bool relu)
    {
        for (int n = 0; n < layer.Length; n++)
        {
            var neuron = layer[n];
            Var sum = neuron[^1];
            for (int i = 0; i < input.Length; i++)
            {
                sum += neuron[i] * input[i];
            }

            output[n] = relu ? sum.Relu() : sum;
        }
    }

    private static IEnumerable<ScalarStep> RunValue(int steps, long seed)
    {
        var (x, y, initial) = Setup(seed);
        Value[][][] layers = initial.Select(l => l.Select(n => n.Select(w => new Value(w)).ToArray()).ToArray()).ToArray();
        Value[] parameters = layers.SelectMany(l => l.SelectMany(n => n)).ToArray();
        for (int k = 0; k < steps; k++)
        {
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
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

            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
            yield return new(k + 1, loss.Data, (double)correct / y.Length, seconds, allocated);
        }
    }

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

    /// <summary>
    /// The moons (x as [x0, y0, x1, y1, …], labels as ±1) and the initial weights [layer][neuron][input],
    /// the bias last: weights uniform in [−1, 1] drawn from <paramref name="seed"/> and biases 0, as micrograd's Neuron.
    /// </summary>
    private static (double[] X, double[] Y, double[][][] Layers) Setup(long seed)
    {
        var moons = Moons.Make(100, noise: 0.1, seed: 1);
        var x = moons.Features.ToArray();
        var y = moons.Labels.ToArray<long>().Select(l => l == 1 ? 1.0 : -1.0).ToArray();
        var generator = new Generator(seed);
        var layers = new double[Sizes.Length - 1][][];
        for (int l = 0; l < layers.Length; l++)
        {
            int nin = Sizes[l];
            layers[l] = Enumerable.Range(0, Sizes[l + 1])
                .Select(_ => Enumerable.Range(0, nin + 1).Select(i => i < nin ? (2 * generator.NextDouble()) - 1 : 0).ToArray())
                .ToArray();
        }

        return (x, y, layers);
    }
}
