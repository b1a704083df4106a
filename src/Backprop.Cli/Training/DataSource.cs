using System.Globalization;
using Backprop.Data;

namespace Backprop.Cli.Training;

/// <summary>
/// A data set resolved from <c>--data</c>: a fixed train/test split, feature and class counts, and
/// for a CSV file what a model file keeps to read the same columns again: the class names (text
/// labels only), the label column and the feature names (files with a header only); with
/// <c>--standardize</c>, the training split's feature statistics that both splits were standardized with.
/// </summary>
internal sealed record DataSource(
    string Name,
    Dataset Train,
    Dataset Test,
    int Features,
    int Classes,
    string[]? ClassNames = null,
    string? LabelColumn = null,
    string[]? FeatureNames = null,
    Standardization? Standardization = null)
{
    /// <summary>
    /// The most classes a CSV label column may make: ImageNet's 1,000. A column past it is a measurement
    /// (a price, an id), and the model's output layer and the confusion matrix grow as its square.
    /// </summary>
    public const int MaxClasses = 1000;

    /// <summary>Rows per class a CSV file must have on average: with fewer, most classes could not be both trained and tested.</summary>
    public const int MinRowsPerClass = 2;

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
                return FromTable(data, Moons.Make(1000, noise: 0.2, seed: 0), classes: 2, seed: 0);
            default:
            {
                var table = ReadCsv(data, labelColumn);
                CheckClasses(table, data);
                var source = FromTable(data, new TensorDataset(table.Features, table.Labels), table.Classes, seed: 0);
                return source with
                {
                    ClassNames = table.ClassNames,
                    LabelColumn = table.LabelName,
                    FeatureNames = table.HasHeader ? table.FeatureNames : null,
                };
            }
        }
    }

    /// <summary>True when <paramref name="data"/> names a CSV file rather than a built-in data set.</summary>
    public static bool IsCsv(string data) =>
        data.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || data.EndsWith(".csv.gz", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Every row of a CSV file (raw values), checking the name and that the file exists; with
    /// <paramref name="classNames"/> (a model's), text labels are read as those classes.
    /// </summary>
    public static CsvTable ReadCsv(string path, string? labelColumn, IReadOnlyList<string>? classNames = null)
    {
        if (!IsCsv(path))
        {
            throw new ArgumentException($"--data: unknown data set '{path}' (expected digits, fashion-mnist, moons or a path ending in .csv)");
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"--data: file not found: {Path.GetFullPath(path)}");
        }

        return Csv.ReadTable(path, labelColumn, classNames);
    }

    /// <summary>
    /// Refuses, before any model is built, a label column that cannot be a classification target:
    /// more than <see cref="MaxClasses"/> classes, or fewer than <see cref="MinRowsPerClass"/> rows per
    /// class on average. Numeric labels are class indices, so their classes are the largest + 1.
    /// </summary>
    public static void CheckClasses(CsvTable table, string path)
    {
        int rows = table.Labels.Size(0);
        if (rows < MinRowsPerClass)
        {
            return; // too few rows to split at all, which FromTable says
        }

        int classes = table.Classes;
        int limit = Math.Min(MaxClasses, rows / MinRowsPerClass);
        if (classes <= limit)
        {
            return;
        }

        int distinct = table.DistinctLabels;
        var invariant = CultureInfo.InvariantCulture;
        string what = table.ClassNames is not null
            ? string.Create(invariant, $"it has {distinct:N0} distinct values in {rows:N0} rows")
            : string.Create(invariant, $"its numbers go up to {classes - 1:N0} and numeric labels are class indices, so it would make {classes:N0} classes ({distinct:N0} distinct values in {rows:N0} rows)");
        string hint = table.ClassNames is null && distinct <= limit
            ? "if the numbers are codes rather than class indices, renumber them 0, 1, 2, ... or write them as names"
            : "is it a measurement or an id? Choose another --label-column";
        throw new InvalidDataException(string.Create(
            invariant,
            $"{path}: {table.LabelColumn} cannot be a classification label: {what}; a label needs at most {MaxClasses:N0} classes and at least {MinRowsPerClass} rows per class on average (here at most {limit:N0} {(limit == 1 ? "class" : "classes")}); {hint}"));
    }

    /// <summary>A seeded split of one table into train and test parts.</summary>
    private static DataSource FromTable(string name, TensorDataset all, int classes, long seed)
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
        return new DataSource(name, new TensorDataset(trainX, trainY), new TensorDataset(testX, testY), all.Features.Size(1), classes);
    }
}
