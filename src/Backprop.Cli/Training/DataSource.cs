using Backprop.Data;

namespace Backprop.Cli.Training;

/// <summary>A data set resolved from <c>--data</c>: a fixed train/test split, feature and class counts.</summary>
internal sealed record DataSource(string Name, Dataset Train, Dataset Test, int Features, int Classes)
{
    /// <summary>What raw inputs are divided by before they reach the model (pixels: 16 for digits, 255 for Fashion-MNIST).</summary>
    public double InputScale => Name switch
    {
        "digits" => 16,
        "fashion-mnist" => 255,
        _ => 1,
    };

    /// <summary>Fraction of a CSV file or of the moons points held out for testing.</summary>
    private const double TestFraction = 0.2;

    /// <summary>
    /// Loads <paramref name="data"/>: <c>digits</c> (embedded), <c>fashion-mnist</c> (Debian package
    /// dataset-fashion-mnist), <c>moons</c> (synthetic) or a CSV path. Splits are seeded and fixed.
    /// </summary>
    public static DataSource Load(string data, string? labelColumn)
    {
        switch (data)
        {
            case "digits":
            {
                var (train, test) = Digits.Split(TestFraction, seed: 0);
                return new DataSource(data, train, test, 64, Digits.Classes);
            }

            case "fashion-mnist":
                return new DataSource(data, FashionMnist.LoadImages(train: true), FashionMnist.LoadImages(train: false), 784, FashionMnist.Classes);
            case "moons":
                return FromTable(data, Moons.Make(1000, noise: 0.2, seed: 0), seed: 0);
            default:
                return FromTable(data, ReadCsv(data, labelColumn), seed: 0);
        }
    }

    /// <summary>True when <paramref name="data"/> names a CSV file rather than a built-in data set.</summary>
    public static bool IsCsv(string data) =>
        data.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || data.EndsWith(".csv.gz", StringComparison.OrdinalIgnoreCase);

    /// <summary>Every row of a CSV file (raw values), checking the name and that the file exists.</summary>
    public static TensorDataset ReadCsv(string path, string? labelColumn)
    {
        if (!IsCsv(path))
        {
            throw new ArgumentException($"--data: unknown data set '{path}' (expected digits, fashion-mnist, moons or a path ending in .csv)");
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"--data: file not found: {Path.GetFullPath(path)}");
        }

        var (features, labels, _) = Csv.Read(path, labelColumn);
        return new TensorDataset(features, labels);
    }

    /// <summary>A seeded split of one table into train and test parts.</summary>
    private static DataSource FromTable(string name, TensorDataset all, long seed)
    {
        int n = all.Count;
        if (n < 2)
        {
            throw new ArgumentException($"{name}: needs at least 2 rows to split into train and test, got {n}");
        }

        int testCount = Math.Max(1, (int)Math.Round(n * TestFraction));
        var order = Enumerable.Range(0, n).ToArray();
        new Generator(seed).Shuffle(order.AsSpan());
        var (trainX, trainY) = all.GetBatch(order.AsSpan(testCount));
        var (testX, testY) = all.GetBatch(order.AsSpan(0, testCount));
        int classes = (int)Math.Max(all.Labels.ToArray<long>().Max(), 0) + 1;
        return new DataSource(name, new TensorDataset(trainX, trainY), new TensorDataset(testX, testY), all.Features.Size(1), classes);
    }
}
