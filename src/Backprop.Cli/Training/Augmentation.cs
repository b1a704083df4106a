using System.Globalization;
using Backprop.Data.Transforms;

namespace Backprop.Cli.Training;

/// <summary>
/// <c>train --augment</c>: the transforms applied to the training set's images (never the test
/// set's), as a comma-separated list in the order they run: <c>crop</c> (a random crop of the
/// image's own size after zero padding: 1/7 of the side, 4 pixels for Fashion-MNIST's 28×28 and 1
/// for the digits' 8×8; <c>crop:P</c> pads by P), <c>flip</c> (a horizontal flip with probability
/// 0.5), or <c>none</c>. Stored in the checkpoint's options (lower case, as given: <c>crop,flip</c>),
/// so a resumed run rebuilds the same pipeline; its random draws come from the loader's generator,
/// whose state at the start of the epoch the checkpoint keeps.
/// </summary>
internal static class Augmentation
{
    public const string None = "none";

    /// <summary>The image shape of a built-in image data set, or null for tabular data (CSV, moons).</summary>
    public static ImageShape? ImageShapeOf(string data) => data switch
    {
        "digits" => new ImageShape(1, 8, 8),
        "fashion-mnist" => new ImageShape(1, 28, 28),
        _ => null,
    };

    /// <summary>
    /// <paramref name="text"/> checked and written canonically (lower case, no spaces); <c>none</c>
    /// for none. Refuses an unknown item, a repeated one and a bad padding, naming it.
    /// </summary>
    public static string Canonical(string text)
    {
        var items = text.Split(',', StringSplitOptions.TrimEntries).Select(i => i.ToLowerInvariant()).ToArray();
        if (items is [None])
        {
            return None;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (string item in items)
        {
            string name = item.Split(':')[0];
            bool valid = name switch
            {
                "crop" => item == "crop" || (int.TryParse(item.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int padding) && padding <= MaxPadding),
                "flip" => item == "flip",
                _ => throw new ArgumentException($"--augment: unknown augmentation '{item}' (expected crop, crop:P, flip, or none alone, separated by commas: crop,flip)"),
            };
            if (!valid)
            {
                throw new ArgumentException($"--augment: '{item}': {(name == "crop" ? $"a crop's padding is a whole number from 0 to {MaxPadding} (crop:4), or leave it out (crop)" : "flip takes no value")}");
            }

            if (!names.Add(name))
            {
                throw new ArgumentException($"--augment {text}: {name} is given twice");
            }
        }

        return string.Join(',', items);
    }

    /// <summary>
    /// The transform of <paramref name="augment"/> on <paramref name="data"/>'s images, with the shape
    /// it sees them as; null for none. Refuses augmentation of data that is not images.
    /// </summary>
    public static (ITransform Transform, ImageShape Shape)? Build(string augment, string data)
    {
        string canonical = Canonical(augment);
        if (canonical == None)
        {
            return null;
        }

        if (ImageShapeOf(data) is not { } shape)
        {
            throw new ArgumentException($"--augment {augment}: augmentation needs image data (digits or fashion-mnist), not {data}; leave it out or use --augment none");
        }

        var transforms = canonical.Split(',').Select(item => item == "flip"
            ? (ITransform)new RandomHorizontalFlip()
            : new RandomCrop((shape.Height, shape.Width), padding: item == "crop" ? DefaultPadding(shape) : int.Parse(item.AsSpan(5), CultureInfo.InvariantCulture)));
        return (new Compose([.. transforms]), shape);
    }

    private const int MaxPadding = 64;

    private static int DefaultPadding(ImageShape shape) => Math.Max(1, (int)Math.Round(shape.Height / 7.0));
}
