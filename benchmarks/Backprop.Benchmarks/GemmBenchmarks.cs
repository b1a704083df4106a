using BenchmarkDotNet.Attributes;
using Backprop.Kernels;

namespace Backprop.Benchmarks;

/// <summary>Float32 GEMM C = A·B for square sizes and the MLP's layer shapes (batch 128).</summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private float[] _a = [];
    private float[] _b = [];
    private float[] _c = [];

    [Params("64x64x64", "256x256x256", "1024x1024x1024", "128x784x256", "128x256x128")]
    public string Shape { get; set; } = "64x64x64";

    private (int M, int K, int N) Dims
    {
        get
        {
            var parts = Shape.Split('x').Select(int.Parse).ToArray();
            return (parts[0], parts[1], parts[2]);
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        var (m, k, n) = Dims;
        _a = Tensor.Randn([m * k], seed: 1).ToArray<float>();
        _b = Tensor.Randn([k * n], seed: 2).ToArray<float>();
        _c = new float[m * n];
    }

    [Benchmark]
    public void Multiply()
    {
        var (m, k, n) = Dims;
        Gemm.Multiply<float>(false, false, m, n, k, _a, _b, _c);
    }
}
