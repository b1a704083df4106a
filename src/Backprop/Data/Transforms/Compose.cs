using System.Buffers;

namespace Backprop.Data.Transforms;

/// <summary>
/// Applies transforms one after another (<c>torchvision.transforms.Compose(transforms)</c>). Each
/// random transform draws from the same per-sample generator in turn, so the draws of a sample
/// depend only on its stream, never on another sample's. Intermediate images go to buffers rented
/// from <see cref="ArrayPool{T}.Shared"/>, so a sample costs no allocation.
/// </summary>
public sealed class Compose : ITransform
{
    private readonly ITransform[] _transforms;

    /// <summary>The chain <paramref name="transforms"/>[0], then [1], ...</summary>
    /// <param name="transforms">The transforms in the order they run; none null.</param>
    public Compose(params ITransform[] transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        if (Array.IndexOf(transforms, null) is int i and >= 0)
        {
            throw new ArgumentException($"Compose: transform {i} is null");
        }

        _transforms = (ITransform[])transforms.Clone();
    }

    /// <summary>The transforms, in order (a copy).</summary>
    public ITransform[] Transforms => (ITransform[])_transforms.Clone();

    /// <inheritdoc/>
    public ImageShape OutputShape(ImageShape input)
    {
        input.Require(this);
        foreach (var transform in _transforms)
        {
            input = transform.OutputShape(input);
        }

        return input;
    }

    /// <inheritdoc/>
    public void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape shape, Generator generator)
    {
        // The shape before each stage and after the last, checked once.
        int n = _transforms.Length;
        Span<ImageShape> shapes = n <= 16 ? stackalloc ImageShape[n + 1] : new ImageShape[n + 1];
        shape.Require(this);
        shapes[0] = shape;
        int largest = 0;
        for (int k = 0; k < n; k++)
        {
            shapes[k + 1] = _transforms[k].OutputShape(shapes[k]);
            largest = k < n - 1 ? Math.Max(largest, shapes[k + 1].Numel) : largest;
        }

        TransformExtensions.CheckSpans(this, source, destination, shape, shapes[n]);
        switch (n)
        {
            case 0:
                source.CopyTo(destination);
                return;
            case 1:
                _transforms[0].Apply(source, destination, shape, generator);
                return;
        }

        // Stage k reads what stage k - 1 wrote into one buffer and writes the other; the last writes the destination.
        float[] a = ArrayPool<float>.Shared.Rent(largest);
        float[] b = n > 2 ? ArrayPool<float>.Shared.Rent(largest) : [];
        try
        {
            ReadOnlySpan<float> input = source;
            for (int k = 0; k < n; k++)
            {
                var output = k == n - 1 ? destination : (k % 2 == 0 ? a : b).AsSpan(0, shapes[k + 1].Numel);
                _transforms[k].Apply(input, output, shapes[k], generator);
                input = output;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(a);
            if (b.Length > 0)
            {
                ArrayPool<float>.Shared.Return(b);
            }
        }
    }

    /// <summary>The chain as one line.</summary>
    /// <returns>For example "Compose(RandomCrop(size=(28, 28), padding=4), RandomHorizontalFlip(p=0.5))".</returns>
    public override string ToString() => $"Compose({string.Join(", ", _transforms.Select(t => t.ToString()))})";
}
