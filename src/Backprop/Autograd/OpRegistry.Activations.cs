namespace Backprop;

public static partial class OpRegistry
{
    /// <summary>Activations (Ops/Activations.cs) and losses (Ops/Losses.cs).</summary>
    private static IEnumerable<OpInfo> ActivationAndLossOps()
    {
        yield return new("tanh", x => x[0].Tanh(), In([3, 4]));
        yield return new("sigmoid", x => x[0].Sigmoid(), In([3, 4], -6, 6));
        yield return new("relu", x => x[0].Relu(), In([3, 4]));
        yield return new("leaky_relu", x => x[0].LeakyRelu(0.2), In([3, 4]));
        yield return new("gelu", x => x[0].Gelu(), In([3, 4], -4, 4));
        yield return new("softmax", x => x[0].Softmax(-1), In([3, 5]));
        yield return new("softmax_middle_dim", x => x[0].Softmax(1), In([2, 3, 4]));
        yield return new("log_softmax", x => x[0].LogSoftmax(-1), In([3, 5]));
        yield return new("log_softmax_middle_dim", x => x[0].LogSoftmax(1), In([2, 3, 4]));

        yield return new("mse_loss", x => Tensor.MseLoss(x[0], x[1]), In([3, 4]), In([3, 4]));
        yield return new("mse_loss_none", x => Tensor.MseLoss(x[0], x[1], Reduction.None), In([3, 4]), In([3, 4]));
        yield return new("binary_cross_entropy", x => Tensor.BinaryCrossEntropy(x[0], x[1]), In([3, 4], 0.05, 0.95), In([3, 4], 0, 1));
        yield return new("binary_cross_entropy_sum", x => Tensor.BinaryCrossEntropy(x[0], x[1], Reduction.Sum), In([3, 4], 0.05, 0.95), In([3, 4], 0, 1));
        yield return new("binary_cross_entropy_with_logits", x => Tensor.BinaryCrossEntropyWithLogits(x[0], x[1]), In([3, 4], -4, 4), In([3, 4], 0, 1));
        yield return new("binary_cross_entropy_with_logits_none", x => Tensor.BinaryCrossEntropyWithLogits(x[0], x[1], Reduction.None), In([3, 4], -4, 4), In([3, 4], 0, 1));
        yield return new("cross_entropy", x => Tensor.CrossEntropy(x[0], x[1]), In([4, 5]), InputSpec.Index([4], 5));
        yield return new("cross_entropy_none", x => Tensor.CrossEntropy(x[0], x[1], Reduction.None), In([4, 5]), InputSpec.Index([4], 5));
        yield return new("cross_entropy_sum_1d", x => Tensor.CrossEntropy(x[0], x[1], Reduction.Sum), In([5]), InputSpec.Index([], 5));
        yield return new("cross_entropy_spatial", x => Tensor.CrossEntropy(x[0], x[1]), In([2, 3, 4]), InputSpec.Index([2, 4], 3));
        yield return new("cross_entropy_probabilities", x => Tensor.CrossEntropy(x[0], x[1]), In([4, 5]), In([4, 5], 0, 1));
        yield return new("nll_loss", x => Tensor.NllLoss(x[0], x[1]), In([4, 5]), InputSpec.Index([4], 5));
        yield return new("nll_loss_none", x => Tensor.NllLoss(x[0], x[1], Reduction.None), In([4, 5]), InputSpec.Index([4], 5));
    }
}
