namespace Backprop.Data;

/// <summary>
/// A finite, indexable collection of (features, target) samples, as <c>torch.utils.data.Dataset</c>
/// (map-style). A <see cref="DataLoader"/> draws batches from it through <see cref="GetBatch"/>.
/// </summary>
public abstract class Dataset
{
    /// <summary>Number of samples (<c>len(dataset)</c>).</summary>
    public abstract int Count { get; }

    /// <summary>Sample <paramref name="index"/> as (features, target) (<c>dataset[index]</c>).</summary>
    public abstract (Tensor X, Tensor Y) this[int index] { get; }

    /// <summary>
    /// The samples at <paramref name="indices"/> stacked along a new leading dimension: features
    /// <c>[B, ...]</c> and targets <c>[B, ...]</c> (a rank-0 int64 label per sample gives labels
    /// <c>[B]</c>). This is PyTorch's <c>__getitems__</c> followed by <c>default_collate</c>; the base
    /// version fetches each sample and copies it, subclasses override it to copy whole rows at once.
    /// </summary>
    /// <param name="indices">The samples' indices, in batch order.</param>
    /// <returns>X: the features [B, ...]; Y: the targets [B, ...] ([B] for rank-0 int64 labels); new tensors.</returns>
    public virtual (Tensor X, Tensor Y) GetBatch(ReadOnlySpan<int> indices)
    {
        if (indices.IsEmpty)
        {
            throw new ArgumentException("GetBatch: expected at least one index");
        }

        var xs = new Tensor[indices.Length];
        var ys = new Tensor[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            (xs[i], ys[i]) = this[indices[i]];
        }

        return (Collate(xs, indices, "features"), Collate(ys, indices, "targets"));
    }

    /// <summary>
    /// For a loader that assembles a batch in pieces on several threads: the batch of the samples
    /// <c>indices[offset .. offset + length)</c>, allocated but not yet filled, with an action that fills
    /// its rows [from, to) (any split of the rows gives <see cref="GetBatch"/>'s batch). Null, the
    /// default, when the dataset has no such path; the loader then calls <see cref="GetBatch"/>.
    /// </summary>
    internal virtual BatchInPieces? BeginBatch(int[] indices, int offset, int length) => null;

    /// <summary>
    /// Splits <paramref name="dataset"/> into non-overlapping random subsets of the given lengths
    /// (<c>torch.utils.data.random_split(dataset, lengths, generator)</c>); the lengths must sum to
    /// <see cref="Count"/>. The same generator state gives the same split.
    /// </summary>
    /// <param name="dataset">The dataset split.</param>
    /// <param name="lengths">The size of each part, summing to the dataset's length.</param>
    /// <param name="generator">The random source of the permutation, or null for <see cref="Generator.Default"/>.</param>
    /// <returns>One subset per length, in the order of <paramref name="lengths"/>.</returns>
    public static Subset[] RandomSplit(Dataset dataset, int[] lengths, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(lengths);
        long total = 0;
        foreach (int length in lengths)
        {
            if (length < 0)
            {
                throw new ArgumentException($"RandomSplit: lengths must be non-negative, got [{string.Join(", ", lengths)}]");
            }

            total += length;
        }

        if (total != dataset.Count)
        {
            throw new ArgumentException($"RandomSplit: lengths [{string.Join(", ", lengths)}] sum to {total}, but the dataset has {dataset.Count} samples");
        }

        int[] permutation = Permutation(dataset.Count, generator ?? Generator.Default);
        var subsets = new Subset[lengths.Length];
        int offset = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            subsets[i] = new Subset(dataset, permutation.AsSpan(offset, lengths[i]).ToArray());
            offset += lengths[i];
        }

        return subsets;
    }

    /// <summary>A uniformly random permutation of 0..n−1 (<c>torch.randperm(n, generator)</c>).</summary>
    internal static int[] Permutation(int n, Generator generator)
    {
        var permutation = new int[n];
        for (int i = 0; i < n; i++)
        {
            permutation[i] = i;
        }

        generator.Shuffle(permutation.AsSpan());
        return permutation;
    }

    /// <summary>Stacks same-shape, same-dtype samples into one tensor with a new leading dimension.</summary>
    private static Tensor Collate(Tensor[] items, ReadOnlySpan<int> indices, string what)
    {
        Tensor first = items[0];
        for (int i = 1; i < items.Length; i++)
        {
            if (items[i].DType != first.DType || !items[i]._shape.AsSpan().SequenceEqual(first._shape))
            {
                throw new InvalidOperationException(
                    $"GetBatch: {what} of sample {indices[0]} is {first.DType.Name()} {Shapes.Format(first._shape)} but sample {indices[i]} is {items[i].DType.Name()} {Shapes.Format(items[i]._shape)}; samples in a batch must agree");
            }
        }

        int rowSize = first.Numel;
        var batch = Tensor.Empty([items.Length, .. first._shape], first.DType);
        for (int i = 0; i < items.Length; i++)
        {
            Array.Copy(items[i]._data, 0, batch._data, (long)i * rowSize, rowSize);
        }

        return batch;
    }
}

/// <summary>A batch whose rows are filled in pieces (<see cref="Dataset.BeginBatch"/>).</summary>
internal sealed record BatchInPieces(Tensor X, Tensor Y, Action<int, int> FillRows);
