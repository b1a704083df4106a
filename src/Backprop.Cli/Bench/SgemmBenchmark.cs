using System.Diagnostics;
using Backprop.Kernels;
namespace Backprop.Cli.Bench;

/// <summary>
/// Square float32 matmul throughput (the packed SGEMM behind <see cref="Tensor.Matmul(Tensor)"/>),
/// C = A·B for n = 256..2048 written into the same output tensor each time, as
/// benchmarks/compare/torch_sgemm.py does for PyTorch (<c>torch.mm(a, b, out=c)</c>): the best of
/// several timed runs after a warm-up, as GFLOP/s = 2n³ / seconds, so both run one after the other.
/// Then the products of the training recipes (<see cref="TrainingShapes"/>), with the operands stored
/// as the layers store them and read through the transpose flags, as torch.mm reads transposed views.
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

    /// <summary>
    /// A product of a training step at batch 128: C[m×n] = op(A)·op(B), A stored k×m when
    /// <see cref="TransA"/>, B stored n×k when <see cref="TransB"/>.
    /// </summary>
    public readonly record struct Shape(string Name, int M, int N, int K, bool TransA, bool TransB);

    /// <summary>
    /// The GEMMs of bench mlp (784-256-128-10) and bench lstm (28 steps of 28 inputs, hidden 128; the
    /// weight gradient of [W_ih | W_hh] over all steps at once): forward x·Wᵀ, weight gradient gᵀ·x,
    /// input gradient g·W. benchmarks/compare/torch_sgemm.py lists the same.
    /// </summary>
    public static readonly Shape[] TrainingShapes =
    [
        new("mlp.fc1.forward", 128, 256, 784, false, true),
        new("mlp.fc1.weight_grad", 256, 784, 128, true, false),
        new("mlp.fc2.forward", 128, 128, 256, false, true),
        new("mlp.fc2.weight_grad", 128, 256, 128, true, false),
        new("mlp.fc2.input_grad", 128, 256, 128, false, false),
        new("lstm.input.forward", 3584, 512, 28, false, true),
        new("lstm.hidden.forward", 128, 512, 128, false, true),
        new("lstm.weight_grad", 512, 156, 3584, true, false),
        new("lstm.hidden.input_grad", 128, 128, 512, false, false),
    ];

    /// <summary>Times each of <see cref="TrainingShapes"/> as <see cref="Run"/> times the squares.</summary>
    public static IEnumerable<(Shape Shape, double Gflops)> RunShapes(int repeats, long seed = 0)
    {
        var generator = new Generator(seed);
        foreach (var shape in TrainingShapes)
        {
            float[] a = Tensor.Rand([shape.M * shape.K], generator: generator).ToArray<float>();
            float[] b = Tensor.Rand([shape.K * shape.N], generator: generator).ToArray<float>();
            var c = new float[shape.M * shape.N];
            double flops = 2.0 * shape.M * shape.N * shape.K;
            int inner = Math.Max(1, (int)(2e9 / flops));
            Sgemm.Multiply(shape.TransA, shape.TransB, shape.M, shape.N, shape.K, a, b, c);
            double best = double.MaxValue;
            for (int r = 0; r < repeats; r++)
            {
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < inner; i++)
                {
                    Sgemm.Multiply(shape.TransA, shape.TransB, shape.M, shape.N, shape.K, a, b, c);
                }

                best = Math.Min(best, clock.Elapsed.TotalSeconds / inner);
            }

            yield return (shape, flops / best / 1e9);
        }
    }
}
