using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

/// <summary>Every vector tail: each kernel runs on every length 0..256 against a plain scalar loop.</summary>
public class KernelLengthTests
{
    private static readonly int[] Lengths = Enumerable.Range(0, 257).ToArray();

    private static float[] Data(int n, int seed) => Tensor.Randn([n], seed).ToArray<float>();

    [Fact]
    public void BinaryOpsMatchScalarLoopAtEveryLength()
    {
        foreach (int n in Lengths)
        {
            var a = Data(n, n);
            var b = Data(n, n + 1000).Select(v => v + 3f).ToArray();
            var ta = Tensor.FromArray(a, n);
            var tb = Tensor.FromArray(b, n);
            Check(n, (ta + tb).ToArray<float>(), i => a[i] + b[i]);
            Check(n, (ta - tb).ToArray<float>(), i => a[i] - b[i]);
            Check(n, (ta * tb).ToArray<float>(), i => a[i] * b[i]);
            Check(n, (ta / tb).ToArray<float>(), i => a[i] / b[i]);
            Check(n, (ta * 2.5).ToArray<float>(), i => a[i] * 2.5f);
            Check(n, (2.5 - ta).ToArray<float>(), i => 2.5f - a[i]);
        }
    }

    [Fact]
    public void BroadcastRowAndColumnMatchScalarLoop()
    {
        foreach (int n in Lengths)
        {
            var a = Data(3 * n, n);
            var row = Data(n, n + 1);
            var col = Data(3, n + 2);
            var ta = Tensor.FromArray(a, 3, n);
            Check(3 * n, (ta + Tensor.FromArray(row, n)).ToArray<float>(), i => a[i] + row[i % Math.Max(n, 1)]);
            Check(3 * n, (ta * Tensor.FromArray(col, 3, 1)).ToArray<float>(), i => a[i] * col[i / Math.Max(n, 1)]);
        }
    }

    [Fact]
    public void SumToShapeMatchesScalarLoop()
    {
        foreach (int n in Lengths)
        {
            var a = Data(4 * n, n).Select(v => (double)v).ToArray();
            var t = Tensor.FromArray(a, 4, n);
            var rows = Broadcasting.SumToShape("test", t, [n]).ToArray();
            var cols = Broadcasting.SumToShape("test", t, [4, 1]).ToArray();
            for (int j = 0; j < n; j++)
            {
                Assert.Equal(a[j] + a[n + j] + a[(2 * n) + j] + a[(3 * n) + j], rows[j], 1e-12);
            }

            for (int i = 0; i < 4; i++)
            {
                Assert.Equal(a.Skip(i * n).Take(n).Sum(), cols[i], 1e-9);
            }
        }
    }

    [Fact]
    public void GemmMatchesNaiveLoopForEveryTransposeAndTail()
    {
        var g = new Generator(11);
        foreach (int n in new[] { 0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 64, 65 })
        {
            foreach (var (m, k) in new[] { (1, n), (n, 1), (5, 9), (n, n) })
            {
                var a = Tensor.Randn([m * k], g, DType.Float64).ToArray();
                var b = Tensor.Randn([k * n], g, DType.Float64).ToArray();
                foreach (bool ta in new[] { false, true })
                {
                    foreach (bool tb in new[] { false, true })
                    {
                        var c = new double[m * n];
                        Gemm.Multiply<double>(ta, tb, m, n, k, a, b, c);
                        for (int i = 0; i < m; i++)
                        {
                            for (int j = 0; j < n; j++)
                            {
                                double s = 0;
                                for (int p = 0; p < k; p++)
                                {
                                    s += (ta ? a[(p * m) + i] : a[(i * k) + p]) * (tb ? b[(j * k) + p] : b[(p * n) + j]);
                                }

                                Assert.Equal(s, c[(i * n) + j], 1e-10);
                            }
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void UnaryOpsMatchScalarLoopAtEveryLength()
    {
        foreach (int n in Lengths)
        {
            var a = Data(n, n + 7);
            var t = Tensor.FromArray(a, n);
            Check(n, t.Exp().ToArray<float>(), i => MathF.Exp(a[i]));
            Check(n, t.Abs().ToArray<float>(), i => MathF.Abs(a[i]));
            Check(n, (t.Abs() + 0.1).Log().ToArray<float>(), i => MathF.Log(MathF.Abs(a[i]) + 0.1f));
            Check(n, t.Tanh().ToArray<float>(), i => MathF.Tanh(a[i]));
            Check(n, t.Sigmoid().ToArray<float>(), i => 1f / (1f + MathF.Exp(-a[i])));
            Check(n, t.Relu().ToArray<float>(), i => MathF.Max(a[i], 0f));
            Check(n, t.Clamp(-0.5, 0.5).ToArray<float>(), i => Math.Clamp(a[i], -0.5f, 0.5f));
            Check(n, t.Pow(2).ToArray<float>(), i => a[i] * a[i]);
        }
    }

    [Fact]
    public void ReluBackwardMatchesScalarLoopAtEveryLength()
    {
        foreach (int n in Lengths)
        {
            var a = Data(n, n + 11);
            var g = Data(n, n + 12);
            var x = Tensor.FromArray(a, n).RequiresGrad_();
            x.Relu().Backward(Tensor.FromArray(g, n));
            Check(n, x.Grad!.ToArray<float>(), i => a[i] > 0 ? g[i] : 0f);
        }
    }

    [Fact]
    public void RowReductionsAndSoftmaxMatchScalarLoopAtEveryLength()
    {
        foreach (int n in Lengths.Where(n => n > 0))
        {
            var a = Data(2 * n, n + 3);
            var t = Tensor.FromArray(a, 2, n);
            var sums = t.Sum(1).ToArray<float>();
            var maxes = t.Max(1).Values.ToArray<float>();
            var softmax = t.Softmax(1).ToArray<float>();
            for (int r = 0; r < 2; r++)
            {
                var row = a.Skip(r * n).Take(n).ToArray();
                Assert.Equal(row.Sum(), sums[r], 1e-3f);
                Assert.Equal(row.Max(), maxes[r]);
                float m = row.Max();
                float z = row.Sum(v => MathF.Exp(v - m));
                for (int j = 0; j < n; j++)
                {
                    Assert.Equal(MathF.Exp(row[j] - m) / z, softmax[(r * n) + j], 1e-6f);
                }
            }
        }
    }

    private static void Check(int n, float[] actual, Func<int, float> expected)
    {
        Assert.Equal(n, actual.Length);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(expected(i), actual[i], 1e-5f);
        }
    }
}
