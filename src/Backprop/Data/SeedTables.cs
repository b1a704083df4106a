namespace Backprop.Data;

/// <summary>
/// The small tables of the source material (docs/design.md §1), on which the worked examples are
/// reproduced exactly: students' (cgpa, profile_score) predicting a salary package (lpa) or a
/// placement (0/1). Rows are in the material's order, which per-row SGD depends on.
/// </summary>
public static class SeedTables
{
    /// <summary>The feature column names of both tables.</summary>
    public static IReadOnlyList<string> FeatureNames { get; } = ["cgpa", "profile_score"];

    /// <summary>
    /// Regression rows (cgpa, profile_score → lpa): (8, 8 → 4), (7, 9 → 5), (6, 10 → 6), (5, 12 → 7).
    /// Features [4, 2] and targets [4, 1] of <paramref name="dtype"/> (float64 by default, for exact
    /// reproduction of the worked example).
    /// </summary>
    /// <param name="dtype">The element type (default float64).</param>
    /// <returns>A dataset of the four rows.</returns>
    public static TensorDataset Regression(DType dtype = DType.Float64) =>
        Table([8, 8, 7, 9, 6, 10, 5, 12], [4, 5, 6, 7], dtype);

    /// <summary>
    /// Classification rows (cgpa, profile_score → placed): (8, 8 → 1), (7, 9 → 1), (6, 10 → 0),
    /// (5, 5 → 0). Features [4, 2] and targets [4, 1] of <paramref name="dtype"/> holding 0 or 1, as
    /// binary cross-entropy takes them (<c>nn.BCELoss</c> targets are floats).
    /// </summary>
    /// <param name="dtype">The element type (default float64).</param>
    /// <returns>A dataset of the four rows.</returns>
    public static TensorDataset Classification(DType dtype = DType.Float64) =>
        Table([8, 8, 7, 9, 6, 10, 5, 5], [1, 1, 0, 0], dtype);

    private static TensorDataset Table(double[] features, double[] targets, DType dtype)
    {
        if (!dtype.IsFloatingPoint())
        {
            throw new ArgumentException($"SeedTables: dtype must be float32 or float64, got {dtype.Name()}");
        }

        var x = Tensor.Empty([4, 2], dtype);
        var y = Tensor.Empty([4, 1], dtype);
        for (int i = 0; i < features.Length; i++)
        {
            x.SetDouble(i, features[i]);
        }

        for (int i = 0; i < targets.Length; i++)
        {
            y.SetDouble(i, targets[i]);
        }

        return new TensorDataset(x, y);
    }
}
