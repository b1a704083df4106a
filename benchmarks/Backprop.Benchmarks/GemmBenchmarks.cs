using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Backprop.Kernels;

namespace Backprop.Benchmarks;

/// <summary>
/// The packed float32 GEMM (<see cref="Sgemm"/>) on square sizes 64..2048 and on the layer shapes of
/// the benchmark models (batch 128), with 1 and 2 threads; the GFLOP/s column is 2·m·n·k / mean time.
/// A shape reads <c>MxKxN</c> (C[M×N] = A[M×K]·B[K×N]); <c>/tA</c> means A is stored K×M
/// (Linear's dW = xᵀ·g), <c>/tB</c> that B is stored N×K (Linear's dx = g·Wᵀ).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(GflopsConfig))]
public class GemmBenchmarks
{
    private float[] _a = [];
    private float[] _b = [];
    private float[] _c = [];
    private int _m;
    private int _k;
    private int _n;
    private bool _transA;
    private bool _transB;

    /// <summary>The problem: <c>MxKxN</c>, optionally <c>/tA</c> or <c>/tB</c>.</summary>
    [Params(
        "64x64x64", "128x128x128", "256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048",
        // mlp 784→256→128→10, forward and backward (dx = g·Wᵀ, dW = xᵀ·g).
        "128x784x256", "128x256x128", "128x128x10", "128x256x784/tB", "784x128x256/tA", "256x128x128/tA",
        // The default CLI mlp's widest layer, in-512-256-out.
        "128x784x512", "128x512x784/tB", "784x128x512/tA",
        // cnn as im2col GEMMs per image (conv 1→16 5×5 on 28×28, conv 16→32 5×5 on 14×14), then its 1568→128 layer.
        "16x25x784", "32x400x196", "128x1568x128",
        // lstm's gate matmul: batch 128, hidden 128 → 4·128 gates.
        "128x128x512")]
    public string Shape { get; set; } = "64x64x64";

    /// <summary>Kernel threads (<see cref="Threading.NumThreads"/>).</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    /// <summary>Allocates random operands for <see cref="Shape"/>.</summary>
    [GlobalSetup]
    public void Setup()
    {
        (_m, _k, _n, _transA, _transB) = Parse(Shape);
        _a = Tensor.Randn([_m * _k], seed: 1).ToArray<float>();
        _b = Tensor.Randn([_k * _n], seed: 2).ToArray<float>();
        _c = new float[_m * _n];
        Threading.NumThreads = Threads;
    }

    /// <summary>Restores the default thread count.</summary>
    [GlobalCleanup]
    public void Cleanup() => Threading.NumThreads = Environment.ProcessorCount;

    /// <summary>C = op(A)·op(B) with the packed kernel.</summary>
    [Benchmark]
    public void Multiply() => Sgemm.Multiply(_transA, _transB, _m, _n, _k, _a, _b, _c);

    private static (int M, int K, int N, bool TransA, bool TransB) Parse(string shape)
    {
        string[] parts = shape.Split('/');
        int[] dims = parts[0].Split('x').Select(int.Parse).ToArray();
        bool transA = parts.Length > 1 && parts[1] == "tA";
        bool transB = parts.Length > 1 && parts[1] == "tB";
        return (dims[0], dims[1], dims[2], transA, transB);
    }

    private sealed class GflopsConfig : ManualConfig
    {
        public GflopsConfig() => AddColumn(new GflopsColumn());
    }

    /// <summary>2·m·n·k / mean time, in GFLOP/s.</summary>
    private sealed class GflopsColumn : IColumn
    {
        public string Id => nameof(GflopsColumn);

        public string ColumnName => "GFLOP/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "2·m·n·k / mean time, in 10^9 floating-point operations per second";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            if (report?.ResultStatistics is not { } stats || benchmarkCase.Parameters["Shape"] is not string shape)
            {
                return "-";
            }

            var (m, k, n, _, _) = Parse(shape);
            double flops = 2.0 * m * n * k;
            return (flops / stats.Mean).ToString("F1", CultureInfo.InvariantCulture); // Mean is in ns: flop/ns = GFLOP/s.
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
