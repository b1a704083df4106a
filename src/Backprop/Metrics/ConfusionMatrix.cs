using System.Globalization;
using System.Text;

namespace Backprop.Metrics;

/// <summary>
/// Counts of (true class, predicted class) pairs for a single-label classifier, row = true class and
/// column = predicted class, as scikit-learn's <c>confusion_matrix(y_true, y_pred, labels=range(n))</c>,
/// and the metrics computed from them: accuracy, and precision, recall and F1 per class or averaged
/// (<see cref="Average"/>) with scikit-learn's definitions. Fill it batch by batch with
/// <see cref="Update"/>, or at once with <see cref="Of"/>. Every class 0…n−1 counts, present in the
/// data or not (scikit-learn's <c>labels=range(n)</c>).
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly long[,] _counts;

    /// <summary>Creates an empty matrix for <paramref name="numClasses"/> classes.</summary>
    /// <param name="numClasses">The number of classes, at least 1; labels are 0…numClasses−1.</param>
    public ConfusionMatrix(int numClasses)
    {
        if (numClasses < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(numClasses), numClasses, "ConfusionMatrix: the number of classes must be at least 1");
        }

        NumClasses = numClasses;
        _counts = new long[numClasses, numClasses];
    }

    /// <summary>The number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>The number of samples counted.</summary>
    public long Total { get; private set; }

    /// <summary>The number of samples of true class <paramref name="target"/> predicted as <paramref name="predicted"/>.</summary>
    /// <param name="target">The true class (row).</param>
    /// <param name="predicted">The predicted class (column).</param>
    public long this[int target, int predicted] => _counts[target, predicted];

    /// <summary>Counts the pairs of <paramref name="predicted"/> and <paramref name="target"/> (<c>confusion_matrix(y_true, y_pred, labels=range(n))</c>).</summary>
    /// <param name="predicted">Class indices (N) or scores (N, C) whose largest entry per row is the prediction (logits or probabilities).</param>
    /// <param name="target">The true class indices (N).</param>
    /// <param name="numClasses">The number of classes.</param>
    /// <returns>The filled matrix.</returns>
    public static ConfusionMatrix Of(Tensor predicted, Tensor target, int numClasses)
    {
        var matrix = new ConfusionMatrix(numClasses);
        matrix.Update(predicted, target);
        return matrix;
    }

    /// <summary>Adds one batch's pairs.</summary>
    /// <param name="predicted">Class indices (N) or scores (N, C) whose largest entry per row is the prediction (logits or probabilities).</param>
    /// <param name="target">The true class indices (N), each in 0…<see cref="NumClasses"/>−1.</param>
    /// <exception cref="ArgumentException">The shapes do not match, or a class is out of range.</exception>
    public void Update(Tensor predicted, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(target);
        if (target.Rank != 1)
        {
            throw new ArgumentException($"ConfusionMatrix: the targets must be class indices of shape (N), got {Shapes.Format(target.Shape)}", nameof(target));
        }

        Tensor labels = predicted.Rank switch
        {
            1 => predicted,
            2 when predicted.Size(1) == NumClasses => predicted.ArgMax(1),
            2 => throw new ArgumentException($"ConfusionMatrix: scores of shape {Shapes.Format(predicted.Shape)} have {predicted.Size(1)} columns for {NumClasses} classes", nameof(predicted)),
            _ => throw new ArgumentException($"ConfusionMatrix: predictions must be class indices (N) or scores (N, C), got {Shapes.Format(predicted.Shape)}", nameof(predicted)),
        };
        if (labels.Size(0) != target.Size(0))
        {
            throw new ArgumentException($"ConfusionMatrix: {labels.Size(0)} predictions for {target.Size(0)} targets", nameof(predicted));
        }

        var p = Labels(labels, nameof(predicted));
        var t = Labels(target, nameof(target));
        for (int i = 0; i < p.Length; i++)
        {
            Add(t[i], p[i]);
        }
    }

    /// <summary>Counts one sample.</summary>
    /// <param name="target">Its true class.</param>
    /// <param name="predicted">Its predicted class.</param>
    /// <exception cref="ArgumentOutOfRangeException">A class is not in 0…<see cref="NumClasses"/>−1.</exception>
    public void Add(long target, long predicted)
    {
        if ((ulong)target >= (ulong)NumClasses)
        {
            throw new ArgumentOutOfRangeException(nameof(target), target, $"ConfusionMatrix: true class {target} is out of range for {NumClasses} classes");
        }

        if ((ulong)predicted >= (ulong)NumClasses)
        {
            throw new ArgumentOutOfRangeException(nameof(predicted), predicted, $"ConfusionMatrix: predicted class {predicted} is out of range for {NumClasses} classes");
        }

        _counts[target, predicted]++;
        Total++;
    }

    /// <summary>A copy of the counts, [true class, predicted class].</summary>
    /// <returns>A new array.</returns>
    public long[,] ToArray() => (long[,])_counts.Clone();

    /// <summary>The fraction of samples whose prediction is their true class (<c>accuracy_score</c>).</summary>
    /// <returns>Σ diagonal / total; NaN when nothing was counted.</returns>
    public double Accuracy()
    {
        long correct = 0;
        for (int c = 0; c < NumClasses; c++)
        {
            correct += _counts[c, c];
        }

        return Total == 0 ? double.NaN : (double)correct / Total;
    }

    /// <summary>The samples of each true class (scikit-learn's support: the row sums).</summary>
    /// <returns>One count per class.</returns>
    public long[] Support() => [.. Enumerable.Range(0, NumClasses).Select(c => TruePositives(c) + FalseNegatives(c))];

    /// <summary>Per class, tp / (tp + fp): of the samples predicted as the class, the fraction that are (<c>precision_score(average=None)</c>).</summary>
    /// <param name="zeroDivision">The value for a class never predicted (scikit-learn's <c>zero_division</c>: 0 by default, 1, or NaN).</param>
    /// <returns>One value per class.</returns>
    public double[] Precision(double zeroDivision = 0) => PerClass(c => (TruePositives(c), TruePositives(c) + FalsePositives(c)), zeroDivision);

    /// <summary>Per class, tp / (tp + fn): of the samples of the class, the fraction predicted as it (<c>recall_score(average=None)</c>).</summary>
    /// <param name="zeroDivision">The value for a class with no true samples (scikit-learn's <c>zero_division</c>).</param>
    /// <returns>One value per class.</returns>
    public double[] Recall(double zeroDivision = 0) => PerClass(c => (TruePositives(c), TruePositives(c) + FalseNegatives(c)), zeroDivision);

    /// <summary>Per class, 2tp / (2tp + fp + fn), the harmonic mean of precision and recall (<c>f1_score(average=None)</c>).</summary>
    /// <param name="zeroDivision">The value for a class neither present nor predicted (scikit-learn's <c>zero_division</c>).</param>
    /// <returns>One value per class.</returns>
    public double[] F1(double zeroDivision = 0) => PerClass(c => (2 * TruePositives(c), (2 * TruePositives(c)) + FalsePositives(c) + FalseNegatives(c)), zeroDivision);

    /// <summary>Precision averaged over the classes (<c>precision_score(average=...)</c>).</summary>
    /// <param name="average">Macro, micro or weighted.</param>
    /// <param name="zeroDivision">The value of an undefined ratio (scikit-learn's <c>zero_division</c>); NaN leaves such classes out of a macro or weighted mean.</param>
    /// <returns>The averaged precision.</returns>
    public double Precision(Average average, double zeroDivision = 0) =>
        Averaged(average, Precision(zeroDivision), Sum(TruePositives), Sum(TruePositives) + Sum(FalsePositives), zeroDivision);

    /// <summary>Recall averaged over the classes (<c>recall_score(average=...)</c>).</summary>
    /// <param name="average">Macro, micro or weighted.</param>
    /// <param name="zeroDivision">The value of an undefined ratio (scikit-learn's <c>zero_division</c>); NaN leaves such classes out of a macro or weighted mean.</param>
    /// <returns>The averaged recall.</returns>
    public double Recall(Average average, double zeroDivision = 0) =>
        Averaged(average, Recall(zeroDivision), Sum(TruePositives), Sum(TruePositives) + Sum(FalseNegatives), zeroDivision);

    /// <summary>F1 averaged over the classes (<c>f1_score(average=...)</c>); micro is 2Σtp / (2Σtp + Σfp + Σfn).</summary>
    /// <param name="average">Macro, micro or weighted.</param>
    /// <param name="zeroDivision">The value of an undefined ratio (scikit-learn's <c>zero_division</c>); NaN leaves such classes out of a macro or weighted mean.</param>
    /// <returns>The averaged F1.</returns>
    public double F1(Average average, double zeroDivision = 0) =>
        Averaged(average, F1(zeroDivision), 2 * Sum(TruePositives), (2 * Sum(TruePositives)) + Sum(FalsePositives) + Sum(FalseNegatives), zeroDivision);

    /// <summary>The matrix as text: a header of predicted classes, then one row per true class.</summary>
    /// <returns>The rows, separated by <c>\n</c>.</returns>
    public override string ToString()
    {
        int width = Math.Max(NumClasses.ToString(CultureInfo.InvariantCulture).Length, Enumerable.Range(0, NumClasses).Max(r => Enumerable.Range(0, NumClasses).Max(c => _counts[r, c].ToString(CultureInfo.InvariantCulture).Length))) + 1;
        var sb = new StringBuilder("true\\pred".PadRight(10));
        for (int c = 0; c < NumClasses; c++)
        {
            sb.Append(c.ToString(CultureInfo.InvariantCulture).PadLeft(width));
        }

        for (int r = 0; r < NumClasses; r++)
        {
            sb.Append('\n').Append(r.ToString(CultureInfo.InvariantCulture).PadRight(10));
            for (int c = 0; c < NumClasses; c++)
            {
                sb.Append(_counts[r, c].ToString(CultureInfo.InvariantCulture).PadLeft(width));
            }
        }

        return sb.ToString();
    }

    private long TruePositives(int c) => _counts[c, c];

    private long FalsePositives(int c)
    {
        long sum = 0;
        for (int r = 0; r < NumClasses; r++)
        {
            sum += r == c ? 0 : _counts[r, c];
        }

        return sum;
    }

    private long FalseNegatives(int c)
    {
        long sum = 0;
        for (int p = 0; p < NumClasses; p++)
        {
            sum += p == c ? 0 : _counts[c, p];
        }

        return sum;
    }

    private long Sum(Func<int, long> count) => Enumerable.Range(0, NumClasses).Sum(count);

    private double[] PerClass(Func<int, (long Numerator, long Denominator)> ratio, double zeroDivision) =>
        [.. Enumerable.Range(0, NumClasses).Select(c => ratio(c) is var (n, d) && d == 0 ? zeroDivision : (double)n / d)];

    private double Averaged(Average average, double[] perClass, long microNumerator, long microDenominator, double zeroDivision)
    {
        switch (average)
        {
            case Average.Micro:
                return microDenominator == 0 ? zeroDivision : (double)microNumerator / microDenominator;
            case Average.Macro:
                var defined = perClass.Where(v => !double.IsNaN(v)).ToList();
                return defined.Count == 0 ? zeroDivision : defined.Average();
            case Average.Weighted:
                var support = Support();
                double weight = 0, sum = 0;
                for (int c = 0; c < NumClasses; c++)
                {
                    if (!double.IsNaN(perClass[c]))
                    {
                        weight += support[c];
                        sum += support[c] * perClass[c];
                    }
                }

                return weight == 0 ? zeroDivision : sum / weight;
            default:
                throw new ArgumentOutOfRangeException(nameof(average), average, "ConfusionMatrix: average must be Macro, Micro or Weighted");
        }
    }

    private long[] Labels(Tensor labels, string name)
    {
        var values = new long[labels.Numel];
        for (int i = 0; i < values.Length; i++)
        {
            double v = labels.GetDouble(i);
            if (v != Math.Floor(v))
            {
                throw new ArgumentException($"ConfusionMatrix: {name}[{i}] = {v.ToString(CultureInfo.InvariantCulture)} is not a class index", name);
            }

            values[i] = (long)v;
        }

        return values;
    }
}
