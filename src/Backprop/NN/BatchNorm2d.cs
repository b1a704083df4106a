namespace Backprop.NN;

/// <summary>
/// Batch normalization over a 4-D (N, C, H, W) input, one mean and variance per channel over N·H·W values
/// (<c>torch.nn.BatchNorm2d(num_features, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)</c>);
/// see <see cref="BatchNormBase"/> for the formulas and the running statistics.
/// </summary>
public sealed class BatchNorm2d : BatchNormBase
{
    /// <summary>Creates the layer for <paramref name="numFeatures"/> channels.</summary>
    /// <param name="numFeatures">C, the channels of the input (N, C, H, W).</param>
    /// <param name="eps">Added to the variance before its square root, for stability (default 1e-5).</param>
    /// <param name="momentum">The weight of each batch in the running statistics (default 0.1); null for the cumulative average.</param>
    /// <param name="affine">Whether the layer learns a scale γ and shift β per channel (default true).</param>
    /// <param name="trackRunningStats">Whether running mean and variance are kept and used in eval mode (default true).</param>
    /// <param name="dtype">The parameters' element type (default <see cref="DType.Float32"/>).</param>
    public BatchNorm2d(int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true, DType dtype = DType.Float32)
        : base(numFeatures, eps, momentum, affine, trackRunningStats, dtype)
    {
    }

    private protected override void CheckInputDim(Tensor input)
    {
        if (input.Rank != 4)
        {
            throw new ArgumentException($"BatchNorm2d: expected 4D (N, C, H, W) input, got shape {Shapes.Format(input._shape)}");
        }
    }
}
