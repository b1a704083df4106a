using System.Collections;
using Backprop.Data;

namespace Backprop.Distributed;

/// <summary>
/// Which samples of a dataset each rank visits in an epoch (<c>torch.utils.data.distributed.DistributedSampler</c>):
/// the ranks' shards are disjoint and together cover the dataset.
/// <para>
/// Each epoch's order is a permutation of 0 … n − 1 drawn from a generator seeded with
/// <c>seed + epoch</c> (identity without shuffle), the same on every rank; call <see cref="SetEpoch"/>
/// at the start of each epoch for a new order. Rank r takes the positions r, r + N, r + 2N, … of
/// that order (N ranks), so batch b of every rank's loader, taken together, are the samples of
/// positions b·B … (b+1)·B − 1: the global batch one process with batch B = N × (per-rank batch)
/// would draw from the same order.
/// </para>
/// <para>
/// Padding rule (PyTorch's with <c>drop_last=False</c>): when n is not a multiple of N the order is
/// extended with its own first samples (cyclically, if N exceeds n) to ⌈n/N⌉·N positions, so every
/// rank gets ⌈n/N⌉ samples and takes as many steps; those few samples are seen twice in the epoch.
/// With <c>dropLast</c> the order is cut to ⌊n/N⌋·N positions instead and the last n mod N samples of
/// the order are skipped.
/// </para>
/// Use it as the index list of a <see cref="Subset"/>:
/// <c>new DataLoader(new Subset(data, sampler.Indices()), batchSize)</c>, rebuilt each epoch.
/// </summary>
public sealed class DistributedSampler : IEnumerable<int>
{
    /// <summary>Creates the sampler of rank <paramref name="rank"/> of <paramref name="worldSize"/>.</summary>
    /// <param name="datasetLength">The dataset's number of samples n, ≥ 1.</param>
    /// <param name="worldSize">The number of ranks N, ≥ 1.</param>
    /// <param name="rank">This rank, 0 … N − 1.</param>
    /// <param name="shuffle">Whether each epoch's order is a random permutation (default true).</param>
    /// <param name="seed">The seed every rank must share; epoch e draws its order from seed + e (default 0).</param>
    /// <param name="dropLast">Cut the order to a multiple of N instead of padding it (default false).</param>
    public DistributedSampler(int datasetLength, int worldSize, int rank, bool shuffle = true, long seed = 0, bool dropLast = false)
    {
        if (datasetLength < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(datasetLength), $"DistributedSampler: the dataset must have at least one sample, got {datasetLength}");
        }

        if (worldSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(worldSize), $"DistributedSampler: worldSize must be at least 1, got {worldSize}");
        }

        if ((uint)rank >= (uint)worldSize)
        {
            throw new ArgumentOutOfRangeException(nameof(rank), $"DistributedSampler: rank {rank} is not in 0 … {worldSize - 1}");
        }

        if (dropLast && datasetLength < worldSize)
        {
            throw new ArgumentException($"DistributedSampler: with dropLast, {datasetLength} samples leave nothing for each of {worldSize} ranks");
        }

        DatasetLength = datasetLength;
        WorldSize = worldSize;
        Rank = rank;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
    }

    /// <summary>The dataset's number of samples.</summary>
    public int DatasetLength { get; }

    /// <summary>The number of ranks.</summary>
    public int WorldSize { get; }

    /// <summary>This sampler's rank.</summary>
    public int Rank { get; }

    /// <summary>Whether each epoch's order is random.</summary>
    public bool Shuffle { get; }

    /// <summary>The shared seed.</summary>
    public long Seed { get; }

    /// <summary>Whether the order is cut (true) or padded (false) to a multiple of the world size.</summary>
    public bool DropLast { get; }

    /// <summary>The epoch whose order <see cref="Indices"/> gives (<see cref="SetEpoch"/>).</summary>
    public int Epoch { get; private set; }

    /// <summary>The samples this rank visits per epoch (<c>len(sampler)</c>): ⌈n/N⌉, or ⌊n/N⌋ with drop-last.</summary>
    public int Count => DropLast ? DatasetLength / WorldSize : (int)(((long)DatasetLength + WorldSize - 1) / WorldSize);

    /// <summary>The positions the ranks share: <see cref="Count"/> × <see cref="WorldSize"/>.</summary>
    public int TotalSize => Count * WorldSize;

    /// <summary>Selects the epoch whose order the next <see cref="Indices"/> draws (<c>sampler.set_epoch(epoch)</c>); every rank must set the same.</summary>
    /// <param name="epoch">The epoch, ≥ 0.</param>
    public void SetEpoch(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        Epoch = epoch;
    }

    /// <summary>This rank's sample indices for the current epoch, in the order to visit them.</summary>
    /// <returns>A new array of <see cref="Count"/> indices into the dataset.</returns>
    public int[] Indices()
    {
        int n = DatasetLength;
        int[] order = Shuffle ? Dataset.Permutation(n, new Generator(Seed + Epoch)) : Enumerable.Range(0, n).ToArray();
        var mine = new int[Count];
        for (int i = 0; i < mine.Length; i++)
        {
            // Position rank + i·N of the order, padded cyclically with the order's first samples.
            long position = Rank + ((long)i * WorldSize);
            mine[i] = order[(int)(position % n)];
        }

        return mine;
    }

    /// <summary>Enumerates <see cref="Indices"/>.</summary>
    /// <returns>This rank's indices for the current epoch.</returns>
    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)Indices()).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
