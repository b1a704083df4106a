namespace Backprop.Data;

/// <summary>
/// The samples of another dataset at the given indices, in that order
/// (<c>torch.utils.data.Subset(dataset, indices)</c>); nothing is copied until a batch is drawn.
/// </summary>
public sealed class Subset : Dataset
{
    private readonly int[] _indices;

    /// <summary>A view of <paramref name="dataset"/> restricted to <paramref name="indices"/>.</summary>
    /// <param name="dataset">The dataset viewed.</param>
    /// <param name="indices">The indices into it of this subset's samples, in order.</param>
    public Subset(Dataset dataset, int[] indices)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(indices);
        int n = dataset.Count;
        foreach (int index in indices)
        {
            if ((uint)index >= (uint)n)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), $"Subset: index {index} is out of range for a dataset of {n} samples");
            }
        }

        Dataset = dataset;
        _indices = (int[])indices.Clone();
    }

    /// <summary>The underlying dataset.</summary>
    public Dataset Dataset { get; }

    /// <summary>The indices into <see cref="Dataset"/> (a copy).</summary>
    public int[] Indices => (int[])_indices.Clone();

    /// <inheritdoc/>
    public override int Count => _indices.Length;

    /// <inheritdoc/>
    public override (Tensor X, Tensor Y) this[int index] => Dataset[_indices[CheckIndex(index)]];

    /// <inheritdoc/>
    public override (Tensor X, Tensor Y) GetBatch(ReadOnlySpan<int> indices)
    {
        var mapped = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            mapped[i] = _indices[CheckIndex(indices[i])];
        }

        return Dataset.GetBatch(mapped);
    }

    private int CheckIndex(int index) => (uint)index < (uint)_indices.Length
        ? index
        : throw new ArgumentOutOfRangeException(nameof(index), $"Subset: index {index} is out of range for {_indices.Length} samples");
}
