namespace Backprop.Data;

/// <summary>
/// A classification table read by <see cref="Csv.ReadTable(string, string?, IReadOnlyList{string}?, bool?, char, int)"/>:
/// the features, the labels as class indices, and what the indices stand for (as a pandas
/// <c>DataFrame</c> split into <c>X</c> and <c>y = pd.factorize(df[label], sort=True)</c>).
/// </summary>
/// <param name="Features">float32 [N, F].</param>
/// <param name="Labels">int64 [N]: class indices.</param>
/// <param name="FeatureNames">The F feature columns' header names (their 0-based indices when the file has no header).</param>
/// <param name="LabelColumn">The label column as error messages name it, e.g. <c>column 5 ('species')</c>.</param>
/// <param name="LabelName">The label column's header name (its 0-based index when the file has no header).</param>
/// <param name="HasHeader">Whether the file's first row names the columns.</param>
/// <param name="ClassNames">
/// When the labels are text: the class names, where <c>ClassNames[i]</c> is the name of class index i
/// (sorted ordinally unless given). Null when the labels are numbers, which are class indices themselves.
/// </param>
public sealed record CsvTable(
    Tensor Features,
    Tensor Labels,
    string[] FeatureNames,
    string LabelColumn,
    string LabelName,
    bool HasHeader,
    string[]? ClassNames)
{
    /// <summary>
    /// The number of classes a classifier of this table needs: the number of class names, or else the
    /// largest class index + 1 (so numeric labels 3, 7 and 100 make 101 classes).
    /// </summary>
    public int Classes => ClassNames?.Length ?? (int)Labels.ToArray<long>().DefaultIfEmpty(-1).Max() + 1;

    /// <summary>How many distinct labels the table holds (at most <see cref="Classes"/>).</summary>
    public int DistinctLabels => Labels.ToArray<long>().Distinct().Count();
}
