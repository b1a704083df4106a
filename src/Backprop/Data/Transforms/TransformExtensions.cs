namespace Backprop.Data.Transforms;

/// <summary>Applying an <see cref="ITransform"/> to one image tensor, as torchvision's <c>transform(img)</c>.</summary>
public static class TransformExtensions
{
    extension(ITransform transform)
    {
        /// <summary>
        /// Transforms one float32 image, C×H×W or H×W (read as 1×H×W), into a new tensor: C×H×W, or H×W
        /// when the input was H×W and the output has one channel. Random transforms draw from
        /// <paramref name="generator"/>, or from <see cref="Generator.Default"/> when it is null.
        /// </summary>
        /// <param name="image">A float32 tensor of shape (C, H, W) or (H, W); not changed.</param>
        /// <param name="generator">The random source, or null for <see cref="Generator.Default"/>.</param>
        /// <returns>A new float32 tensor holding the transformed image.</returns>
        public Tensor Apply(Tensor image, Generator? generator = null)
        {
            ArgumentNullException.ThrowIfNull(transform);
            ArgumentNullException.ThrowIfNull(image);
            if (image.DType != DType.Float32)
            {
                throw new ArgumentException($"{transform}: transforms take float32 images, got {image.DType.Name()}");
            }

            ImageShape shape = image.Rank switch
            {
                3 => new ImageShape(image._shape[0], image._shape[1], image._shape[2]),
                2 => new ImageShape(1, image._shape[0], image._shape[1]),
                _ => throw new ArgumentException($"{transform}: expected an image of shape (C, H, W) or (H, W), got {Shapes.Format(image._shape)}"),
            };
            shape.Require(transform);
            var output = transform.OutputShape(shape);
            int[] outputShape = image.Rank == 2 && output.Channels == 1 ? [output.Height, output.Width] : [output.Channels, output.Height, output.Width];
            var result = Tensor.Empty(outputShape, DType.Float32);
            transform.Apply(image.F32.AsSpan(0, shape.Numel), result.F32.AsSpan(0, output.Numel), shape, generator ?? Generator.Default);
            return result;
        }
    }

    /// <summary>Refuses spans whose lengths are not the shapes' sizes: a caller's bug, named with the transform.</summary>
    internal static void CheckSpans(ITransform transform, ReadOnlySpan<float> source, Span<float> destination, ImageShape input, ImageShape output)
    {
        if (source.Length != input.Numel || destination.Length != output.Numel)
        {
            throw new ArgumentException(
                $"{transform}: a sample of shape {input} has {input.Numel} values and becomes {output} ({output.Numel} values), but the source holds {source.Length} and the destination {destination.Length}");
        }
    }
}
