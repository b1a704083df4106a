using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

/// <summary>
/// The packed float32 GEMM against a plain double-precision loop on every shape class: all four
/// transpose combinations, sizes around each kernel's register tile (MR, NR) and cache blocks (KC,
/// MC, NC), odd primes, 1×N and N×1, empty operands, overwrite and accumulate, 1 and 2 threads.
/// </summary>
public class SgemmTests
{
    // Around the AVX-512 tiles (8×32, and 16×16 for n ≤ 16), the AVX2 tile (6×16) and the scalar tile (4×4), plus 2·NR + 5.
    private static readonly int[] TileSizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 69];

    private static readonly (bool TransA, bool TransB)[] Transposes = [(false, false), (false, true), (true, false), (true, true)];

    /// <summary>The instruction sets this CPU can run (the fallbacks are checked here too).</summary>
    public static TheoryData<string> Isas()
    {
        var data = new TheoryData<string>();
        foreach (var isa in Enum.GetValues<Sgemm.Isa>())
        {
            if (isa <= Sgemm.Best)
            {
                data.Add(isa.ToString());
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void EveryTileEdgeMatchesReference(string isaName)
    {
        var isa = Enum.Parse<Sgemm.Isa>(isaName);
        var rng = new Random(1);
        foreach (var (ta, tb) in Transposes)
        {
            foreach (int m in TileSizes)
            {
                foreach (int n in TileSizes)
                {
                    foreach (int k in (int[])[1, 4, 37])
                    {
                        Check(isa, rng, ta, tb, m, n, k, accumulate: (m + n + k) % 2 == 0);
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void DepthAroundTheKcBlockMatchesReference(string isaName)
    {
        var isa = Enum.Parse<Sgemm.Isa>(isaName);
        var rng = new Random(2);
        foreach (var (ta, tb) in Transposes)
        {
            foreach (int k in (int[])[255, 256, 259, 1023, 1024, 1027, 2049])
            {
                foreach (var (m, n) in ((int, int)[])[(3, 33), (9, 17), (1, 70)])
                {
                    Check(isa, rng, ta, tb, m, n, k, accumulate: false);
                    Check(isa, rng, ta, tb, n, m, k, accumulate: true);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void PrimesVectorsAndBlockEdgesMatchReference(string isaName)
    {
        var isa = Enum.Parse<Sgemm.Isa>(isaName);
        var rng = new Random(3);
        (int M, int N, int K)[] shapes =
        [
            (101, 211, 257), (257, 131, 199), (293, 97, 113), (127, 251, 1),
            (1, 1000, 50), (1000, 1, 50), (1, 1, 1000), (1, 257, 300), (300, 1, 257), (500, 300, 1),
            (173, 1057, 20), (1057, 45, 30), (149, 2100, 3), (2100, 7, 9),
        ];
        foreach (var (ta, tb) in Transposes)
        {
            foreach (var (m, n, k) in shapes)
            {
                Check(isa, rng, ta, tb, m, n, k, accumulate: false);
                Check(isa, rng, ta, tb, m, n, k, accumulate: true);
            }
        }
    }

    [Theory]
    [InlineData(0, 5, 7)]
    [InlineData(5, 0, 7)]
    [InlineData(5, 7, 0)]
    [InlineData(0, 0, 0)]
    public void EmptyDimensionsClearOrKeepC(int m, int n, int k)
    {
        foreach (var (ta, tb) in Transposes)
        {
            var a = new float[m * k];
            var b = new float[k * n];
            var c = Enumerable.Repeat(3f, m * n).ToArray();
            Sgemm.Multiply(ta, tb, m, n, k, a, b, c, accumulate: true);
            Assert.All(c, v => Assert.Equal(3f, v));
            Sgemm.Multiply(ta, tb, m, n, k, a, b, c);
            Assert.All(c, v => Assert.Equal(0f, v));
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void AReadWhereItIsStoredGivesTheBitsOfAPackedA(string isaName)
    {
        // An untransposed A is read in place by the direct kernels (whole MR-row panels; a partial last
        // panel is packed); a transposed A is always packed. The same product either way must give the
        // same bits: every tile edge, depth across the KC block, overwrite and accumulate, the serial
        // nest and the multithreaded ones.
        var isa = Enum.Parse<Sgemm.Isa>(isaName);
        var rng = new Random(6);
        (int M, int N, int K)[] shapes =
        [
            (8, 32, 5), (7, 33, 9), (9, 31, 1), (16, 64, 37), (17, 65, 300), (6, 16, 3), (13, 17, 1030), (48, 10, 70),
            (161, 40, 1025), (256, 256, 784), (300, 70, 129), (40, 300, 64), (1111, 37, 64),
        ];
        foreach (bool tb in (bool[])[false, true])
        {
            foreach (var (m, n, k) in shapes)
            {
                var a = Random(rng, m * k);
                var aT = new float[k * m];
                for (int i = 0; i < m; i++)
                {
                    for (int p = 0; p < k; p++)
                    {
                        aT[(p * m) + i] = a[(i * k) + p];
                    }
                }

                var b = Random(rng, k * n);
                var c0 = Random(rng, m * n);
                foreach (bool accumulate in (bool[])[false, true])
                {
                    foreach (int threads in (int[])[1, 2])
                    {
                        var (inPlace, packed) = ThreadCount.With(threads, () =>
                        {
                            var direct = (float[])c0.Clone();
                            var viaPack = (float[])c0.Clone();
                            Sgemm.Multiply(isa, false, tb, m, n, k, a, b, direct, accumulate);
                            Sgemm.Multiply(isa, true, tb, m, n, k, aT, b, viaPack, accumulate);
                            return (direct, viaPack);
                        });
                        Assert.True(inPlace.AsSpan().SequenceEqual(packed), $"{isa} {m}×{n}×{k} transB={tb} accumulate={accumulate} threads={threads}");
                    }
                }
            }
        }
    }

    [Fact]
    public void OneTwoAndThreeThreadsAreBitIdentical()
    {
        var rng = new Random(4);
        // The last shape's packed B (1056 × 2000 floats) is over the shared operand's limit: the static
        // split. 301 × 1500 splits the columns over row blocks of A read in place, the last panel partial.
        (int M, int N, int K)[] shapes = [(101, 211, 257), (211, 101, 1030), (128, 784, 256), (784, 128, 256), (37, 1111, 64), (1111, 37, 64), (1111, 9, 64), (2000, 16, 40), (2200, 2100, 5), (301, 1500, 300), (1100, 1050, 2000)];
        foreach (var (ta, tb) in Transposes)
        {
            foreach (var (m, n, k) in shapes)
            {
                var a = Random(rng, m * k);
                var b = Random(rng, k * n);
                var c0 = Random(rng, m * n);
                foreach (bool accumulate in (bool[])[false, true])
                {
                    float[] Product(int threads) => ThreadCount.With(threads, () =>
                    {
                        var c = (float[])c0.Clone();
                        Sgemm.Multiply(ta, tb, m, n, k, a, b, c, accumulate);
                        return c;
                    });

                    var one = Product(1);
                    foreach (int threads in (int[])[2, 3])
                    {
                        Assert.True(one.AsSpan().SequenceEqual(Product(threads)), $"{m}×{n}×{k} transA={ta} transB={tb} accumulate={accumulate} threads={threads}");
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void OneRowWithUntransposedBIsBitIdenticalToThatRowOfALargerProduct(string isaName)
    {
        // The one-row path (Gemv) sums in the packed kernel's order when B is stored k×n.
        var isa = Enum.Parse<Sgemm.Isa>(isaName);
        var rng = new Random(6);
        foreach (var (n, k) in ((int, int)[])[(1, 1), (17, 37), (100, 300), (257, 1030), (64, 2049)])
        {
            const int m = 9;
            var a = Random(rng, m * k);
            var b = Random(rng, k * n);
            var c0 = Random(rng, m * n);
            foreach (bool accumulate in (bool[])[false, true])
            {
                var all = (float[])c0.Clone();
                Sgemm.Multiply(isa, false, false, m, n, k, a, b, all, accumulate);
                for (int i = 0; i < m; i++)
                {
                    var row = c0.AsSpan(i * n, n).ToArray();
                    Sgemm.Multiply(isa, false, false, 1, n, k, a.AsSpan(i * k, k), b, row, accumulate);
                    Assert.True(row.AsSpan().SequenceEqual(all.AsSpan(i * n, n)), $"{isa} row {i} of {m}×{n}×{k} accumulate={accumulate}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void OneRowWithTransposedBGivesEachOutputWhateverItsNeighbours(string isaName)
    {
        // The one-row path takes rows of B sixteen (AVX-512) or eight (AVX2) at a time and sums their
        // lanes together; each output must equal its row's product alone, and the product itself.
        var isa = Enum.Parse<Sgemm.Isa>(isaName);
        var rng = new Random(8);
        foreach (var (n, k) in ((int, int)[])[(7, 5), (9, 16), (13, 40), (6, 1000), (5, 127), (16, 128), (37, 300), (64, 17), (40, 256), (19, 1), (512, 128), (33, 143)])
        {
            var a = Random(rng, k);
            var b = Random(rng, n * k);
            var c = new float[n];
            Sgemm.Multiply(isa, false, true, 1, n, k, a, b, c);
            AssertClose(false, true, 1, n, k, a, b, new float[n], c, accumulate: false, $"{isa} 1×{n}×{k}");
            for (int j = 0; j < n; j++)
            {
                var alone = new float[1];
                Sgemm.Multiply(isa, false, true, 1, 1, k, a, b.AsSpan(j * k, k), alone);
                Assert.Equal(alone[0], c[j]);
            }
        }
    }

    [Fact]
    public void OneRowProductsSplitAcrossThreadsAreBitIdentical()
    {
        var rng = new Random(7);
        foreach (var (n, k) in ((int, int)[])[(4096, 1024), (1000, 2000), (70, 20000)])
        {
            foreach (bool tb in (bool[])[false, true])
            {
                var a = Random(rng, k);
                var b = Random(rng, k * n);
                float[] Product(int threads) => ThreadCount.With(threads, () =>
                {
                    var c = new float[n];
                    Sgemm.Multiply(false, tb, 1, n, k, a, b, c);
                    return c;
                });

                var one = Product(1);
                AssertClose(false, tb, 1, n, k, a, b, new float[n], one, accumulate: false, $"1×{n}×{k} transB={tb}");
                foreach (int threads in (int[])[2, 3])
                {
                    Assert.True(one.AsSpan().SequenceEqual(Product(threads)), $"1×{n}×{k} transB={tb} threads={threads}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void RowsThatCrowdTheL2GiveTheBitsOfSixRowSlices(string isaName)
    {
        // A stored with rows 8 KB or 16 KB apart: the AVX2 tile packs such a block instead of reading
        // it in place (on a 16-way L2 or smaller), six-row slices stay direct, and the two must agree
        // bit for bit, as every element gets the same FMAs in the same order.
        var isa = Enum.Parse<Sgemm.Isa>(isaName);
        var rng = new Random(9);
        foreach (var (m, n, k) in ((int, int, int)[])[(150, 40, 2048), (149, 17, 4096)])
        {
            var a = Random(rng, m * k);
            var b = Random(rng, k * n);
            var all = new float[m * n];
            ThreadCount.With(1, () => Sgemm.Multiply(isa, false, false, m, n, k, a, b, all));
            AssertClose(false, false, m, n, k, a, b, new float[m * n], all, accumulate: false, $"{isa} {m}×{n}×{k}");
            for (int i = 0; i < m; i += 6)
            {
                int rows = Math.Min(6, m - i);
                var slice = new float[rows * n];
                ThreadCount.With(1, () => Sgemm.Multiply(isa, false, false, rows, n, k, a.AsSpan(i * k, rows * k), b, slice, accumulate: false, oneRowKernel: false));
                Assert.True(slice.AsSpan().SequenceEqual(all.AsSpan(i * n, rows * n)), $"{isa} rows {i}.. of {m}×{n}×{k}");
            }
        }
    }

    [Fact]
    public void TheAvx2TilePacksRowsThatCrowdAnL2Set()
    {
        // 144 rows 8 KB apart start on 8 of a 64 KB way's offsets, 18 rows each: more than 16 ways.
        Assert.Equal(18, CpuModel.RowsPerSet(144, 8192, 65536));
        Assert.Equal(9, CpuModel.RowsPerSet(144, 4096, 65536));
        if (CpuModel.L2.Ways == 0)
        {
            Assert.True(Sgemm.ReadsADirect(Sgemm.Avx2Config, false, 144, 2048));
            return;
        }

        Assert.Equal(CpuModel.L2.Ways >= 18, Sgemm.ReadsADirect(Sgemm.Avx2Config, false, 144, 2048));
        Assert.True(Sgemm.ReadsADirect(Sgemm.Avx2Config, false, 144, 784));
        Assert.False(Sgemm.ReadsADirect(Sgemm.Avx2Config, true, 144, 784));
        Assert.True(Sgemm.ReadsADirect(Sgemm.Avx512Config, false, 160, 2048));
    }

    [Fact]
    public void OnlyBlocksOfCLargerThanTheL2AreFetchedAhead()
    {
        var (ways, wayBytes) = CpuModel.L2;
        if (ways == 0)
        {
            Assert.False(Sgemm.PrefetchesC(144, 2048));
            return;
        }

        int floats = ways * wayBytes / sizeof(float);
        Assert.True(Sgemm.PrefetchesC(2, floats));
        Assert.False(Sgemm.PrefetchesC(1, floats));
        Assert.False(Sgemm.PrefetchesC(144, floats / 288));
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void BlocksOfCLargerThanTheL2AccumulateAsTheReference(string isaName)
    {
        // One thread, so whole MC×NC blocks of C (up to 144 × 2048 floats, 1.2 MB: fetched ahead on an
        // L2 of 1 MB or less) take each depth block in turn.
        var isa = Enum.Parse<Sgemm.Isa>(isaName);
        var rng = new Random(10);
        ThreadCount.With(1, () =>
        {
            Check(isa, rng, false, false, 150, 2100, 300, accumulate: true);
            Check(isa, rng, true, true, 151, 2090, 290, accumulate: false);
        });
    }

    [Fact]
    public void GemmRoutesFloatSegmentsWithOffsets()
    {
        var rng = new Random(5);
        const int m = 19, n = 45, k = 33;
        foreach (var (ta, tb) in Transposes)
        {
            var a = Random(rng, (m * k) + 7);
            var b = Random(rng, (k * n) + 11);
            var c = Random(rng, (m * n) + 13);
            var before = (float[])c.Clone();
            Gemm.Multiply(ta, tb, m, n, k, new ArraySegment<float>(a, 7, m * k), new ArraySegment<float>(b, 11, k * n), new ArraySegment<float>(c, 13, m * n), accumulate: true);
            Assert.Equal(before.AsSpan(0, 13).ToArray(), c.AsSpan(0, 13).ToArray());
            AssertClose(ta, tb, m, n, k, a.AsSpan(7), b.AsSpan(11), before.AsSpan(13), c.AsSpan(13), accumulate: true, "Gemm.Multiply<float>");
        }
    }

    private static void Check(Sgemm.Isa isa, Random rng, bool ta, bool tb, int m, int n, int k, bool accumulate)
    {
        var a = Random(rng, m * k);
        var b = Random(rng, k * n);
        var c0 = Random(rng, m * n);
        var c = (float[])c0.Clone();
        Sgemm.Multiply(isa, ta, tb, m, n, k, a, b, c, accumulate);
        AssertClose(ta, tb, m, n, k, a, b, c0, c, accumulate, $"{isa} {m}×{n}×{k} transA={ta} transB={tb} accumulate={accumulate}");
    }

    private static void AssertClose(bool ta, bool tb, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> c0, ReadOnlySpan<float> c, bool accumulate, string what)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = accumulate ? c0[(i * n) + j] : 0, scale = Math.Abs(sum);
                for (int p = 0; p < k; p++)
                {
                    double prod = (double)(ta ? a[(p * m) + i] : a[(i * k) + p]) * (tb ? b[(j * k) + p] : b[(p * n) + j]);
                    sum += prod;
                    scale += Math.Abs(prod);
                }

                double tol = 1e-5 * Math.Sqrt(k + 1) * scale;
                double got = c[(i * n) + j];
                if (!(Math.Abs(got - sum) <= tol))
                {
                    Assert.Fail($"{what}: c[{i}, {j}] = {got}, expected {sum} (tolerance {tol})");
                }
            }
        }
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

    [Fact]
    public void ASpareColumnIsOneTheLastPanelPadsAnyway()
    {
        // 156 and 20 columns: 160 and 32 in panels of 32 (AVX-512) or 16 (AVX2), whole panels of 4 (scalar).
        Assert.Equal(Sgemm.Best != Sgemm.Isa.Scalar, Sgemm.HasSpareColumn(156));
        Assert.Equal(Sgemm.Best != Sgemm.Isa.Scalar, Sgemm.HasSpareColumn(20));
        Assert.True(Sgemm.HasSpareColumn(15));
        Assert.False(Sgemm.HasSpareColumn(16));
        Assert.False(Sgemm.HasSpareColumn(160));
        Assert.False(Sgemm.HasSpareColumn(0));
    }
}
