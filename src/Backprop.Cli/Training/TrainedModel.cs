using System.Globalization;
using Backprop.NN;

namespace Backprop.Cli.Training;

/// <summary>A model read back by <see cref="ModelFile.Load"/>: the network and what it was trained on.</summary>
/// <param name="Model">The network, in eval mode.</param>
/// <param name="Spec">Its architecture.</param>
/// <param name="Classes">How many classes its outputs stand for.</param>
/// <param name="Data">The <c>--data</c> it was trained on ("" when the file does not say).</param>
/// <param name="InputScale">What raw features are divided by before they reach it.</param>
/// <param name="ClassNames">The name of class 0, 1, ... when it was trained on text labels; null for class indices.</param>
/// <param name="LabelColumn">The CSV label column it was trained on, when trained on a CSV file.</param>
/// <param name="FeatureNames">The CSV feature columns it was trained on, when that file had a header.</param>
/// <param name="Standardization">The feature statistics of <c>train --standardize</c>, applied after the input scale; null when it was trained without.</param>
internal sealed record TrainedModel(
    Module Model,
    ModelDescription Spec,
    int Classes,
    string Data,
    double InputScale,
    string[]? ClassNames,
    string? LabelColumn,
    string[]? FeatureNames,
    Standardization? Standardization = null)
{
    /// <summary>What the network takes for raw feature rows <paramref name="raw"/>: divided by the input scale, then standardized if it was trained so.</summary>
    public Tensor Inputs(Tensor raw)
    {
        var scaled = raw / InputScale;
        return Standardization?.Apply(scaled) ?? scaled;
    }

    /// <summary>The name of class <paramref name="index"/>: its text label, or else the index itself.</summary>
    public string ClassName(long index) =>
        ClassNames is not null && index >= 0 && index < ClassNames.Length ? ClassNames[index] : index.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Checks that the columns of <paramref name="source"/> are the features the model was trained on:
    /// as many, and when both files have a header, the same names in the same order (ignoring case).
    /// </summary>
    public void CheckFeatures(string source, string[] names, bool hasHeader, string hint)
    {
        if (names.Length != Spec.InFeatures)
        {
            throw new ArgumentException($"{source}: rows have {names.Length} values but the model {Spec} expects {Spec.InFeatures} features{hint}");
        }

        if (!hasHeader || FeatureNames is null || FeatureNames.Length != names.Length)
        {
            return;
        }

        for (int i = 0; i < names.Length; i++)
        {
            if (!string.Equals(names[i], FeatureNames[i], StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException(
                    $"{source}: feature {i + 1} is column '{names[i]}' but the model was trained with '{FeatureNames[i]}' as feature {i + 1} (its features, in order: {string.Join(", ", FeatureNames)})");
            }
        }
    }
}
