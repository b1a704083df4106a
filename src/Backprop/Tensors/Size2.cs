using System.Globalization;

namespace Backprop;

/// <summary>
/// A (height, width) pair for 2-D window arguments: kernel size, stride, padding, dilation, output
/// size (PyTorch's <c>_size_2_t</c>, an int or a tuple of two ints). Converts implicitly from an
/// int (both sides equal) and from a tuple, so <c>stride: 2</c> and <c>padding: (1, 2)</c> both work.
/// </summary>
/// <param name="Height">The value along the height (rows).</param>
/// <param name="Width">The value along the width (columns).</param>
public readonly record struct Size2(int Height, int Width)
{
    /// <summary>The same value for height and width.</summary>
    /// <param name="value">The size of both dims.</param>
    /// <returns>A <see cref="Size2"/> with height and width both <paramref name="value"/>.</returns>
    public static implicit operator Size2(int value) => new(value, value);

    /// <summary>(height, width).</summary>
    /// <param name="value">The (height, width).</param>
    /// <returns>A <see cref="Size2"/> with the tuple's height and width.</returns>
    public static implicit operator Size2((int Height, int Width) value) => new(value.Height, value.Width);

    /// <summary>The same value for height and width (for languages without implicit conversions).</summary>
    /// <param name="value">The size of both dims.</param>
    /// <returns>A <see cref="Size2"/> with height and width both <paramref name="value"/>.</returns>
    public static Size2 FromInt32(int value) => new(value, value);

    /// <summary>As PyTorch prints a pair: <c>(5, 5)</c>.</summary>
    /// <returns>The pair as text, e.g. <c>(3, 3)</c>.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"({Height}, {Width})");

    /// <summary>As PyTorch prints an argument given as an int when both sides are equal (<c>2</c>), else as a pair.</summary>
    internal string ToCompactString() => Height == Width ? Height.ToString(CultureInfo.InvariantCulture) : ToString();
}
