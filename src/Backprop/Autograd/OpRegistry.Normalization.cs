namespace Backprop;

public static partial class OpRegistry
{
    /// <summary>Normalization, dropout and embedding (Ops/Normalization.cs, Ops/Dropout.cs, Ops/Embedding.cs).</summary>
    private static IEnumerable<OpInfo> NormalizationOps()
    {
        // Training mode: batch statistics, so every output depends on every input of its channel.
        yield return new("batch_norm", x => Tensor.BatchNorm(x[0], null, null, x[1], x[2], training: true), In([4, 3]), In([3]), In([3]));
        yield return new("batch_norm_spatial", x => Tensor.BatchNorm(x[0], null, null, x[1], x[2], training: true), In([2, 3, 2, 2]), In([3]), In([3]));
        yield return new("batch_norm_no_affine", x => Tensor.BatchNorm(x[0], null, null, training: true, eps: 1e-3), In([3, 2, 4]));

        // Running statistics: updated in place during training (no effect on the output), read in evaluation.
        yield return new(
            "batch_norm_running_stats",
            x => Tensor.BatchNorm(x[0], x[3], x[4], x[1], x[2], training: true, momentum: 0.3),
            In([5, 2]),
            In([2]),
            In([2]),
            InputSpec.Constant([2]),
            InputSpec.Constant([2], 0.5, 2));
        yield return new(
            "batch_norm_eval",
            x => Tensor.BatchNorm(x[0], x[3], x[4], x[1], x[2], training: false),
            In([2, 3, 2]),
            In([3]),
            In([3]),
            InputSpec.Constant([3]),
            InputSpec.Constant([3], 0.5, 2));

        yield return new("layer_norm", x => Tensor.LayerNorm(x[0], [4], x[1], x[2]), In([3, 4]), In([4]), In([4]));
        yield return new("layer_norm_2d", x => Tensor.LayerNorm(x[0], [2, 3], x[1], x[2]), In([2, 2, 3]), In([2, 3]), In([2, 3]));
        yield return new("layer_norm_no_affine", x => Tensor.LayerNorm(x[0], [5], eps: 1e-3), In([2, 5]));

        // A fresh generator per call, so every evaluation of the function draws the same mask.
        yield return new("dropout", x => Tensor.Dropout(x[0], 0.4, train: true, new Generator(5)), In([4, 5]));

        yield return new("embedding", x => Tensor.Embedding(x[0], x[1]), InputSpec.Index([2, 3], 5), In([5, 4]));
    }
}
