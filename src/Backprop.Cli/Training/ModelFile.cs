using System.Globalization;
using System.Text.Json;
using Backprop.NN;
using Backprop.Serialization;

namespace Backprop.Cli.Training;

/// <summary>
/// model.safetensors: the state dict plus metadata naming the architecture (<see cref="ModelDescription"/>),
/// so eval, predict and inspect can rebuild the network from the file alone. A model trained on a
/// CSV file also keeps its class names (text labels), its label column and its feature names, so eval
/// and predict read the same columns and print the names; files without them (numeric labels, or
/// written before these keys existed) load as before.
/// </summary>
internal static class ModelFile
{
    public const string SpecKey = "backprop.model";
    public const string ClassesKey = "backprop.classes";
    public const string DataKey = "backprop.data";
    public const string InputScaleKey = "backprop.input_scale";

    /// <summary>JSON array: the name of class 0, 1, ... (CSV text labels only).</summary>
    public const string ClassNamesKey = "backprop.class_names";

    /// <summary>The CSV label column's header name, or its 0-based index in a file without a header.</summary>
    public const string LabelColumnKey = "backprop.label_column";

    /// <summary>JSON array: the CSV feature columns' header names, in order (files with a header only).</summary>
    public const string FeatureNamesKey = "backprop.feature_names";

    /// <summary>JSON array: each feature's training mean (train --standardize only).</summary>
    public const string FeatureMeanKey = "backprop.feature_mean";

    /// <summary>JSON array: each feature's training standard deviation, 1 for a constant feature (train --standardize only).</summary>
    public const string FeatureStdKey = "backprop.feature_std";

    public static void Save(string path, Module model, ModelDescription spec, DataSource data, string dataName)
    {
        var metadata = new Dictionary<string, string>
        {
            [SpecKey] = spec.ToString(),
            [ClassesKey] = data.Classes.ToString(CultureInfo.InvariantCulture),
            [DataKey] = dataName,
            [InputScaleKey] = data.InputScale.ToString("R", CultureInfo.InvariantCulture),
        };
        if (data.ClassNames is not null)
        {
            metadata[ClassNamesKey] = JsonSerializer.Serialize(data.ClassNames);
        }

        if (data.LabelColumn is not null)
        {
            metadata[LabelColumnKey] = data.LabelColumn;
        }

        if (data.FeatureNames is not null)
        {
            metadata[FeatureNamesKey] = JsonSerializer.Serialize(data.FeatureNames);
        }

        if (data.Standardization is { } stats)
        {
            metadata[FeatureMeanKey] = JsonSerializer.Serialize(stats.Mean);
            metadata[FeatureStdKey] = JsonSerializer.Serialize(stats.Std);
        }

        SafeTensors.Save(path, model.StateDict(), metadata);
    }

    /// <summary>
    /// Rebuilds the model saved at <paramref name="path"/> and loads its weights (strict), in eval mode.
    /// Refuses weights that are NaN or infinite: such a model answers NaN for every input. With
    /// <paramref name="modelSpec"/> (the command's <c>--model</c>) the file may be a plain state dict
    /// without backprop's metadata (saved from PyTorch with PyTorch's keys); if it names a model too, it must be the same.
    /// </summary>
    public static TrainedModel Load(string path, string? modelSpec = null)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"model file not found: {Path.GetFullPath(path)}");
        }

        var (tensors, metadata) = SafeTensors.LoadWithMetadata(path);
        ModelDescription spec;
        if (modelSpec is not null)
        {
            try
            {
                spec = ModelDescription.Parse(modelSpec);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"--model: {ex.Message}");
            }

            if (metadata.TryGetValue(SpecKey, out var stored) && stored != spec.ToString())
            {
                throw new ArgumentException($"--model {spec} does not match the model the file was trained as ({stored}); leave --model out to use the file's");
            }
        }
        else if (!metadata.TryGetValue(SpecKey, out var specText))
        {
            throw new InvalidDataException($"{path}: no '{SpecKey}' metadata: not a model written by backprop train (for a plain state dict, e.g. saved from PyTorch, give its architecture with --model)");
        }
        else
        {
            try
            {
                spec = ModelDescription.Parse(specText);
            }
            catch (ArgumentException ex)
            {
                throw new InvalidDataException($"{path}: bad '{SpecKey}' metadata: {ex.Message}");
            }
        }

        int classes = metadata.TryGetValue(ClassesKey, out var c) && int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed)
            ? parsed
            : spec.OutFeatures;
        // Evaluation allocates a classes x classes confusion matrix: a count the outputs cannot hold is corrupt metadata.
        if (classes < 1 || classes > spec.OutFeatures)
        {
            throw new InvalidDataException($"{path}: bad '{ClassesKey}' metadata: {classes} classes for a model with {spec.OutFeatures} outputs");
        }

        string[]? classNames = ReadNames(metadata, ClassNamesKey, path);
        if (classNames is not null && (classNames.Length != classes || classNames.Distinct(StringComparer.Ordinal).Count() != classes))
        {
            throw new InvalidDataException($"{path}: bad '{ClassNamesKey}' metadata: expected {classes} distinct class names, got {classNames.Length}");
        }

        // The spec says what to allocate: check it against the weights actually in the file first, so a
        // small file claiming a huge network fails here instead of running out of memory (found by fuzzing).
        long expected = spec.NumStateElements;
        long actual = tensors.Values.Sum(t => (long)t.Numel);
        if (expected != actual)
        {
            throw new InvalidDataException($"{path}: the weights do not fit the model {spec}: it has {expected:N0} weights and buffers ({spec.Layers}), the file holds {actual:N0}");
        }

        NonFiniteWeights.Require(path, tensors, "the model cannot be used");
        var model = spec.Build();
        try
        {
            model.LoadStateDict(tensors);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"{path}: the weights do not fit the model {spec}: {ex.Message}");
        }

        double scale = metadata.TryGetValue(InputScaleKey, out var sc) && double.TryParse(sc, NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s > 0
            ? s
            : 1;
        model.Eval();
        return new TrainedModel(
            model,
            spec,
            classes,
            metadata.GetValueOrDefault(DataKey, ""),
            scale,
            classNames,
            metadata.GetValueOrDefault(LabelColumnKey),
            ReadNames(metadata, FeatureNamesKey, path),
            ReadStandardization(metadata, path, spec.InFeatures));
    }

    /// <summary>The statistics of a standardized model (both keys), checked: one finite mean and one positive finite std per feature; null for a model without them.</summary>
    private static Standardization? ReadStandardization(Dictionary<string, string> metadata, string path, int features)
    {
        bool hasMean = metadata.TryGetValue(FeatureMeanKey, out var meanJson);
        bool hasStd = metadata.TryGetValue(FeatureStdKey, out var stdJson);
        if (!hasMean && !hasStd)
        {
            return null;
        }

        try
        {
            var mean = hasMean ? JsonSerializer.Deserialize<float[]>(meanJson!) : null;
            var std = hasStd ? JsonSerializer.Deserialize<float[]>(stdJson!) : null;
            if (mean is null || std is null || mean.Length != features || std.Length != features
                || !mean.All(float.IsFinite) || !std.All(s => float.IsFinite(s) && s > 0))
            {
                throw new JsonException($"expected {features} finite means and {features} positive finite standard deviations under '{FeatureMeanKey}' and '{FeatureStdKey}'");
            }

            return new Standardization(mean, std);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: bad feature standardization metadata: {ex.Message}");
        }
    }

    private static string[]? ReadNames(Dictionary<string, string> metadata, string key, string path)
    {
        if (!metadata.TryGetValue(key, out var json))
        {
            return null;
        }

        try
        {
            var names = JsonSerializer.Deserialize<string[]>(json);
            return names is not null && !names.Contains(null) ? names : throw new JsonException("not an array of strings");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: bad '{key}' metadata: {ex.Message}");
        }
    }
}
