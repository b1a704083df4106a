using System.Globalization;

namespace Backprop.NN;

/// <summary>
/// Splits one dimension into several (<c>torch.nn.Unflatten(dim, unflattened_size)</c>), the inverse of
/// <see cref="Flatten"/>: with dim 1 and sizes (1, 28, 28), (N, 784) becomes (N, 1, 28, 28). A reshape
/// that shares storage, so dL/dx is dL/dy reshaped back. One size may be −1 and is inferred.
/// </summary>
public sealed class Unflatten : Module
{
    private readonly int[] _unflattenedSize;

    /// <summary>Creates the layer; <paramref name="unflattenedSize"/> must multiply to the size of <paramref name="dim"/>.</summary>
    /// <param name="dim">The dim split (negative counts from the end).</param>
    /// <param name="unflattenedSize">The sizes it becomes, whose product is its size; one may be -1, inferred.</param>
    public Unflatten(int dim, int[] unflattenedSize)
    {
        ArgumentNullException.ThrowIfNull(unflattenedSize);
        if (unflattenedSize.Length == 0 || unflattenedSize.Any(s => s < -1 || s == 0) || unflattenedSize.Count(s => s == -1) > 1)
        {
            throw new ArgumentException($"Unflatten: unflattened_size must be positive sizes with at most one -1, got {Format(unflattenedSize)}");
        }

        Dim = dim;
        _unflattenedSize = (int[])unflattenedSize.Clone();
    }

    /// <summary>The dimension to split (<c>dim</c>); negative counts from the end.</summary>
    public int Dim { get; }

    /// <summary>The sizes it splits into (<c>unflattened_size</c>; a copy).</summary>
    public int[] UnflattenedSize => (int[])_unflattenedSize.Clone();

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int[] shape = input.Shape;
        int d = Shapes.WrapDim("Unflatten", Dim, shape.Length);
        var sizes = UnflattenedSize;
        long known = sizes.Where(s => s != -1).Aggregate(1L, (a, s) => a * s);
        bool fits = sizes.Contains(-1) ? shape[d] % known == 0 : shape[d] == known;
        if (!fits)
        {
            throw new ArgumentException($"Unflatten: dimension {Dim} of input {Shapes.Format(shape)} has size {shape[d]}, which cannot be split into {Format(sizes)}");
        }

        return input.Reshape([.. shape[..d], .. sizes, .. shape[(d + 1)..]]);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"dim={Dim}, unflattened_size={Format(UnflattenedSize)}");

    private static string Format(int[] sizes) =>
        "(" + string.Join(", ", sizes.Select(s => s.ToString(CultureInfo.InvariantCulture))) + (sizes.Length == 1 ? ",)" : ")");
}
