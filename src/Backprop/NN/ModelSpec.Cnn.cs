using System.Globalization;

namespace Backprop.NN;

/// <summary>
/// The <c>cnn</c> model: the Fashion-MNIST convolutional recipe for square single-channel images of side S
/// (S a multiple of 4) given as rows of S² pixels: Unflatten to (1, S, S), Conv2d(1, 16, 5, padding 2),
/// ReLU, MaxPool2d(2), Conv2d(16, 32, 5, padding 2), ReLU, MaxPool2d(2), Flatten, Linear(32·(S/4)², 128),
/// ReLU, Linear(128, classes). For 28×28 images the flattened size is 1568. Written <c>cnn:784-10</c>.
/// </summary>
public sealed partial record ModelSpec
{
    private const string CnnName = "cnn";

    /// <summary>True for the convolutional recipe (<c>cnn</c>), false for an MLP.</summary>
    public bool IsCnn { get; private init; }

    /// <summary>The canonical text of a CNN spec, <c>cnn:IN-CLASSES</c>.</summary>
    private string CnnText => string.Create(CultureInfo.InvariantCulture, $"{CnnName}:{InFeatures}-{OutFeatures}");

    private static bool IsCnnText(string text) => text == CnnName || text.StartsWith(CnnName + ":", StringComparison.Ordinal);

    /// <summary>
    /// <c>cnn</c> (needing the data's <paramref name="inFeatures"/> and <paramref name="classes"/>) or the
    /// canonical <c>cnn:IN-CLASSES</c>; IN must be S² with S a positive multiple of 4.
    /// </summary>
    private static ModelSpec ParseCnn(string text, int? inFeatures, int? classes)
    {
        int inputs, outputs;
        if (text == CnnName)
        {
            if (inFeatures is not int i || classes is not int c)
            {
                throw new ArgumentException("model 'cnn' needs the data's feature and class counts");
            }

            (inputs, outputs) = (i, c);
        }
        else
        {
            var sizes = text[(CnnName.Length + 1)..].Split('-');
            if (sizes.Length != 2
                || !int.TryParse(sizes[0], NumberStyles.None, CultureInfo.InvariantCulture, out inputs)
                || !int.TryParse(sizes[1], NumberStyles.None, CultureInfo.InvariantCulture, out outputs)
                || outputs < 1)
            {
                throw new ArgumentException($"model spec '{text}': expected cnn or cnn:IN-CLASSES, e.g. cnn:784-10");
            }
        }

        int side = (int)Math.Round(Math.Sqrt(inputs));
        if (side < 4 || side * side != inputs || side % 4 != 0)
        {
            throw new ArgumentException($"model '{text}' needs square one-channel images whose side is a multiple of 4 (784 = 28x28 features for Fashion-MNIST, 64 = 8x8 for digits); got {inputs} features");
        }

        if (inFeatures is int expectedIn && inputs != expectedIn)
        {
            throw new ArgumentException($"model spec '{text}': input width {inputs} does not match the data's {expectedIn} features");
        }

        if (classes is int expectedOut && outputs < expectedOut)
        {
            throw new ArgumentException($"model spec '{text}': output width {outputs} is smaller than the data's {expectedOut} classes");
        }

        return new ModelSpec([inputs, outputs]) { IsCnn = true };
    }

    /// <summary>The recipe's parameter count: the two convolutions (5×5 kernels) and the two Linear layers.</summary>
    private long CnnNumParameters()
    {
        int pooled = (int)Math.Round(Math.Sqrt(InFeatures)) / 4;
        long convolutions = ((16 * 1 * 25) + 16) + ((32 * 16 * 25) + 32);
        return checked(convolutions + LinearStackParameters([32 * pooled * pooled, 128, OutFeatures]));
    }

    /// <summary>The recipe's layers, weights drawn from <paramref name="init"/> in layer order.</summary>
    private Sequential BuildCnn(Generator? init)
    {
        int side = (int)Math.Round(Math.Sqrt(InFeatures));
        int pooled = side / 4;
        return new Sequential(
            new Unflatten(1, [1, side, side]),
            new Conv2d(1, 16, 5, padding: 2, generator: init),
            new ReLU(),
            new MaxPool2d(2),
            new Conv2d(16, 32, 5, padding: 2, generator: init),
            new ReLU(),
            new MaxPool2d(2),
            new Flatten(),
            new Linear(32 * pooled * pooled, 128, generator: init),
            new ReLU(),
            new Linear(128, OutFeatures, generator: init));
    }
}
