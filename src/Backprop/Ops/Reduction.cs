namespace Backprop;

/// <summary>How a loss combines its per-element values (PyTorch's <c>reduction=</c> argument).</summary>
public enum Reduction
{
    /// <summary>No reduction: one loss per element (or per sample); <c>reduction='none'</c>.</summary>
    None,

    /// <summary>The mean over elements (or samples): L = (1/N) Σ lᵢ, dL/dlᵢ = 1/N; <c>reduction='mean'</c>.</summary>
    Mean,

    /// <summary>The sum over elements (or samples): L = Σ lᵢ, dL/dlᵢ = 1; <c>reduction='sum'</c>.</summary>
    Sum,

    /// <summary>
    /// The sum divided by the batch size (dim 0), for <see cref="LossOps.KlDiv"/> only, where it is the
    /// KL divergence per sample; <c>reduction='batchmean'</c>. Other losses refuse it.
    /// </summary>
    BatchMean,
}
