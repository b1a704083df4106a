namespace Backprop.NN;

/// <summary>
/// Adaptive 2-D average pooling to a fixed output size whatever the input size
/// (<c>torch.nn.AdaptiveAvgPool2d(output_size)</c>); <c>new AdaptiveAvgPool2d(1)</c> is global average
/// pooling. See <see cref="F.AdaptiveAvgPool2d"/> for the windows.
/// </summary>
/// <param name="outputSize">The output's (height, width), or one int for both, whatever the input's size.</param>
public sealed class AdaptiveAvgPool2d(Size2 outputSize) : Module
{
    /// <summary>The (height, width) of every output plane (<c>output_size</c>).</summary>
    public Size2 OutputSize { get; } = outputSize.Height >= 1 && outputSize.Width >= 1
        ? outputSize
        : throw new ArgumentException($"AdaptiveAvgPool2d: output size must be positive, got {outputSize}");

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.AdaptiveAvgPool2d(input, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"output_size={OutputSize.ToCompactString()}";
}
