namespace Backprop;

/// <summary>
/// The <c>padding</c> argument of a convolution, as PyTorch takes it: a number of zeros added on each
/// side (an int for all sides, or a (height, width) pair), or the strings <c>"same"</c> and
/// <c>"valid"</c>. Converts implicitly from an int, a tuple, a <see cref="Size2"/> and those two
/// strings, so <c>padding: 1</c>, <c>padding: (1, 2)</c>, <c>padding: "same"</c> and
/// <c>padding: Padding.Same</c> all work. <see cref="Valid"/> is no padding; <see cref="Same"/> pads
/// so that a stride-1 convolution keeps the input's size: dilation·(kernel − 1) in all per dim, half
/// before and half after, the odd one after (at the end), as PyTorch. The default is 0.
/// </summary>
public readonly record struct Padding
{
    private readonly Kind _kind;
    private readonly Size2 _size;

    private Padding(Kind kind, Size2 size)
    {
        _kind = kind;
        _size = size;
    }

    private enum Kind
    {
        Explicit,
        Valid,
        Same,
    }

    /// <summary>PyTorch's <c>padding='same'</c>: the output has the input's size (stride 1 only).</summary>
    public static Padding Same => new(Kind.Same, default);

    /// <summary>PyTorch's <c>padding='valid'</c>: no padding, the same as 0.</summary>
    public static Padding Valid => new(Kind.Valid, default);

    /// <summary>Whether this is <see cref="Same"/>, whose size depends on the kernel.</summary>
    public bool IsSame => _kind == Kind.Same;

    /// <summary>Whether this is <see cref="Valid"/> (given as the string, not as 0).</summary>
    public bool IsValid => _kind == Kind.Valid;

    /// <summary>
    /// The zeros added on each side, (height, width): as given, or (0, 0) for <see cref="Valid"/>.
    /// <see cref="Same"/> has no fixed size (it depends on the kernel) and throws.
    /// </summary>
    /// <exception cref="InvalidOperationException">The padding is <see cref="Same"/>.</exception>
    public Size2 Size => IsSame
        ? throw new InvalidOperationException("padding 'same' has no fixed size: it is dilation·(kernel − 1) in all per dim, so it depends on the kernel")
        : _size;

    /// <summary>The same number of zeros on every side.</summary>
    /// <param name="value">The zeros added on each side.</param>
    /// <returns>The padding <paramref name="value"/> on every side.</returns>
    public static implicit operator Padding(int value) => new(Kind.Explicit, value);

    /// <summary>(height, width) zeros on each side.</summary>
    /// <param name="value">The zeros added above and below, and left and right.</param>
    /// <returns>The padding (height, width).</returns>
    public static implicit operator Padding((int Height, int Width) value) => new(Kind.Explicit, value);

    /// <summary>(height, width) zeros on each side.</summary>
    /// <param name="value">The zeros added above and below, and left and right.</param>
    /// <returns>The padding (height, width).</returns>
    public static implicit operator Padding(Size2 value) => new(Kind.Explicit, value);

    /// <summary>PyTorch's string forms <c>"same"</c> and <c>"valid"</c> (case ignored); see <see cref="Parse"/>.</summary>
    /// <param name="value"><c>"same"</c> or <c>"valid"</c>.</param>
    /// <returns><see cref="Same"/> or <see cref="Valid"/>.</returns>
    /// <exception cref="ArgumentException">The string is neither, naming the two accepted.</exception>
    public static implicit operator Padding(string value) => Parse(value);

    /// <summary><c>"same"</c> or <c>"valid"</c> (case ignored) as <see cref="Same"/> or <see cref="Valid"/>.</summary>
    /// <param name="value">The string PyTorch's <c>padding</c> argument takes.</param>
    /// <returns><see cref="Same"/> or <see cref="Valid"/>.</returns>
    /// <exception cref="ArgumentException">The string is neither, naming the two accepted.</exception>
    public static Padding Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.ToLowerInvariant() switch
        {
            "same" => Same,
            "valid" => Valid,
            _ => throw new ArgumentException($"padding must be \"same\", \"valid\" or numbers of zeros, got \"{value}\"", nameof(value)),
        };
    }

    /// <summary>The same number of zeros on every side (for languages without implicit conversions).</summary>
    /// <param name="value">The zeros added on each side.</param>
    /// <returns>The padding <paramref name="value"/> on every side.</returns>
    public static Padding FromInt32(int value) => value;

    /// <summary>As PyTorch prints it: <c>same</c>, <c>valid</c>, or the pair <c>(1, 2)</c>.</summary>
    /// <returns>The text PyTorch's module repr shows after <c>padding=</c>.</returns>
    public override string ToString() => _kind switch
    {
        Kind.Same => "same",
        Kind.Valid => "valid",
        _ => _size.ToString(),
    };

    /// <summary>As an argument given as an int prints when both sides are equal (<c>2</c>), else as <see cref="ToString"/>.</summary>
    internal string ToCompactString() => _kind == Kind.Explicit ? _size.ToCompactString() : ToString();

    /// <summary>Whether <paramref name="other"/> is the same form with the same sizes.</summary>
    /// <param name="other">The padding compared with.</param>
    /// <returns>True when both are Same, both Valid, or both the same numbers.</returns>
    public bool Equals(Padding other) => _kind == other._kind && _size == other._size;

    /// <summary>A hash of the form and the sizes.</summary>
    /// <returns>The hash code.</returns>
    public override int GetHashCode() => HashCode.Combine(_kind, _size);
}
