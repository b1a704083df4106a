using System.Numerics;
using System.Numerics.Tensors;

namespace Backprop;

// batch_norm, layer_norm: fused primitives with their backward written by hand, for speed (one
// pass per statistic instead of a dozen broadcast ops, each saving its intermediates) and for
// stability (two-pass variance; per-channel sums gathered in double).
/// <summary>
/// Normalizations of <see cref="Tensor"/>: <c>Tensor.BatchNorm</c> and <c>Tensor.LayerNorm</c> (<c>torch.nn.functional.batch_norm</c>, <c>layer_norm</c>).
/// Extension members in namespace <c>Backprop</c>, so they are called as members of <see cref="Tensor"/>.
/// </summary>
public static partial class NormalizationOps
{
    extension(Tensor)
    {
        /// <summary>
        /// Batch normalization over dim 1 of an (N, C, …) input (<c>torch.nn.functional.batch_norm(input,
        /// running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-05)</c>):
        /// y = (x − μ_c)/√(σ²_c + eps)·w_c + b_c, with μ_c and σ²_c taken over the m = N·(H·W·…) values of
        /// channel c. In training μ and the biased σ² are the batch's, and the running statistics (when
        /// given) are updated in place, outside the graph: running = (1 − momentum)·running + momentum·stat,
        /// with the unbiased variance σ²·m/(m − 1) for running_var. In evaluation the running statistics
        /// are used. Backward with x̂ = (x − μ)/√(σ² + eps) and s = 1/√(σ² + eps): training
        /// dL/dx = w·s·(g − mean_c(g) − x̂·mean_c(g·x̂)); evaluation dL/dx = w·s·g;
        /// dL/dw_c = Σ g·x̂, dL/db_c = Σ g. The running statistics get no gradient.
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
            double eps = 1e-5)
        {
            ArgumentNullException.ThrowIfNull(input);
            Tensor.RequireFloat("batch_norm", input);
            if (input.Rank < 2)
            {
                throw new ArgumentException($"batch_norm: expected an input of shape (N, C, ...) with at least 2 dimensions, got {Shapes.Format(input._shape)}");
            }

            int n = input._shape[0], channels = input._shape[1];
            int inner = Shapes.Numel(input._shape.AsSpan(2));
            foreach (var (name, t) in (ReadOnlySpan<(string, Tensor?)>)[("running_mean", runningMean), ("running_var", runningVar), ("weight", weight), ("bias", bias)])
            {
                if (t is null)
                {
                    continue;
                }

                Tensor.RequireSameDType("batch_norm", input, t);
                if (t.Rank != 1 || t._shape[0] != channels)
                {
                    throw new ArgumentException($"batch_norm: {name} must have shape ({channels}) for an input of shape {Shapes.Format(input._shape)} with {channels} channels, got {Shapes.Format(t._shape)}");
                }
            }

            if ((runningMean is null) != (runningVar is null))
            {
                throw new ArgumentException("batch_norm: running_mean and running_var must be given together");
            }

            if (!training && runningMean is null)
            {
                throw new ArgumentException("batch_norm: evaluation (training: false) needs running_mean and running_var");
            }

            int count = n * inner;
            if (training && count <= 1)
            {
                throw new ArgumentException($"batch_norm: expected more than 1 value per channel when training, got input of shape {Shapes.Format(input._shape)}");
            }

            if (!(eps >= 0))
            {
                throw new ArgumentOutOfRangeException(nameof(eps), eps, $"batch_norm: eps must be non-negative, got {eps}");
            }

            // mean and invStd are the statistics the output was normalized with, kept for backward.
            var mean = new double[channels];
            var invStd = new double[channels];
            if (training)
            {
                var variance = new double[channels];
                if (input.DType == DType.Float32)
                {
                    ChannelStatistics(input.F32, n, channels, inner, mean, variance);
                }
                else
                {
                    ChannelStatistics(input.F64, n, channels, inner, mean, variance);
                }

                for (int ch = 0; ch < channels; ch++)
                {
                    invStd[ch] = 1 / Math.Sqrt(variance[ch] + eps);
                }

                if (runningMean is not null)
                {
                    double unbias = (double)count / (count - 1);
                    for (int ch = 0; ch < channels; ch++)
                    {
                        runningMean.SetDouble(ch, ((1 - momentum) * runningMean.GetDouble(ch)) + (momentum * mean[ch]));
                        runningVar!.SetDouble(ch, ((1 - momentum) * runningVar.GetDouble(ch)) + (momentum * variance[ch] * unbias));
                    }
                }
            }
            else
            {
                for (int ch = 0; ch < channels; ch++)
                {
                    mean[ch] = runningMean!.GetDouble(ch);
                    invStd[ch] = 1 / Math.Sqrt(runningVar!.GetDouble(ch) + eps);
                }
            }

            var output = Tensor.Empty(input._shape, input.DType);
            if (input.DType == DType.Float32)
            {
                BatchNormForward(input.F32, output.F32, n, channels, inner, weight?.F32, bias?.F32, mean, invStd);
            }
            else
            {
                BatchNormForward(input.F64, output.F64, n, channels, inner, weight?.F64, bias?.F64, mean, invStd);
            }

            return Tensor.Record(new BatchNormDefinition(runningMean, runningVar, training, momentum, eps, weight is not null, bias is not null), output, AffineInputs(input, weight, bias), g =>
            {
                if (Autograd.IsGradEnabled)
                {
                    // The backward pass is recorded (createGraph): the same rule written with ops.
                    return BatchNormBackwardRecorded(g, input, weight, bias, training, eps, mean, invStd);
                }

                var gradInput = input.RequiresGrad ? Tensor.Empty(input._shape, input.DType) : null;
                var gradWeight = weight is { RequiresGrad: true } ? Tensor.Empty(weight._shape, weight.DType) : null;
                var gradBias = bias is { RequiresGrad: true } ? Tensor.Empty(bias._shape, bias.DType) : null;
                if (g.DType == DType.Float32)
                {
                    BatchNormBackward(g.F32, input.F32, weight?.F32, gradInput?.F32, gradWeight?.F32, gradBias?.F32, n, channels, inner, mean, invStd, training);
                }
                else
                {
                    BatchNormBackward(g.F64, input.F64, weight?.F64, gradInput?.F64, gradWeight?.F64, gradBias?.F64, n, channels, inner, mean, invStd, training);
                }

                return AffineGradients(weight, bias, gradInput, gradWeight, gradBias);
            });
        }

        /// <summary>
        /// Layer normalization over the last dims given by <paramref name="normalizedShape"/>
        /// (<c>torch.nn.functional.layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05)</c>):
        /// for each row r of D = Π normalizedShape values, y = (x − μ_r)/√(σ²_r + eps)·w + b with the biased
        /// variance. Backward with x̂ the normalized row, s = 1/√(σ²_r + eps) and ĝ = g·w:
        /// dL/dx = s·(ĝ − mean_r(ĝ) − x̂·mean_r(ĝ·x̂)), dL/dw = Σ_r g·x̂, dL/db = Σ_r g.
        /// </summary>
        /// <param name="input">(…, normalized_shape): the trailing dims are normalized together.</param>
        /// <param name="normalizedShape">The sizes of the trailing dims normalized over.</param>
        /// <param name="weight">The scale γ, of shape <paramref name="normalizedShape"/>, or null for 1.</param>
        /// <param name="bias">The shift β, of shape <paramref name="normalizedShape"/>, or null for 0.</param>
        /// <param name="eps">Added to the variance before its square root, for stability (default 1e-5).</param>
        /// <returns>A new tensor of the input's shape and dtype.</returns>
        public static Tensor LayerNorm(Tensor input, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
        {
            ArgumentNullException.ThrowIfNull(input);
            ArgumentNullException.ThrowIfNull(normalizedShape);
            Tensor.RequireFloat("layer_norm", input);
            int k = normalizedShape.Length;
            if (k == 0 || k > input.Rank || !input._shape.AsSpan(input.Rank - k).SequenceEqual(normalizedShape))
            {
                throw new ArgumentException($"layer_norm: given normalized_shape {Shapes.Format(normalizedShape)}, expected an input of shape (*, {string.Join(", ", normalizedShape)}), got {Shapes.Format(input._shape)}");
            }

            foreach (var (name, t) in (ReadOnlySpan<(string, Tensor?)>)[("weight", weight), ("bias", bias)])
            {
                if (t is not null)
                {
                    Tensor.RequireSameDType("layer_norm", input, t);
                    if (!t._shape.AsSpan().SequenceEqual(normalizedShape))
                    {
                        throw new ArgumentException($"layer_norm: {name} must have the normalized shape {Shapes.Format(normalizedShape)}, got {Shapes.Format(t._shape)}");
                    }
                }
            }

            if (!(eps >= 0))
            {
                throw new ArgumentOutOfRangeException(nameof(eps), eps, $"layer_norm: eps must be non-negative, got {eps}");
            }

            int d = Shapes.Numel(normalizedShape);
            int rows = d == 0 ? 0 : input.Numel / d;
            var output = Tensor.Empty(input._shape, input.DType);
            var normalized = Tensor.Empty(input._shape, input.DType);
            var invStd = new double[rows];
            if (input.DType == DType.Float32)
            {
                LayerNormForward(input.F32, normalized.F32, output.F32, weight?.F32, bias?.F32, rows, d, eps, invStd);
            }
            else
            {
                LayerNormForward(input.F64, normalized.F64, output.F64, weight?.F64, bias?.F64, rows, d, eps, invStd);
            }

            return Tensor.Record(new LayerNormDefinition(normalizedShape, eps, weight is not null, bias is not null), output, AffineInputs(input, weight, bias), g =>
            {
                if (Autograd.IsGradEnabled)
                {
                    // The backward pass is recorded (createGraph): the same rule written with ops.
                    return LayerNormBackwardRecorded(g, input, weight, bias, normalizedShape.Length, eps);
                }

                var gradInput = input.RequiresGrad ? Tensor.Empty(input._shape, input.DType) : null;
                var gradWeight = weight is { RequiresGrad: true } ? Tensor.Zeros(weight._shape, weight.DType) : null;
                var gradBias = bias is { RequiresGrad: true } ? Tensor.Zeros(bias._shape, bias.DType) : null;
                if (g.DType == DType.Float32)
                {
                    LayerNormBackward(g.F32, normalized.F32, weight?.F32, gradInput?.F32, gradWeight?.F32, gradBias?.F32, rows, d, invStd);
                }
                else
                {
                    LayerNormBackward(g.F64, normalized.F64, weight?.F64, gradInput?.F64, gradWeight?.F64, gradBias?.F64, rows, d, invStd);
                }

                return AffineGradients(weight, bias, gradInput, gradWeight, gradBias);
            });
        }
    }

    /// <summary>The graph inputs of a normalization: the input, then weight and bias when given.</summary>
    private static Tensor[] AffineInputs(Tensor input, Tensor? weight, Tensor? bias) =>
        (weight, bias) switch
        {
            (null, null) => [input],
            (null, not null) => [input, bias],
            (not null, null) => [input, weight],
            _ => [input, weight, bias],
        };

    /// <summary>One gradient per graph input of <see cref="AffineInputs"/>: the input's, then weight's and bias's when given.</summary>
    private static Tensor?[] AffineGradients(Tensor? weight, Tensor? bias, Tensor? gradInput, Tensor? gradWeight, Tensor? gradBias) =>
        (weight, bias) switch
        {
            (null, null) => [gradInput],
            (null, not null) => [gradInput, gradBias],
            (not null, null) => [gradInput, gradWeight],
            _ => [gradInput, gradWeight, gradBias],
        };

    /// <summary>Per channel of an (N, C, inner) array: the mean and the biased variance, in two passes.</summary>
    private static void ChannelStatistics<T>(T[] x, int n, int channels, int inner, double[] mean, double[] variance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double count = (double)n * inner;
        ForChannels(n, channels, inner, 3, (first, end) =>
        {
            var centered = new T[inner];
            for (int ch = first; ch < end; ch++)
            {
                double sum = 0;
                for (int i = 0; i < n; i++)
                {
                    sum += double.CreateTruncating(TensorPrimitives.Sum<T>(x.AsSpan(((i * channels) + ch) * inner, inner)));
                }

                mean[ch] = sum / count;
                var m = T.CreateTruncating(mean[ch]);
                double squares = 0;
                for (int i = 0; i < n; i++)
                {
                    TensorPrimitives.Subtract(x.AsSpan(((i * channels) + ch) * inner, inner), m, centered);
                    squares += double.CreateTruncating(TensorPrimitives.SumOfSquares<T>(centered));
                }

                variance[ch] = squares / count;
            }
        });
    }

    /// <summary>
    /// Runs body over ranges of channels on the threads; every channel is computed whole, in the same
    /// order, by one thread, so the results do not depend on the split. <paramref name="passes"/>: the
    /// body's passes over a channel's n·inner values (its work per channel for the hand-off threshold).
    /// </summary>
    private static void ForChannels(int n, int channels, int inner, int passes, Action<int, int> body) =>
        Threading.For(channels, (long)n * inner * passes, body);

    /// <summary>y = x·scale_c + shift_c with scale_c = w_c·invStd_c and shift_c = b_c − mean_c·scale_c.</summary>
    private static void BatchNormForward<T>(T[] x, T[] y, int n, int channels, int inner, T[]? w, T[]? b, double[] mean, double[] invStd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ForChannels(n, channels, inner, 2, (first, end) =>
        {
            for (int ch = first; ch < end; ch++)
            {
                double scale = invStd[ch] * (w is null ? 1 : double.CreateTruncating(w[ch]));
                double shift = (b is null ? 0 : double.CreateTruncating(b[ch])) - (mean[ch] * scale);
                for (int i = 0; i < n; i++)
                {
                    int at = ((i * channels) + ch) * inner;
                    var ys = y.AsSpan(at, inner);
                    TensorPrimitives.Multiply(x.AsSpan(at, inner), T.CreateTruncating(scale), ys);
                    TensorPrimitives.Add(ys, T.CreateTruncating(shift), ys);
                }
            }
        });
    }

    private static void BatchNormBackward<T>(
        T[] g, T[] x, T[]? w, T[]? gx, T[]? gw, T[]? gb, int n, int channels, int inner, double[] mean, double[] invStd, bool training)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double count = (double)n * inner;
        ForChannels(n, channels, inner, 4, (first, end) =>
        {
            var centered = new T[inner];
            for (int ch = first; ch < end; ch++)
            {
                var m = T.CreateTruncating(mean[ch]);
                double sumG = 0, sumGCentered = 0;
                for (int i = 0; i < n; i++)
                {
                    int at = ((i * channels) + ch) * inner;
                    var gs = g.AsSpan(at, inner);
                    TensorPrimitives.Subtract(x.AsSpan(at, inner), m, centered);
                    sumG += double.CreateTruncating(TensorPrimitives.Sum<T>(gs));
                    sumGCentered += double.CreateTruncating(TensorPrimitives.Dot<T>(gs, centered));
                }

                double s = invStd[ch];
                double sumGNormalized = sumGCentered * s;
                if (gw is not null)
                {
                    gw[ch] = T.CreateTruncating(sumGNormalized);
                }

                if (gb is not null)
                {
                    gb[ch] = T.CreateTruncating(sumG);
                }

                if (gx is null)
                {
                    continue;
                }

                // dx = k·g + a·(x − μ) + c with k = w·s; in training a = −k·s·Σ(g·x̂)/m and c = −k·Σg/m.
                double k = s * (w is null ? 1 : double.CreateTruncating(w[ch]));
                double a = training ? -k * s * sumGNormalized / count : 0;
                double c = training ? -k * sumG / count : 0;
                for (int i = 0; i < n; i++)
                {
                    int at = ((i * channels) + ch) * inner;
                    var dx = gx.AsSpan(at, inner);
                    TensorPrimitives.Subtract(x.AsSpan(at, inner), m, centered);
                    TensorPrimitives.Multiply(centered, T.CreateTruncating(a), dx);
                    TensorPrimitives.Add(dx, T.CreateTruncating(c), dx);
                    TensorPrimitives.MultiplyAdd(g.AsSpan(at, inner), T.CreateTruncating(k), dx, dx);
                }
            }
        });
    }

    /// <summary>Per row of d values: x̂ = (x − μ)·s with s = 1/√(σ² + eps) saved, then y = x̂·w + b.</summary>
    private static void LayerNormForward<T>(T[] x, T[] normalized, T[] y, T[]? w, T[]? b, int rows, int d, double eps, double[] invStd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            var xs = x.AsSpan(r * d, d);
            var xhat = normalized.AsSpan(r * d, d);
            var ys = y.AsSpan(r * d, d);
            var m = T.CreateTruncating(double.CreateTruncating(TensorPrimitives.Sum<T>(xs)) / d);
            TensorPrimitives.Subtract(xs, m, xhat);
            double variance = double.CreateTruncating(TensorPrimitives.SumOfSquares<T>(xhat)) / d;
            invStd[r] = 1 / Math.Sqrt(variance + eps);
            TensorPrimitives.Multiply(xhat, T.CreateTruncating(invStd[r]), xhat);
            if (w is not null)
            {
                TensorPrimitives.Multiply(xhat, w, ys);
            }
            else
            {
                xhat.CopyTo(ys);
            }

            if (b is not null)
            {
                TensorPrimitives.Add(ys, b, ys);
            }
        }
    }

    private static void LayerNormBackward<T>(T[] g, T[] normalized, T[]? w, T[]? gx, T[]? gw, T[]? gb, int rows, int d, double[] invStd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gHat = new T[d];
        for (int r = 0; r < rows; r++)
        {
            var gs = g.AsSpan(r * d, d);
            var xhat = normalized.AsSpan(r * d, d);
            if (gw is not null)
            {
                TensorPrimitives.FusedMultiplyAdd(gs, xhat, gw, gw);
            }

            if (gb is not null)
            {
                TensorPrimitives.Add(gb, gs, gb);
            }

            if (gx is null)
            {
                continue;
            }

            // dx = s·(ĝ − mean(ĝ)) − s·mean(ĝ·x̂)·x̂ with ĝ = g·w.
            if (w is not null)
            {
                TensorPrimitives.Multiply(gs, w, gHat);
            }
            else
            {
                gs.CopyTo(gHat);
            }

            double s = invStd[r];
            double meanG = double.CreateTruncating(TensorPrimitives.Sum<T>(gHat)) / d;
            double meanGX = double.CreateTruncating(TensorPrimitives.Dot<T>(gHat, xhat)) / d;
            var dx = gx.AsSpan(r * d, d);
            TensorPrimitives.Add(gHat, T.CreateTruncating(-meanG), dx);
            TensorPrimitives.Multiply(dx, T.CreateTruncating(s), dx);
            TensorPrimitives.MultiplyAdd(xhat, T.CreateTruncating(-s * meanGX), dx, dx);
        }
    }
}

/// <summary>
/// The definition of <see cref="NormalizationOps.BatchNorm"/> (<c>torch.nn.functional.batch_norm</c>); the weight
/// and bias, when given, are inputs; the running statistics, which get no gradient, are held here.
/// </summary>
public sealed class BatchNormDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        NormalizationOps.BatchNormTangent(inputs, tangents, this);

    internal BatchNormDefinition(Tensor? runningMean, Tensor? runningVar, bool training, double momentum, double eps, bool hasWeight, bool hasBias)
        : base("batch_norm", "y = (x − μ_c)/√(σ²_c + ε)·w_c + b_c; ∂L/∂x = w·s·(g − mean_c(g) − x̂·mean_c(g·x̂)) in training (w·s·g in evaluation), ∂L/∂w = Σ g·x̂, ∂L/∂b = Σ g")
    {
        RunningMean = runningMean;
        RunningVar = runningVar;
        Training = training;
        Momentum = momentum;
        Eps = eps;
        HasWeight = hasWeight;
        HasBias = hasBias;
    }

    /// <summary>The running mean per channel, or null (PyTorch's <c>running_mean</c>); updated in place when training.</summary>
    public Tensor? RunningMean { get; }

    /// <summary>The running variance per channel, or null (PyTorch's <c>running_var</c>); updated in place when training.</summary>
    public Tensor? RunningVar { get; }

    /// <summary>Whether the batch's statistics were used (PyTorch's <c>training</c>); else the running ones.</summary>
    public bool Training { get; }

    /// <summary>The weight of the new statistic in the running update (PyTorch's <c>momentum</c>).</summary>
    public double Momentum { get; }

    /// <summary>The ε added to the variance (PyTorch's <c>eps</c>).</summary>
    public double Eps { get; }

    /// <summary>Whether a weight was given: it is then the input after the normalized one.</summary>
    public bool HasWeight { get; }

    /// <summary>Whether a bias was given: it is then the last input.</summary>
    public bool HasBias { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() =>
        $"training: {(Training ? "true" : "false")}, momentum: {FormatNumber(Momentum)}, eps: {FormatNumber(Eps)}";

    /// <summary>
    /// In evaluation, ONNX BatchNormalization(x, w, b, running_mean, running_var, epsilon) with the
    /// running statistics as the model's buffers (w = 1, b = 0 where not given); training, which
    /// normalizes with each batch's statistics, and no running statistics are refused.
    /// </summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        if (Training)
        {
            throw new NotSupportedException(
                $"the op {this} normalizes each batch with that batch's statistics (training mode); call model.Eval() before exporting, so the file normalizes with the running statistics");
        }

        if (RunningMean is not { } mean || RunningVar is not { } variance)
        {
            throw new NotSupportedException($"the op {this} has no running statistics, so it normalizes with each batch's statistics; ONNX BatchNormalization needs a fixed mean and variance");
        }

        int channels = onnx.InputShape(0)[1];
        string scale = HasWeight ? onnx.Input(1) : onnx.Constant(Filled(channels, 1f), [channels]);
        string shift = HasBias ? onnx.Input(HasWeight ? 2 : 1) : onnx.Constant(Filled(channels, 0f), [channels]);
        return onnx.Node(
            "BatchNormalization",
            [onnx.Input(0), scale, shift, onnx.Tensor(mean), onnx.Tensor(variance)],
            new OnnxAttribute("epsilon", (float)Eps));
    }

    /// <summary>An array of <paramref name="count"/> copies of <paramref name="value"/>, for a constant weight or bias.</summary>
    internal static float[] Filled(int count, float value)
    {
        var values = new float[count];
        Array.Fill(values, value);
        return values;
    }

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        // Training mode: batch statistics, so every output depends on every input of its channel.
        new("batch_norm", x => Tensor.BatchNorm(x[0], null, null, x[1], x[2], training: true), OpRegistry.In([4, 3]), OpRegistry.In([3]), OpRegistry.In([3])),
        new("batch_norm_spatial", x => Tensor.BatchNorm(x[0], null, null, x[1], x[2], training: true), OpRegistry.In([2, 3, 2, 2]), OpRegistry.In([3]), OpRegistry.In([3])),
        new("batch_norm_no_affine", x => Tensor.BatchNorm(x[0], null, null, training: true, eps: 1e-3), OpRegistry.In([3, 2, 4])),
        // Running statistics: updated in place during training (no effect on the output), read in evaluation.
        new(
            "batch_norm_running_stats",
            x => Tensor.BatchNorm(x[0], x[3], x[4], x[1], x[2], training: true, momentum: 0.3),
            OpRegistry.In([5, 2]),
            OpRegistry.In([2]),
            OpRegistry.In([2]),
            InputSpec.Constant([2]),
            InputSpec.Constant([2], 0.5, 2)),
        new(
            "batch_norm_eval",
            x => Tensor.BatchNorm(x[0], x[3], x[4], x[1], x[2], training: false),
            OpRegistry.In([2, 3, 2]),
            OpRegistry.In([3]),
            OpRegistry.In([3]),
            InputSpec.Constant([3]),
            InputSpec.Constant([3], 0.5, 2)),
    ];
}

/// <summary>The definition of <see cref="NormalizationOps.LayerNorm"/> (<c>torch.nn.functional.layer_norm</c>); the weight and bias, when given, are inputs.</summary>
public sealed class LayerNormDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        NormalizationOps.LayerNormTangent(inputs, tangents, NormalizedShape.Count, Eps, HasWeight, HasBias);

    internal LayerNormDefinition(int[] normalizedShape, double eps, bool hasWeight, bool hasBias)
        : base("layer_norm", "y = (x − μ_r)/√(σ²_r + ε)·w + b over the last dims; ∂L/∂x = s·(ĝ − mean_r(ĝ) − x̂·mean_r(ĝ·x̂)) with ĝ = g·w, ∂L/∂w = Σ g·x̂, ∂L/∂b = Σ g")
    {
        NormalizedShape = [.. normalizedShape];
        Eps = eps;
        HasWeight = hasWeight;
        HasBias = hasBias;
    }

    /// <summary>The trailing shape normalized over (PyTorch's <c>normalized_shape</c>).</summary>
    public IReadOnlyList<int> NormalizedShape { get; }

    /// <summary>The ε added to the variance (PyTorch's <c>eps</c>).</summary>
    public double Eps { get; }

    /// <summary>Whether a weight was given: it is then the input after the normalized one.</summary>
    public bool HasWeight { get; }

    /// <summary>Whether a bias was given: it is then the last input.</summary>
    public bool HasBias { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"normalizedShape: {FormatList(NormalizedShape)}, eps: {FormatNumber(Eps)}";

    /// <summary>
    /// ONNX LayerNormalization(x, w, b, axis = −len(normalized_shape), epsilon) (opset 17); w = 1 when
    /// no weight was given (ONNX needs a scale), and no bias input when none was.
    /// </summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        int count = 1;
        foreach (int d in NormalizedShape)
        {
            count *= d;
        }

        string scale = HasWeight ? onnx.Input(1) : onnx.Constant(BatchNormDefinition.Filled(count, 1f), [.. NormalizedShape]);
        string[] inputs = HasBias ? [onnx.Input(0), scale, onnx.Input(HasWeight ? 2 : 1)] : [onnx.Input(0), scale];
        return onnx.Node(
            "LayerNormalization",
            inputs,
            new OnnxAttribute("axis", -(long)NormalizedShape.Count),
            new OnnxAttribute("epsilon", (float)Eps));
    }

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("layer_norm", x => Tensor.LayerNorm(x[0], [4], x[1], x[2]), OpRegistry.In([3, 4]), OpRegistry.In([4]), OpRegistry.In([4])),
        new("layer_norm_2d", x => Tensor.LayerNorm(x[0], [2, 3], x[1], x[2]), OpRegistry.In([2, 2, 3]), OpRegistry.In([2, 3]), OpRegistry.In([2, 3])),
        new("layer_norm_no_affine", x => Tensor.LayerNorm(x[0], [5], eps: 1e-3), OpRegistry.In([2, 5])),
    ];
}
