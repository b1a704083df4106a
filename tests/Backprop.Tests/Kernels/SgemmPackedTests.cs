using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

/// <summary>
/// The GEMM with op(B) packed beforehand (<see cref="Sgemm.Pack(Sgemm.Isa, bool, int, int, ReadOnlySpan{float})"/>,
/// what a frozen Linear layer holds) against the GEMM packing B on every call: the same bits for every
/// instruction set, transpose, tile and block edge, the one-row path, the serial nest and both
/// multithreaded nests, on 1, 2 and 3 threads; and the packed copy does not see later changes to B.
/// </summary>
public class SgemmPackedTests
{
    public static TheoryData<string> Isas() => SgemmTests.Isas();

    [Theory]
    [MemberData(nameof(Isas))]
    public void PackedBGivesTheBitsOfTheUnpackedProduct(string isaName)
    {
        var isa = Enum.Parse<Sgemm.Isa>(isaName);
        var rng = new Random(11);
        (int M, int N, int K)[] shapes =
        [
            (1, 1, 1), (2, 3, 4), (7, 16, 9), (9, 17, 37), (33, 32, 31), (8, 33, 1030), (1, 257, 300), (1, 70, 2049),
            (256, 256, 784), (256, 10, 128), (7, 128, 256), (70, 2100, 3), (300, 2049, 5), (5, 9, 260), (161, 40, 1025),
            (2000, 16, 40), (37, 1111, 64), (1111, 37, 64),
        ];
        foreach (bool tb in (bool[])[true, false])
        {
            foreach (bool ta in (bool[])[false, true])
            {
                foreach (var (m, n, k) in shapes)
                {
                    var a = Random(rng, m * k);
                    var b = Random(rng, k * n);
                    var c0 = Random(rng, m * n);
                    var packed = Sgemm.Pack(isa, tb, k, n, b);
                    foreach (bool accumulate in (bool[])[false, true])
                    {
                        foreach (int threads in (int[])[1, 2, 3])
                        {
                            var (expected, actual) = ThreadCount.With(threads, () =>
                            {
                                var e = (float[])c0.Clone();
                                var g = (float[])c0.Clone();
                                Sgemm.Multiply(isa, ta, tb, m, n, k, a, b, e, accumulate);
                                Sgemm.Multiply(ta, m, a, packed, g, accumulate);
                                return (e, g);
                            });
                            Assert.True(expected.AsSpan().SequenceEqual(actual), $"{isa} {m}×{n}×{k} transA={ta} transB={tb} accumulate={accumulate} threads={threads}");
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void PackedBServesTheStaticSplitOfColumns()
    {
        // m < n with op(A) over the shared budget (2 M floats): the static split, each thread's share
        // of columns read from the packed B at its column offset.
        const int m = 1030, n = 1040, k = 4100;
        var rng = new Random(12);
        var a = Random(rng, m * k);
        var b = Random(rng, n * k);
        var packed = Sgemm.Pack(true, k, n, b);
        var (expected, actual) = ThreadCount.With(2, () =>
        {
            var e = new float[m * n];
            var g = new float[m * n];
            Sgemm.Multiply(false, true, m, n, k, a, b, e);
            Sgemm.Multiply(false, m, a, packed, g);
            return (e, g);
        });
        Assert.True(expected.AsSpan().SequenceEqual(actual));
        Assert.Contains(actual, v => v != 0);
    }

    [Fact]
    public void PackingCopiesB()
    {
        const int m = 5, n = 40, k = 30;
        var rng = new Random(13);
        var a = Random(rng, m * k);
        var b = Random(rng, n * k);
        var packed = Sgemm.Pack(true, k, n, b);
        var before = new float[m * n];
        Sgemm.Multiply(false, m, a, packed, before);
        var row = new float[n];
        Sgemm.Multiply(false, 1, a, packed, row);
        Array.Fill(b, 7f);
        var after = new float[m * n];
        Sgemm.Multiply(false, m, a, packed, after);
        var rowAfter = new float[n];
        Sgemm.Multiply(false, 1, a, packed, rowAfter);
        Assert.Equal(before, after);
        Assert.Equal(row, rowAfter);
        Assert.Equal(Sgemm.Best, packed.Isa);
    }

    [Fact]
    public void APackReusingItsBufferGivesTheBitsOfTheUnpackedProduct()
    {
        // What a recurrent layer does once per call for its step products (W_hhᵀ forward, W_hh
        // backward): the panels go into a buffer kept for the next call, B is read in place. One-row
        // products stay on the GEMM (oneRowKernel: false), as a thread's one-row share of a batch does.
        var rng = new Random(14);
        float[]? buffer = null;
        float[]? kept = null;
        (int M, int N, int K, bool TransB)[] cases =
        [
            (64, 512, 128, true), (1, 512, 128, true), (3, 128, 512, false), (2, 40, 300, true), (5, 1100, 70, false), (7, 16, 9, true),
        ];
        foreach (var (m, n, k, tb) in cases)
        {
            var a = Random(rng, m * k);
            var b = Random(rng, k * n);
            var packed = Sgemm.PackReusing(tb, k, n, b, ref buffer);
            Assert.NotNull(buffer);
            if (kept is not null && kept.Length >= buffer.Length)
            {
                Assert.Same(kept, buffer);
            }

            kept = buffer;
            foreach (bool accumulate in (bool[])[false, true])
            {
                foreach (int threads in (int[])[1, 2])
                {
                    var (expected, actual) = ThreadCount.With(threads, () =>
                    {
                        var e = Enumerable.Repeat(0.5f, m * n).ToArray();
                        var g = Enumerable.Repeat(0.5f, m * n).ToArray();
                        Sgemm.Multiply(false, tb, m, n, k, a, b, e, accumulate, oneRowKernel: false);
                        Sgemm.Multiply(false, m, a, packed, g, accumulate, oneRowKernel: false);
                        return (e, g);
                    });
                    Assert.True(expected.AsSpan().SequenceEqual(actual), $"{m}×{n}×{k} transB={tb} accumulate={accumulate} threads={threads}");
                }
            }
        }

        // The second case needs no more room than the first: its pack went into the same buffer.
        var first = Sgemm.PackReusing(true, 128, 512, Random(rng, 128 * 512), ref buffer);
        var same = buffer;
        Sgemm.PackReusing(true, 100, 512, Random(rng, 100 * 512), ref buffer);
        Assert.Same(same, buffer);
        Assert.Equal(512, first.N);
        Assert.Throws<ArgumentException>(() => Sgemm.PackReusing(true, 4, 3, new float[11], ref buffer));
    }

    [Theory]
    [InlineData(0, 5, 7)]
    [InlineData(5, 0, 7)]
    [InlineData(5, 7, 0)]
    public void EmptyDimensionsClearOrKeepC(int m, int n, int k)
    {
        var packed = Sgemm.Pack(true, k, n, new float[k * n]);
        var c = Enumerable.Repeat(3f, m * n).ToArray();
        Sgemm.Multiply(false, m, new float[m * k], packed, c, accumulate: true);
        Assert.All(c, v => Assert.Equal(3f, v));
        Sgemm.Multiply(false, m, new float[m * k], packed, c);
        Assert.All(c, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void TooShortOperandsAreRejected()
    {
        var packed = Sgemm.Pack(true, 4, 3, new float[12]);
        var e = Assert.Throws<ArgumentException>(() => Sgemm.Multiply(false, 2, new float[7], packed, new float[6]));
        Assert.Contains("2×4·4×3", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Sgemm.Pack(true, 4, 3, new float[11]));
    }

    private static float[] Random(Random rng, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        return values;
    }
}
