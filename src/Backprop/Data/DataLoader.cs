using System.Collections;

namespace Backprop.Data;

/// <summary>
/// Iterates over a <see cref="Dataset"/> in mini-batches
/// (<c>torch.utils.data.DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False, generator=None)</c>).
/// Each enumeration is one epoch: with <c>shuffle</c> it draws a fresh permutation from
/// <see cref="Generator"/>, so epochs differ while a run with the same seed repeats exactly.
/// Batches are features [B, ...] and targets [B] (int64 class labels) or [B, ...] (float targets).
/// </summary>
public sealed class DataLoader : IEnumerable<(Tensor X, Tensor Y)>
{
    /// <summary>
    /// Creates a loader. <paramref name="seed"/> seeds a new generator; <paramref name="generator"/>
    /// supplies one (pass at most one of them); with neither, shuffling uses a generator seeded
    /// with 0, so runs stay reproducible.
    /// </summary>
    /// <param name="dataset">The samples batched.</param>
    /// <param name="batchSize">The samples per batch, ≥ 1 (default 1).</param>
    /// <param name="shuffle">Whether the order is reshuffled at every epoch (default false).</param>
    /// <param name="dropLast">Whether a last batch smaller than <paramref name="batchSize"/> is dropped (default false).</param>
    /// <param name="seed">The seed of a new generator for the shuffle, or null.</param>
    /// <param name="generator">The random source of the shuffle, or null; with neither it, nor <paramref name="seed"/>, a generator seeded with 0.</param>
    /// <param name="prefetch">Whether the next batch is assembled on a worker thread while the current one is used (default false).</param>
    public DataLoader(Dataset dataset, int batchSize = 1, bool shuffle = false, bool dropLast = false, long? seed = null, Generator? generator = null, bool prefetch = false)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"DataLoader: batchSize must be positive, got {batchSize}");
        }

        if (seed is not null && generator is not null)
        {
            throw new ArgumentException("DataLoader: pass either seed or generator, not both");
        }

        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        Generator = generator ?? new Generator(seed ?? 0);
        Prefetch = prefetch;
    }

    /// <summary>The dataset batches are drawn from.</summary>
    public Dataset Dataset { get; }

    /// <summary>Samples per batch (the last one may be smaller unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the samples in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether an incomplete last batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>
    /// The generator that draws each epoch's permutation; save <see cref="Backprop.Generator.GetState"/>
    /// in a checkpoint and restore it with <see cref="Backprop.Generator.SetState"/> to resume the same sequence of epochs.
    /// </summary>
    public Generator Generator { get; }

    /// <summary>
    /// Whether the next batch is assembled on an idle kernel worker thread while the caller works on
    /// the current one (only when <see cref="Threading.NumThreads"/> is above 1). The batches are the
    /// same either way; the dataset's <see cref="Dataset.GetBatch"/> must be safe to call from another
    /// thread while the caller runs (the built-in datasets' is: it only reads).
    /// </summary>
    public bool Prefetch { get; }

    /// <summary>Number of batches per epoch (<c>len(loader)</c>): ⌊N/B⌋ with drop-last, else ⌈N/B⌉.</summary>
    public int Count => DropLast
        ? Dataset.Count / BatchSize
        : (int)(((long)Dataset.Count + BatchSize - 1) / BatchSize);

    /// <summary>Yields the batches of one epoch.</summary>
    /// <returns>An enumerator of (features, labels) batches, each of at most the batch size rows.</returns>
    public IEnumerator<(Tensor X, Tensor Y)> GetEnumerator()
    {
        int n = Dataset.Count;
        int[] order = Shuffle ? Dataset.Permutation(n, Generator) : Identity(n);
        int batches = Count;
        if (!Prefetch)
        {
            for (int b = 0; b < batches; b++)
            {
                var (start, length) = Rows(b);
                yield return Dataset.GetBatch(new ReadOnlySpan<int>(order, start, length));
            }

            yield break;
        }

        var next = batches > 0 ? StartBatch(order, 0) : null;
        for (int b = 0; b < batches; b++)
        {
            var batch = next!.Wait();
            next = b + 1 < batches ? StartBatch(order, b + 1) : null;
            yield return batch;
        }
    }

    // Samples per piece of a prefetched batch: a few microseconds of work, so a worker between two
    // kernels takes the next kernel's chunk soon after it is posted.
    private const int SamplesPerPiece = 8;

    /// <summary>Batch <paramref name="b"/>, made in the background in pieces where the dataset can, else whole.</summary>
    private Kernels.BackgroundWork<(Tensor X, Tensor Y)> StartBatch(int[] order, int b)
    {
        var (start, length) = Rows(b);
        if (Dataset.BeginBatch(order, start, length) is { } batch)
        {
            int pieces = (length + SamplesPerPiece - 1) / SamplesPerPiece;
            return Kernels.WorkerPool.RunInBackground(
                pieces,
                piece => batch.FillRows(piece * SamplesPerPiece, Math.Min(length, (piece + 1) * SamplesPerPiece)),
                () => (batch.X, batch.Y));
        }

        return Kernels.WorkerPool.RunInBackground(() => Dataset.GetBatch(new ReadOnlySpan<int>(order, start, length)));
    }

    /// <summary>Where batch <paramref name="b"/> starts in the epoch's order, and how many samples it holds.</summary>
    private (int Start, int Length) Rows(int b) => (b * BatchSize, Math.Min(BatchSize, Dataset.Count - (b * BatchSize)));

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static int[] Identity(int n)
    {
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }

        return order;
    }
}
