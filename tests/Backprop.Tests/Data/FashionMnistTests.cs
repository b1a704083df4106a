using Backprop.Data;

namespace Backprop.Tests.Data;

public class FashionMnistTests
{
    [FashionMnistFact]
    public void LoadsTrainingAndTestSets()
    {
        var train = FashionMnist.Load(train: true);
        var test = FashionMnist.Load(train: false, flatten: false);

        Assert.Equal(new[] { 60000, 784 }, train.Features.Shape);
        Assert.Equal(new[] { 60000 }, train.Labels.Shape);
        Assert.Equal(new[] { 10000, 1, 28, 28 }, test.Features.Shape);
        Assert.Equal(new[] { 10000 }, test.Labels.Shape);
        Assert.Equal(DType.Int64, train.Labels.DType);
        foreach (var ds in new[] { train, test })
        {
            long[] labels = ds.Labels.ToArray<long>();
            Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), labels.Distinct().Order());
            Assert.All(labels.GroupBy(l => l), g => Assert.Equal(ds.Count / 10, g.Count()));
            float[] pixels = ds.Features.ToArray<float>();
            Assert.Equal(0f, pixels.Min());
            Assert.Equal(1f, pixels.Max());
        }

        // The first training image is an ankle boot (label 9), the first test image too.
        Assert.Equal(9, train.Labels.ToArray<long>()[0]);
        Assert.Equal(9, test.Labels.ToArray<long>()[0]);
    }

    [Fact]
    public void MissingFolderNamesThePathAndTheDebianPackage()
    {
        string folder = Path.Combine(Path.GetTempPath(), "no-such-fashion-mnist-" + Guid.NewGuid().ToString("N"));

        var ex = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(train: true, folder: folder));

        Assert.Contains(Path.Combine(folder, "train-images-idx3-ubyte.gz"), ex.Message);
        Assert.Contains("install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or pass a folder", ex.Message);
    }

    [Fact]
    public void SmallValidFolderLoadsWithScaledPixels()
    {
        using var dir = WriteSet(images: 3, labels: [2, 0, 9]);

        var ds = FashionMnist.Load(train: false, folder: dir.Path);

        Assert.Equal(new[] { 3, 784 }, ds.Features.Shape);
        Assert.Equal(new long[] { 2, 0, 9 }, ds.Labels.ToArray<long>());
        float[] pixels = ds.Features.ToArray<float>();
        Assert.Equal(0f, pixels[0]);
        Assert.Equal(255f / 255f, pixels[255]);
        Assert.Equal(17f / 255f, pixels[784 + 17]);
    }

    [Fact]
    public void ImageAndLabelCountsMustAgree()
    {
        using var dir = WriteSet(images: 3, labels: [1, 2]);

        var ex = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(train: false, folder: dir.Path));

        Assert.Contains("holds 3 images", ex.Message);
        Assert.Contains("holds 2 labels", ex.Message);
    }

    [Fact]
    public void LabelsMustBeWithinTheClassRange()
    {
        using var dir = WriteSet(images: 2, labels: [3, 10]);

        var ex = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(train: false, folder: dir.Path));

        Assert.Contains("label 10 of sample 1 is outside the class range 0..9", ex.Message);
        Assert.Contains("t10k-labels-idx1-ubyte.gz", ex.Message);
    }

    [Fact]
    public void TruncatedImageFileIsReported()
    {
        using var dir = WriteSet(images: 2, labels: [3, 4]);
        string images = dir.File("t10k-images-idx3-ubyte.gz");
        File.WriteAllBytes(images, IdxBytes.Gzip(IdxBytes.UByte(new byte[784], 2, 28, 28)));

        var ex = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(train: false, folder: dir.Path));

        Assert.Contains($"{images}: truncated: header says 1568 bytes of data", ex.Message);
    }

    /// <summary>A t10k pair of gzip IDX files; pixel j of every image is j mod 256.</summary>
    private static TempFolder WriteSet(int images, byte[] labels)
    {
        var dir = new TempFolder();
        var pixels = new byte[images * 784];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)(i % 784 % 256);
        }

        File.WriteAllBytes(dir.File("t10k-images-idx3-ubyte.gz"), IdxBytes.Gzip(IdxBytes.UByte(pixels, images, 28, 28)));
        File.WriteAllBytes(dir.File("t10k-labels-idx1-ubyte.gz"), IdxBytes.Gzip(IdxBytes.UByte(labels, labels.Length)));
        return dir;
    }
}
