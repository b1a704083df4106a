using System.Globalization;

namespace Backprop.NN;

/// <summary>
/// The two convolutional networks, for square single-channel images of side S (S a multiple of 4)
/// given as rows of S² pixels:
/// <list type="bullet">
/// <item><c>cnn-bn:IN-CLASSES</c>, what <c>cnn</c> means (the default recipe of <c>backprop train</c>):
/// Unflatten to (1, S, S), Conv2d(1, 32, 3, padding 1), BatchNorm2d(32), ReLU, MaxPool2d(2),
/// Conv2d(32, 64, 3, padding 1), BatchNorm2d(64), ReLU, MaxPool2d(2), Flatten, Dropout(0.25),
/// Linear(64·(S/4)², 128), ReLU, Dropout(0.25), Linear(128, classes).</item>
/// <item><c>cnn:IN-CLASSES</c>, the benchmark's fixed yardstick (shared/bench): Unflatten to (1, S, S),
/// Conv2d(1, 16, 5, padding 2), ReLU, MaxPool2d(2), Conv2d(16, 32, 5, padding 2), ReLU, MaxPool2d(2),
/// Flatten, Linear(32·(S/4)², 128), ReLU, Linear(128, classes). For 28×28 images the flattened size is
/// 1568. Model files written before <c>cnn-bn</c> existed name this one.</item>
/// </list>
/// </summary>
public sealed partial record ModelSpec
{
    private const string CnnName = "cnn";
    private const string CnnBnName = "cnn-bn";
    private const double CnnBnDropout = 0.25;

    /// <summary>True for a convolutional network (<c>cnn</c> or <c>cnn-bn</c>), false for an MLP.</summary>
    public bool IsCnn { get; private init; }

    /// <summary>The canonical text of a CNN spec, <c>cnn-bn:IN-CLASSES</c> or <c>cnn:IN-CLASSES</c>.</summary>
    private string CnnText => string.Create(CultureInfo.InvariantCulture, $"{(BatchNorm ? CnnBnName : CnnName)}:{InFeatures}-{OutFeatures}");

    private static bool IsCnnText(string text) =>
        text is CnnName or CnnBnName || text.StartsWith(CnnName + ":", StringComparison.Ordinal) || text.StartsWith(CnnBnName + ":", StringComparison.Ordinal);

    /// <summary>
    /// <c>cnn</c> or <c>cnn-bn</c> (both the batch-norm network, needing the data's <paramref name="inFeatures"/>
    /// and <paramref name="classes"/>) or the canonical <c>cnn-bn:IN-CLASSES</c> or <c>cnn:IN-CLASSES</c>;
    /// IN must be S² with S a positive multiple of 4.
    /// </summary>
    private static ModelSpec ParseCnn(string text, int? inFeatures, int? classes)
    {
        int inputs, outputs;
        bool batchNorm = text is CnnName || text.StartsWith(CnnBnName, StringComparison.Ordinal);
        string name = batchNorm ? CnnBnName : CnnName;
        if (text is CnnName or CnnBnName)
        {
            if (inFeatures is not int i || classes is not int c)
            {
                throw new ArgumentException("model 'cnn' needs the data's feature and class counts");
            }

            (inputs, outputs) = (i, c);
        }
        else
        {
            var sizes = text[(name.Length + 1)..].Split('-');
            if (sizes.Length != 2
                || !int.TryParse(sizes[0], NumberStyles.None, CultureInfo.InvariantCulture, out inputs)
                || !int.TryParse(sizes[1], NumberStyles.None, CultureInfo.InvariantCulture, out outputs)
                || outputs < 1)
            {
                throw new ArgumentException($"model spec '{text}': expected cnn, cnn-bn:IN-CLASSES or cnn:IN-CLASSES, e.g. cnn-bn:784-10");
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

        return new ModelSpec([inputs, outputs], "relu", batchNorm ? CnnBnDropout : 0, batchNorm) { IsCnn = true };
    }

    /// <summary>The network's parameter count: the two convolutions, their batch norms' affine weights (cnn-bn) and the two Linear layers.</summary>
    private long CnnNumParameters()
    {
        int pooled = (int)Math.Round(Math.Sqrt(InFeatures)) / 4;
        if (BatchNorm)
        {
            long layers = ((32 * 9) + 32) + (2 * 32) + ((64 * 32 * 9) + 64) + (2 * 64);
            return checked(layers + LinearStackParameters([64 * pooled * pooled, 128, OutFeatures]));
        }

        long convolutions = ((16 * 1 * 25) + 16) + ((32 * 16 * 25) + 32);
        return checked(convolutions + LinearStackParameters([32 * pooled * pooled, 128, OutFeatures]));
    }

    /// <summary>The network's layers, weights drawn from <paramref name="init"/> in layer order, dropout masks from <paramref name="dropout"/>.</summary>
    private Sequential BuildCnn(Generator? init, Generator? dropout)
    {
        int side = (int)Math.Round(Math.Sqrt(InFeatures));
        int pooled = side / 4;
        if (BatchNorm)
        {
            return new Sequential(
                new Unflatten(1, [1, side, side]),
                new Conv2d(1, 32, 3, padding: 1, generator: init),
                new BatchNorm2d(32),
                new ReLU(),
                new MaxPool2d(2),
                new Conv2d(32, 64, 3, padding: 1, generator: init),
                new BatchNorm2d(64),
                new ReLU(),
                new MaxPool2d(2),
                new Flatten(),
                new Dropout(Dropout, dropout),
                new Linear(64 * pooled * pooled, 128, generator: init),
                new ReLU(),
                new Dropout(Dropout, dropout),
                new Linear(128, OutFeatures, generator: init));
        }

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
