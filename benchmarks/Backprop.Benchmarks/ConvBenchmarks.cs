using BenchmarkDotNet.Attributes;
using Backprop.Kernels;

namespace Backprop.Benchmarks;

/// <summary>
/// The two convolutions of the Fashion-MNIST CNN recipe on a batch of 128 (1→16 channels on 28×28,
/// 16→32 on 14×14, 5×5 kernels, padding 2), forward and forward + backward, by the direct kernels and
/// by im2col + GEMM; the direct kernels in their AVX2 form and, where the CPU runs it, their AVX-512
/// form (on other CPUs the Wide rows repeat the AVX2 figures).
/// </summary>
[MemoryDiagnoser]
public class ConvBenchmarks
{
    private Tensor _x = Tensor.Zeros(1);
    private Tensor _w = Tensor.Zeros(1);
    private Tensor _b = Tensor.Zeros(1);
    private Tensor _gy = Tensor.Zeros(1);

    /// <summary>1: the first layer (input without gradient), 2: the second (every gradient).</summary>
    [Params(1, 2)]
    public int Layer { get; set; }

    [Params(true, false)]
    public bool Direct { get; set; }

    /// <summary>True: the AVX-512 direct kernels where supported; false: the AVX2 ones.</summary>
    [Params(true, false)]
    public bool Wide { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        DirectConv.Enabled = Direct;
        DirectConv.Wide = Wide && DirectConv.WideSupported;
        (int inChannels, int outChannels, int side) = Layer == 1 ? (1, 16, 28) : (16, 32, 14);
        _x = Tensor.Rand([128, inChannels, side, side], seed: 1, requiresGrad: Layer != 1);
        _w = Tensor.Randn([outChannels, inChannels, 5, 5], seed: 2, requiresGrad: true);
        _b = Tensor.Randn([outChannels], seed: 3, requiresGrad: true);
        _gy = Tensor.Randn([128, outChannels, side, side], seed: 4);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        DirectConv.Enabled = true;
        DirectConv.Wide = DirectConv.WideSupported;
    }

    [Benchmark]
    public Tensor Forward() => Tensor.Conv2d(_x, _w, _b, padding: 2);

    [Benchmark]
    public void ForwardBackward()
    {
        Tensor.Conv2d(_x, _w, _b, padding: 2).Backward(_gy);
        _x.Grad = null;
        _w.Grad = null;
        _b.Grad = null;
    }
}
