using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

/// <summary>
/// The GEMM's epilogue (a bias per column, then ReLU, applied to each tile as its sums complete)
/// against the product followed by those two passes over C: the same bits, ±0 and NaN included, for
/// every instruction set, transpose, tile and depth-block edge, the one-row path, the serial nest and
/// both multithreaded nests on 1, 2 and 3 threads, with B packed per call or beforehand.
/// </summary>
public class SgemmEpilogueTests
{
    public static TheoryData<string> Isas() => SgemmTests.Isas();

    [Theory]
    [MemberData(nameof(Isas))]
    public void EpilogueGivesTheBitsOfTheProductThenBiasThenRelu(string isaName)
    {
        var isa = Enum.Parse<Sgemm.Isa>(isaName);
        var rng = new Random(21);
        (int M, int N, int K)[] shapes =
        [
            (1, 1, 1), (2, 3, 4), (7, 16, 9), (9, 17, 37), (33, 32, 31), (8, 33, 1030), (1, 257, 300), (1, 70, 2049),
            (256, 256, 784), (256, 10, 128), (7, 128, 256), (70, 2100, 3), (5, 9, 260), (161, 40, 1025), (37, 1111, 64), (3, 5, 0),
        ];
        foreach (var (m, n, k) in shapes)
        {
            var a = Operand(rng, m * k);
            var b = Operand(rng, k * n);
            var bias = Operand(rng, n);
            bias[0] = -0f;
            foreach (bool ta in (bool[])[false, true])
            {
                foreach (bool tb in (bool[])[true, false])
                {
                    var packed = Sgemm.Pack(isa, tb, k, n, b);
                    foreach (var (withBias, relu) in ((bool, bool)[])[(true, false), (true, true), (false, true)])
                    {
                        float[] expected = ThreadCount.With(1, () =>
                        {
                            var e = new float[m * n];
                            Sgemm.Multiply(isa, ta, tb, m, n, k, a, b, e);
                            ThenBiasRelu(e, withBias ? bias : null, m, n, relu);
                            return e;
                        });
                        foreach (int threads in (int[])[1, 2, 3])
                        {
                            var (fused, fromPacked) = ThreadCount.With(threads, () =>
                            {
                                var f = Filled(m * n);
                                var p = Filled(m * n);
                                Sgemm.Multiply(isa, ta, tb, m, n, k, a, b, f, bias: withBias ? bias : default, relu: relu);
                                Sgemm.Multiply(ta, m, a, packed, p, withBias ? bias : default, relu);
                                return (f, p);
                            });
                            string what = $"{isa} {m}×{n}×{k} transA={ta} transB={tb} bias={withBias} relu={relu} threads={threads}";
                            AssertSameBits(expected, fused, what);
                            AssertSameBits(expected, fromPacked, what + " (packed B)");
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void ReluKeepsNaNAndClampsNegativeZero()
    {
        // PyTorch's relu(NaN) is NaN; max(-0, 0) is +0, as the separate pass gives.
        const int m = 20, n = 40, k = 9;
        var a = new float[m * k];
        var b = new float[k * n];
        var rng = new Random(22);
        for (int i = 0; i < b.Length; i++)
        {
            b[i] = (float)(rng.NextDouble() - 0.5);
        }

        a[3 * k] = float.NaN; // row 3: NaN in every column; the other rows are zero
        var bias = new float[n];
        bias.AsSpan().Fill(-0f);
        bias[5] = -1f;
        bias[6] = 2f;
        var c = Filled(m * n);
        Sgemm.Multiply(false, false, m, n, k, a, b, c, bias, relu: true);
        for (int j = 0; j < n; j++)
        {
            Assert.True(float.IsNaN(c[(3 * n) + j]), $"row 3 column {j}: {c[(3 * n) + j]}");
            float expected = j == 6 ? 2f : 0f;
            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(c[j]));
        }
    }

    [Fact]
    public void DepthZeroGivesTheBias()
    {
        var bias = new[] { 1f, -2f, 3f };
        var c = Filled(6);
        Sgemm.Multiply(false, true, 2, 3, 0, [], [], c, bias, relu: true);
        Assert.Equal(new[] { 1f, 0f, 3f, 1f, 0f, 3f }, c);
    }

    [Fact]
    public void BadEpilogueIsRefused()
    {
        var a = new float[6];
        var b = new float[6];
        var c = new float[4];
        var shortBias = Assert.Throws<ArgumentException>(() => Sgemm.Multiply(false, false, 2, 2, 3, a, b, c, new float[1], relu: false));
        Assert.Contains("bias", shortBias.Message);
        var accumulated = Assert.Throws<ArgumentException>(() => Sgemm.Multiply(Sgemm.Best, false, false, 2, 2, 3, a, b, c, accumulate: true, bias: new float[2]));
        Assert.Contains("accumulated", accumulated.Message);
    }

    private static void ThenBiasRelu(float[] c, float[]? bias, int m, int n, bool relu)
    {
        for (int r = 0; r < m; r++)
        {
            var row = c.AsSpan(r * n, n);
            if (bias is not null)
            {
                TensorPrimitives.Add(row, bias, row);
            }

            if (relu)
            {
                TensorPrimitives.Max(row, 0f, row);
            }
        }
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        var e = MemoryMarshal.Cast<float, int>(expected);
        var g = MemoryMarshal.Cast<float, int>(actual);
        for (int i = 0; i < e.Length; i++)
        {
            Assert.True(e[i] == g[i], $"{what}: element {i} is {actual[i]}, expected {expected[i]}");
        }
    }

    /// <summary>Values in [-1, 1), about one in eight exactly zero (so some outputs are ±0 before the bias).</summary>
    private static float[] Operand(Random rng, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = rng.Next(8) == 0 ? 0f : (float)((rng.NextDouble() * 2) - 1);
        }

        return values;
    }

    /// <summary>An output buffer holding garbage, which the product must overwrite.</summary>
    private static float[] Filled(int count)
    {
        var values = new float[count];
        values.AsSpan().Fill(123.5f);
        return values;
    }
}
