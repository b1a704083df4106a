namespace Backprop.NN;

/// <summary>
/// Softmax cross-entropy on logits lₙ = −log softmax(xₙ)[yₙ], with int64 class labels or class probabilities as
/// target; dl/dx = softmax(x) − onehot(y) (<c>torch.nn.CrossEntropyLoss(weight=None, ignore_index=-100,
/// reduction='mean', label_smoothing=0.0)</c>). The options are <see cref="LossOps.CrossEntropy"/>'s.
/// </summary>
/// <param name="reduction">How the per-sample losses are combined: mean (default), sum or none.</param>
/// <param name="weight">A weight per class, 1-D of size C (PyTorch's <c>weight</c>); null for 1.</param>
/// <param name="ignoreIndex">A class index whose samples are skipped (PyTorch's <c>ignore_index</c>, default −100).</param>
/// <param name="labelSmoothing">ε in [0, 1], mixing the target with the uniform distribution (PyTorch's <c>label_smoothing</c>).</param>
public sealed class CrossEntropyLoss(Reduction reduction = Reduction.Mean, Tensor? weight = null, long ignoreIndex = -100, double labelSmoothing = 0) : Loss(reduction)
{
    /// <summary>The class weights, or null (PyTorch's <c>weight</c>).</summary>
    public Tensor? Weight { get; } = weight;

    /// <summary>The class index whose samples are skipped (PyTorch's <c>ignore_index</c>).</summary>
    public long IgnoreIndex { get; } = ignoreIndex;

    /// <summary>ε, the label smoothing (PyTorch's <c>label_smoothing</c>).</summary>
    public double LabelSmoothing { get; } = labelSmoothing;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => F.CrossEntropy(input, target, Reduction, Weight, IgnoreIndex, LabelSmoothing);
}
