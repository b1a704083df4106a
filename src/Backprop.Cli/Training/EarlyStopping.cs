using System.Globalization;
using Backprop.Diagnostics;
using Backprop.NN;

namespace Backprop.Cli.Training;

/// <summary>
/// <c>train --patience N</c>: keeps the best epoch's weights and stops the run after N epochs in a
/// row without a better one (Keras's <c>EarlyStopping(patience=N, restore_best_weights=True)</c>).
/// The best epoch is the one with the highest test accuracy; between epochs of equal accuracy, the
/// lower test loss wins (accuracy on a few hundred test samples ties often). The model file of the
/// run holds the best epoch's weights.
/// </summary>
/// <remarks>
/// Its state (best epoch, its accuracy and loss, the epochs since, the best weights) goes into the
/// checkpoint: the weights in the optimizer section under <c>early_stopping.best.</c>, the rest in
/// the metadata, so a resumed run stops where an uninterrupted one would.
/// </remarks>
internal sealed class EarlyStopping
{
    private const string WeightsPrefix = "early_stopping.best.";
    private const string MetadataKey = "early_stopping";

    private Dictionary<string, Tensor> _best = [];

    public EarlyStopping(int patience)
    {
        Patience = patience;
    }

    /// <summary>Epochs without a better one after which the run stops.</summary>
    public int Patience { get; }

    /// <summary>The best epoch so far (from 1), or 0 before the first.</summary>
    public int BestEpoch { get; private set; }

    /// <summary>The best epoch's test accuracy.</summary>
    public double BestAccuracy { get; private set; } = double.NegativeInfinity;

    /// <summary>The best epoch's test loss.</summary>
    public double BestLoss { get; private set; } = double.PositiveInfinity;

    /// <summary>Epochs since the best one.</summary>
    public int EpochsSinceBest { get; private set; }

    /// <summary>Whether the run has gone <see cref="Patience"/> epochs without a better one.</summary>
    public bool ShouldStop => BestEpoch > 0 && EpochsSinceBest >= Patience;

    /// <summary>The best epoch's weights (a copy), for the model file.</summary>
    public IReadOnlyDictionary<string, Tensor> BestWeights => _best;

    /// <summary>Records an epoch's result; keeps a copy of <paramref name="model"/>'s weights when it is the best so far.</summary>
    public void Observe(EpochRecord epoch, Module model)
    {
        bool better = epoch.TestAccuracy > BestAccuracy || (epoch.TestAccuracy == BestAccuracy && epoch.TestLoss < BestLoss);
        if (!better)
        {
            EpochsSinceBest++;
            return;
        }

        BestEpoch = epoch.Epoch;
        BestAccuracy = epoch.TestAccuracy;
        BestLoss = epoch.TestLoss;
        EpochsSinceBest = 0;
        _best = model.StateDict().ToDictionary(kv => kv.Key, kv => Copy(kv.Value));
    }

    /// <summary>Whether a checkpoint's optimizer-section key holds the best weights.</summary>
    public static bool IsStateKey(string key) => key.StartsWith(WeightsPrefix, StringComparison.Ordinal);

    /// <summary>Adds the state to a checkpoint's optimizer section and metadata.</summary>
    public void WriteState(Dictionary<string, Tensor> optimizerSection, Dictionary<string, string> metadata)
    {
        foreach (var (key, value) in _best)
        {
            optimizerSection[WeightsPrefix + key] = value;
        }

        metadata[MetadataKey] = string.Join(
            ',',
            BestEpoch.ToString(CultureInfo.InvariantCulture),
            BestAccuracy.ToString("R", CultureInfo.InvariantCulture),
            BestLoss.ToString("R", CultureInfo.InvariantCulture),
            EpochsSinceBest.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Restores the state written by <see cref="WriteState"/>; a run whose checkpoint has none starts afresh.</summary>
    public void ReadState(IReadOnlyDictionary<string, Tensor> optimizerSection, IReadOnlyDictionary<string, string> metadata, Module model)
    {
        if (!metadata.TryGetValue(MetadataKey, out string? text))
        {
            throw new FormatException($"the checkpoint has no '{MetadataKey}' state, though its run has --patience");
        }

        string[] parts = text.Split(',');
        if (parts.Length != 4)
        {
            throw new FormatException($"'{MetadataKey}' is '{text}', expected 4 comma-separated values");
        }

        var best = optimizerSection.Where(kv => IsStateKey(kv.Key)).ToDictionary(kv => kv.Key[WeightsPrefix.Length..], kv => Copy(kv.Value));
        int bestEpoch = int.Parse(parts[0], CultureInfo.InvariantCulture);
        if (bestEpoch > 0)
        {
            // Checked against the model as its own weights are: a missing or misshapen tensor is named.
            var keys = model.StateDict().Keys.ToHashSet(StringComparer.Ordinal);
            if (!keys.SetEquals(best.Keys))
            {
                throw new FormatException("the best weights of the early stopping do not match the model's parameters");
            }
        }

        BestEpoch = bestEpoch;
        BestAccuracy = double.Parse(parts[1], CultureInfo.InvariantCulture);
        BestLoss = double.Parse(parts[2], CultureInfo.InvariantCulture);
        EpochsSinceBest = int.Parse(parts[3], CultureInfo.InvariantCulture);
        _best = best;
    }

    private static Tensor Copy(Tensor t) => new((Array)t._data.Clone(), (int[])t._shape.Clone());
}
