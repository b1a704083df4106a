using System.Globalization;

namespace Backprop.Serialization;

/// <summary>
/// Saves and loads training checkpoints (the role of <c>torch.save</c>/<c>torch.load</c> on a
/// dictionary of state dicts). A checkpoint is one safetensors file, readable by any safetensors
/// tool: model tensors under <c>model.&lt;key&gt;</c>, optimizer tensors under
/// <c>optimizer.&lt;key&gt;</c>, and in <c>__metadata__</c> the format tag, the epoch, each
/// generator state as <c>generator.&lt;name&gt;</c> = four decimal words separated by commas,
/// the tensor counts of both sections, and the free metadata under <c>meta.&lt;key&gt;</c>.
/// </summary>
public static class Checkpoint
{
    /// <summary>The <c>format</c> metadata value that marks a file as a checkpoint of this library.</summary>
    public const string FormatTag = "backprop.checkpoint.v1";

    private const string ModelPrefix = "model.";
    private const string OptimizerPrefix = "optimizer.";
    private const string GeneratorPrefix = "generator.";
    private const string MetaPrefix = "meta.";
    private const string FormatKey = "format";
    private const string EpochKey = "epoch";
    private const string ModelCountKey = "model_tensors";
    private const string OptimizerCountKey = "optimizer_tensors";

    /// <summary>
    /// Writes <paramref name="data"/> to <paramref name="path"/> atomically: the new checkpoint goes
    /// to a temporary file in the same folder, is flushed to disk, and only then replaces the
    /// previous one, so a crash mid-write leaves the previous good checkpoint in place.
    /// </summary>
    /// <param name="path">The file written, replaced atomically.</param>
    /// <param name="data">The training state saved.</param>
    /// <exception cref="ArgumentException">The epoch is negative or a generator state does not have four words.</exception>
    public static void Save(string path, CheckpointData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(data.Model);
        ArgumentNullException.ThrowIfNull(data.Optimizer);
        ArgumentNullException.ThrowIfNull(data.GeneratorStates);
        ArgumentNullException.ThrowIfNull(data.Metadata);
        if (data.Epoch < 0)
        {
            throw new ArgumentException($"Checkpoint.Save: epoch must be non-negative, got {data.Epoch}", nameof(data));
        }

        var tensors = new Dictionary<string, Tensor>(data.Model.Count + data.Optimizer.Count, StringComparer.Ordinal);
        foreach (var (key, tensor) in data.Model)
        {
            tensors.Add(ModelPrefix + key, tensor);
        }

        foreach (var (key, tensor) in data.Optimizer)
        {
            tensors.Add(OptimizerPrefix + key, tensor);
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [FormatKey] = FormatTag,
            [EpochKey] = data.Epoch.ToString(CultureInfo.InvariantCulture),
            [ModelCountKey] = data.Model.Count.ToString(CultureInfo.InvariantCulture),
            [OptimizerCountKey] = data.Optimizer.Count.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (name, state) in data.GeneratorStates)
        {
            if (state is null || state.Length != 4)
            {
                throw new ArgumentException($"Checkpoint.Save: generator state '{name}' must have 4 words, got {state?.Length ?? 0}", nameof(data));
            }

            if ((state[0] | state[1] | state[2] | state[3]) == 0)
            {
                throw new ArgumentException($"Checkpoint.Save: generator state '{name}' is all zeros, which is invalid for xoshiro256**", nameof(data));
            }

            metadata.Add(GeneratorPrefix + name, string.Join(",", state.Select(w => w.ToString(CultureInfo.InvariantCulture))));
        }

        foreach (var (key, value) in data.Metadata)
        {
            metadata.Add(MetaPrefix + key, value);
        }

        SafeTensors.Save(path, tensors, metadata);
    }

    /// <summary>
    /// Loads and validates the checkpoint at <paramref name="path"/>: the file must be a valid
    /// safetensors file marked with <see cref="FormatTag"/>, with a valid epoch, both tensor
    /// sections complete, and every generator state four unsigned 64-bit words.
    /// </summary>
    /// <param name="path">A file written by <see cref="Save"/>.</param>
    /// <returns>The checkpoint's epoch, model and optimizer tensors, generator states and metadata.</returns>
    /// <exception cref="InvalidDataException">The file is corrupt or not a checkpoint; the message names the file and what is wrong.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static CheckpointData Load(string path)
    {
        var (tensors, metadata) = SafeTensors.LoadWithMetadata(path);
        if (!metadata.TryGetValue(FormatKey, out string? format))
        {
            throw Error(path, $"not a checkpoint: its metadata has no '{FormatKey}' entry (a plain model file? load it with SafeTensors.Load)");
        }

        if (format != FormatTag)
        {
            throw Error(path, $"unsupported checkpoint format '{format}' (expected '{FormatTag}')");
        }

        int epoch = ReadCount(path, metadata, EpochKey);
        int modelCount = ReadCount(path, metadata, ModelCountKey);
        int optimizerCount = ReadCount(path, metadata, OptimizerCountKey);

        var model = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var optimizer = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            if (name.StartsWith(ModelPrefix, StringComparison.Ordinal))
            {
                model.Add(name[ModelPrefix.Length..], tensor);
            }
            else if (name.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
            {
                optimizer.Add(name[OptimizerPrefix.Length..], tensor);
            }
            else
            {
                throw Error(path, $"unexpected tensor '{name}': checkpoint tensors are named '{ModelPrefix}<key>' or '{OptimizerPrefix}<key>'");
            }
        }

        CheckSection(path, "model", modelCount, model.Count);
        CheckSection(path, "optimizer", optimizerCount, optimizer.Count);

        var generators = new Dictionary<string, ulong[]>(StringComparer.Ordinal);
        var free = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata)
        {
            if (key.StartsWith(GeneratorPrefix, StringComparison.Ordinal))
            {
                generators.Add(key[GeneratorPrefix.Length..], ParseGeneratorState(path, key, value));
            }
            else if (key.StartsWith(MetaPrefix, StringComparison.Ordinal))
            {
                free.Add(key[MetaPrefix.Length..], value);
            }
        }

        return new CheckpointData(model, optimizer, epoch, generators, free);
    }

    private static int ReadCount(string path, Dictionary<string, string> metadata, string key)
    {
        if (!metadata.TryGetValue(key, out string? text))
        {
            throw Error(path, $"metadata entry '{key}' is missing");
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value))
        {
            throw Error(path, $"metadata entry '{key}' must be a non-negative integer, got '{text}'");
        }

        return value;
    }

    private static void CheckSection(string path, string section, int expected, int actual)
    {
        if (expected != actual)
        {
            string what = actual == 0 ? "the section is missing" : $"only {actual} are present";
            throw Error(path, $"the {section} section should hold {expected} tensors ('{section}.<key>') but {what}");
        }
    }

    private static ulong[] ParseGeneratorState(string path, string key, string value)
    {
        string[] words = value.Split(',');
        var state = new ulong[words.Length];
        for (int i = 0; i < words.Length; i++)
        {
            if (!ulong.TryParse(words[i], NumberStyles.None, CultureInfo.InvariantCulture, out state[i]))
            {
                throw Error(path, $"metadata entry '{key}' must be 4 comma-separated unsigned 64-bit integers, got '{value}'");
            }
        }

        if (state.Length != 4)
        {
            throw Error(path, $"metadata entry '{key}' must hold 4 generator state words, got {state.Length}");
        }

        if ((state[0] | state[1] | state[2] | state[3]) == 0)
        {
            throw Error(path, $"metadata entry '{key}' is the all-zero state, which is invalid for xoshiro256**");
        }

        return state;
    }

    private static InvalidDataException Error(string path, string message) =>
        new($"{path}: invalid checkpoint: {message}");
}
