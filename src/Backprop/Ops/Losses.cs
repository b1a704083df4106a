using System.Numerics;
using System.Numerics.Tensors;
using Backprop.Kernels;

namespace Backprop;

// Loss functions with PyTorch's functional names and argument order (input, target). Each is one
// fused primitive, forward and backward side by side: fusing lets cross-entropy and BCE-with-logits
// use the stable forms (log-sum-exp, log(1 + e^(−|x|))) and the short backward rules
// (softmax − onehot, σ(x) − t), which stay finite for logits of ±1000.
/// <summary>
/// The loss functions of <see cref="Tensor"/> with PyTorch's functional names: <c>Tensor.MseLoss</c>, <c>Tensor.CrossEntropy</c>, <c>Tensor.NllLoss</c>, binary cross-entropy with and without logits.
/// Extension members in namespace <c>Backprop</c>, so they are called as members of <see cref="Tensor"/>.
/// </summary>
public static partial class LossOps
{
    extension(Tensor)
    {
        /// <summary>
        /// Mean squared error lᵢ = (xᵢ − tᵢ)², reduced by <paramref name="reduction"/>
        /// (<c>torch.nn.functional.mse_loss(input, target)</c>). dlᵢ/dxᵢ = 2(xᵢ − tᵢ), dlᵢ/dtᵢ = −2(xᵢ − tᵢ).
        /// </summary>
        public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
        {
            const string op = "mse_loss";
            RequireSameShapeFloat(op, input, target);
            var diff = Tensor.Empty(input._shape, input.DType);
            var squared = Tensor.Empty(input._shape, input.DType);
            if (input.DType == DType.Float32)
            {
                TensorPrimitives.Subtract(input.F32, target.F32, diff.F32);
                TensorPrimitives.Multiply(diff.F32, diff.F32, squared.F32);
            }
            else
            {
                TensorPrimitives.Subtract(input.F64, target.F64, diff.F64);
                TensorPrimitives.Multiply(diff.F64, diff.F64, squared.F64);
            }

            return Tensor.Record(MseLossDefinition.For(reduction), ReduceLoss(squared, reduction), [input, target], g =>
            {
                var gx = LossGradScale(g, reduction, diff.Numel) * 2.0 * diff;
                return [gx, -gx];
            });
        }

        /// <summary>
        /// Binary cross-entropy on probabilities p ∈ [0, 1]:
        /// lᵢ = −(tᵢ·max(log pᵢ, −100) + (1 − tᵢ)·max(log(1 − pᵢ), −100)), the clamp at −100 as in PyTorch
        /// (<c>torch.nn.functional.binary_cross_entropy(input, target)</c>).
        /// dlᵢ/dpᵢ = (pᵢ − tᵢ) / max(pᵢ(1 − pᵢ), 1e-12); dlᵢ/dtᵢ = max(log(1 − pᵢ), −100) − max(log pᵢ, −100).
        /// Prefer <see cref="BinaryCrossEntropyWithLogits"/> on raw scores: it is exact where this clamps.
        /// </summary>
        public static Tensor BinaryCrossEntropy(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
        {
            const string op = "binary_cross_entropy";
            RequireSameShapeFloat(op, input, target);
            for (int i = 0; i < input.Numel; i++)
            {
                double p = input.GetDouble(i);
                if (!(p >= 0 && p <= 1))
                {
                    throw new ArgumentException($"{op}: all elements of input should be probabilities between 0 and 1, got {p} at index {i}");
                }
            }

            static double ClampedLog(double v) => Math.Max(Math.Log(v), -100.0);
            static double ClampedLog1M(double p) => Math.Max(SpecialFunctions.Log1P(-p), -100.0);

            var losses = Zip(input, target, (p, t) => -((t * ClampedLog(p)) + ((1 - t) * ClampedLog1M(p))));
            return Tensor.Record(BinaryCrossEntropyDefinition.For(reduction), ReduceLoss(losses, reduction), [input, target], g =>
            {
                var scale = LossGradScale(g, reduction, input.Numel);
                var dp = Zip(input, target, (p, t) => (p - t) / Math.Max(p * (1 - p), 1e-12));
                var dt = Zip(input, target, (p, _) => ClampedLog1M(p) - ClampedLog(p));
                return [scale * dp, scale * dt];
            });
        }

        /// <summary>
        /// Binary cross-entropy on logits x, with σ folded in stably:
        /// lᵢ = max(xᵢ, 0) − xᵢtᵢ + log(1 + e^(−|xᵢ|)) (= −tᵢ log σ(xᵢ) − (1 − tᵢ) log(1 − σ(xᵢ)))
        /// (<c>torch.nn.functional.binary_cross_entropy_with_logits(input, target)</c>).
        /// dlᵢ/dxᵢ = σ(xᵢ) − tᵢ; dlᵢ/dtᵢ = −xᵢ.
        /// </summary>
        public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
        {
            const string op = "binary_cross_entropy_with_logits";
            RequireSameShapeFloat(op, input, target);
            var losses = Zip(input, target, (x, t) => Math.Max(x, 0) - (x * t) + SpecialFunctions.Log1P(Math.Exp(-Math.Abs(x))));
            return Tensor.Record(BinaryCrossEntropyWithLogitsDefinition.For(reduction), ReduceLoss(losses, reduction), [input, target], g =>
            {
                var scale = LossGradScale(g, reduction, input.Numel);
                var dx = Zip(input, target, (x, t) => StableSigmoid(x) - t);
                return [scale * dx, scale * -input];
            });
        }

        /// <summary>
        /// Cross-entropy between logits and targets (<c>torch.nn.functional.cross_entropy(input, target)</c>).
        /// Input is [N, C] (or [C], or [N, C, d₁, …] with classes on dim 1). Target is either int64 class
        /// indices of shape [N] (or scalar, or [N, d₁, …]), giving lₙ = logsumexp(xₙ) − xₙ[tₙ], or float class
        /// probabilities of the input's shape, giving lₙ = −Σ_c tₙc·log_softmax(xₙ)_c. The mean divides by the
        /// number of samples N·d₁·….
        /// Backward (fused, stable): dlₙ/dxₙ = softmax(xₙ) − onehot(tₙ) for indices and
        /// softmax(xₙ)·Σ_c tₙc − tₙ for probabilities (with dlₙ/dtₙ = −log_softmax(xₙ)); times 1/N for the mean.
        /// </summary>
        public static Tensor CrossEntropy(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
        {
            const string op = "cross_entropy";
            var layout = ClassLayout.Of(op, input, target, allowProbabilities: true);
            var logp = Tensor.Empty(input._shape, input.DType);
            if (input.DType == DType.Float32)
            {
                ActivationOps.SoftmaxRows<float>(input.F32, logp.F32, layout.Outer, layout.Classes, layout.Inner, log: true);
            }
            else
            {
                ActivationOps.SoftmaxRows<double>(input.F64, logp.F64, layout.Outer, layout.Classes, layout.Inner, log: true);
            }

            bool probabilities = target.DType != DType.Int64;
            var losses = Tensor.Empty(layout.SampleShape, input.DType);
            for (int row = 0; row < layout.Samples; row++)
            {
                double l = 0;
                if (probabilities)
                {
                    for (int c = 0; c < layout.Classes; c++)
                    {
                        int at = layout.At(row, c);
                        double t = target.GetDouble(at);
                        l -= t == 0 ? 0 : t * logp.GetDouble(at);
                    }
                }
                else
                {
                    l -= logp.GetDouble(layout.At(row, (int)target.I64[row]));
                }

                losses.SetDouble(row, l);
            }

            return Tensor.Record(CrossEntropyDefinition.For(reduction), ReduceLoss(losses, reduction), [input, target], g =>
            {
                // The softmax is recomputed from the logits rather than taken as e^logp: in float32,
                // logp = x − (m + log Σ) has lost the low bits of the shift when |m| is large (±1000).
                var softmax = Tensor.Empty(input._shape, input.DType);
                if (input.DType == DType.Float32)
                {
                    ActivationOps.SoftmaxRows<float>(input.F32, softmax.F32, layout.Outer, layout.Classes, layout.Inner, log: false);
                }
                else
                {
                    ActivationOps.SoftmaxRows<double>(input.F64, softmax.F64, layout.Outer, layout.Classes, layout.Inner, log: false);
                }

                if (!probabilities)
                {
                    // Class indices: the gradient overwrites the softmax it is made from, in typed loops.
                    if (input.DType == DType.Float32)
                    {
                        IndexTargetGradient<float>(softmax.F32, target.I64, layout, g, reduction);
                    }
                    else
                    {
                        IndexTargetGradient<double>(softmax.F64, target.I64, layout, g, reduction);
                    }

                    return [softmax, null];
                }

                // Class probabilities: dl/dx = softmax·Σ_c t − t, dl/dt = −log_softmax.
                var gx = Tensor.Empty(input._shape, input.DType);
                var gt = Tensor.Empty(input._shape, input.DType);
                for (int row = 0; row < layout.Samples; row++)
                {
                    double scale = LossGradScale(g, reduction, layout.Samples, row);
                    double targetMass = 0;
                    for (int c = 0; c < layout.Classes; c++)
                    {
                        targetMass += target.GetDouble(layout.At(row, c));
                    }

                    for (int c = 0; c < layout.Classes; c++)
                    {
                        int at = layout.At(row, c);
                        gx.SetDouble(at, scale * ((softmax.GetDouble(at) * targetMass) - target.GetDouble(at)));
                        gt.SetDouble(at, -scale * logp.GetDouble(at));
                    }
                }

                return [gx, gt];
            });
        }

        /// <summary>
        /// Negative log-likelihood of int64 class indices under log-probabilities
        /// (<c>torch.nn.functional.nll_loss(input, target)</c>): lₙ = −xₙ[tₙ] for input [N, C] (or [C], or
        /// [N, C, d₁, …]) and target [N] (or scalar, or [N, d₁, …]). dlₙ/dxₙc = −1 where c = tₙ, else 0;
        /// times 1/N for the mean. Composed with <see cref="ActivationOps.LogSoftmax"/> it equals <see cref="CrossEntropy"/>.
        /// </summary>
        public static Tensor NllLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
        {
            const string op = "nll_loss";
            var layout = ClassLayout.Of(op, input, target, allowProbabilities: false);
            var losses = Tensor.Empty(layout.SampleShape, input.DType);
            for (int row = 0; row < layout.Samples; row++)
            {
                // 0 − x rather than −x, so a zero loss is +0 (printed "0.0000", not "-0.0000").
                losses.SetDouble(row, 0.0 - input.GetDouble(layout.At(row, (int)target.I64[row])));
            }

            return Tensor.Record(NllLossDefinition.For(reduction), ReduceLoss(losses, reduction), [input, target], g =>
            {
                var gx = Tensor.Zeros(input._shape, input.DType);
                for (int row = 0; row < layout.Samples; row++)
                {
                    gx.SetDouble(layout.At(row, (int)target.I64[row]), -LossGradScale(g, reduction, layout.Samples, row));
                }

                return [gx, null];
            });
        }
    }

    /// <summary>
    /// Cross-entropy's input gradient for class-index targets, in place over <paramref name="softmax"/>:
    /// scale·(softmaxₙc − [c = tₙ]), each value computed in double and rounded once, as the probability
    /// loop does (its formula with target mass 1 and one-hot targets).
    /// </summary>
    private static void IndexTargetGradient<T>(Span<T> softmax, long[] targets, ClassLayout layout, Tensor g, Reduction reduction)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int row = 0; row < layout.Samples; row++)
        {
            double scale = LossGradScale(g, reduction, layout.Samples, row);
            int first = layout.At(row, 0);
            long label = targets[row];
            for (int c = 0; c < layout.Classes; c++)
            {
                int at = first + (c * layout.Inner);
                double t = c == label ? 1 : 0;
                softmax[at] = T.CreateTruncating(scale * (double.CreateTruncating(softmax[at]) - t));
            }
        }
    }

    /// <summary>Sums or averages per-element losses into a scalar, or returns them unchanged.</summary>
    private static Tensor ReduceLoss(Tensor losses, Reduction reduction)
    {
        if (reduction == Reduction.None)
        {
            return losses;
        }

        double sum = losses.DType == DType.Float32 ? TensorPrimitives.Sum<float>(losses.F32) : TensorPrimitives.Sum<double>(losses.F64);
        return Tensor.Scalar(reduction == Reduction.Mean ? sum / losses.Numel : sum, losses.DType);
    }

    /// <summary>dL/dlᵢ as a tensor that broadcasts against the per-element losses: g, or g/count for the mean.</summary>
    private static Tensor LossGradScale(Tensor g, Reduction reduction, int count) =>
        reduction == Reduction.Mean ? g / count : g;

    /// <summary>dL/dl for sample <paramref name="row"/>: g[row] without reduction, g/count for the mean, g for the sum.</summary>
    private static double LossGradScale(Tensor g, Reduction reduction, int count, int row) => reduction switch
    {
        Reduction.None => g.GetDouble(row),
        Reduction.Mean => g.GetDouble(0) / count,
        _ => g.GetDouble(0),
    };

    /// <summary>σ(x) without overflow: 1/(1 + e^(−x)) for x ≥ 0, e^x/(1 + e^x) below.</summary>
    private static double StableSigmoid(double x)
    {
        if (x >= 0)
        {
            return 1.0 / (1.0 + Math.Exp(-x));
        }

        double e = Math.Exp(x);
        return e / (1.0 + e);
    }

    /// <summary>f(aᵢ, bᵢ) for tensors of one shape, computed in double, stored in a's dtype.</summary>
    private static Tensor Zip(Tensor a, Tensor b, Func<double, double, double> f)
    {
        var result = Tensor.Empty(a._shape, a.DType);
        if (a.DType == DType.Float32)
        {
            float[] x = a.F32, y = b.F32, d = result.F32;
            for (int i = 0; i < d.Length; i++)
            {
                d[i] = (float)f(x[i], y[i]);
            }
        }
        else
        {
            double[] x = a.F64, y = b.F64, d = result.F64;
            for (int i = 0; i < d.Length; i++)
            {
                d[i] = f(x[i], y[i]);
            }
        }

        return result;
    }

    /// <summary>Throws unless input and target are float tensors of the same dtype and shape, naming both shapes.</summary>
    private static void RequireSameShapeFloat(string op, Tensor input, Tensor target)
    {
        Tensor.RequireFloat(op, input);
        Tensor.RequireFloat(op, target);
        Tensor.RequireSameDType(op, input, target);
        if (!input._shape.AsSpan().SequenceEqual(target._shape))
        {
            throw new ArgumentException(
                $"{op}: input shape {Shapes.Format(input._shape)} and target shape {Shapes.Format(target._shape)} must be the same");
        }
    }

    /// <summary>
    /// Input viewed as [Outer, Classes, Inner] with classes on dim 1 (dim 0 for a 1-D input); sample
    /// row = o·Inner + i, and class c of that sample sits at (o·Classes + c)·Inner + i.
    /// </summary>
    private readonly record struct ClassLayout(int Outer, int Classes, int Inner, int[] SampleShape)
    {
        public int Samples => Outer * Inner;

        public int At(int row, int c) => (((row / Inner * Classes) + c) * Inner) + (row % Inner);

        /// <summary>Validates input, target dtype, shape and labels; throws naming the op, both shapes and any bad label.</summary>
        public static ClassLayout Of(string op, Tensor input, Tensor target, bool allowProbabilities)
        {
            Tensor.RequireFloat(op, input);
            if (input.Rank == 0)
            {
                throw new ArgumentException($"{op}: input must have a class dimension ([C], [N, C] or [N, C, d1, ...]), got a scalar");
            }

            int classDim = input.Rank == 1 ? 0 : 1;
            int[] sampleShape = [.. input._shape.AsSpan(0, classDim), .. input._shape.AsSpan(classDim + 1)];
            var layout = new ClassLayout(
                Shapes.Numel(input._shape.AsSpan(0, classDim)),
                input._shape[classDim],
                Shapes.Numel(input._shape.AsSpan(classDim + 1)),
                sampleShape);

            if (allowProbabilities && target.DType.IsFloatingPoint() && target._shape.AsSpan().SequenceEqual(input._shape))
            {
                Tensor.RequireSameDType(op, input, target);
                return layout;
            }

            string expected = $"int64 class indices of shape {Shapes.Format(sampleShape)}" +
                (allowProbabilities ? $" or float class probabilities of shape {Shapes.Format(input._shape)}" : string.Empty);
            if (target.DType != DType.Int64 || !target._shape.AsSpan().SequenceEqual(sampleShape))
            {
                throw new ArgumentException(
                    $"{op}: input shape {Shapes.Format(input._shape)} and {target.DType.Name()} target shape {Shapes.Format(target._shape)} do not match; expected {expected}");
            }

            var labels = target.I64;
            for (int i = 0; i < labels.Length; i++)
            {
                if (labels[i] < 0 || labels[i] >= layout.Classes)
                {
                    throw new ArgumentException(
                        $"{op}: target label {labels[i]} at index {i} is out of range for {layout.Classes} classes (expected 0 <= label < {layout.Classes})");
                }
            }

            return layout;
        }
    }
}

/// <summary>The definition of <see cref="LossOps.MseLoss"/> (<c>torch.nn.functional.mse_loss</c>); input and target are its inputs.</summary>
public sealed class MseLossDefinition : OpDefinition, IGradCheckSamples
{
    private static readonly MseLossDefinition[] s_byReduction = [new(Reduction.None), new(Reduction.Mean), new(Reduction.Sum)];

    private MseLossDefinition(Reduction reduction)
        : base("mse_loss", "lᵢ = (xᵢ − tᵢ)², reduced; ∂lᵢ/∂xᵢ = 2(xᵢ − tᵢ), ∂lᵢ/∂tᵢ = −2(xᵢ − tᵢ)")
    {
        Reduction = reduction;
    }

    /// <summary>How the per-element losses are combined (PyTorch's <c>reduction</c>).</summary>
    public Reduction Reduction { get; }

    /// <summary>The shared instance for <paramref name="reduction"/>.</summary>
    internal static MseLossDefinition For(Reduction reduction) => s_byReduction[(int)reduction];

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"reduction: {Reduction.ToString().ToLowerInvariant()}";

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("mse_loss", x => Tensor.MseLoss(x[0], x[1]), OpRegistry.In([3, 4]), OpRegistry.In([3, 4])),
        new("mse_loss_none", x => Tensor.MseLoss(x[0], x[1], Reduction.None), OpRegistry.In([3, 4]), OpRegistry.In([3, 4])),
    ];
}

/// <summary>The definition of <see cref="LossOps.BinaryCrossEntropy"/> (<c>torch.nn.functional.binary_cross_entropy</c>); input and target are its inputs.</summary>
public sealed class BinaryCrossEntropyDefinition : OpDefinition, IGradCheckSamples
{
    private static readonly BinaryCrossEntropyDefinition[] s_byReduction = [new(Reduction.None), new(Reduction.Mean), new(Reduction.Sum)];

    private BinaryCrossEntropyDefinition(Reduction reduction)
        : base("binary_cross_entropy", "lᵢ = −(tᵢ log pᵢ + (1 − tᵢ) log(1 − pᵢ)), reduced; ∂lᵢ/∂pᵢ = (pᵢ − tᵢ)/(pᵢ(1 − pᵢ)), ∂lᵢ/∂tᵢ = log(1 − pᵢ) − log pᵢ")
    {
        Reduction = reduction;
    }

    /// <summary>How the per-element losses are combined (PyTorch's <c>reduction</c>).</summary>
    public Reduction Reduction { get; }

    /// <summary>The shared instance for <paramref name="reduction"/>.</summary>
    internal static BinaryCrossEntropyDefinition For(Reduction reduction) => s_byReduction[(int)reduction];

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"reduction: {Reduction.ToString().ToLowerInvariant()}";

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("binary_cross_entropy", x => Tensor.BinaryCrossEntropy(x[0], x[1]), OpRegistry.In([3, 4], 0.05, 0.95), OpRegistry.In([3, 4], 0, 1)),
        new("binary_cross_entropy_sum", x => Tensor.BinaryCrossEntropy(x[0], x[1], Reduction.Sum), OpRegistry.In([3, 4], 0.05, 0.95), OpRegistry.In([3, 4], 0, 1)),
    ];
}

/// <summary>The definition of <see cref="LossOps.BinaryCrossEntropyWithLogits"/> (<c>torch.nn.functional.binary_cross_entropy_with_logits</c>); input and target are its inputs.</summary>
public sealed class BinaryCrossEntropyWithLogitsDefinition : OpDefinition, IGradCheckSamples
{
    private static readonly BinaryCrossEntropyWithLogitsDefinition[] s_byReduction = [new(Reduction.None), new(Reduction.Mean), new(Reduction.Sum)];

    private BinaryCrossEntropyWithLogitsDefinition(Reduction reduction)
        : base("binary_cross_entropy_with_logits", "lᵢ = max(xᵢ, 0) − xᵢtᵢ + log(1 + e^(−|xᵢ|)), reduced; ∂lᵢ/∂xᵢ = σ(xᵢ) − tᵢ, ∂lᵢ/∂tᵢ = −xᵢ")
    {
        Reduction = reduction;
    }

    /// <summary>How the per-element losses are combined (PyTorch's <c>reduction</c>).</summary>
    public Reduction Reduction { get; }

    /// <summary>The shared instance for <paramref name="reduction"/>.</summary>
    internal static BinaryCrossEntropyWithLogitsDefinition For(Reduction reduction) => s_byReduction[(int)reduction];

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"reduction: {Reduction.ToString().ToLowerInvariant()}";

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("binary_cross_entropy_with_logits", x => Tensor.BinaryCrossEntropyWithLogits(x[0], x[1]), OpRegistry.In([3, 4], -4, 4), OpRegistry.In([3, 4], 0, 1)),
        new("binary_cross_entropy_with_logits_none", x => Tensor.BinaryCrossEntropyWithLogits(x[0], x[1], Reduction.None), OpRegistry.In([3, 4], -4, 4), OpRegistry.In([3, 4], 0, 1)),
    ];
}

/// <summary>The definition of <see cref="LossOps.CrossEntropy"/> (<c>torch.nn.functional.cross_entropy</c>); input and target are its inputs.</summary>
public sealed class CrossEntropyDefinition : OpDefinition, IGradCheckSamples
{
    private static readonly CrossEntropyDefinition[] s_byReduction = [new(Reduction.None), new(Reduction.Mean), new(Reduction.Sum)];

    private CrossEntropyDefinition(Reduction reduction)
        : base("cross_entropy", "lₙ = −Σ_c tₙc·log_softmax(xₙ)_c (= logsumexp(xₙ) − xₙ[tₙ] for a class index), reduced; ∂lₙ/∂xₙ = softmax(xₙ)·Σ_c tₙc − tₙ")
    {
        Reduction = reduction;
    }

    /// <summary>How the per-element losses are combined (PyTorch's <c>reduction</c>).</summary>
    public Reduction Reduction { get; }

    /// <summary>The shared instance for <paramref name="reduction"/>.</summary>
    internal static CrossEntropyDefinition For(Reduction reduction) => s_byReduction[(int)reduction];

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"reduction: {Reduction.ToString().ToLowerInvariant()}";

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("cross_entropy", x => Tensor.CrossEntropy(x[0], x[1]), OpRegistry.In([4, 5]), InputSpec.Index([4], 5)),
        new("cross_entropy_none", x => Tensor.CrossEntropy(x[0], x[1], Reduction.None), OpRegistry.In([4, 5]), InputSpec.Index([4], 5)),
        new("cross_entropy_sum_1d", x => Tensor.CrossEntropy(x[0], x[1], Reduction.Sum), OpRegistry.In([5]), InputSpec.Index([], 5)),
        new("cross_entropy_spatial", x => Tensor.CrossEntropy(x[0], x[1]), OpRegistry.In([2, 3, 4]), InputSpec.Index([2, 4], 3)),
        new("cross_entropy_probabilities", x => Tensor.CrossEntropy(x[0], x[1]), OpRegistry.In([4, 5]), OpRegistry.In([4, 5], 0, 1)),
    ];
}

/// <summary>The definition of <see cref="LossOps.NllLoss"/> (<c>torch.nn.functional.nll_loss</c>); input and target are its inputs.</summary>
public sealed class NllLossDefinition : OpDefinition, IGradCheckSamples
{
    private static readonly NllLossDefinition[] s_byReduction = [new(Reduction.None), new(Reduction.Mean), new(Reduction.Sum)];

    private NllLossDefinition(Reduction reduction)
        : base("nll_loss", "lₙ = −xₙ[tₙ], reduced; ∂lₙ/∂xₙc = −1 where c = tₙ, else 0")
    {
        Reduction = reduction;
    }

    /// <summary>How the per-element losses are combined (PyTorch's <c>reduction</c>).</summary>
    public Reduction Reduction { get; }

    /// <summary>The shared instance for <paramref name="reduction"/>.</summary>
    internal static NllLossDefinition For(Reduction reduction) => s_byReduction[(int)reduction];

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"reduction: {Reduction.ToString().ToLowerInvariant()}";

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("nll_loss", x => Tensor.NllLoss(x[0], x[1]), OpRegistry.In([4, 5]), InputSpec.Index([4], 5)),
        new("nll_loss_none", x => Tensor.NllLoss(x[0], x[1], Reduction.None), OpRegistry.In([4, 5]), InputSpec.Index([4], 5)),
    ];
}
