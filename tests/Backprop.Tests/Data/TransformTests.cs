using Backprop.Data;
using Backprop.Data.Transforms;
using Backprop.Tests.Kernels;

namespace Backprop.Tests.Data;

public class TransformTests
{
    /// <summary>The image 1..n·…, shape (C, H, W), as a tensor.</summary>
    private static Tensor Counting(int c, int h, int w) =>
        Tensor.FromArray([.. Enumerable.Range(1, c * h * w).Select(i => (float)i)], c, h, w);

    [Fact]
    public void RandomCropTakesTheWindowItsTwoDrawsName()
    {
        // The 3×3 image 1..9 padded by 1 with zeros, written out: a 3×3 crop is a window of it.
        float[,] padded =
        {
            { 0, 0, 0, 0, 0 },
            { 0, 1, 2, 3, 0 },
            { 0, 4, 5, 6, 0 },
            { 0, 7, 8, 9, 0 },
            { 0, 0, 0, 0, 0 },
        };
        var crop = new RandomCrop(3, padding: 1);
        var seen = new HashSet<(long, long)>();
        for (int seed = 0; seed < 200; seed++)
        {
            var replay = new Generator(seed);
            long top = replay.NextInt64(3), left = replay.NextInt64(3);
            seen.Add((top, left));
            var expected = new float[9];
            for (int y = 0; y < 3; y++)
            {
                for (int x = 0; x < 3; x++)
                {
                    expected[(y * 3) + x] = padded[top + y, left + x];
                }
            }

            var output = crop.Apply(Counting(1, 3, 3), new Generator(seed));
            Assert.Equal(new[] { 1, 3, 3 }, output.Shape);
            Assert.Equal(expected, output.ToArray<float>());
        }

        Assert.Equal(9, seen.Count);

        // Two of them in full: the top-left window shifts the image down and right, the bottom-right one up and left.
        var g = SeedFor(3, (0, 0));
        Assert.Equal(new float[] { 0, 0, 0, 0, 1, 2, 0, 4, 5 }, crop.Apply(Counting(1, 3, 3), g).ToArray<float>());
        g = SeedFor(3, (2, 2));
        Assert.Equal(new float[] { 5, 6, 0, 8, 9, 0, 0, 0, 0 }, crop.Apply(Counting(1, 3, 3), g).ToArray<float>());
    }

    /// <summary>A generator whose first two draws below <paramref name="range"/> are <paramref name="corner"/>.</summary>
    private static Generator SeedFor(long range, (long Top, long Left) corner)
    {
        for (int seed = 0; ; seed++)
        {
            var replay = new Generator(seed);
            if (replay.NextInt64(range) == corner.Top && replay.NextInt64(range) == corner.Left)
            {
                return new Generator(seed);
            }
        }
    }

    [Theory]
    [InlineData(ImagePaddingMode.Constant)]
    [InlineData(ImagePaddingMode.Edge)]
    [InlineData(ImagePaddingMode.Reflect)]
    [InlineData(ImagePaddingMode.Symmetric)]
    public void PaddingModesFillAsNumPysPad(ImagePaddingMode mode)
    {
        // numpy.pad(np.arange(1, 13).reshape(3, 4), 2, mode) (torchvision pads with the same rules;
        // numpy's 'edge' is torchvision's 'edge'). A crop of the padded size has one window.
        int[][] expected = mode switch
        {
            ImagePaddingMode.Constant =>
            [
                [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 1, 2, 3, 4, 0, 0], [0, 0, 5, 6, 7, 8, 0, 0],
                [0, 0, 9, 10, 11, 12, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0],
            ],
            ImagePaddingMode.Edge =>
            [
                [1, 1, 1, 2, 3, 4, 4, 4], [1, 1, 1, 2, 3, 4, 4, 4], [1, 1, 1, 2, 3, 4, 4, 4], [5, 5, 5, 6, 7, 8, 8, 8],
                [9, 9, 9, 10, 11, 12, 12, 12], [9, 9, 9, 10, 11, 12, 12, 12], [9, 9, 9, 10, 11, 12, 12, 12],
            ],
            ImagePaddingMode.Reflect =>
            [
                [11, 10, 9, 10, 11, 12, 11, 10], [7, 6, 5, 6, 7, 8, 7, 6], [3, 2, 1, 2, 3, 4, 3, 2], [7, 6, 5, 6, 7, 8, 7, 6],
                [11, 10, 9, 10, 11, 12, 11, 10], [7, 6, 5, 6, 7, 8, 7, 6], [3, 2, 1, 2, 3, 4, 3, 2],
            ],
            _ =>
            [
                [6, 5, 5, 6, 7, 8, 8, 7], [2, 1, 1, 2, 3, 4, 4, 3], [2, 1, 1, 2, 3, 4, 4, 3], [6, 5, 5, 6, 7, 8, 8, 7],
                [10, 9, 9, 10, 11, 12, 12, 11], [10, 9, 9, 10, 11, 12, 12, 11], [6, 5, 5, 6, 7, 8, 8, 7],
            ],
        };
        var crop = new RandomCrop((7, 8), padding: 2, paddingMode: mode);
        var output = crop.Apply(Counting(1, 3, 4), new Generator(0));
        Assert.Equal(new[] { 1, 7, 8 }, output.Shape);
        Assert.Equal(expected.SelectMany(r => r).Select(v => (float)v).ToArray(), output.ToArray<float>());
    }

    [Fact]
    public void RandomCropCropsEveryChannelAtTheSamePlaceAndCanShrinkTheImage()
    {
        // Two channels of 4×4 (1..16 and 17..32), cropped to 2×3 without padding: windows at rows 0..2, columns 0..1.
        var crop = new RandomCrop((2, 3));
        for (int seed = 0; seed < 20; seed++)
        {
            var replay = new Generator(seed);
            long top = replay.NextInt64(3), left = replay.NextInt64(2);
            var output = crop.Apply(Counting(2, 4, 4), new Generator(seed)).ToArray<float>();
            for (int c = 0; c < 2; c++)
            {
                for (int y = 0; y < 2; y++)
                {
                    for (int x = 0; x < 3; x++)
                    {
                        Assert.Equal((c * 16) + ((top + y) * 4) + left + x + 1, output[(c * 6) + (y * 3) + x]);
                    }
                }
            }
        }

        // A fill value, and an H×W image (read as 1×H×W) stays H×W.
        var filled = new RandomCrop(3, padding: 1, fill: -1).Apply(Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, 3, 3), SeedFor(3, (0, 0)));
        Assert.Equal(new[] { 3, 3 }, filled.Shape);
        Assert.Equal(new float[] { -1, -1, -1, -1, 1, 2, -1, 4, 5 }, filled.ToArray<float>());

        // pad_if_needed, as torchvision: a 2×2 image under a 4×4 crop gets 4 − 2 = 2 more rows and
        // columns on each side (6×6, the image at rows and columns 2..3), and the window moves in it.
        for (int seed = 0; seed < 20; seed++)
        {
            var replay = new Generator(seed);
            long top = replay.NextInt64(3), left = replay.NextInt64(3);
            var grown = new RandomCrop(4, padIfNeeded: true).Apply(Counting(1, 2, 2), new Generator(seed)).ToArray<float>();
            for (int y = 0; y < 4; y++)
            {
                for (int x = 0; x < 4; x++)
                {
                    long row = top + y - 2, column = left + x - 2;
                    Assert.Equal(row is 0 or 1 && column is 0 or 1 ? (row * 2) + column + 1 : 0, grown[(y * 4) + x]);
                }
            }
        }
    }

    [Fact]
    public void RandomHorizontalFlipMirrorsRowsWhenItsDrawIsBelowP()
    {
        // Two channels of 2×3: each row reversed, channels alike.
        var image = Counting(2, 2, 3);
        float[] mirrored = [3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10];
        Assert.Equal(mirrored, new RandomHorizontalFlip(p: 1).Apply(image, new Generator(0)).ToArray<float>());
        Assert.Equal(image.ToArray<float>(), new RandomHorizontalFlip(p: 0).Apply(image, new Generator(0)).ToArray<float>());

        var flip = new RandomHorizontalFlip();
        int flipped = 0;
        for (int seed = 0; seed < 2000; seed++)
        {
            bool expected = new Generator(seed).NextDouble() < 0.5;
            var output = flip.Apply(image, new Generator(seed)).ToArray<float>();
            Assert.Equal(expected ? mirrored : image.ToArray<float>(), output);
            flipped += expected ? 1 : 0;
        }

        Assert.InRange(flipped, 900, 1100);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], image.ToArray<float>()); // the input is not changed
    }

    [Fact]
    public void NormalizeGivesPyTorchsFloat32ValuesToTheBit()
    {
        // By hand: channel 0 (x − 0.5) / 0.25, channel 1 (x − 1) / 2.
        var two = new Normalize([0.5, 1], [0.25, 2]).Apply(Tensor.FromArray(new float[] { 0, 0.5f, 1, 0.75f, 1, 3, -1, 2 }, 2, 2, 2));
        Assert.Equal(new float[] { -2, 0, 2, 1, 0, 1, -1, 0.5f }, two.ToArray<float>());

        // torch: (torch.arange(256, dtype=torch.float32) / 255).sub(0.2860).div(0.3530) at 0, 1, 37, 128, 200, 255.
        int[] at = [0, 1, 37, 128, 200, 255];
        var pixels = Tensor.FromArray(at.Select(i => i / 255f).ToArray(), 1, 1, at.Length);
        var output = new Normalize([0.2860], [0.3530]).Apply(pixels).ToArray<float>();
        float[] torch = [-0.8101983666419983f, -0.7990891337394714f, -0.39915573596954346f, 0.6117870211601257f, 1.4116536378860474f, 2.022662878036499f];
        Assert.Equal(torch.Select(BitConverter.SingleToInt32Bits), output.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void ComposeRunsTheTransformsInOrderOnOneStream()
    {
        var crop = new RandomCrop(3, padding: 1);
        var flip = new RandomHorizontalFlip();
        var normalize = new Normalize([1], [2]);
        var compose = new Compose(crop, flip, normalize);
        var image = Counting(1, 3, 3);
        for (int seed = 0; seed < 30; seed++)
        {
            var g = new Generator(seed);
            var expected = normalize.Apply(flip.Apply(crop.Apply(image, g), g), g);
            Assert.Equal(expected.ToArray<float>(), compose.Apply(image, new Generator(seed)).ToArray<float>());
        }

        // A shrinking crop in the middle of a chain, and the empty chain (a copy).
        var shrink = new Compose(new RandomHorizontalFlip(1), new RandomCrop((2, 2)), new RandomHorizontalFlip(1));
        Assert.Equal(new ImageShape(1, 2, 2), shrink.OutputShape(new ImageShape(1, 3, 3)));
        var g2 = new Generator(5);
        var step = new RandomHorizontalFlip(1).Apply(new RandomCrop((2, 2)).Apply(new RandomHorizontalFlip(1).Apply(image, g2), g2), g2);
        Assert.Equal(step.ToArray<float>(), shrink.Apply(image, new Generator(5)).ToArray<float>());
        Assert.Equal(image.ToArray<float>(), new Compose().Apply(image).ToArray<float>());
        Assert.Equal("Compose(RandomCrop(size=(28, 28), padding=4), RandomHorizontalFlip(p=0.5), Normalize(mean=[0.286], std=[0.353]))",
            new Compose(new RandomCrop(28, padding: 4), new RandomHorizontalFlip(), new Normalize([0.286], [0.353])).ToString());
    }

    [Fact]
    public void BadArgumentsAreRefusedWithAMessageThatNamesThem()
    {
        Assert.Contains("at least 1×1, got 0×0", Assert.Throws<ArgumentException>(() => new RandomCrop(0)).Message);
        Assert.Contains("padding must be at least 0, got -1", Assert.Throws<ArgumentException>(() => new RandomCrop(3, padding: -1)).Message);
        Assert.Contains("p must be a probability in [0, 1], got 1.5", Assert.Throws<ArgumentException>(() => new RandomHorizontalFlip(1.5)).Message);
        Assert.Contains("channel 1 has mean 0 and std 0", Assert.Throws<ArgumentException>(() => new Normalize([0, 0], [1, 0])).Message);
        Assert.Contains("2 means and 1 standard deviations", Assert.Throws<ArgumentException>(() => new Normalize([0, 0], [1])).Message);
        Assert.Contains("larger than the image 3×3 padded by 0", Assert.Throws<ArgumentException>(() => new RandomCrop(4).Apply(Counting(1, 3, 3))).Message);
        Assert.Contains("reflect padding of 3", Assert.Throws<ArgumentException>(() => new RandomCrop(3, padding: 3, paddingMode: ImagePaddingMode.Reflect).Apply(Counting(1, 3, 3))).Message);
        Assert.Contains("2 means and standard deviations for an image of 3 channels", Assert.Throws<ArgumentException>(() => new Normalize([0, 0], [1, 1]).Apply(Counting(3, 2, 2))).Message);
        Assert.Contains("expected an image of shape (C, H, W) or (H, W), got (4)", Assert.Throws<ArgumentException>(() => new RandomHorizontalFlip().Apply(Tensor.Zeros(4))).Message);
        Assert.Contains("float32 images, got float64", Assert.Throws<ArgumentException>(() => new RandomHorizontalFlip().Apply(Tensor.Zeros([2, 2], DType.Float64))).Message);
        Assert.Contains("transform 1 is null", Assert.Throws<ArgumentException>(() => new Compose(new RandomHorizontalFlip(), null!)).Message);
    }
}
