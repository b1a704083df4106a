using System.Globalization;
using Backprop.NN;
using Backprop.Serialization;

namespace Backprop.Cli.Training;

/// <summary>
/// model.safetensors: the state dict plus metadata naming the architecture (<see cref="ModelDescription"/>),
/// so eval, predict and inspect can rebuild the network from the file alone.
/// </summary>
internal static class ModelFile
{
    public const string SpecKey = "backprop.model";
    public const string ClassesKey = "backprop.classes";
    public const string DataKey = "backprop.data";
    public const string InputScaleKey = "backprop.input_scale";

    public static void Save(string path, Module model, ModelDescription spec, int classes, string data, double inputScale) =>
        SafeTensors.Save(path, model.StateDict(), new Dictionary<string, string>
        {
            [SpecKey] = spec.ToString(),
            [ClassesKey] = classes.ToString(CultureInfo.InvariantCulture),
            [DataKey] = data,
            [InputScaleKey] = inputScale.ToString("R", CultureInfo.InvariantCulture),
        });

    /// <summary>Rebuilds the model saved at <paramref name="path"/> and loads its weights (strict), in eval mode.</summary>
    public static (Module Model, ModelDescription Spec, int Classes, string Data, double InputScale) Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"model file not found: {Path.GetFullPath(path)}");
        }

        var (tensors, metadata) = SafeTensors.LoadWithMetadata(path);
        if (!metadata.TryGetValue(SpecKey, out var specText))
        {
            throw new InvalidDataException($"{path}: no '{SpecKey}' metadata: not a model written by backprop train");
        }

        ModelDescription spec;
        try
        {
            spec = ModelDescription.Parse(specText);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"{path}: bad '{SpecKey}' metadata: {ex.Message}");
        }

        int classes = metadata.TryGetValue(ClassesKey, out var c) && int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed)
            ? parsed
            : spec.OutFeatures;
        // The spec says what to allocate: check it against the weights actually in the file first, so a
        // small file claiming a huge network fails here instead of running out of memory (found by fuzzing).
        long expected = spec.NumParameters;
        long actual = tensors.Values.Sum(t => (long)t.Numel);
        if (expected != actual)
        {
            throw new InvalidDataException($"{path}: the weights do not fit the model {spec}: it has {expected:N0} parameters ({spec.Layers}), the file holds {actual:N0}");
        }

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
        return (model, spec, classes, metadata.GetValueOrDefault(DataKey, ""), scale);
    }
}
