using System.Globalization;

namespace Backprop.Data.Transforms;

/// <summary>
/// Crops a random <see cref="Height"/>×<see cref="Width"/> window of the image after padding it by
/// <see cref="Padding"/> on every side (<c>torchvision.transforms.RandomCrop(size, padding,
/// pad_if_needed, fill, padding_mode)</c>). The window's top row is drawn first, uniformly in
/// [0, H + 2·padding − height], then its left column in [0, W + 2·padding − width]; every channel
/// is cropped at the same place. With padding 4 and the image's own size, this shifts the image by
/// up to 4 pixels in each direction, the usual augmentation of CIFAR and Fashion-MNIST recipes.
/// </summary>
public sealed class RandomCrop : ITransform
{
    /// <summary>A square crop of <paramref name="size"/>×<paramref name="size"/> (<c>RandomCrop(size)</c>).</summary>
    /// <param name="size">The crop's height and width, at least 1.</param>
    /// <param name="padding">Pixels added on each side before cropping, at least 0 (default 0).</param>
    /// <param name="padIfNeeded">Whether an image smaller than the crop (after <paramref name="padding"/>) is padded further, on both sides, to fit it (default false: refused).</param>
    /// <param name="fill">The value of padded pixels in <see cref="ImagePaddingMode.Constant"/> mode (default 0).</param>
    /// <param name="paddingMode">How the padding is filled (default <see cref="ImagePaddingMode.Constant"/>).</param>
    public RandomCrop(int size, int padding = 0, bool padIfNeeded = false, float fill = 0, ImagePaddingMode paddingMode = ImagePaddingMode.Constant)
        : this((size, size), padding, padIfNeeded, fill, paddingMode)
    {
    }

    /// <summary>A crop of <paramref name="size"/>'s height × width (<c>RandomCrop((height, width))</c>).</summary>
    /// <param name="size">The crop's height and width, each at least 1.</param>
    /// <param name="padding">Pixels added on each side before cropping, at least 0 (default 0).</param>
    /// <param name="padIfNeeded">Whether an image smaller than the crop (after <paramref name="padding"/>) is padded further, on both sides, to fit it (default false: refused).</param>
    /// <param name="fill">The value of padded pixels in <see cref="ImagePaddingMode.Constant"/> mode (default 0).</param>
    /// <param name="paddingMode">How the padding is filled (default <see cref="ImagePaddingMode.Constant"/>).</param>
    public RandomCrop((int Height, int Width) size, int padding = 0, bool padIfNeeded = false, float fill = 0, ImagePaddingMode paddingMode = ImagePaddingMode.Constant)
    {
        var (height, width) = size;
        if (height < 1 || width < 1)
        {
            throw new ArgumentException($"RandomCrop: the size must be at least 1×1, got {height}×{width}");
        }

        if (padding < 0)
        {
            throw new ArgumentException($"RandomCrop: the padding must be at least 0, got {padding}");
        }

        if (!Enum.IsDefined(paddingMode))
        {
            throw new ArgumentException($"RandomCrop: unknown padding mode {(int)paddingMode}");
        }

        Height = height;
        Width = width;
        Padding = padding;
        PadIfNeeded = padIfNeeded;
        Fill = fill;
        PaddingMode = paddingMode;
    }

    /// <summary>The crop's height.</summary>
    public int Height { get; }

    /// <summary>The crop's width.</summary>
    public int Width { get; }

    /// <summary>Pixels added on each of the four sides before cropping.</summary>
    public int Padding { get; }

    /// <summary>Whether an image still smaller than the crop after <see cref="Padding"/> is padded to fit it.</summary>
    public bool PadIfNeeded { get; }

    /// <summary>The value of padded pixels in <see cref="ImagePaddingMode.Constant"/> mode.</summary>
    public float Fill { get; }

    /// <summary>How the padding is filled.</summary>
    public ImagePaddingMode PaddingMode { get; }

    /// <inheritdoc/>
    public ImageShape OutputShape(ImageShape input)
    {
        _ = Pads(input);
        return new ImageShape(input.Channels, Height, Width);
    }

    /// <inheritdoc/>
    public void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape shape, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var (padTop, padLeft) = Pads(shape);
        TransformExtensions.CheckSpans(this, source, destination, shape, new ImageShape(shape.Channels, Height, Width));
        int top = (int)generator.NextInt64(shape.Height + (2 * padTop) - Height + 1);
        int left = (int)generator.NextInt64(shape.Width + (2 * padLeft) - Width + 1);
        Crop(source, destination, shape, top - padTop, left - padLeft, Height, Width, PaddingMode, Fill);
    }

    /// <summary>
    /// The window of <paramref name="height"/>×<paramref name="width"/> whose top-left corner is at
    /// (<paramref name="top"/>, <paramref name="left"/>) of the unpadded image (negative inside the
    /// padding), with pixels outside the image taken as <paramref name="mode"/> says: whole rows
    /// inside the image are copied as blocks, only the padded edges go pixel by pixel.
    /// </summary>
    internal static void Crop(ReadOnlySpan<float> source, Span<float> destination, ImageShape shape, int top, int left, int height, int width, ImagePaddingMode mode, float fill)
    {
        int h = shape.Height, w = shape.Width;

        // Output columns [inFrom, inTo) read image columns left + x directly; the others are padding.
        int inFrom = Math.Clamp(-left, 0, width);
        int inTo = Math.Clamp(w - left, inFrom, width);
        for (int c = 0; c < shape.Channels; c++)
        {
            var plane = source.Slice(c * h * w, h * w);
            for (int y = 0; y < height; y++)
            {
                var row = destination.Slice(((c * height) + y) * width, width);
                int sy = Map(top + y, h, mode);
                if (sy < 0)
                {
                    row.Fill(fill);
                    continue;
                }

                var sourceRow = plane.Slice(sy * w, w);
                if (mode == ImagePaddingMode.Constant)
                {
                    row[..inFrom].Fill(fill);
                    row[inTo..].Fill(fill);
                }
                else
                {
                    for (int x = 0; x < inFrom; x++)
                    {
                        row[x] = sourceRow[Map(left + x, w, mode)];
                    }

                    for (int x = inTo; x < width; x++)
                    {
                        row[x] = sourceRow[Map(left + x, w, mode)];
                    }
                }

                if (inTo > inFrom)
                {
                    sourceRow.Slice(left + inFrom, inTo - inFrom).CopyTo(row.Slice(inFrom, inTo - inFrom));
                }

            }
        }
    }

    /// <summary>The image index that padded index <paramref name="i"/> (of an image of <paramref name="n"/>) shows, or −1 for the fill value.</summary>
    private static int Map(int i, int n, ImagePaddingMode mode)
    {
        if ((uint)i < (uint)n)
        {
            return i;
        }

        return mode switch
        {
            ImagePaddingMode.Edge => i < 0 ? 0 : n - 1,
            ImagePaddingMode.Reflect => i < 0 ? -i : (2 * n) - 2 - i,
            ImagePaddingMode.Symmetric => i < 0 ? -i - 1 : (2 * n) - 1 - i,
            _ => -1,
        };
    }

    /// <summary>The padding on the top (and bottom) and on the left (and right) of an image of <paramref name="input"/>; refuses a crop that does not fit.</summary>
    private (int Top, int Left) Pads(ImageShape input)
    {
        input.Require(this);
        int top = Padding, left = Padding;
        if (PadIfNeeded)
        {
            top += Math.Max(0, Height - (input.Height + (2 * Padding)));
            left += Math.Max(0, Width - (input.Width + (2 * Padding)));
        }

        if (input.Height + (2 * top) < Height || input.Width + (2 * left) < Width)
        {
            throw new ArgumentException(
                $"{this}: the crop {Height}×{Width} is larger than the image {input.Height}×{input.Width} padded by {Padding} ({input.Height + (2 * Padding)}×{input.Width + (2 * Padding)}); pass padIfNeeded: true to pad it further");
        }

        int limit = PaddingMode switch
        {
            ImagePaddingMode.Reflect => 1,
            ImagePaddingMode.Symmetric => 0,
            _ => int.MinValue,
        };
        if (limit != int.MinValue && (top > input.Height - limit || left > input.Width - limit))
        {
            throw new ArgumentException(
                $"{this}: {PaddingMode.ToString().ToLowerInvariant()} padding of {Math.Max(top, left)} needs an image {(limit == 1 ? "larger than" : "at least as large as")} the padding on each side, got {input.Height}×{input.Width}");
        }

        return (top, left);
    }

    /// <summary>The transform as torchvision prints it.</summary>
    /// <returns>For example "RandomCrop(size=(28, 28), padding=4)".</returns>
    public override string ToString()
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"RandomCrop(size=({Height}, {Width}), padding={Padding}");
        if (PadIfNeeded)
        {
            text += ", pad_if_needed=True";
        }

        if (Fill != 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $", fill={Fill}");
        }

        if (PaddingMode != ImagePaddingMode.Constant)
        {
            text += $", padding_mode={PaddingMode.ToString().ToLowerInvariant()}";
        }

        return text + ")";
    }
}
