using System.Diagnostics;
namespace Backprop.Cli.Bench;

/// <summary>
/// Square float32 matmul throughput (the packed SGEMM behind <see cref="Tensor.Matmul(Tensor)"/>),
/// C = A·B for n = 256..2048 written into the same output tensor each time, as
/// benchmarks/compare/torch_sgemm.py does for PyTorch (<c>torch.mm(a, b, out=c)</c>): the best of
/// several timed runs after a warm-up, as GFLOP/s = 2n³ / seconds, so both run one after the other.
/// </summary>
internal static class SgemmBenchmark
{
    /// <summary>Times each size <paramref name="repeats"/> times on matrices drawn from <paramref name="seed"/>, yielding the best throughput per size.</summary>
    public static IEnumerable<(int N, double Gflops)> Run(int repeats, long seed = 0)
    {
        var generator = new Generator(seed);
        foreach (int n in new[] { 256, 512, 1024, 2048 })
        {
            var a = Tensor.Rand([n, n], generator: generator);
            var b = Tensor.Rand([n, n], generator: generator);
            var c = a.Matmul(b);
            int inner = Math.Max(1, (int)(2e9 / (2.0 * n * n * n)));
            double best = double.MaxValue;
            for (int r = 0; r < repeats; r++)
            {
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < inner; i++)
                {
                    Tensor.Matmul(a, b, c);
                }

                best = Math.Min(best, clock.Elapsed.TotalSeconds / inner);
            }

            yield return (n, 2.0 * n * n * n / best / 1e9);
        }
    }
}
