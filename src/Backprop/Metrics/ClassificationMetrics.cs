namespace Backprop.Metrics;

/// <summary>
/// One-call classification metrics with scikit-learn's names and definitions (<c>sklearn.metrics</c>):
/// each builds a <see cref="ConfusionMatrix"/> of the predictions and targets,
/// so predictions may be class indices (N) or scores (N, C). To accumulate over batches, fill a
/// <see cref="ConfusionMatrix"/> yourself.
/// </summary>
public static class ClassificationMetrics
{
    /// <summary>The fraction of correct predictions (<c>accuracy_score(y_true, y_pred)</c>).</summary>
    /// <param name="predicted">Class indices (N) or scores (N, C).</param>
    /// <param name="target">The true class indices (N).</param>
    /// <returns>The accuracy in [0, 1]; NaN for no samples.</returns>
    public static double AccuracyScore(Tensor predicted, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(target);
        int classes = ClassesOf(predicted, target);
        return ConfusionMatrix.Of(predicted, target, classes).Accuracy();
    }

    /// <summary>Averaged precision (<c>precision_score(y_true, y_pred, labels=range(numClasses), average=..., zero_division=...)</c>).</summary>
    /// <param name="predicted">Class indices (N) or scores (N, C).</param>
    /// <param name="target">The true class indices (N).</param>
    /// <param name="numClasses">The number of classes; each of 0…numClasses−1 counts.</param>
    /// <param name="average">Macro (default), micro or weighted.</param>
    /// <param name="zeroDivision">The value of an undefined ratio (0 by default, 1, or NaN to leave the class out).</param>
    /// <returns>The averaged precision.</returns>
    public static double PrecisionScore(Tensor predicted, Tensor target, int numClasses, Average average = Average.Macro, double zeroDivision = 0) =>
        ConfusionMatrix.Of(predicted, target, numClasses).Precision(average, zeroDivision);

    /// <summary>Averaged recall (<c>recall_score(y_true, y_pred, labels=range(numClasses), average=..., zero_division=...)</c>).</summary>
    /// <param name="predicted">Class indices (N) or scores (N, C).</param>
    /// <param name="target">The true class indices (N).</param>
    /// <param name="numClasses">The number of classes; each of 0…numClasses−1 counts.</param>
    /// <param name="average">Macro (default), micro or weighted.</param>
    /// <param name="zeroDivision">The value of an undefined ratio (0 by default, 1, or NaN to leave the class out).</param>
    /// <returns>The averaged recall.</returns>
    public static double RecallScore(Tensor predicted, Tensor target, int numClasses, Average average = Average.Macro, double zeroDivision = 0) =>
        ConfusionMatrix.Of(predicted, target, numClasses).Recall(average, zeroDivision);

    /// <summary>Averaged F1 (<c>f1_score(y_true, y_pred, labels=range(numClasses), average=..., zero_division=...)</c>).</summary>
    /// <param name="predicted">Class indices (N) or scores (N, C).</param>
    /// <param name="target">The true class indices (N).</param>
    /// <param name="numClasses">The number of classes; each of 0…numClasses−1 counts.</param>
    /// <param name="average">Macro (default), micro or weighted.</param>
    /// <param name="zeroDivision">The value of an undefined ratio (0 by default, 1, or NaN to leave the class out).</param>
    /// <returns>The averaged F1.</returns>
    public static double F1Score(Tensor predicted, Tensor target, int numClasses, Average average = Average.Macro, double zeroDivision = 0) =>
        ConfusionMatrix.Of(predicted, target, numClasses).F1(average, zeroDivision);

    // Accuracy needs no class count: the scores' columns, or one past the largest label seen.
    private static int ClassesOf(Tensor predicted, Tensor target)
    {
        if (predicted.Rank == 2)
        {
            return predicted.Size(1);
        }

        double max = 0;
        foreach (var t in (ReadOnlySpan<Tensor>)[predicted, target])
        {
            for (int i = 0; i < t.Numel; i++)
            {
                double v = t.GetDouble(i);
                if (v < 0 || v != Math.Floor(v) || v > int.MaxValue - 1)
                {
                    throw new ArgumentException($"AccuracyScore: {v} is not a class index");
                }

                max = Math.Max(max, v);
            }
        }

        return (int)max + 1;
    }
}
