using Backprop.Data;
using Backprop.Data.Transforms;
using Backprop.Tests.Kernels;

namespace Backprop.Tests.Data;

public class DataLoaderTransformTests
{
    /// <summary>n random 6×6 grey images as bytes (flat rows of 36, or (1, 6, 6)), label = index.</summary>
    private static ImageDataset Images(int n, bool flat)
    {
        var pixels = new byte[n * 36];
        new Random(7).NextBytes(pixels);
        return new ImageDataset(pixels, flat ? [36] : [1, 6, 6], [.. Enumerable.Range(0, n).Select(i => (long)i)]);
    }

    private static ITransform Augment() => new Compose(new RandomCrop(6, padding: 2), new RandomHorizontalFlip());

    /// <summary>One epoch's transformed features by sample index (from the labels), as bits.</summary>
    private static Dictionary<long, int[]> Epoch(DataLoader loader)
    {
        var samples = new Dictionary<long, int[]>();
        foreach (var (x, y) in loader)
        {
            float[] values = x.ToArray<float>();
            long[] labels = y.ToArray<long>();
            int size = values.Length / labels.Length;
            for (int i = 0; i < labels.Length; i++)
            {
                samples.Add(labels[i], [.. values.AsSpan(i * size, size).ToArray().Select(BitConverter.SingleToInt32Bits)]);
            }
        }

        return samples;
    }

    [Fact]
    public void EachSampleIsTransformedWithItsImageShape()
    {
        // Flat rows of 4×4 images (values 16·i + 0..15), mirrored by a flip that always flips.
        int n = 5;
        var x = Tensor.FromArray([.. Enumerable.Range(0, n * 16).Select(v => (float)v)], n, 16);
        var ds = new TensorDataset(x, Tensor.FromArray([.. Enumerable.Range(0, n).Select(i => (long)i)], n));
        var loader = new DataLoader(ds, batchSize: 2, transform: new RandomHorizontalFlip(1), imageShape: new ImageShape(1, 4, 4));
        var batches = loader.ToList();
        Assert.Equal(new[] { 2, 16 }, batches[0].X.Shape);
        float[] first = batches[0].X.ToArray<float>();
        Assert.Equal(new float[] { 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12 }, first[..16]);
        Assert.Equal(19f, first[16]);
        Assert.Equal(x.ToArray<float>()[..16], ds.Features.ToArray<float>()[..16]); // the dataset is not changed

        // A crop that shrinks: flat rows stay flat, (C, H, W) and (H, W) samples keep their rank.
        var crop = new RandomCrop(2);
        Assert.Equal(new[] { 2, 4 }, new DataLoader(ds, batchSize: 2, transform: crop, imageShape: new ImageShape(1, 4, 4)).First().X.Shape);
        var square = new TensorDataset(x.Reshape(n, 4, 4), ds.Labels);
        Assert.Equal(new[] { 2, 2, 2 }, new DataLoader(square, batchSize: 2, transform: crop).First().X.Shape);
        var chw = new TensorDataset(x.Reshape(n, 1, 4, 4), ds.Labels);
        var cropped = new DataLoader(chw, batchSize: 2, transform: crop, seed: 3, prefetch: true).First().X;
        Assert.Equal(new[] { 2, 1, 2, 2 }, cropped.Shape);
        Assert.Equal(
            new DataLoader(square, batchSize: 2, transform: crop, seed: 3).First().X.ToArray<float>(),
            cropped.ToArray<float>());
    }

    [Fact]
    public void TheSameSeedGivesTheSameBitsWhateverTheThreadsPrefetchAndBatchSize()
    {
        var flat = Images(101, flat: true);
        var square = Images(101, flat: false);
        List<Dictionary<long, int[]>> Run(Dataset ds, int threads, bool prefetch, int batchSize) => ThreadCount.With(threads, () =>
        {
            var loader = new DataLoader(ds, batchSize, shuffle: true, seed: 11, prefetch: prefetch, transform: Augment(), imageShape: ds == flat ? new ImageShape(1, 6, 6) : null);
            return new List<Dictionary<long, int[]>> { Epoch(loader), Epoch(loader) };
        });

        var reference = Run(flat, 1, false, 8);
        foreach (var (ds, threads, prefetch, batchSize) in new (Dataset, int, bool, int)[] { (flat, 1, false, 8), (flat, 4, true, 8), (square, 2, true, 13), (square, 3, false, 101) })
        {
            var run = Run(ds, threads, prefetch, batchSize);
            for (int epoch = 0; epoch < 2; epoch++)
            {
                Assert.Equal(101, run[epoch].Count);
                foreach (var (index, bits) in reference[epoch])
                {
                    Assert.Equal(bits, run[epoch][index]);
                }
            }
        }

        // The transforms do something, differ between epochs and between seeds, and keep some images as they are.
        var raw = Epoch(new DataLoader(flat, batchSize: 101));
        int changed = reference[0].Count(kv => !kv.Value.SequenceEqual(raw[kv.Key]));
        Assert.InRange(changed, 80, 101);
        Assert.True(reference[0].Count(kv => !kv.Value.SequenceEqual(reference[1][kv.Key])) > 80);
        var other = Epoch(new DataLoader(flat, 8, shuffle: true, seed: 12, transform: Augment(), imageShape: new ImageShape(1, 6, 6)));
        Assert.True(reference[0].Count(kv => !kv.Value.SequenceEqual(other[kv.Key])) > 80);
    }

    [Fact]
    public void RestoringTheEpochStartStateRepeatsTheRestOfTheEpochBitForBit()
    {
        // What the trainer does: save the generator's state at the start of an epoch, and on resume
        // restore it and skip the batches already done.
        var ds = Images(50, flat: true);
        var loader = new DataLoader(ds, batchSize: 8, shuffle: true, seed: 4, prefetch: true, transform: Augment(), imageShape: new ImageShape(1, 6, 6));
        _ = loader.ToList();
        ulong[] epochStart = loader.Generator.GetState();
        var uninterrupted = loader.Select(b => b.X.ToArray<float>()).ToList();
        ulong[] next = loader.Generator.GetState();

        var resumed = new DataLoader(ds, batchSize: 8, shuffle: true, seed: 99, prefetch: true, transform: Augment(), imageShape: new ImageShape(1, 6, 6));
        resumed.Generator.SetState(epochStart);
        var rest = ThreadCount.With(2, () => resumed.Skip(3).Select(b => b.X.ToArray<float>()).ToList());
        Assert.Equal(uninterrupted.Skip(3), rest);
        Assert.Equal(next, resumed.Generator.GetState());
    }

    [Fact]
    public void ALoaderWithoutATransformDrawsWhatItAlwaysDrew()
    {
        // The epoch key is drawn after the permutation, and only with a transform: runs without one repeat their old bits.
        var ds = Images(20, flat: true);
        var plain = new DataLoader(ds, batchSize: 4, shuffle: true, seed: 1);
        var augmented = new DataLoader(ds, batchSize: 4, shuffle: true, seed: 1, transform: new RandomHorizontalFlip(), imageShape: new ImageShape(1, 6, 6));
        Assert.Equal(plain.SelectMany(b => b.Y.ToArray<long>()), augmented.SelectMany(b => b.Y.ToArray<long>()));
        var expected = new Generator(1);
        expected.Shuffle(new int[20].AsSpan());
        Assert.Equal(expected.GetState(), plain.Generator.GetState());
        expected.NextUInt64();
        Assert.Equal(expected.GetState(), augmented.Generator.GetState());
    }

    [Fact]
    public void SamplesTheTransformCannotTakeAreRefusedWithAMessage()
    {
        var flat = Images(4, flat: true);
        var ex = Assert.Throws<ArgumentException>(() => new DataLoader(flat, 2, transform: new RandomHorizontalFlip()).First());
        Assert.Contains("the samples have shape (36), not (C, H, W) or (H, W); pass imageShape", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => new DataLoader(flat, 2, prefetch: true, transform: new RandomHorizontalFlip(), imageShape: new ImageShape(1, 5, 5)).First());
        Assert.Contains("imageShape (1, 5, 5) holds 25 values but the samples have shape (36) (36 values)", ex.Message);
        var doubles = new TensorDataset(Tensor.Zeros([2, 3, 3], DType.Float64), Tensor.Zeros([2], DType.Int64));
        ex = Assert.Throws<ArgumentException>(() => new DataLoader(doubles, 2, prefetch: true, transform: new RandomHorizontalFlip()).First());
        Assert.Contains("float32 features, but the dataset's are float64", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => new DataLoader(flat, 2, imageShape: new ImageShape(1, 6, 6)));
        Assert.Contains("pass it with a transform", ex.Message);
    }
}
