using System.Buffers;
using System.Collections;
using Backprop.Data.Transforms;

namespace Backprop.Data;

/// <summary>
/// Iterates over a <see cref="Dataset"/> in mini-batches
/// (<c>torch.utils.data.DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False, generator=None)</c>).
/// Each enumeration is one epoch: with <c>shuffle</c> it draws a fresh permutation from
/// <see cref="Generator"/>, so epochs differ while a run with the same seed repeats exactly.
/// Batches are features [B, ...] and targets [B] (int64 class labels) or [B, ...] (float targets).
/// With a <see cref="Transform"/> (torchvision's dataset <c>transform</c>, here on the loader, which owns
/// the randomness) every sample's features are transformed as the batch is assembled.
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
    /// <param name="transform">A transform applied to every sample's features (float32 images), e.g. a <see cref="Compose"/> of <see cref="RandomCrop"/> and <see cref="RandomHorizontalFlip"/>; null for none.</param>
    /// <param name="imageShape">The (C, H, W) image a sample's features hold, for samples stored as flat rows (Fashion-MNIST's 784 values: (1, 28, 28)); null to read it from the sample's shape, (C, H, W) or (H, W).</param>
    public DataLoader(Dataset dataset, int batchSize = 1, bool shuffle = false, bool dropLast = false, long? seed = null, Generator? generator = null, bool prefetch = false, ITransform? transform = null, ImageShape? imageShape = null)
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
        if (imageShape is { } image)
        {
            if (transform is null)
            {
                throw new ArgumentException("DataLoader: imageShape says what a transform sees; pass it with a transform");
            }

            image.Require("DataLoader");
        }

        Transform = transform;
        ImageShape = imageShape;
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

    /// <summary>
    /// The transform applied to each sample's features, or null. Its random draws are seeded per
    /// sample: at the start of each epoch (after the shuffle's permutation) the loader draws one
    /// 64-bit epoch key from <see cref="Generator"/>, and sample i of the dataset is transformed with a
    /// generator seeded from (epoch key, i). So the transformed batches depend only on the generator's
    /// state at the start of the epoch: not on the thread count, not on prefetch timing, not on the
    /// batch size; restoring that state (what a checkpoint saves for the shuffle anyway) repeats the
    /// epoch's transforms bit for bit, and a resumed run that skips the batches it has done sees the
    /// rest exactly as an uninterrupted one.
    /// </summary>
    public ITransform? Transform { get; }

    /// <summary>The (C, H, W) the transform sees a sample as, when given; null reads it from the sample's shape.</summary>
    public ImageShape? ImageShape { get; }

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
        ulong epochKey = Transform is null ? 0 : Generator.NextUInt64();
        int batches = Count;
        if (!Prefetch)
        {
            for (int b = 0; b < batches; b++)
            {
                var (start, length) = Rows(b);
                yield return Transformed(Dataset.GetBatch(new ReadOnlySpan<int>(order, start, length)), order, start, epochKey);
            }

            yield break;
        }

        var next = batches > 0 ? StartBatch(order, 0, epochKey) : null;
        for (int b = 0; b < batches; b++)
        {
            var batch = next!.Wait();
            next = b + 1 < batches ? StartBatch(order, b + 1, epochKey) : null;
            yield return batch;
        }
    }

    // Samples per piece of a prefetched batch: a few microseconds of work, so a worker between two
    // kernels takes the next kernel's chunk soon after it is posted.
    private const int SamplesPerPiece = 8;

    /// <summary>
    /// Batch <paramref name="b"/>, made in the background in pieces where the dataset can (each piece
    /// transforming the rows it filled), else whole.
    /// </summary>
    private Kernels.BackgroundWork<(Tensor X, Tensor Y)> StartBatch(int[] order, int b, ulong epochKey)
    {
        var (start, length) = Rows(b);
        if (Dataset.BeginBatch(order, start, length) is { } batch)
        {
            int pieces = (length + SamplesPerPiece - 1) / SamplesPerPiece;
            var plan = Transform is null ? null : Plan(batch.X);
            return Kernels.WorkerPool.RunInBackground(
                pieces,
                piece =>
                {
                    int from = piece * SamplesPerPiece, to = Math.Min(length, (piece + 1) * SamplesPerPiece);
                    batch.FillRows(from, to);
                    plan?.Run(order, start, from, to, epochKey);
                },
                () => (plan?.Output ?? batch.X, batch.Y));
        }

        return Kernels.WorkerPool.RunInBackground(() => Transformed(Dataset.GetBatch(new ReadOnlySpan<int>(order, start, length)), order, start, epochKey));
    }

    /// <summary>The batch with <see cref="Transform"/> applied to every row (the batch itself without one).</summary>
    private (Tensor X, Tensor Y) Transformed((Tensor X, Tensor Y) batch, int[] order, int start, ulong epochKey)
    {
        if (Transform is null)
        {
            return batch;
        }

        var plan = Plan(batch.X);
        plan.Run(order, start, 0, batch.X.Size(0), epochKey);
        return (plan.Output, batch.Y);
    }

    /// <summary>How the rows of <paramref name="x"/> are transformed: the shapes, checked, and the tensor the results go to.</summary>
    private TransformPlan Plan(Tensor x)
    {
        if (x.DType != DType.Float32)
        {
            throw new ArgumentException($"DataLoader: the transform takes float32 features, but the dataset's are {x.DType.Name()}");
        }

        int[] sample = x._shape[1..];
        int numel = Shapes.Numel(sample);
        Transforms.ImageShape input = ImageShape ?? sample.Length switch
        {
            3 => new Transforms.ImageShape(sample[0], sample[1], sample[2]),
            2 => new Transforms.ImageShape(1, sample[0], sample[1]),
            _ => throw new ArgumentException(
                $"DataLoader: the samples have shape {Shapes.Format(sample)}, not (C, H, W) or (H, W); pass imageShape: the image they hold (for 784 values of a 28×28 grey image, new ImageShape(1, 28, 28))"),
        };
        if (input.Numel != numel)
        {
            throw new ArgumentException($"DataLoader: imageShape {input} holds {input.Numel} values but the samples have shape {Shapes.Format(sample)} ({numel} values)");
        }

        var output = Transform!.OutputShape(input);
        if (output == input)
        {
            return new TransformPlan(Transform, x, x, input, output);
        }

        // A transform that changes the shape (a smaller crop) writes a new batch; flat rows stay flat.
        int[] shape = sample.Length switch
        {
            1 => [x._shape[0], output.Numel],
            2 when output.Channels == 1 => [x._shape[0], output.Height, output.Width],
            _ => [x._shape[0], output.Channels, output.Height, output.Width],
        };
        return new TransformPlan(Transform, x, Tensor.Empty(shape, DType.Float32), input, output);
    }

    /// <summary>Seeds the generator of the sample at <paramref name="index"/> in the epoch of <paramref name="epochKey"/> (SplitMix64's finalizer over both).</summary>
    internal static long SampleSeed(ulong epochKey, int index)
    {
        ulong z = epochKey + (0x9E3779B97F4A7C15UL * (ulong)(uint)(index + 1));
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (long)(z ^ (z >> 31));
    }

    /// <summary>The transform of one batch: rows of <see cref="Input"/> into rows of <see cref="Output"/> (the same tensor when the shape stays).</summary>
    private sealed record TransformPlan(ITransform Transform, Tensor Input, Tensor Output, Transforms.ImageShape InputShape, Transforms.ImageShape OutputShape)
    {
        /// <summary>Transforms rows [from, to) of the batch that starts at <paramref name="start"/> in <paramref name="order"/>, each with its sample's generator.</summary>
        public void Run(int[] order, int start, int from, int to, ulong epochKey)
        {
            int inSize = InputShape.Numel, outSize = OutputShape.Numel;
            float[] input = Input.F32, output = Output.F32;
            bool inPlace = ReferenceEquals(input, output);
            float[]? copy = inPlace ? ArrayPool<float>.Shared.Rent(inSize) : null;
            var generator = new Generator(0);
            try
            {
                for (int i = from; i < to; i++)
                {
                    generator.ManualSeed(SampleSeed(epochKey, order[start + i]));
                    ReadOnlySpan<float> source = input.AsSpan(i * inSize, inSize);
                    if (copy is not null)
                    {
                        source.CopyTo(copy);
                        source = copy.AsSpan(0, inSize);
                    }

                    Transform.Apply(source, output.AsSpan(i * outSize, outSize), InputShape, generator);
                }
            }
            finally
            {
                if (copy is not null)
                {
                    ArrayPool<float>.Shared.Return(copy);
                }
            }
        }
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
