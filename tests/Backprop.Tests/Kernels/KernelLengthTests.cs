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
            var rows = Reduce.SumToShape("test", t, [n]).ToArray();
            var cols = Reduce.SumToShape("test", t, [4, 1]).ToArray();
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

    private static void Check(int n, float[] actual, Func<int, float> expected)
    {
        Assert.Equal(n, actual.Length);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(expected(i), actual[i], 1e-5f);
        }
    }
}
