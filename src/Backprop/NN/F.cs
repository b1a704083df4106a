namespace Backprop.NN;

/// <summary>
/// Stateless versions of the layers and losses (<c>torch.nn.functional</c>), thin wrappers over the
/// <see cref="Tensor"/> ops with PyTorch's names, argument order and defaults.
/// </summary>
public static partial class F
{
    /// <summary>
    /// Affine map y = x·Wᵀ + b over the last dimension (<c>F.linear(input, weight, bias)</c>), with
    /// <paramref name="weight"/> of shape (out, in) and <paramref name="bias"/> of shape (out).
    /// dL/dx = dL/dy·W, dL/dW = (dL/dy)ᵀ·x, dL/db = Σ over rows of dL/dy.
    /// </summary>
    /// <param name="input">(…, in_features): any leading dims, the last one the features.</param>
    /// <param name="weight">W, (out_features, in_features).</param>
    /// <param name="bias">b, (out_features), or null for none.</param>
    /// <returns>A new tensor of the input's shape with the last dim replaced by out, in the input's dtype.</returns>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null) => Tensor.Linear(input, weight, bias);

    /// <summary>Rectified linear unit y = max(0, x) (<c>F.relu</c>); dy/dx = 1 for x &gt; 0, else 0.</summary>
    /// <param name="input">The tensor, any shape.</param>
    /// <returns>A new tensor of the input's shape and dtype.</returns>
    public static Tensor Relu(Tensor input) => input.Relu();

    /// <summary>y = x for x &gt; 0, else slope·x (<c>F.leaky_relu(input, negative_slope=0.01)</c>); dy/dx = 1 or slope.</summary>
    /// <param name="input">The tensor, any shape.</param>
    /// <param name="negativeSlope">The slope for x &lt; 0 (PyTorch's <c>negative_slope</c>, default 0.01).</param>
    /// <returns>A new tensor of the input's shape and dtype.</returns>
    public static Tensor LeakyRelu(Tensor input, double negativeSlope = 0.01) => input.LeakyRelu(negativeSlope);

    /// <summary>Logistic σ(x) = 1 / (1 + e^(−x)) (<c>F.sigmoid</c>); dσ/dx = σ(1 − σ) ≤ 0.25.</summary>
    /// <param name="input">The tensor, any shape.</param>
    /// <returns>A new tensor of the input's shape and dtype, with values in [0, 1].</returns>
    public static Tensor Sigmoid(Tensor input) => input.Sigmoid();

    /// <summary>Hyperbolic tangent (<c>F.tanh</c>); d tanh/dx = 1 − tanh².</summary>
    /// <param name="input">The tensor, any shape.</param>
    /// <returns>A new tensor of the input's shape and dtype, with values in (−1, 1).</returns>
    public static Tensor Tanh(Tensor input) => input.Tanh();

    /// <summary>Exact GELU x·Φ(x) (<c>F.gelu</c>, approximate='none'); d/dx = Φ(x) + x·φ(x).</summary>
    /// <param name="input">The tensor, any shape.</param>
    /// <returns>A new tensor of the input's shape and dtype.</returns>
    public static Tensor Gelu(Tensor input) => input.Gelu();

    /// <summary>Softmax along <paramref name="dim"/>, yᵢ = e^xᵢ / Σⱼ e^xⱼ (<c>F.softmax(input, dim)</c>).</summary>
    /// <param name="input">The tensor, any shape.</param>
    /// <param name="dim">The dim the probabilities sum to 1 along (negative counts from the end).</param>
    /// <returns>A new tensor of the input's shape and dtype whose slices along <paramref name="dim"/> are positive and sum to 1.</returns>
    public static Tensor Softmax(Tensor input, int dim) => input.Softmax(dim);

    /// <summary>Log-softmax along <paramref name="dim"/>, yᵢ = xᵢ − log Σⱼ e^xⱼ, via log-sum-exp (<c>F.log_softmax(input, dim)</c>).</summary>
    /// <param name="input">The tensor, any shape.</param>
    /// <param name="dim">The dim normalized along (negative counts from the end).</param>
    /// <returns>A new tensor of the input's shape and dtype whose slices along <paramref name="dim"/> are log-probabilities.</returns>
    public static Tensor LogSoftmax(Tensor input, int dim) => input.LogSoftmax(dim);

    /// <summary>
    /// Inverted dropout (<c>F.dropout(input, p=0.5, training=True)</c>): in training, y = x·m with
    /// mᵢ = 1/(1 − p) with probability 1 − p and 0 otherwise, so E[y] = x and dL/dx = dL/dy·m;
    /// the identity when not <paramref name="training"/> or when p = 0. Draws from
    /// <paramref name="generator"/> (or <see cref="Generator.Default"/>).
    /// </summary>
    /// <param name="input">The tensor, any shape.</param>
    /// <param name="p">The probability of zeroing each element, in [0, 1]; survivors are scaled by 1/(1 − p).</param>
    /// <param name="training">Whether dropout applies (default true); false returns the input unchanged.</param>
    /// <param name="generator">The random source of the mask, or null for <see cref="Generator.Default"/>.</param>
    /// <returns>A new tensor of the input's shape and dtype; <paramref name="input"/> itself when not training or p = 0.</returns>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true, Generator? generator = null) =>
        Tensor.Dropout(input, p, training, generator);

    /// <summary>
    /// Batch normalization over dim 1 (<c>F.batch_norm(input, running_mean, running_var, weight=None,
    /// bias=None, training=False, momentum=0.1, eps=1e-05)</c>): y = (x − μ)/√(σ² + eps)·w + b per channel,
    /// batch statistics in training (updating the running ones in place), running statistics otherwise.
    /// </summary>
    /// <param name="input">(N, C, …): C features or channels.</param>
    /// <param name="runningMean">The running mean per channel, (C), updated in place when training; null when none is kept.</param>
    /// <param name="runningVar">The running (unbiased) variance per channel, (C), updated in place when training; null when none is kept.</param>
    /// <param name="weight">The scale γ per channel, (C), or null for 1.</param>
    /// <param name="bias">The shift β per channel, (C), or null for 0.</param>
    /// <param name="training">Whether the batch's own statistics are used (and the running ones updated) rather than the running ones (default false).</param>
    /// <param name="momentum">The weight of this batch in the running statistics (default 0.1).</param>
    /// <param name="eps">Added to the variance before its square root, for stability (default 1e-5).</param>
    /// <returns>A new tensor of the input's shape and dtype.</returns>
    public static Tensor BatchNorm(
        Tensor input,
        Tensor? runningMean,
        Tensor? runningVar,
        Tensor? weight = null,
        Tensor? bias = null,
        bool training = false,
        double momentum = 0.1,
        double eps = 1e-5) =>
        Tensor.BatchNorm(input, runningMean, runningVar, weight, bias, training, momentum, eps);

    /// <summary>
    /// Layer normalization over the trailing <paramref name="normalizedShape"/> (<c>F.layer_norm(input,
    /// normalized_shape, weight=None, bias=None, eps=1e-05)</c>): y = (x − μ)/√(σ² + eps)·w + b per row.
    /// </summary>
    /// <param name="input">(…, normalized_shape): the trailing dims are normalized together.</param>
    /// <param name="normalizedShape">The sizes of the trailing dims normalized over.</param>
    /// <param name="weight">The scale γ, of shape <paramref name="normalizedShape"/>, or null for 1.</param>
    /// <param name="bias">The shift β, of shape <paramref name="normalizedShape"/>, or null for 0.</param>
    /// <param name="eps">Added to the variance before its square root, for stability (default 1e-5).</param>
    /// <returns>A new tensor of the input's shape and dtype.</returns>
    public static Tensor LayerNorm(Tensor input, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
        Tensor.LayerNorm(input, normalizedShape, weight, bias, eps);

    /// <summary>
    /// Row lookup y[…, :] = weight[input[…], :] for int64 indices (<c>F.embedding(input, weight, padding_idx=None)</c>);
    /// the gradient is a scatter-add into the rows, none into the padding row.
    /// </summary>
    /// <param name="input">Int64 indices of any shape, each in [0, num_embeddings).</param>
    /// <param name="weight">The table, (num_embeddings, embedding_dim).</param>
    /// <param name="paddingIdx">An index whose row gets no gradient, or null for none (negative counts from the end).</param>
    /// <returns>A new tensor of shape input.shape + (embedding_dim) and the weight's dtype.</returns>
    public static Tensor Embedding(Tensor input, Tensor weight, int? paddingIdx = null) => Tensor.Embedding(input, weight, paddingIdx);

    /// <summary>Merges dims <paramref name="startDim"/>..<paramref name="endDim"/> into one (<c>torch.flatten(input, start_dim=0, end_dim=-1)</c>).</summary>
    /// <param name="input">The tensor.</param>
    /// <param name="startDim">The first dim merged (PyTorch's <c>start_dim</c>, default 0; negative counts from the end).</param>
    /// <param name="endDim">The last dim merged, inclusive (PyTorch's <c>end_dim</c>, default -1, the last).</param>
    /// <returns>A new tensor over the input's storage with those dims merged.</returns>
    public static Tensor Flatten(Tensor input, int startDim = 0, int endDim = -1) => input.Flatten(startDim, endDim);

    /// <summary>Mean squared error, lᵢ = (xᵢ − tᵢ)² (<c>F.mse_loss(input, target, reduction='mean')</c>).</summary>
    /// <param name="input">The prediction, any shape.</param>
    /// <param name="target">The values it should have been, the same shape.</param>
    /// <param name="reduction">How the per-element losses become the result (default their mean).</param>
    /// <returns>The loss in the input's dtype: a rank-0 tensor for mean or sum, the per-element losses of the input's shape for none.</returns>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        Tensor.MseLoss(input, target, reduction);

    /// <summary>Binary cross-entropy on probabilities, lᵢ = −(tᵢ log pᵢ + (1 − tᵢ) log(1 − pᵢ)) (<c>F.binary_cross_entropy</c>).</summary>
    /// <param name="input">Probabilities in [0, 1], any shape.</param>
    /// <param name="target">The targets in [0, 1], the same shape.</param>
    /// <param name="reduction">How the per-element losses become the result (default their mean).</param>
    /// <returns>The loss in the input's dtype: a rank-0 tensor for mean or sum, the per-element losses of the input's shape for none.</returns>
    public static Tensor BinaryCrossEntropy(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        Tensor.BinaryCrossEntropy(input, target, reduction);

    /// <summary>
    /// Binary cross-entropy on logits, BCE(σ(x), t) computed stably; dlᵢ/dxᵢ = σ(xᵢ) − tᵢ without weights
    /// (<c>F.binary_cross_entropy_with_logits(input, target, weight=None, reduction='mean', pos_weight=None)</c>):
    /// lᵢ = wᵢ·[−pᵢ·tᵢ·log σ(xᵢ) − (1 − tᵢ)·log(1 − σ(xᵢ))].
    /// </summary>
    /// <param name="input">The logits x.</param>
    /// <param name="target">The targets t in [0, 1], of the input's shape.</param>
    /// <param name="reduction">Mean (default), sum or none.</param>
    /// <param name="weight">A rescaling weight w per element, broadcasting to the input's shape; null for 1.</param>
    /// <param name="posWeight">The weight p of positive examples (one per class on the last dim, typically); null for 1.</param>
    /// <returns>The loss in the input's dtype: a rank-0 tensor for mean or sum, the per-element losses of the input's shape for none.</returns>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, Tensor? weight = null, Tensor? posWeight = null) =>
        Tensor.BinaryCrossEntropyWithLogits(input, target, reduction, weight, posWeight);

    /// <summary>
    /// Softmax cross-entropy on logits, lₙ = −log softmax(xₙ)[yₙ] with int64 class labels (or class
    /// probabilities); dl/dx = softmax(x) − onehot(y) (<c>F.cross_entropy(input, target, weight=None,
    /// ignore_index=-100, reduction='mean', label_smoothing=0.0)</c>). With class weights w and smoothing ε:
    /// lₙ = (1 − ε)·w[yₙ]·(−log pₙ[yₙ]) + (ε/C)·Σ_c w_c·(−log pₙc), ignored samples 0, the mean over Σ w[yₙ].
    /// </summary>
    /// <param name="input">The logits, classes on dim 1 (dim 0 for a 1-D input).</param>
    /// <param name="target">int64 class indices, or float class probabilities of the input's shape.</param>
    /// <param name="reduction">Mean (default), sum or none.</param>
    /// <param name="weight">A weight per class, 1-D of size C; null for 1.</param>
    /// <param name="ignoreIndex">A class index whose samples are skipped (default −100).</param>
    /// <param name="labelSmoothing">ε in [0, 1], mixing the target with the uniform distribution.</param>
    /// <returns>The loss in the input's dtype: a rank-0 tensor for mean or sum, the per-sample losses of shape [N] (or [N, d₁, …]; rank 0 for a 1-D input) for none.</returns>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, Tensor? weight = null, long ignoreIndex = -100, double labelSmoothing = 0) =>
        Tensor.CrossEntropy(input, target, reduction, weight, ignoreIndex, labelSmoothing);

    /// <summary>
    /// Negative log-likelihood on log-probabilities, lₙ = −w[yₙ]·xₙ[yₙ], ignored samples 0, the mean over Σ w[yₙ]
    /// (<c>F.nll_loss(input, target, weight=None, ignore_index=-100, reduction='mean')</c>).
    /// </summary>
    /// <param name="input">Log-probabilities, classes on dim 1 (dim 0 for a 1-D input).</param>
    /// <param name="target">int64 class indices.</param>
    /// <param name="reduction">Mean (default), sum or none.</param>
    /// <param name="weight">A weight per class, 1-D of size C; null for 1.</param>
    /// <param name="ignoreIndex">A class index whose samples are skipped (default −100).</param>
    /// <returns>The loss in the input's dtype: a rank-0 tensor for mean or sum, the per-sample losses of the target's shape for none.</returns>
    public static Tensor NllLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, Tensor? weight = null, long ignoreIndex = -100) =>
        Tensor.NllLoss(input, target, reduction, weight, ignoreIndex);

    /// <summary>Mean absolute error, lᵢ = |xᵢ − tᵢ| (<c>F.l1_loss(input, target, reduction='mean')</c>); dlᵢ/dxᵢ = sign(xᵢ − tᵢ).</summary>
    /// <param name="input">The prediction x.</param>
    /// <param name="target">The target t, of the input's shape.</param>
    /// <param name="reduction">Mean (default), sum or none.</param>
    /// <returns>The loss in the input's dtype: a rank-0 tensor for mean or sum, the per-element losses of the input's shape for none.</returns>
    public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
        Tensor.L1Loss(input, target, reduction);

    /// <summary>
    /// Smooth L1 loss (<c>F.smooth_l1_loss(input, target, reduction='mean', beta=1.0)</c>): 0.5·d²/β where |d| &lt; β,
    /// else |d| − 0.5·β, with d = x − t; the L1 loss for β = 0.
    /// </summary>
    /// <param name="input">The prediction x.</param>
    /// <param name="target">The target t, of the input's shape.</param>
    /// <param name="reduction">Mean (default), sum or none.</param>
    /// <param name="beta">β ≥ 0, where the loss turns from quadratic to linear.</param>
    /// <returns>The loss in the input's dtype: a rank-0 tensor for mean or sum, the per-element losses of the input's shape for none.</returns>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double beta = 1.0) =>
        Tensor.SmoothL1Loss(input, target, reduction, beta);

    /// <summary>
    /// Huber loss (<c>F.huber_loss(input, target, reduction='mean', delta=1.0)</c>): 0.5·d² where |d| &lt; δ, else
    /// δ·(|d| − 0.5·δ), with d = x − t; dl/dx = clamp(d, −δ, δ).
    /// </summary>
    /// <param name="input">The prediction x.</param>
    /// <param name="target">The target t, of the input's shape.</param>
    /// <param name="reduction">Mean (default), sum or none.</param>
    /// <param name="delta">δ &gt; 0, where the loss turns from quadratic to linear.</param>
    /// <returns>The loss in the input's dtype: a rank-0 tensor for mean or sum, the per-element losses of the input's shape for none.</returns>
    public static Tensor HuberLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double delta = 1.0) =>
        Tensor.HuberLoss(input, target, reduction, delta);

    /// <summary>
    /// Kullback-Leibler divergence (<c>F.kl_div(input, target, reduction='mean', log_target=False)</c>) with the input
    /// as log-probabilities: lᵢ = tᵢ·(log tᵢ − xᵢ), or e^tᵢ·(tᵢ − xᵢ) with log targets.
    /// <see cref="Reduction.BatchMean"/> gives the divergence per sample.
    /// </summary>
    /// <param name="input">Log-probabilities x.</param>
    /// <param name="target">Probabilities t (log-probabilities with <paramref name="logTarget"/>), of the input's shape.</param>
    /// <param name="reduction">Mean (default, PyTorch's), batchmean, sum or none.</param>
    /// <param name="logTarget">Whether the target is given as log-probabilities.</param>
    /// <returns>The loss in the input's dtype: a rank-0 tensor for mean, sum or batch mean, the per-element losses of the input's shape for none.</returns>
    public static Tensor KlDiv(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, bool logTarget = false) =>
        Tensor.KlDiv(input, target, reduction, logTarget);

    /// <summary>
    /// One-hot encoding (<c>F.one_hot(tensor, num_classes=-1)</c>): int64 labels of shape S become a
    /// tensor of shape S×C with a 1 at each label; C = max label + 1 when <paramref name="numClasses"/> is −1.
    /// The result is int64 as in PyTorch unless <paramref name="dtype"/> asks for float. Not differentiable.
    /// </summary>
    /// <param name="labels">Int64 class indices of any shape S, each in [0, C).</param>
    /// <param name="numClasses">C, the number of classes, or -1 (default) for the largest label + 1.</param>
    /// <param name="dtype">The result's element type (default <see cref="DType.Int64"/>).</param>
    /// <returns>A new tensor of shape S×C and <paramref name="dtype"/> (int64 by default), 1 at each label and 0 elsewhere.</returns>
    public static Tensor OneHot(Tensor labels, int numClasses = -1, DType dtype = DType.Int64)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.DType != DType.Int64)
        {
            throw new ArgumentException($"one_hot: labels must be int64, got {labels.DType.Name()}");
        }

        var values = labels.I64;
        if (numClasses == -1)
        {
            numClasses = values.Length == 0 ? 0 : (int)Math.Min(values.Max() + 1, int.MaxValue);
        }

        if (numClasses < 0 && numClasses != -1)
        {
            throw new ArgumentException($"one_hot: numClasses must be positive or -1, got {numClasses}");
        }

        var result = Tensor.Zeros([.. labels._shape, numClasses], dtype);
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] < 0 || values[i] >= numClasses)
            {
                throw new ArgumentException($"one_hot: label {values[i]} at index {i} is outside [0, {numClasses})");
            }

            result.SetDouble((i * numClasses) + (int)values[i], 1);
        }

        return result;
    }

    internal static void ValidateDropoutProbability(double p)
    {
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, $"dropout probability has to be between 0 and 1, but got {p}");
        }
    }
}
