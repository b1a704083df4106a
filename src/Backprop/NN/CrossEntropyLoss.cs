namespace Backprop.NN;

/// <summary>Softmax cross-entropy on logits lₙ = −log softmax(xₙ)[yₙ], with int64 class labels or class probabilities as target; dl/dx = softmax(x) − onehot(y) (<c>torch.nn.CrossEntropyLoss()</c>).</summary>
public sealed class CrossEntropyLoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.CrossEntropy(input, target, Reduction);
}
