using System.Globalization;

namespace Backprop.NN;

/// <summary>
/// What <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/> share (PyTorch's <c>_BatchNorm</c>):
/// y = (x − μ)/√(σ² + eps)·weight + bias per channel (dim 1), with the batch's statistics in training
/// and the running ones in evaluation. State-dict keys as PyTorch: <c>weight</c>, <c>bias</c> (when
/// affine), <c>running_mean</c>, <c>running_var</c>, <c>num_batches_tracked</c> (when tracking running
/// statistics). Each training forward adds 1 to num_batches_tracked and updates
/// running = (1 − momentum)·running + momentum·batch statistic (unbiased variance for running_var);
/// with momentum null the factor is 1/num_batches_tracked, a cumulative average.
/// </summary>
public abstract class BatchNormBase : Module
{
    private protected BatchNormBase(int numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats, DType dtype)
    {
        if (numFeatures < 1)
        {
            throw new ArgumentException($"{GetType().Name}: num_features must be positive, got {numFeatures}");
        }

        if (!dtype.IsFloatingPoint())
        {
            throw new ArgumentException($"{GetType().Name}: dtype must be float32 or float64, got {dtype.Name()}");
        }

        if (!(eps >= 0) || momentum is < 0 or > 1 || momentum is double.NaN)
        {
            throw new ArgumentException($"{GetType().Name}: eps must be non-negative and momentum in [0, 1], got eps={eps}, momentum={momentum}");
        }

        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        Affine = affine;
        TrackRunningStats = trackRunningStats;
        if (affine)
        {
            Weight = Tensor.Ones([numFeatures], dtype, requiresGrad: true);
            Bias = Tensor.Zeros([numFeatures], dtype, requiresGrad: true);
        }

        if (trackRunningStats)
        {
            RunningMean = Tensor.Zeros([numFeatures], dtype);
            RunningVar = Tensor.Ones([numFeatures], dtype);
            NumBatchesTracked = Tensor.Zeros([], DType.Int64);
        }
    }

    /// <summary>The scale γ, ones at first; null when not affine (<c>bn.weight</c>).</summary>
    public Tensor? Weight { get; set; }

    /// <summary>The shift β, zeros at first; null when not affine (<c>bn.bias</c>).</summary>
    public Tensor? Bias { get; set; }

    /// <summary>The running mean of each channel, zeros at first (<c>bn.running_mean</c>).</summary>
    [Buffer]
    public Tensor? RunningMean { get; set; }

    /// <summary>The running unbiased variance of each channel, ones at first (<c>bn.running_var</c>).</summary>
    [Buffer]
    public Tensor? RunningVar { get; set; }

    /// <summary>How many training batches have updated the running statistics, an int64 scalar (<c>bn.num_batches_tracked</c>).</summary>
    [Buffer]
    public Tensor? NumBatchesTracked { get; set; }

    /// <summary>Number of channels C (<c>num_features</c>).</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the variance for stability (<c>eps</c>, default 1e-5).</summary>
    public double Eps { get; }

    /// <summary>Weight of the new statistic in the running average; null for a cumulative average (<c>momentum</c>, default 0.1).</summary>
    public double? Momentum { get; }

    /// <summary>Whether the layer has a learnable weight and bias (<c>affine</c>).</summary>
    public bool Affine { get; }

    /// <summary>Whether running statistics are kept (<c>track_running_stats</c>); without them evaluation also uses batch statistics.</summary>
    public bool TrackRunningStats { get; }

    /// <summary>Resets the running statistics to mean 0, variance 1, 0 batches (<c>bn.reset_running_stats()</c>).</summary>
    public void ResetRunningStats()
    {
        if (RunningMean is not null)
        {
            Init.Zeros(RunningMean);
            Init.Ones(RunningVar!);
            Init.Zeros(NumBatchesTracked!);
        }
    }

    /// <summary>Normalizes <paramref name="input"/> of shape (N, C, …); see <see cref="NormalizationOps.BatchNorm"/>.</summary>
    /// <param name="input">(N, C, …) with C the layer's features.</param>
    /// <returns>A new tensor of the input's shape and dtype.</returns>
    public override Tensor Forward(Tensor input) => Normalize(input, IsTraining, RunningMean, RunningVar, Weight, Bias);

    /// <summary>
    /// The forward with the given mode and tensors (this module's own in <see cref="Forward"/>; a frozen
    /// copy's, with <paramref name="training"/> false, in <see cref="Module.Freeze"/>): the checks, the
    /// running-statistics update in training, and batch normalization.
    /// </summary>
    internal Tensor Normalize(Tensor input, bool training, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckInputDim(input);
        if (input.Size(1) != NumFeatures)
        {
            throw new ArgumentException($"{GetType().Name}: expected {NumFeatures} channels in dim 1, got input of shape {Shapes.Format(input._shape)}");
        }

        double factor = Momentum ?? 0;
        if (training && TrackRunningStats && NumBatchesTracked is not null)
        {
            long tracked = ++NumBatchesTracked.I64[0];
            factor = Momentum ?? (1.0 / tracked);
        }

        // Batch statistics in training, and in evaluation too when no running statistics are kept.
        bool useBatchStatistics = training || (runningMean is null && runningVar is null);
        bool passRunning = !training || TrackRunningStats;
        return Tensor.BatchNorm(input, passRunning ? runningMean : null, passRunning ? runningVar : null, weight, bias, useBatchStatistics, factor, Eps);
    }

    /// <summary>Throws unless <paramref name="input"/> has a rank this layer accepts.</summary>
    private protected abstract void CheckInputDim(Tensor input);

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(
        CultureInfo.InvariantCulture,
        $"{NumFeatures}, eps={PythonFloat(Eps)}, momentum={(Momentum is double m ? PythonFloat(m) : "None")}, affine={(Affine ? "True" : "False")}, track_running_stats={(TrackRunningStats ? "True" : "False")}");

    /// <summary>A float as Python's repr writes it (1e-05, 0.1).</summary>
    internal static string PythonFloat(double value)
    {
        string s = value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
        return s.Contains('.') || s.Contains('e') ? s : s + ".0";
    }
}
