using System.Globalization;

namespace Backprop.Data.Transforms;

/// <summary>
/// The shape of one image sample as a transform sees it: channels × height × width (PyTorch's
/// C×H×W layout, row-major, one channel plane after another).
/// </summary>
/// <param name="Channels">C, at least 1.</param>
/// <param name="Height">H, at least 1.</param>
/// <param name="Width">W, at least 1.</param>
public readonly record struct ImageShape(int Channels, int Height, int Width)
{
    /// <summary>The values in one image: C·H·W.</summary>
    public int Numel => checked(Channels * Height * Width);

    /// <summary>Refuses a shape with a dimension below 1, naming <paramref name="who"/> (formatted only then).</summary>
    /// <param name="who">What checks it, for the message.</param>
    internal void Require(object who)
    {
        if (Channels < 1 || Height < 1 || Width < 1)
        {
            throw new ArgumentException($"{who}: an image shape needs C, H and W of at least 1, got {this}");
        }
    }

    /// <summary>The shape as (C, H, W).</summary>
    /// <returns>For example "(1, 28, 28)".</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"({Channels}, {Height}, {Width})");
}
