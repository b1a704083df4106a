using System.Globalization;
using System.Numerics.Tensors;

namespace Backprop.Data.Transforms;

/// <summary>
/// Standardizes each channel: output[c] = (input[c] − mean[c]) / std[c]
/// (<c>torchvision.transforms.Normalize(mean, std)</c>), in float32 as PyTorch computes it (a
/// subtraction, then a division), so the values are PyTorch's to the bit. One mean and one standard
/// deviation serve every channel; otherwise there is one per channel.
/// </summary>
public sealed class Normalize : ITransform
{
    private readonly float[] _mean;
    private readonly float[] _std;

    /// <summary>A normalization with the given per-channel statistics.</summary>
    /// <param name="mean">The mean of each channel, or one for all; finite.</param>
    /// <param name="std">The standard deviation of each channel, or one for all, as many as <paramref name="mean"/>; finite and not zero.</param>
    public Normalize(double[] mean, double[] std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Length == 0 || mean.Length != std.Length)
        {
            throw new ArgumentException($"Normalize: expected as many standard deviations as means (at least one), got {mean.Length} means and {std.Length} standard deviations");
        }

        _mean = Array.ConvertAll(mean, m => (float)m);
        _std = Array.ConvertAll(std, s => (float)s);
        for (int i = 0; i < mean.Length; i++)
        {
            if (!float.IsFinite(_mean[i]) || !float.IsFinite(_std[i]) || _std[i] == 0)
            {
                throw new ArgumentException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"Normalize: channel {i} has mean {mean[i]} and std {std[i]}; each mean must be finite and each std finite and not zero (it divides)"));
            }
        }
    }

    /// <summary>The means, as float32 (a copy).</summary>
    public float[] Mean => (float[])_mean.Clone();

    /// <summary>The standard deviations, as float32 (a copy).</summary>
    public float[] Std => (float[])_std.Clone();

    /// <inheritdoc/>
    public ImageShape OutputShape(ImageShape input)
    {
        input.Require(this);
        if (_mean.Length != 1 && _mean.Length != input.Channels)
        {
            throw new ArgumentException($"{this}: {_mean.Length} means and standard deviations for an image of {input.Channels} channels {input}; give one per channel, or one for all");
        }

        return input;
    }

    /// <inheritdoc/>
    public void Apply(ReadOnlySpan<float> source, Span<float> destination, ImageShape shape, Generator generator)
    {
        TransformExtensions.CheckSpans(this, source, destination, shape, OutputShape(shape));
        int plane = shape.Height * shape.Width;
        for (int c = 0; c < shape.Channels; c++)
        {
            int k = _mean.Length == 1 ? 0 : c;
            var output = destination.Slice(c * plane, plane);
            TensorPrimitives.Subtract(source.Slice(c * plane, plane), _mean[k], output);
            TensorPrimitives.Divide(output, _std[k], output);
        }
    }

    /// <summary>The transform as torchvision prints it.</summary>
    /// <returns>For example "Normalize(mean=[0.2860], std=[0.3530])".</returns>
    public override string ToString() =>
        $"Normalize(mean=[{string.Join(", ", _mean.Select(m => m.ToString(CultureInfo.InvariantCulture)))}], std=[{string.Join(", ", _std.Select(s => s.ToString(CultureInfo.InvariantCulture)))}])";
}
