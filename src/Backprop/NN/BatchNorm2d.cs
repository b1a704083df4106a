namespace Backprop.NN;

/// <summary>
/// Batch normalization over a 4-D (N, C, H, W) input, one mean and variance per channel over N·H·W values
/// (<c>torch.nn.BatchNorm2d(num_features, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)</c>);
/// see <see cref="BatchNormBase"/> for the formulas and the running statistics.
/// </summary>
public sealed class BatchNorm2d : BatchNormBase
{
    /// <summary>Creates the layer for <paramref name="numFeatures"/> channels.</summary>
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
