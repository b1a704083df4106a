using BenchmarkDotNet.Attributes;
using Backprop.NN;

namespace Backprop.Benchmarks;

/// <summary>
/// The inference forward (eval mode, inside <see cref="Autograd.NoGrad"/>) of the three benchmark
/// models at batch 1 and 256 with 1 and 2 threads: the MLP 784-256-128-10 with ReLU, the CNN of
/// <c>cnn:784-10</c>, and the row-LSTM (28 steps of 28 pixels, LSTM(128), the last hidden state
/// through Linear(128, 10), as <c>backprop train --model lstm</c> builds it). The memory column
/// is what one forward allocates.
/// </summary>
[MemoryDiagnoser]
public class InferenceBenchmarks
{
    private Module _model = new Identity();
    private Tensor _input = Tensor.Zeros([1, 784]);

    /// <summary>The model: <c>mlp</c>, <c>cnn</c> or <c>lstm</c>.</summary>
    [Params("mlp", "cnn", "lstm")]
    public string Model { get; set; } = "mlp";

    /// <summary>Rows per forward.</summary>
    [Params(1, 256)]
    public int Batch { get; set; } = 1;

    /// <summary>Kernel threads (<see cref="Threading.NumThreads"/>).</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    /// <summary>Builds the model in eval mode and a random batch of 784-pixel images.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var init = new Generator(1);
        _model = Model switch
        {
            "mlp" => ModelSpec.Parse("784-256-128-10:relu").Build(init),
            "cnn" => ModelSpec.Parse("cnn:784-10").Build(init),
            _ => new RowLstm(init),
        };
        _model.Eval();
        _input = Tensor.Rand([Batch, 784], new Generator(2));
        Threading.NumThreads = Threads;
    }

    /// <summary>Restores the default thread count.</summary>
    [GlobalCleanup]
    public void Cleanup() => Threading.NumThreads = Environment.ProcessorCount;

    /// <summary>One forward without recording.</summary>
    /// <returns>The logits.</returns>
    [Benchmark]
    public Tensor Forward()
    {
        using (Autograd.NoGrad())
        {
            return _model.Forward(_input);
        }
    }

    /// <summary>The CLI's row-LSTM classifier, rebuilt here (the benchmark references only the library).</summary>
    private sealed class RowLstm(Generator init) : Module
    {
        public LSTM Lstm { get; } = new(28, 128, batchFirst: true, generator: init);

        public Linear Fc { get; } = new(128, 10, generator: init);

        public override Tensor Forward(Tensor input) => Fc.Call(Lstm.Call(input.View(-1, 28, 28)).Select(1, -1));
    }
}
