using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Backprop.Data;

/// <summary>
/// Images kept as the bytes they are stored in, with integer class labels, converted to float32
/// one batch at a time: x = pixel / <see cref="Divisor"/>. Holds a quarter of the memory of the same
/// images as float features (Fashion-MNIST's 60,000 training images: 47 MB instead of 188 MB), and
/// gives exactly the values a <see cref="TensorDataset"/> of pre-divided floats would.
/// </summary>
public sealed class ImageDataset : Dataset
{
    private readonly byte[] _pixels;
    private readonly long[] _labels;
    private readonly int[] _sampleShape;
    private readonly int _sampleSize;

    /// <summary>
    /// Wraps <paramref name="pixels"/> (samples in row-major order, each of <paramref name="sampleShape"/>)
    /// and one label per sample. The arrays are used as they are, not copied.
    /// </summary>
    /// <param name="pixels">The samples' pixels, row-major, one sample after another.</param>
    /// <param name="sampleShape">One sample's shape, e.g. (784) or (1, 28, 28).</param>
    /// <param name="labels">One int64 label per sample.</param>
    /// <param name="divisor">What each pixel is divided by to give a float32 feature (default 255, into [0, 1]).</param>
    public ImageDataset(byte[] pixels, int[] sampleShape, long[] labels, float divisor = 255f)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(sampleShape);
        ArgumentNullException.ThrowIfNull(labels);
        if (!float.IsFinite(divisor) || divisor <= 0)
        {
            throw new ArgumentException($"ImageDataset: the divisor must be positive and finite, got {divisor}");
        }

        _sampleSize = Shapes.Numel(sampleShape);
        if ((long)_sampleSize * labels.Length != pixels.Length)
        {
            throw new ArgumentException(
                $"ImageDataset: {pixels.Length} pixels do not hold {labels.Length} samples of shape {Shapes.Format(sampleShape)} ({(long)_sampleSize * labels.Length} pixels)");
        }

        _pixels = pixels;
        _labels = labels;
        _sampleShape = (int[])sampleShape.Clone();
        Divisor = divisor;
    }

    /// <summary>What each stored byte is divided by (255 maps pixels to [0, 1]).</summary>
    public float Divisor { get; }

    /// <summary>The shape of one sample, e.g. (784) or (1, 28, 28).</summary>
    public int[] SampleShape => (int[])_sampleShape.Clone();

    /// <inheritdoc/>
    public override int Count => _labels.Length;

    /// <inheritdoc/>
    public override (Tensor X, Tensor Y) this[int index]
    {
        get
        {
            var (x, y) = GetBatch([index]);
            return (new Tensor(x._data, _sampleShape), new Tensor(y._data, []));
        }
    }

    /// <inheritdoc/>
    public override (Tensor X, Tensor Y) GetBatch(ReadOnlySpan<int> indices)
    {
        var (x, y) = Allocate(indices.Length);
        Fill(indices, x.F32, y.I64, 0, indices.Length);
        return (x, y);
    }

    /// <inheritdoc/>
    internal override BatchInPieces BeginBatch(int[] indices, int offset, int length)
    {
        var (x, y) = Allocate(length);
        float[] features = x.F32;
        long[] labels = y.I64;
        return new BatchInPieces(x, y, (from, to) => Fill(new ReadOnlySpan<int>(indices, offset, length), features, labels, from, to));
    }

    private (Tensor X, Tensor Y) Allocate(int count) => count == 0
        ? throw new ArgumentException("GetBatch: expected at least one index")
        : (Tensor.Empty([count, .. _sampleShape], DType.Float32), Tensor.Empty([count], DType.Int64));

    /// <summary>Converts samples indices[from .. to) into rows from .. to of the batch.</summary>
    private void Fill(ReadOnlySpan<int> indices, float[] features, long[] labels, int from, int to)
    {
        for (int i = from; i < Math.Min(from + PrefetchDistance, to); i++)
        {
            Prefetch(indices[i]);
        }

        for (int i = from; i < to; i++)
        {
            int index = indices[i];
            if ((uint)index >= (uint)_labels.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), $"ImageDataset: index {index} is out of range for {_labels.Length} samples");
            }

            if (i + PrefetchDistance < to)
            {
                Prefetch(indices[i + PrefetchDistance]);
            }

            Scale(_pixels.AsSpan(index * _sampleSize, _sampleSize), features.AsSpan(i * _sampleSize, _sampleSize), Divisor);
            labels[i] = _labels[index];
        }
    }

    // Samples are picked at random from tens of MB, so each one's bytes come from memory; asking for
    // a later sample's cache lines while converting this one overlaps the waits.
    private const int PrefetchDistance = 8;

    private unsafe void Prefetch(int index)
    {
        if (!Sse.IsSupported || _sampleSize == 0 || (uint)index >= (uint)_labels.Length)
        {
            return;
        }

        fixed (byte* sample = &_pixels[(long)index * _sampleSize])
        {
            for (int offset = 0; offset < _sampleSize; offset += 64)
            {
                Sse.Prefetch0(sample + offset);
            }

            Sse.Prefetch0(sample + _sampleSize - 1);
        }
    }

    /// <summary>
    /// destination[j] = source[j] / divisor in one pass: 32 bytes at a time widened to four vectors of
    /// int32, converted (exactly: bytes are below 2^24) and divided, so each value is the one the scalar
    /// tail gives, the correctly rounded quotient.
    /// </summary>
    internal static void Scale(ReadOnlySpan<byte> source, Span<float> destination, float divisor)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var d = Vector256.Create(divisor);
            ref byte src = ref MemoryMarshal.GetReference(source);
            ref float dst = ref MemoryMarshal.GetReference(destination);
            for (; j <= source.Length - 32; j += 32)
            {
                var (low, high) = Vector256.Widen(Vector256.LoadUnsafe(ref src, (nuint)j));
                var (q0, q1) = Vector256.Widen(low);
                var (q2, q3) = Vector256.Widen(high);
                (Vector256.ConvertToSingle(q0.AsInt32()) / d).StoreUnsafe(ref dst, (nuint)j);
                (Vector256.ConvertToSingle(q1.AsInt32()) / d).StoreUnsafe(ref dst, (nuint)j + 8);
                (Vector256.ConvertToSingle(q2.AsInt32()) / d).StoreUnsafe(ref dst, (nuint)j + 16);
                (Vector256.ConvertToSingle(q3.AsInt32()) / d).StoreUnsafe(ref dst, (nuint)j + 24);
            }
        }

        for (; j < source.Length; j++)
        {
            destination[j] = source[j] / divisor;
        }
    }

    /// <summary>All samples as float32 features and int64 labels in memory.</summary>
    /// <returns>A new dataset holding features float32 [N, …] (the pixels scaled) and labels int64 [N].</returns>
    public TensorDataset ToTensorDataset()
    {
        var all = new int[Count];
        for (int i = 0; i < all.Length; i++)
        {
            all[i] = i;
        }

        var (x, y) = Count == 0
            ? (Tensor.Zeros([0, .. _sampleShape]), Tensor.Empty([0], DType.Int64))
            : GetBatch(all);
        return new TensorDataset(x, y);
    }
}
