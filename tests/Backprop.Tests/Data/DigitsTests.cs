using Backprop.Data;

namespace Backprop.Tests.Data;

public class DigitsTests
{
    [Fact]
    public void LoadsAllSamplesScaledToUnitRange()
    {
        var ds = Digits.Load();
        float[] pixels = ds.Features.ToArray<float>();
        long[] labels = ds.Labels.ToArray<long>();

        Assert.Equal(1797, ds.Count);
        Assert.Equal(new[] { 1797, 64 }, ds.Features.Shape);
        Assert.Equal(DType.Float32, ds.Features.DType);
        Assert.Equal(new[] { 1797 }, ds.Labels.Shape);
        Assert.Equal(DType.Int64, ds.Labels.DType);
        Assert.Equal(0f, pixels.Min());
        Assert.Equal(1f, pixels.Max());
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), labels.Distinct().Order());
        Assert.All(labels.GroupBy(l => l), g => Assert.InRange(g.Count(), 170, 190));

        // First row of the file: 0,0,5,13,9,1,0,0,... label 0.
        Assert.Equal(new[] { 0f, 0f, 5 / 16f, 13 / 16f, 9 / 16f, 1 / 16f, 0f, 0f }, pixels[..8]);
        Assert.Equal(0, labels[0]);
    }

    [Fact]
    public void UnscaledImagesKeepRawPixelValues()
    {
        var ds = Digits.Load(flatten: false, scale: false);

        Assert.Equal(new[] { 1797, 1, 8, 8 }, ds.Features.Shape);
        Assert.Equal(16f, ds.Features.ToArray<float>().Max());
        Assert.Equal(13f, ds.Features.ToArray<float>()[3]);
    }

    [Fact]
    public void SplitIsDeterministicDisjointAndComplete()
    {
        var (train, test) = Digits.Split();
        var (train2, test2) = Digits.Split(testFraction: 0.2, seed: 0);
        var (_, other) = Digits.Split(seed: 1);

        Assert.Equal(1797 - 359, train.Count);
        Assert.Equal(359, test.Count);
        Assert.Equal(train.Features.ToArray<float>(), train2.Features.ToArray<float>());
        Assert.Equal(test.Labels.ToArray<long>(), test2.Labels.ToArray<long>());
        Assert.NotEqual(test.Features.ToArray<float>(), other.Features.ToArray<float>());

        // Together the two parts hold exactly the rows of the whole set.
        static string Row(float[] all, int i) => string.Join(",", all[(64 * i)..(64 * (i + 1))]);
        float[] whole = Digits.Load().Features.ToArray<float>();
        float[] trainRows = train.Features.ToArray<float>();
        float[] testRows = test.Features.ToArray<float>();
        var expected = Enumerable.Range(0, 1797).Select(i => Row(whole, i)).Order().ToList();
        var actual = Enumerable.Range(0, train.Count).Select(i => Row(trainRows, i))
            .Concat(Enumerable.Range(0, test.Count).Select(i => Row(testRows, i))).Order().ToList();
        Assert.Equal(expected, actual);
        Assert.Throws<ArgumentOutOfRangeException>(() => Digits.Split(testFraction: 1.0));
    }
}
