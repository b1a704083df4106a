using Backprop.Data;

namespace Backprop.Tests.Data;

public class ImageDatasetTests
{
    [Fact]
    public void BatchesEqualPreDividedFloatFeatures()
    {
        // Every byte value, in samples of 2×3, so each one goes through the conversion.
        var pixels = new byte[256 * 6];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)(i * 7 % 256);
        }

        var labels = Enumerable.Range(0, 256).Select(i => (long)(i % 10)).ToArray();
        var images = new ImageDataset(pixels, [2, 3], labels);
        var floats = pixels.Select(p => p / 255f).ToArray();
        var reference = new TensorDataset(Tensor.FromArray(floats, 256, 2, 3), Tensor.FromArray(labels));

        int[] order = [255, 0, 17, 17, 128];
        var (x, y) = images.GetBatch(order);
        var (rx, ry) = reference.GetBatch(order);
        Assert.Equal(rx.Shape, x.Shape);
        Assert.Equal(rx.ToArray<float>(), x.ToArray<float>());
        Assert.Equal(ry.ToArray<long>(), y.ToArray<long>());

        var (one, label) = images[3];
        Assert.Equal(new[] { 2, 3 }, one.Shape);
        Assert.Equal(3L, label.Item());
        Assert.Equal(reference.Features.ToArray<float>(), images.ToTensorDataset().Features.ToArray<float>());
    }

    [Theory]
    [InlineData(255f)]
    [InlineData(3f)]
    [InlineData(0.7f)]
    [InlineData(1e-30f)]
    public void ScaleGivesTheCorrectlyRoundedQuotientOnEveryLength(float divisor)
    {
        // Lengths around the 32-byte vector step (tails of 0..31), every byte value in each position.
        var source = Enumerable.Range(0, 300).Select(i => (byte)((i * 37) + (i / 256))).ToArray();
        foreach (int length in new[] { 0, 1, 31, 32, 33, 63, 64, 95, 256, 299, 300 })
        {
            for (int offset = 0; offset < 3 && offset + length <= source.Length; offset++)
            {
                var destination = new float[length + 1];
                destination[^1] = -1;
                ImageDataset.Scale(source.AsSpan(offset, length), destination.AsSpan(0, length), divisor);
                for (int j = 0; j < length; j++)
                {
                    Assert.Equal((float)((double)source[offset + j] / divisor), destination[j]);
                }

                Assert.Equal(-1, destination[^1]);
            }
        }
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ImageDataset(new byte[10], [3], [0, 1, 2]));
        Assert.Contains("10 pixels do not hold 3 samples of shape (3)", ex.Message);
        Assert.Throws<ArgumentException>(() => new ImageDataset(new byte[3], [1], [0, 1, 2], divisor: 0));
        var images = new ImageDataset(new byte[3], [1], [0, 1, 2]);
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => images.GetBatch([1, 3]));
        Assert.Contains("index 3 is out of range for 3 samples", range.Message);
    }
}
