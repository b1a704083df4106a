using BenchmarkDotNet.Attributes;

namespace Backprop.Benchmarks;

/// <summary>Elementwise and reduction ops on a 128×256 float32 activation, forward and backward.</summary>
[MemoryDiagnoser]
public class ElementwiseBenchmarks
{
    private Tensor _x = Tensor.Zeros(1);
    private Tensor _bias = Tensor.Zeros(1);

    [GlobalSetup]
    public void Setup()
    {
        _x = Tensor.Randn([128, 256], seed: 1, requiresGrad: true);
        _bias = Tensor.Randn([256], seed: 2, requiresGrad: true);
    }

    [Benchmark]
    public Tensor BiasRelu() => (_x + _bias).Relu();

    [Benchmark]
    public Tensor SoftmaxRows() => _x.Softmax(1);

    [Benchmark]
    public void BiasReluSumBackward() => (_x + _bias).Relu().Sum().Backward();
}
