namespace Backprop.Data.Transforms;

/// <summary>
/// A per-sample image transform, as torchvision's <c>transforms</c> (<c>RandomCrop</c>,
/// <c>RandomHorizontalFlip</c>, <c>Normalize</c>, chained by <see cref="Compose"/>). A
/// <see cref="DataLoader"/> given one (<c>transform:</c>) applies it to every sample of every batch on
/// the threads that assemble the batch, each sample with its own random stream, so the result does not
/// depend on the thread count or on timing. Implementations must be safe to call from several threads
/// at once (hold no mutable state; the random draws come from the <see cref="Generator"/> passed in).
/// </summary>
public interface ITransform
{
    /// <summary>
    /// The shape of a sample after this transform, given its shape before; throws an
    /// <see cref="ArgumentException"/> naming the problem when the transform cannot take that shape
    /// (a crop larger than the padded image, a mean per channel for another channel count).
    /// </summary>
    /// <param name="input">The sample's shape before the transform.</param>
    /// <returns>The shape it has after.</returns>
    ImageShape OutputShape(ImageShape input);

    /// <summary>
    /// Transforms one float32 sample: reads <paramref name="source"/> (shape <paramref name="shape"/>)
    /// and writes all of <paramref name="destination"/> (shape <see cref="OutputShape"/>). The two do
    /// not overlap. A random transform draws from <paramref name="generator"/>, the sample's own stream.
    /// </summary>
    /// <param name="source">The sample, C·H·W values in C×H×W order.</param>
    /// <param name="destination">Where the transformed sample goes, <c>OutputShape(shape).Numel</c> values.</param>
    /// <param name="shape">The shape of <paramref name="source"/>.</param>
    /// <param name="generator">The random source for this sample; a transform that draws nothing ignores it.</param>
    void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape shape, Generator generator);
}
