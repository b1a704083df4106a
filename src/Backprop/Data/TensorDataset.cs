namespace Backprop.Data;

/// <summary>
/// A dataset over two tensors whose first dimension indexes the samples
/// (<c>torch.utils.data.TensorDataset(features, labels)</c>): sample i is
/// (<c>features[i]</c>, <c>labels[i]</c>). Labels are int64 class indices of shape [N] for
/// classification, or float targets of shape [N, ...] for regression.
/// </summary>
public sealed class TensorDataset : Dataset
{
    /// <summary>Wraps <paramref name="features"/> [N, ...] and <paramref name="labels"/> [N, ...] without copying.</summary>
    /// <param name="features">The inputs, one sample per row of dim 0.</param>
    /// <param name="labels">The targets, as many along dim 0 as <paramref name="features"/>.</param>
    public TensorDataset(Tensor features, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (features.Rank == 0 || labels.Rank == 0 || features._shape[0] != labels._shape[0])
        {
            throw new ArgumentException(
                $"TensorDataset: features {Shapes.Format(features._shape)} and labels {Shapes.Format(labels._shape)} must have the same size in their first dimension (the number of samples)");
        }

        Features = features;
        Labels = labels;
    }

    /// <summary>All features, [N, ...] (<c>dataset.tensors[0]</c>).</summary>
    public Tensor Features { get; }

    /// <summary>All labels or targets, [N, ...] (<c>dataset.tensors[1]</c>).</summary>
    public Tensor Labels { get; }

    /// <inheritdoc/>
    public override int Count => Features._shape[0];

    /// <summary>Copies of row <paramref name="index"/> of the features and of the labels.</summary>
    public override (Tensor X, Tensor Y) this[int index]
    {
        get
        {
            var (x, y) = GetBatch([index]);
            return (new Tensor(x._data, Features._shape[1..]), new Tensor(y._data, Labels._shape[1..]));
        }
    }

    /// <summary>Rows <paramref name="indices"/> of the features and labels, each row copied as one block.</summary>
    /// <param name="indices">The samples' indices, in batch order.</param>
    /// <returns>X: the feature rows [B, ...]; Y: the label rows [B, ...]; new tensors.</returns>
    public override (Tensor X, Tensor Y) GetBatch(ReadOnlySpan<int> indices)
    {
        int n = Count;
        foreach (int index in indices)
        {
            if ((uint)index >= (uint)n)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), $"TensorDataset: index {index} is out of range for {n} samples");
            }
        }

        return (Gather(Features, indices), Gather(Labels, indices));
    }

    private static Tensor Gather(Tensor source, ReadOnlySpan<int> indices)
    {
        var batch = Tensor.Empty([indices.Length, .. source._shape.AsSpan(1)], source.DType);
        switch (source._data)
        {
            case float[] f: CopyRows(f, (float[])batch._data, indices); break;
            case double[] d: CopyRows(d, (double[])batch._data, indices); break;
            case long[] l: CopyRows(l, (long[])batch._data, indices); break;
        }

        return batch;
    }

    private static void CopyRows<T>(T[] source, T[] destination, ReadOnlySpan<int> indices)
    {
        int rowSize = indices.Length == 0 ? 0 : destination.Length / indices.Length;
        for (int i = 0; i < indices.Length; i++)
        {
            source.AsSpan(indices[i] * rowSize, rowSize).CopyTo(destination.AsSpan(i * rowSize, rowSize));
        }
    }
}
