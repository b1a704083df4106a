using System.IO.Compression;
using System.Numerics.Tensors;

namespace Backprop.Data;

/// <summary>
/// The handwritten digits data set embedded in the library (as <c>sklearn.datasets.load_digits</c>):
/// 1,797 images of 8×8 pixels with values 0..16 and labels 0..9. It is the test set of the UCI
/// "Optical Recognition of Handwritten Digits" data set (E. Alpaydin, C. Kaynak, 1998; UCI Machine
/// Learning Repository, CC BY 4.0), as distributed with scikit-learn.
/// </summary>
public static class Digits
{
    /// <summary>Number of samples.</summary>
    public const int Count = 1797;

    /// <summary>Number of classes (the digits 0..9).</summary>
    public const int Classes = 10;

    private const string ResourceName = "Backprop.Data.Resources.digits.csv.gz";

    private static readonly Lazy<(Tensor Pixels, Tensor Labels)> s_raw = new(ReadResource);

    /// <summary>
    /// All 1,797 samples: features float32 [1797, 64] (or [1797, 1, 8, 8] when
    /// <paramref name="flatten"/> is false), pixels divided by 16 into [0, 1] unless
    /// <paramref name="scale"/> is false; labels int64 [1797]. Each call returns fresh tensors.
    /// </summary>
    /// <param name="flatten">Whether each image is a row of 64 features (default true) rather than (1, 8, 8).</param>
    /// <param name="scale">Whether pixels are divided by 16 into [0, 1] (default true) rather than left in 0..16.</param>
    /// <returns>Features float32 [1797, 64] (or [1797, 1, 8, 8]) and labels int64 [1797] in 0..9.</returns>
    public static TensorDataset Load(bool flatten = true, bool scale = true)
    {
        var (pixels, labels) = s_raw.Value;
        var x = new float[pixels.Numel];
        if (scale)
        {
            TensorPrimitives.Divide(pixels.F32, 16f, x);
        }
        else
        {
            pixels.F32.CopyTo(x, 0);
        }

        int[] shape = flatten ? [Count, 64] : [Count, 1, 8, 8];
        return new TensorDataset(Tensor.FromStorage(x, shape), Tensor.FromStorage(labels.ToArray<long>(), [Count]));
    }

    /// <summary>
    /// A fixed random train/test split of <see cref="Load"/>'s samples (as
    /// <c>sklearn.model_selection.train_test_split(test_size=testFraction, random_state=seed)</c>):
    /// a permutation drawn from <c>new Generator(seed)</c>; the first round(N·testFraction) samples
    /// form the test set, the rest the training set. The same seed always gives the same split.
    /// </summary>
    /// <param name="testFraction">The share of samples in the test set, in (0, 1) (default 0.2).</param>
    /// <param name="seed">The seed of the shuffle before the split (default 0).</param>
    /// <param name="flatten">Whether each image is a row of 64 features (default true) rather than (1, 8, 8).</param>
    /// <param name="scale">Whether pixels are divided by 16 into [0, 1] (default true) rather than left in 0..16.</param>
    /// <returns>The training and test sets, with features and labels as <see cref="Load"/> gives them.</returns>
    public static (TensorDataset Train, TensorDataset Test) Split(double testFraction = 0.2, long seed = 0, bool flatten = true, bool scale = true)
    {
        if (!(testFraction > 0 && testFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(testFraction), $"Digits.Split: testFraction must be between 0 and 1 (exclusive), got {testFraction}");
        }

        var all = Load(flatten, scale);
        int[] permutation = Dataset.Permutation(Count, new Generator(seed));
        int testCount = (int)Math.Round(Count * testFraction);
        var (testX, testY) = all.GetBatch(permutation.AsSpan(0, testCount));
        var (trainX, trainY) = all.GetBatch(permutation.AsSpan(testCount));
        return (new TensorDataset(trainX, trainY), new TensorDataset(testX, testY));
    }

    private static (Tensor Pixels, Tensor Labels) ReadResource()
    {
        using Stream resource = typeof(Digits).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the embedded resource {ResourceName} is missing from the Backprop assembly");
        using var gzip = new GZipStream(resource, CompressionMode.Decompress);
        var (features, labels, _) = Csv.Read(gzip, "digits.csv.gz (embedded)", hasHeader: false);
        if (!features._shape.AsSpan().SequenceEqual([Count, 64]) || labels.I64.Any(l => l >= Classes))
        {
            throw new InvalidDataException($"digits.csv.gz (embedded): expected {Count}x64 pixels and labels 0..9, got {Shapes.Format(features._shape)}");
        }

        return (features, labels);
    }
}
