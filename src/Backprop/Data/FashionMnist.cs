using System.Numerics.Tensors;

namespace Backprop.Data;

/// <summary>
/// Fashion-MNIST (Zalando Research, MIT licence): 60,000 training and 10,000 test images of
/// 28×28 grey pixels in 10 clothing classes, read from the four gzip IDX files of the Debian
/// package <c>dataset-fashion-mnist</c> (as <c>torchvision.datasets.FashionMNIST(root, train)</c>).
/// </summary>
public static class FashionMnist
{
    /// <summary>Where the Debian package <c>dataset-fashion-mnist</c> installs the files.</summary>
    public const string DefaultFolder = "/usr/share/datasets/fashion-mnist";

    /// <summary>Number of classes.</summary>
    public const int Classes = 10;

    /// <summary>The class names, indexed by label (<c>FashionMNIST.classes</c>).</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// Loads the training set (<paramref name="train"/> true: train-images-idx3-ubyte.gz and
    /// train-labels-idx1-ubyte.gz) or the test set (t10k-*) from <paramref name="folder"/>
    /// (default <see cref="DefaultFolder"/>). Features are float32 [N, 784] (or [N, 1, 28, 28] when
    /// <paramref name="flatten"/> is false) with pixels divided by 255 into [0, 1], as torchvision's
    /// <c>ToTensor</c>; labels are int64 [N] in 0..9. A missing file gives a
    /// <see cref="FileNotFoundException"/> that says how to install the data; a malformed file, image
    /// and label counts that differ, or a label outside 0..9 give an <see cref="InvalidDataException"/>.
    /// </summary>
    /// <param name="train">The 60,000 training images (default true) or the 10,000 test images.</param>
    /// <param name="folder">The folder holding the IDX files; null for <see cref="DefaultFolder"/>.</param>
    /// <param name="flatten">Whether each image is a row of 784 features (default true) rather than (1, 28, 28).</param>
    /// <returns>Features float32 [N, 784] (or [N, 1, 28, 28]) and labels int64 [N]: 60,000 samples for the training set, 10,000 for the test set.</returns>
    public static TensorDataset Load(bool train = true, string? folder = null, bool flatten = true) =>
        LoadImages(train, folder, flatten).ToTensorDataset();

    /// <summary>
    /// As <see cref="Load"/>, keeping the pixels as bytes that are scaled per batch: the same values
    /// in a quarter of the memory.
    /// </summary>
    /// <param name="train">The 60,000 training images (default true) or the 10,000 test images.</param>
    /// <param name="folder">The folder holding the IDX files; null for <see cref="DefaultFolder"/>.</param>
    /// <param name="flatten">Whether each image is a row of 784 features (default true) rather than (1, 28, 28).</param>
    /// <returns>A dataset of the same samples whose batches are float32 features and int64 labels.</returns>
    public static ImageDataset LoadImages(bool train = true, string? folder = null, bool flatten = true)
    {
        folder ??= DefaultFolder;
        string prefix = train ? "train" : "t10k";
        string imagesPath = Locate(folder, $"{prefix}-images-idx3-ubyte.gz");
        string labelsPath = Locate(folder, $"{prefix}-labels-idx1-ubyte.gz");

        // Labels first: the smaller file, so a mismatched pair fails before the images are decoded.
        byte[] labelBytes = Idx.ReadUnsignedBytes(labelsPath, out int[] labelShape);
        if (labelShape.Length != 1)
        {
            throw new InvalidDataException($"{labelsPath}: expected 1-D ubyte labels, got shape {Shapes.Format(labelShape)}");
        }

        var y = new long[labelBytes.Length];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = labelBytes[i];
            if (y[i] >= Classes)
            {
                throw new InvalidDataException($"{labelsPath}: label {y[i]} of sample {i} is outside the class range 0..{Classes - 1}");
            }
        }

        byte[] pixels = Idx.ReadUnsignedBytes(imagesPath, out int[] imageShape);
        if (imageShape.Length != 3 || imageShape[1] != 28 || imageShape[2] != 28)
        {
            throw new InvalidDataException($"{imagesPath}: expected ubyte images of shape (Nx28x28), got shape {Shapes.Format(imageShape)}");
        }

        int n = imageShape[0];
        if (n != y.Length)
        {
            throw new InvalidDataException($"{imagesPath} holds {n} images but {labelsPath} holds {y.Length} labels; the counts must agree");
        }

        return new ImageDataset(pixels, flatten ? [28 * 28] : [1, 28, 28], y);
    }

    private static string Locate(string folder, string fileName)
    {
        string path = Path.Combine(folder, fileName);
        if (File.Exists(path))
        {
            return path;
        }

        // Some mirrors ship the files decompressed; the reader accepts both.
        string raw = Path.ChangeExtension(path, null);
        if (File.Exists(raw))
        {
            return raw;
        }

        throw new FileNotFoundException(
            $"Fashion-MNIST file not found: {path}; install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or pass a folder that holds {fileName}",
            path);
    }
}
