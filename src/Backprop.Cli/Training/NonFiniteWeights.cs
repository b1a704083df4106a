using System.Globalization;
using System.Numerics.Tensors;
using Backprop.Serialization;

namespace Backprop.Cli.Training;

/// <summary>
/// Finds NaN and ±Inf in stored tensors. A model with one non-finite weight gives NaN logits for
/// every row, which evaluates to "loss NaN" and predicts class 0 for everything; so eval, predict,
/// export and <c>train --resume</c> refuse such a file when they load it, and inspect reports it.
/// </summary>
internal static class NonFiniteWeights
{
    /// <summary>The tensors holding NaN or ±Inf, with how many such values each has, in the order given.</summary>
    public static List<(string Name, long Count)> Find(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        var found = new List<(string, long)>();
        foreach (var (name, tensor) in tensors)
        {
            long count = tensor.DType switch
            {
                DType.Float32 => Count<float>(tensor.ToArray<float>()),
                DType.Float64 => Count<double>(tensor.ToArray<double>()),
                _ => 0, // integers (step counts) are always finite
            };
            if (count > 0)
            {
                found.Add((name, count));
            }
        }

        return found;
    }

    /// <summary>
    /// Throws, naming the first tensor with non-finite values and their count, when any of
    /// <paramref name="tensors"/> holds one; <paramref name="consequence"/> ends the message.
    /// </summary>
    public static void Require(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, string consequence)
    {
        var found = Find(tensors);
        if (found.Count > 0)
        {
            var (name, count) = found[0];
            string more = found.Count switch
            {
                1 => "",
                2 => " (and 1 more tensor has some)",
                _ => string.Create(CultureInfo.InvariantCulture, $" (and {found.Count - 1} more tensors have some)"),
            };
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{path}: tensor '{name}' has {count:N0} non-finite values (NaN/Inf){more}; {consequence}"));
        }
    }

    /// <summary><see cref="Require"/> over a checkpoint's model and optimizer tensors, named as in the file.</summary>
    public static void RequireCheckpoint(string path, CheckpointData checkpoint) =>
        Require(
            path,
            checkpoint.Model.Select(kv => KeyValuePair.Create("model." + kv.Key, kv.Value))
                .Concat(checkpoint.Optimizer.Select(kv => KeyValuePair.Create("optimizer." + kv.Key, kv.Value))),
            "training cannot resume from it");

    private static long Count<T>(T[] values)
        where T : System.Numerics.IFloatingPointIeee754<T>
    {
        if (TensorPrimitives.IsFiniteAll<T>(values))
        {
            return 0;
        }

        long count = 0;
        foreach (T v in values)
        {
            count += T.IsFinite(v) ? 0 : 1;
        }

        return count;
    }
}
