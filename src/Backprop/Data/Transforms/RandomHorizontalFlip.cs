using System.Globalization;

namespace Backprop.Data.Transforms;

/// <summary>
/// Mirrors the image left to right with probability <see cref="P"/>
/// (<c>torchvision.transforms.RandomHorizontalFlip(p=0.5)</c>): one uniform draw u in [0, 1) per
/// image, flipped when u &lt; p, every channel alike.
/// </summary>
public sealed class RandomHorizontalFlip : ITransform
{
    /// <summary>A flip with probability <paramref name="p"/>.</summary>
    /// <param name="p">The probability that an image is flipped, in [0, 1] (default 0.5).</param>
    public RandomHorizontalFlip(double p = 0.5)
    {
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentException($"RandomHorizontalFlip: p must be a probability in [0, 1], got {p.ToString(CultureInfo.InvariantCulture)}");
        }

        P = p;
    }

    /// <summary>The probability that an image is flipped.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public ImageShape OutputShape(ImageShape input)
    {
        input.Require(this);
        return input;
    }

    /// <inheritdoc/>
    public void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape shape, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        TransformExtensions.CheckSpans(this, source, destination, shape, OutputShape(shape));
        source.CopyTo(destination);
        if (generator.NextDouble() < P)
        {
            for (int row = 0; row < shape.Channels * shape.Height; row++)
            {
                destination.Slice(row * shape.Width, shape.Width).Reverse();
            }
        }
    }

    /// <summary>The transform as torchvision prints it.</summary>
    /// <returns>For example "RandomHorizontalFlip(p=0.5)".</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"RandomHorizontalFlip(p={P})");
}
