using Backprop.Data;

namespace Backprop.Tests.Data;

public class DataLoaderTests
{
    /// <summary>10 samples: features [i, 10 + i, 20 + i] per row, label i.</summary>
    private static TensorDataset Numbered(int n = 10)
    {
        var x = new float[n * 3];
        var y = new long[n];
        for (int i = 0; i < n; i++)
        {
            (x[3 * i], x[(3 * i) + 1], x[(3 * i) + 2]) = (i, 10 + i, 20 + i);
            y[i] = i;
        }

        return new TensorDataset(Tensor.FromArray(x, n, 3), Tensor.FromArray(y, n));
    }

    private static long[] Order(DataLoader loader) => [.. loader.SelectMany(batch => batch.Y.ToArray<long>())];

    [Fact]
    public void TensorDatasetIndexesRowsAndChecksSampleCounts()
    {
        var ds = Numbered();
        var (x, y) = ds[7];

        Assert.Equal(10, ds.Count);
        Assert.Equal(new[] { 3 }, x.Shape);
        Assert.Equal(new[] { 7f, 17f, 27f }, x.ToArray<float>());
        Assert.Equal(0, y.Rank);
        Assert.Equal(7.0, y.Item());
        var ex = Assert.Throws<ArgumentException>(() => new TensorDataset(Tensor.Zeros(5, 3), Tensor.Zeros([4], DType.Int64)));
        Assert.Contains("(5x3)", ex.Message);
        Assert.Contains("(4)", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => ds[10]);
        Assert.Throws<ArgumentOutOfRangeException>(() => ds[-1]);
    }

    [Fact]
    public void BatchesHaveLeadingBatchDimensionAndPartialLastBatch()
    {
        var loader = new DataLoader(Numbered(), batchSize: 4);
        var batches = loader.ToList();

        Assert.Equal(3, loader.Count);
        Assert.Equal(3, batches.Count);
        Assert.Equal(new[] { 4, 3 }, batches[0].X.Shape);
        Assert.Equal(new[] { 4 }, batches[0].Y.Shape);
        Assert.Equal(DType.Int64, batches[0].Y.DType);
        Assert.Equal(new[] { 2, 3 }, batches[2].X.Shape);
        Assert.Equal(new[] { 8f, 18f, 28f, 9f, 19f, 29f }, batches[2].X.ToArray<float>());
        Assert.Equal(new long[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, Order(loader));
    }

    [Fact]
    public void DropLastSkipsTheIncompleteBatch()
    {
        var loader = new DataLoader(Numbered(), batchSize: 4, dropLast: true);
        var batches = loader.ToList();

        Assert.Equal(2, loader.Count);
        Assert.Equal(2, batches.Count);
        Assert.All(batches, b => Assert.Equal(new[] { 4, 3 }, b.X.Shape));
        Assert.Equal(0, new DataLoader(Numbered(3), batchSize: 4, dropLast: true).Count);
        Assert.Empty(new DataLoader(Numbered(3), batchSize: 4, dropLast: true));
    }

    [Fact]
    public void BatchSizeMustBePositive()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Numbered(), batchSize: 0));
        Assert.Contains("batchSize must be positive, got 0", ex.Message);
        Assert.Throws<ArgumentException>(() => new DataLoader(Numbered(), shuffle: true, seed: 1, generator: new Generator(1)));
    }

    [Fact]
    public void ShuffleIsReproducibleWithASeedAndDiffersAcrossEpochs()
    {
        var a = new DataLoader(Numbered(50), batchSize: 8, shuffle: true, seed: 42);
        var b = new DataLoader(Numbered(50), batchSize: 8, shuffle: true, seed: 42);

        long[] a1 = Order(a), a2 = Order(a);
        long[] b1 = Order(b), b2 = Order(b);

        Assert.Equal(a1, b1);
        Assert.Equal(a2, b2);
        Assert.NotEqual(a1, a2);
        Assert.NotEqual(Enumerable.Range(0, 50).Select(i => (long)i).ToArray(), a1);
        Assert.NotEqual(a1, Order(new DataLoader(Numbered(50), batchSize: 8, shuffle: true, seed: 43)));
    }

    [Fact]
    public void EverySampleIsSeenExactlyOncePerEpochWithItsOwnFeatures()
    {
        var loader = new DataLoader(Numbered(37), batchSize: 5, shuffle: true, seed: 3);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var seen = new List<long>();
            foreach (var (x, y) in loader)
            {
                float[] features = x.ToArray<float>();
                long[] labels = y.ToArray<long>();
                for (int i = 0; i < labels.Length; i++)
                {
                    Assert.Equal(new float[] { labels[i], 10 + labels[i], 20 + labels[i] }, features[(3 * i)..((3 * i) + 3)]);
                }

                seen.AddRange(labels);
            }

            Assert.Equal(Enumerable.Range(0, 37).Select(i => (long)i), seen.Order());
        }
    }

    [Fact]
    public void GeneratorStateRestoresTheSameEpochSequence()
    {
        var loader = new DataLoader(Numbered(20), batchSize: 6, shuffle: true, seed: 9);
        _ = Order(loader);
        ulong[] state = loader.Generator.GetState();
        long[] expected = Order(loader);

        var resumed = new DataLoader(Numbered(20), batchSize: 6, shuffle: true, seed: 1234);
        resumed.Generator.SetState(state);

        Assert.Equal(expected, Order(resumed));
    }

    [Fact]
    public void RegressionTargetsBatchAsRows()
    {
        var ds = new TensorDataset(Tensor.Arange(0, 12, 1, DType.Float64).Reshape(6, 2), Tensor.Arange(0, 6, 1, DType.Float64).Reshape(6, 1));
        var (x, y) = new DataLoader(ds, batchSize: 4).First();

        Assert.Equal(new[] { 4, 2 }, x.Shape);
        Assert.Equal(new[] { 4, 1 }, y.Shape);
        Assert.Equal(DType.Float64, y.DType);
        Assert.Equal(new[] { 0.0, 1, 2, 3 }, y.ToArray());
    }

    [Fact]
    public void SubsetAndRandomSplitPartitionTheSamples()
    {
        var ds = Numbered(10);
        var parts = Dataset.RandomSplit(ds, [7, 3], new Generator(5));
        var again = Dataset.RandomSplit(ds, [7, 3], new Generator(5));

        Assert.Equal(7, parts[0].Count);
        Assert.Equal(3, parts[1].Count);
        Assert.Equal(parts[0].Indices, again[0].Indices);
        Assert.Equal(Enumerable.Range(0, 10), parts[0].Indices.Concat(parts[1].Indices).Order());
        var (x, y) = new DataLoader(parts[1], batchSize: 3).Single();
        Assert.Equal(parts[1].Indices.Select(i => (long)i), y.ToArray<long>());
        Assert.Equal((float)parts[1].Indices[0], x.ToArray<float>()[0]);
        Assert.Equal(parts[1].Indices[2], (int)parts[1][2].Y.Item());
        var ex = Assert.Throws<ArgumentException>(() => Dataset.RandomSplit(ds, [5, 4]));
        Assert.Contains("sum to 9", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Subset(ds, [0, 10]));
    }

    [Fact]
    public void CustomDatasetsAreCollatedByTheBaseClass()
    {
        var loader = new DataLoader(new Squares(5), batchSize: 2);
        var batches = loader.ToList();

        Assert.Equal(3, batches.Count);
        Assert.Equal(new[] { 2, 1 }, batches[0].X.Shape);
        Assert.Equal(new[] { 2 }, batches[0].Y.Shape);
        Assert.Equal(new[] { 4.0, 9.0 }, batches[1].Y.ToArray());
        Assert.Equal(new[] { 1, 1 }, batches[2].X.Shape);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void PrefetchingGivesTheSameBatches(int threads)
    {
        var ds = Numbered(23);
        var plain = new DataLoader(ds, batchSize: 4, shuffle: true, seed: 5);
        var prefetched = new DataLoader(ds, batchSize: 4, shuffle: true, seed: 5, prefetch: true);
        Assert.True(prefetched.Prefetch);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var expected = plain.ToList();
            var actual = Kernels.ThreadCount.With(threads, () => prefetched.ToList());
            Assert.Equal(expected.Count, actual.Count);
            for (int b = 0; b < expected.Count; b++)
            {
                Assert.Equal(expected[b].X.Shape, actual[b].X.Shape);
                Assert.Equal(expected[b].X.ToArray<float>(), actual[b].X.ToArray<float>());
                Assert.Equal(expected[b].Y.ToArray<long>(), actual[b].Y.ToArray<long>());
            }
        }

        // Stopping early is fine, and an empty dataset yields nothing.
        Assert.Single(Kernels.ThreadCount.With(threads, () => prefetched.Take(1).ToList()));
        Assert.Empty(new DataLoader(new Squares(0), batchSize: 4, prefetch: true));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void APrefetchedBatchsExceptionReachesTheCallerWithItsType(int threads)
    {
        var loader = new DataLoader(new Squares(10, failAt: 6), batchSize: 4, prefetch: true);
        var seen = new List<int>();
        var ex = Assert.Throws<InvalidDataException>(() => Kernels.ThreadCount.With(threads, () =>
        {
            foreach (var (_, y) in loader)
            {
                seen.Add(y.Size(0));
            }
        }));
        Assert.Equal("sample 6 is unreadable", ex.Message);
        Assert.Equal([4], seen);
    }

    /// <summary>Sample i: features [i], target i² (rank 0, float64).</summary>
    private sealed class Squares(int n, int failAt = -1) : Dataset
    {
        public override int Count => n;

        public override (Tensor X, Tensor Y) this[int index] => index == failAt
            ? throw new InvalidDataException($"sample {index} is unreadable")
            : (Tensor.FromArray(new double[] { index }), Tensor.Scalar(index * index, DType.Float64));
    }
}
