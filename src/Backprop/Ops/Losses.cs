using System.Globalization;
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
        /// <param name="input">The prediction, any shape.</param>
        /// <param name="target">The values it should have been, the same shape.</param>
        /// <param name="reduction">How the per-element losses become the result (default their mean).</param>
        /// <returns>The loss in the input's dtype: a rank-0 tensor for mean or sum, the per-element losses of the input's shape for none.</returns>
        public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
        {
            const string op = "mse_loss";
            RequireReduction(op, reduction);
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
                // While the backward pass is recorded (createGraph), the difference is recorded too.
                var gx = LossGradScale(g, reduction, diff.Numel) * 2.0 * (Autograd.IsGradEnabled ? input - target : diff);
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
        /// <param name="input">Probabilities in [0, 1], any shape.</param>
        /// <param name="target">The targets in [0, 1], the same shape.</param>
        /// <param name="reduction">How the per-element losses become the result (default their mean).</param>
        /// <returns>The loss in the input's dtype: a rank-0 tensor for mean or sum, the per-element losses of the input's shape for none.</returns>
        public static Tensor BinaryCrossEntropy(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
        {
            const string op = "binary_cross_entropy";
            RequireReduction(op, reduction);
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

            var losses = Tensor.Zip(input, target, (p, t) => -((t * ClampedLog(p)) + ((1 - t) * ClampedLog1M(p))));
            return Tensor.Record(BinaryCrossEntropyDefinition.For(reduction), ReduceLoss(losses, reduction), [input, target], g =>
            {
                if (Autograd.IsGradEnabled)
                {
                    return ElementwiseLossBackwardRecorded(g, reduction, input.Numel, BceSlopes(input, target));
                }

                var scale = LossGradScale(g, reduction, input.Numel);
                var dp = Tensor.Zip(input, target, (p, t) => (p - t) / Math.Max(p * (1 - p), 1e-12));
                var dt = Tensor.Zip(input, target, (p, _) => ClampedLog1M(p) - ClampedLog(p));
                return [scale * dp, scale * dt];
            });
        }

        /// <summary>
        /// Binary cross-entropy on logits x, with σ folded in stably
        /// (<c>torch.nn.functional.binary_cross_entropy_with_logits(input, target, weight=None, reduction='mean', pos_weight=None)</c>):
        /// lᵢ = wᵢ·[−pᵢ·tᵢ·log σ(xᵢ) − (1 − tᵢ)·log(1 − σ(xᵢ))] = wᵢ·[(1 − tᵢ)xᵢ + (1 + (pᵢ − 1)tᵢ)·(log(1 + e^(−|xᵢ|)) + max(−xᵢ, 0))],
        /// with w = 1 and p = 1 by default (then lᵢ = max(xᵢ, 0) − xᵢtᵢ + log(1 + e^(−|xᵢ|))). The mean divides by
        /// the number of elements, as PyTorch's (the weights do not normalize it).
        /// dlᵢ/dxᵢ = wᵢ·(σ(xᵢ)·(1 + (pᵢ − 1)tᵢ) − pᵢtᵢ) (σ(xᵢ) − tᵢ by default); dlᵢ/dtᵢ = wᵢ·(pᵢ·softplus(−xᵢ) − softplus(xᵢ)) (−xᵢ by default).
        /// The weights get no gradient.
        /// </summary>
        /// <param name="input">The logits x.</param>
        /// <param name="target">The targets t in [0, 1], of the input's shape and dtype.</param>
        /// <param name="reduction">How the per-element losses are combined: mean (default), sum or none.</param>
        /// <param name="weight">A rescaling weight w of each element, broadcasting to the input's shape (PyTorch's <c>weight</c>); null for 1.</param>
        /// <param name="posWeight">The weight p of positive examples, broadcasting to the input's shape, typically one per class on the last dim (PyTorch's <c>pos_weight</c>); null for 1.</param>
        /// <returns>The loss in the input's dtype: a rank-0 tensor for mean or sum, the per-element losses of the input's shape for none.</returns>
        /// <exception cref="ArgumentException">The shapes or dtypes do not match, a weight does not broadcast to the input's shape, or the reduction is not none, mean or sum.</exception>
        public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, Tensor? weight = null, Tensor? posWeight = null)
        {
            const string op = "binary_cross_entropy_with_logits";
            RequireReduction(op, reduction);
            RequireSameShapeFloat(op, input, target);
            var definition = BinaryCrossEntropyWithLogitsDefinition.For(reduction, weight, posWeight);
            if (weight is null && posWeight is null)
            {
                var losses = Tensor.Zip(input, target, (x, t) => Math.Max(x, 0) - (x * t) + SpecialFunctions.Log1P(Math.Exp(-Math.Abs(x))));
                return Tensor.Record(definition, ReduceLoss(losses, reduction), [input, target], g =>
                {
                    if (Autograd.IsGradEnabled)
                    {
                        return ElementwiseLossBackwardRecorded(g, reduction, input.Numel, LogitsSlopes(input, target));
                    }

                    var scale = LossGradScale(g, reduction, input.Numel);
                    var dx = Tensor.Zip(input, target, (x, t) => StableSigmoid(x) - t);
                    return [scale * dx, scale * -input];
                });
            }

            double[]? w = ElementWeights(op, "weight", weight, input);
            double[]? p = ElementWeights(op, "posWeight", posWeight, input);
            double[] xs = input.ToArray(), ts = target.ToArray();
            static double Softplus(double z) => SpecialFunctions.Log1P(Math.Exp(-Math.Abs(z))) + Math.Max(z, 0);
            var weighted = Tensor.Empty(input._shape, input.DType);
            for (int i = 0; i < xs.Length; i++)
            {
                double x = xs[i], t = ts[i], pi = p?[i] ?? 1;
                weighted.SetDouble(i, (w?[i] ?? 1) * (((1 - t) * x) + ((1 + ((pi - 1) * t)) * Softplus(-x))));
            }

            return Tensor.Record(definition, ReduceLoss(weighted, reduction), [input, target], g =>
            {
                if (Autograd.IsGradEnabled)
                {
                    return ElementwiseLossBackwardRecorded(g, reduction, input.Numel, WeightedLogitsSlopes(input, target, weight, posWeight));
                }

                var gx = Tensor.Empty(input._shape, input.DType);
                var gt = Tensor.Empty(input._shape, input.DType);
                for (int i = 0; i < xs.Length; i++)
                {
                    double x = xs[i], t = ts[i], pi = p?[i] ?? 1;
                    double scale = LossGradScale(g, reduction, xs.Length, i) * (w?[i] ?? 1);
                    gx.SetDouble(i, scale * ((StableSigmoid(x) * (1 + ((pi - 1) * t))) - (pi * t)));
                    gt.SetDouble(i, scale * ((pi * Softplus(-x)) - Softplus(x)));
                }

                return [gx, gt];
            });
        }

        /// <summary>
        /// Cross-entropy between logits and targets (<c>torch.nn.functional.cross_entropy(input, target, weight=None,
        /// ignore_index=-100, reduction='mean', label_smoothing=0.0)</c>). Input is [N, C] (or [C], or [N, C, d₁, …]
        /// with classes on dim 1). Target is either int64 class indices of shape [N] (or scalar, or [N, d₁, …]),
        /// giving lₙ = logsumexp(xₙ) − xₙ[tₙ], or float class probabilities of the input's shape, giving
        /// lₙ = −Σ_c tₙc·log_softmax(xₙ)_c.
        /// <para>
        /// Options, as PyTorch's: with class weights w, label smoothing ε and p = log_softmax(xₙ), a class-index
        /// sample's loss is lₙ = (1 − ε)·w[tₙ]·(−p[tₙ]) + (ε/C)·Σ_c w_c·(−p_c); a sample whose target is
        /// <paramref name="ignoreIndex"/> has lₙ = 0 and no gradient. The mean is Σ lₙ / Σ w[tₙ] over the samples
        /// not ignored (their count without weights). Probability targets become t(1 − ε) + ε/C, lₙ = −Σ_c w_c·t_c·p_c,
        /// and the mean divides by the number of samples N·d₁·….
        /// </para>
        /// Backward (fused, stable): with aₙc = w_c·qₙc the weighted (smoothed) target,
        /// dlₙ/dxₙ = softmax(xₙ)·Σ_c aₙc − aₙ (softmax(xₙ) − onehot(tₙ) by default); dlₙ/dtₙc = −w_c(1 − ε)·p_c
        /// for probabilities; times the reduction's factor. The weights get no gradient.
        /// </summary>
        /// <param name="input">The logits, classes on dim 1 (dim 0 for a 1-D input).</param>
        /// <param name="target">int64 class indices of the sample shape, or float class probabilities of the input's shape.</param>
        /// <param name="reduction">How the per-sample losses are combined: mean (default), sum or none.</param>
        /// <param name="weight">A weight per class, 1-D of size C and of the input's dtype (PyTorch's <c>weight</c>); null for 1.</param>
        /// <param name="ignoreIndex">A class index whose samples are skipped (PyTorch's <c>ignore_index</c>, default −100); index targets only.</param>
        /// <param name="labelSmoothing">ε in [0, 1]: the target mixed with the uniform distribution (PyTorch's <c>label_smoothing</c>).</param>
        /// <returns>The loss in the input's dtype: a rank-0 tensor for mean or sum, the per-sample losses of shape [N] (or [N, d₁, …]; rank 0 for a 1-D input) for none.</returns>
        /// <exception cref="ArgumentException">The shapes or dtypes do not match, a label is out of range, the weight is not [C], ε is outside [0, 1], the reduction is not none, mean or sum, or <paramref name="ignoreIndex"/> is set for probability targets.</exception>
        public static Tensor CrossEntropy(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, Tensor? weight = null, long ignoreIndex = -100, double labelSmoothing = 0)
        {
            const string op = "cross_entropy";
            RequireReduction(op, reduction);
            if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            {
                throw new ArgumentException($"{op}: labelSmoothing must be between 0 and 1, got {labelSmoothing.ToString(CultureInfo.InvariantCulture)}");
            }

            var layout = ClassLayout.Of(op, input, target, allowProbabilities: true, ignoreIndex);
            double[]? w = ClassWeights(op, weight, input, layout.Classes);
            bool probabilities = target.DType != DType.Int64;
            if (probabilities && ignoreIndex >= 0)
            {
                throw new ArgumentException($"{op}: ignoreIndex ({ignoreIndex}) is not supported for class-probability targets (of shape {Shapes.Format(target._shape)}); leave it at -100");
            }

            var definition = CrossEntropyDefinition.For(reduction, weight, ignoreIndex, labelSmoothing);
            var logp = Tensor.Empty(input._shape, input.DType);
            if (input.DType == DType.Float32)
            {
                ActivationOps.SoftmaxRows<float>(input.F32, logp.F32, layout.Outer, layout.Classes, layout.Inner, log: true);
            }
            else
            {
                ActivationOps.SoftmaxRows<double>(input.F64, logp.F64, layout.Outer, layout.Classes, layout.Inner, log: true);
            }

            if (!probabilities && (w is not null || labelSmoothing != 0 || layout.Ignores(target, ignoreIndex)))
            {
                return WeightedIndexCrossEntropy(definition, input, target, logp, layout, reduction, w, ignoreIndex, labelSmoothing);
            }

            double keep = 1 - labelSmoothing, spread = labelSmoothing / layout.Classes;
            bool plain = w is null && labelSmoothing == 0;

            // The target's weight in sample row's loss for class c: w_c·(t(1 − ε) + ε/C), t itself by default.
            double Mass(int row, int c) => plain ? target.GetDouble(layout.At(row, c)) : (w?[c] ?? 1) * ((target.GetDouble(layout.At(row, c)) * keep) + spread);
            var losses = Tensor.Empty(layout.SampleShape, input.DType);
            for (int row = 0; row < layout.Samples; row++)
            {
                double l = 0;
                if (probabilities)
                {
                    for (int c = 0; c < layout.Classes; c++)
                    {
                        double a = Mass(row, c);
                        l -= a == 0 ? 0 : a * logp.GetDouble(layout.At(row, c));
                    }
                }
                else
                {
                    l -= logp.GetDouble(layout.At(row, (int)target.I64[row]));
                }

                losses.SetDouble(row, l);
            }

            return Tensor.Record(definition, ReduceLoss(losses, reduction), [input, target], g =>
            {
                if (Autograd.IsGradEnabled)
                {
                    return CrossEntropyBackwardRecorded(g, input, target, reduction, weight, ignoreIndex, labelSmoothing);
                }

                // The softmax is recomputed from the logits rather than taken as e^logp: in float32,
                // logp = x − (m + log Σ) has lost the low bits of the shift when |m| is large (±1000).
                var softmax = Softmax(input, layout);
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

                // Class probabilities: dl/dx = softmax·Σ_c a − a, dl/dt = −w(1 − ε)·log_softmax.
                var gx = Tensor.Empty(input._shape, input.DType);
                var gt = Tensor.Empty(input._shape, input.DType);
                for (int row = 0; row < layout.Samples; row++)
                {
                    double scale = LossGradScale(g, reduction, layout.Samples, row);
                    double targetMass = 0;
                    for (int c = 0; c < layout.Classes; c++)
                    {
                        targetMass += Mass(row, c);
                    }

                    for (int c = 0; c < layout.Classes; c++)
                    {
                        int at = layout.At(row, c);
                        gx.SetDouble(at, scale * ((softmax.GetDouble(at) * targetMass) - Mass(row, c)));
                        gt.SetDouble(at, plain ? -scale * logp.GetDouble(at) : -scale * (w?[c] ?? 1) * keep * logp.GetDouble(at));
                    }
                }

                return [gx, gt];
            });
        }

        /// <summary>
        /// Negative log-likelihood of int64 class indices under log-probabilities
        /// (<c>torch.nn.functional.nll_loss(input, target, weight=None, ignore_index=-100, reduction='mean')</c>):
        /// lₙ = −w[tₙ]·xₙ[tₙ] for input [N, C] (or [C], or [N, C, d₁, …]) and target [N] (or scalar, or [N, d₁, …]),
        /// w = 1 by default; lₙ = 0 where tₙ = <paramref name="ignoreIndex"/>. The mean is Σ lₙ / Σ w[tₙ] over the
        /// samples not ignored. dlₙ/dxₙc = −w[tₙ] where c = tₙ, else 0; times the reduction's factor.
        /// Composed with <see cref="ActivationOps.LogSoftmax"/> it equals <see cref="CrossEntropy"/>.
        /// </summary>
        /// <param name="input">Log-probabilities, classes on dim 1 (dim 0 for a 1-D input).</param>
        /// <param name="target">int64 class indices of the sample shape.</param>
        /// <param name="reduction">How the per-sample losses are combined: mean (default), sum or none.</param>
        /// <param name="weight">A weight per class, 1-D of size C and of the input's dtype (PyTorch's <c>weight</c>); null for 1.</param>
        /// <param name="ignoreIndex">A class index whose samples are skipped (PyTorch's <c>ignore_index</c>, default −100).</param>
        /// <returns>The loss in the input's dtype: a rank-0 tensor for mean or sum, the per-sample losses of the target's shape for none.</returns>
        /// <exception cref="ArgumentException">The shapes or dtypes do not match, a label is out of range, the weight is not [C], or the reduction is not none, mean or sum.</exception>
        public static Tensor NllLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, Tensor? weight = null, long ignoreIndex = -100)
        {
            const string op = "nll_loss";
            RequireReduction(op, reduction);
            var layout = ClassLayout.Of(op, input, target, allowProbabilities: false, ignoreIndex);
            double[]? w = ClassWeights(op, weight, input, layout.Classes);
            var labels = target.I64;
            var losses = Tensor.Empty(layout.SampleShape, input.DType);
            double total = 0;
            for (int row = 0; row < layout.Samples; row++)
            {
                long label = labels[row];
                if (label == ignoreIndex)
                {
                    losses.SetDouble(row, 0);
                    continue;
                }

                // 0 − x rather than −x, so a zero loss is +0 (printed "0.0000", not "-0.0000").
                double wy = w?[label] ?? 1;
                total += wy;
                double x = input.GetDouble(layout.At(row, (int)label));
                losses.SetDouble(row, 0.0 - (w is null ? x : wy * x));
            }

            return Tensor.Record(NllLossDefinition.For(reduction, weight, ignoreIndex), ReduceLoss(losses, reduction, total), [input, target], g =>
            {
                if (Autograd.IsGradEnabled)
                {
                    // The backward pass is recorded (createGraph): −scale·w[tₙ] at the targets, a constant times g.
                    var (mass, denominator) = CrossEntropyMass(input, target, weight, ignoreIndex, 0);
                    return [-(ClassLossScale(g, input, reduction, denominator) * mass), null];
                }

                var gx = Tensor.Zeros(input._shape, input.DType);
                for (int row = 0; row < layout.Samples; row++)
                {
                    long label = labels[row];
                    if (label != ignoreIndex)
                    {
                        gx.SetDouble(layout.At(row, (int)label), -LossGradScale(g, reduction, total, row) * (w?[label] ?? 1));
                    }
                }

                return [gx, null];
            });
        }

        /// <summary>
        /// Mean absolute error lᵢ = |xᵢ − tᵢ|, reduced by <paramref name="reduction"/>
        /// (<c>torch.nn.functional.l1_loss(input, target, reduction='mean')</c>).
        /// dlᵢ/dxᵢ = sign(xᵢ − tᵢ) (0 where they are equal, as PyTorch's), dlᵢ/dtᵢ = −sign(xᵢ − tᵢ).
        /// </summary>
        /// <param name="input">The prediction x.</param>
        /// <param name="target">The target t, of the input's shape and dtype.</param>
        /// <param name="reduction">How the per-element losses are combined: mean (default), sum or none.</param>
        /// <returns>The loss in the input's dtype: a rank-0 tensor for mean or sum, the per-element losses of the input's shape for none.</returns>
        /// <exception cref="ArgumentException">The shapes or dtypes differ, or the reduction is not none, mean or sum.</exception>
        public static Tensor L1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
        {
            const string op = "l1_loss";
            RequireReduction(op, reduction);
            RequireSameShapeFloat(op, input, target);
            var losses = Tensor.Zip(input, target, (x, t) => Math.Abs(x - t));
            return Tensor.Record(L1LossDefinition.For(reduction), ReduceLoss(losses, reduction), [input, target], g =>
            {
                if (Autograd.IsGradEnabled)
                {
                    return ElementwiseLossBackwardRecorded(g, reduction, input.Numel, SmoothL1Slopes(input, target, 0));
                }

                var gx = LossGradScale(g, reduction, input.Numel) * Tensor.Zip(input, target, (x, t) => Math.Sign(x - t));
                return [gx, -gx];
            });
        }

        /// <summary>
        /// Smooth L1 loss (<c>torch.nn.functional.smooth_l1_loss(input, target, reduction='mean', beta=1.0)</c>): with
        /// d = x − t, lᵢ = 0.5·d²/β where |d| &lt; β, else |d| − 0.5·β; β = 0 is the L1 loss, as PyTorch's.
        /// dlᵢ/dxᵢ = d/β where |d| &lt; β, else sign(d); dlᵢ/dtᵢ = −dlᵢ/dxᵢ.
        /// </summary>
        /// <param name="input">The prediction x.</param>
        /// <param name="target">The target t, of the input's shape and dtype.</param>
        /// <param name="reduction">How the per-element losses are combined: mean (default), sum or none.</param>
        /// <param name="beta">β ≥ 0, where the loss changes from quadratic to linear.</param>
        /// <returns>The loss in the input's dtype: a rank-0 tensor for mean or sum, the per-element losses of the input's shape for none.</returns>
        /// <exception cref="ArgumentException">β is negative or not a number, the shapes or dtypes differ, or the reduction is not none, mean or sum.</exception>
        public static Tensor SmoothL1Loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double beta = 1.0)
        {
            const string op = "smooth_l1_loss";
            if (!(beta >= 0))
            {
                throw new ArgumentException($"{op}: beta must be non-negative, got {beta.ToString(CultureInfo.InvariantCulture)}");
            }

            RequireReduction(op, reduction);
            RequireSameShapeFloat(op, input, target);
            var losses = Tensor.Zip(input, target, (x, t) =>
            {
                double z = Math.Abs(x - t);
                return z < beta ? 0.5 * z * z / beta : z - (0.5 * beta);
            });
            return Tensor.Record(new SmoothL1LossDefinition(reduction, beta), ReduceLoss(losses, reduction), [input, target], g =>
            {
                if (Autograd.IsGradEnabled)
                {
                    return ElementwiseLossBackwardRecorded(g, reduction, input.Numel, SmoothL1Slopes(input, target, beta));
                }

                var gx = LossGradScale(g, reduction, input.Numel) * Tensor.Zip(input, target, (x, t) =>
                {
                    double d = x - t;
                    return Math.Abs(d) < beta ? d / beta : Math.Sign(d);
                });
                return [gx, -gx];
            });
        }

        /// <summary>
        /// Huber loss (<c>torch.nn.functional.huber_loss(input, target, reduction='mean', delta=1.0)</c>): with
        /// d = x − t, lᵢ = 0.5·d² where |d| &lt; δ, else δ·(|d| − 0.5·δ) (δ times the smooth L1 loss with β = δ).
        /// dlᵢ/dxᵢ = clamp(d, −δ, δ); dlᵢ/dtᵢ = −dlᵢ/dxᵢ.
        /// </summary>
        /// <param name="input">The prediction x.</param>
        /// <param name="target">The target t, of the input's shape and dtype.</param>
        /// <param name="reduction">How the per-element losses are combined: mean (default), sum or none.</param>
        /// <param name="delta">δ &gt; 0, where the loss changes from quadratic to linear.</param>
        /// <returns>The loss in the input's dtype: a rank-0 tensor for mean or sum, the per-element losses of the input's shape for none.</returns>
        /// <exception cref="ArgumentException">δ is not positive, the shapes or dtypes differ, or the reduction is not none, mean or sum.</exception>
        public static Tensor HuberLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, double delta = 1.0)
        {
            const string op = "huber_loss";
            if (!(delta > 0))
            {
                throw new ArgumentException($"{op}: delta must be positive, got {delta.ToString(CultureInfo.InvariantCulture)}");
            }

            RequireReduction(op, reduction);
            RequireSameShapeFloat(op, input, target);
            var losses = Tensor.Zip(input, target, (x, t) =>
            {
                double z = Math.Abs(x - t);
                return z < delta ? 0.5 * z * z : delta * (z - (0.5 * delta));
            });
            return Tensor.Record(new HuberLossDefinition(reduction, delta), ReduceLoss(losses, reduction), [input, target], g =>
            {
                if (Autograd.IsGradEnabled)
                {
                    return ElementwiseLossBackwardRecorded(g, reduction, input.Numel, HuberSlopes(input, target, delta));
                }

                var gx = LossGradScale(g, reduction, input.Numel) * Tensor.Zip(input, target, (x, t) => Math.Clamp(x - t, -delta, delta));
                return [gx, -gx];
            });
        }

        /// <summary>
        /// Kullback-Leibler divergence of the target from the input's distribution
        /// (<c>torch.nn.functional.kl_div(input, target, reduction='mean', log_target=False)</c>): the input is
        /// log-probabilities; lᵢ = tᵢ·(log tᵢ − xᵢ) (0 where tᵢ = 0), or with <paramref name="logTarget"/> the target is
        /// log-probabilities too and lᵢ = e^tᵢ·(tᵢ − xᵢ). <see cref="Reduction.BatchMean"/> divides the sum by the
        /// batch size (dim 0), which is the mathematical KL divergence per sample; <see cref="Reduction.Mean"/>
        /// divides by the number of elements, as PyTorch's default does.
        /// dlᵢ/dxᵢ = −tᵢ (−e^tᵢ with log targets); dlᵢ/dtᵢ = log tᵢ + 1 − xᵢ (e^tᵢ·(tᵢ − xᵢ + 1) with log targets).
        /// </summary>
        /// <param name="input">Log-probabilities x.</param>
        /// <param name="target">Probabilities t (log-probabilities with <paramref name="logTarget"/>), of the input's shape and dtype.</param>
        /// <param name="reduction">How the per-element losses are combined: mean (default, PyTorch's), batchmean, sum or none.</param>
        /// <param name="logTarget">Whether the target is given as log-probabilities (PyTorch's <c>log_target</c>).</param>
        /// <returns>The loss in the input's dtype: a rank-0 tensor for mean, sum or batch mean, the per-element losses of the input's shape for none.</returns>
        /// <exception cref="ArgumentException">The shapes or dtypes differ, or the reduction is not one of the four.</exception>
        public static Tensor KlDiv(Tensor input, Tensor target, Reduction reduction = Reduction.Mean, bool logTarget = false)
        {
            const string op = "kl_div";
            RequireReduction(op, reduction, batchMean: true);
            RequireSameShapeFloat(op, input, target);
            var losses = logTarget
                ? Tensor.Zip(input, target, (x, t) => Math.Exp(t) * (t - x))
                : Tensor.Zip(input, target, (x, t) => (t == 0 ? 0 : t * Math.Log(t)) - (t * x));
            int batch = input.Rank == 0 ? 1 : input._shape[0];
            double count = reduction == Reduction.BatchMean ? batch : input.Numel;
            var mode = reduction == Reduction.BatchMean ? Reduction.Mean : reduction;
            return Tensor.Record(new KlDivDefinition(reduction, logTarget), ReduceLoss(losses, mode, count), [input, target], g =>
            {
                if (Autograd.IsGradEnabled)
                {
                    return ElementwiseLossBackwardRecorded(g, mode, count, KlDivSlopes(input, target, logTarget));
                }

                var scale = mode == Reduction.Mean ? g / count : g;
                var gx = logTarget ? Tensor.Zip(input, target, (_, t) => -Math.Exp(t)) : -target;
                var gt = logTarget
                    ? Tensor.Zip(input, target, (x, t) => Math.Exp(t) * (t - x + 1))
                    : Tensor.Zip(input, target, (x, t) => Math.Log(t) + 1 - x);
                return [scale * gx, scale * gt];
            });
        }
    }

    /// <summary>
    /// Cross-entropy with class weights, label smoothing or ignored samples on class-index targets (the
    /// general case of <see cref="CrossEntropy"/>, in double): lₙ = (1 − ε)·w[tₙ]·(−p[tₙ]) + (ε/C)·Σ_c w_c·(−p_c),
    /// 0 for an ignored sample, the mean over Σ w[tₙ] of the samples kept.
    /// </summary>
    private static Tensor WeightedIndexCrossEntropy(
        CrossEntropyDefinition definition, Tensor input, Tensor target, Tensor logp, ClassLayout layout, Reduction reduction, double[]? w, long ignoreIndex, double epsilon)
    {
        int classes = layout.Classes;
        double keep = 1 - epsilon, spread = epsilon / classes;
        double allWeights = 0;
        for (int c = 0; c < classes; c++)
        {
            allWeights += w?[c] ?? 1;
        }

        var labels = target.I64;
        var losses = Tensor.Empty(layout.SampleShape, input.DType);
        double total = 0;
        for (int row = 0; row < layout.Samples; row++)
        {
            long label = labels[row];
            if (label == ignoreIndex)
            {
                losses.SetDouble(row, 0);
                continue;
            }

            double wy = w?[label] ?? 1;
            total += wy;
            double l = 0.0 - (keep * wy * logp.GetDouble(layout.At(row, (int)label)));
            if (epsilon != 0)
            {
                double smooth = 0;
                for (int c = 0; c < classes; c++)
                {
                    smooth -= (w?[c] ?? 1) * logp.GetDouble(layout.At(row, c));
                }

                l += spread * smooth;
            }

            losses.SetDouble(row, l);
        }

        return Tensor.Record(definition, ReduceLoss(losses, reduction, total), [input, target], g =>
        {
            if (Autograd.IsGradEnabled)
            {
                return CrossEntropyBackwardRecorded(g, input, target, reduction, definition.Weight, ignoreIndex, epsilon);
            }

            var softmax = Softmax(input, layout);
            var gx = Tensor.Zeros(input._shape, input.DType);
            for (int row = 0; row < layout.Samples; row++)
            {
                long label = labels[row];
                if (label == ignoreIndex)
                {
                    continue;
                }

                double scale = LossGradScale(g, reduction, total, row);
                double mass = (keep * (w?[label] ?? 1)) + (spread * allWeights);
                for (int c = 0; c < classes; c++)
                {
                    int at = layout.At(row, c);
                    double a = (w?[c] ?? 1) * ((c == label ? keep : 0) + spread);
                    gx.SetDouble(at, scale * ((softmax.GetDouble(at) * mass) - a));
                }
            }

            return [gx, null];
        });
    }

    /// <summary>
    /// The recorded backward of a loss made of per-element terms lᵢ(xᵢ, tᵢ): the upstream gradient, scaled as the
    /// reduction does, times each element's slopes ∂lᵢ/∂xᵢ and ∂lᵢ/∂tᵢ (given as recorded tensors).
    /// </summary>
    private static Tensor?[] ElementwiseLossBackwardRecorded(Tensor g, Reduction reduction, double count, (Tensor Dx, Tensor Dt) slopes)
    {
        var scale = reduction == Reduction.Mean ? g / count : g;
        return [scale * slopes.Dx, scale * slopes.Dt];
    }

    /// <summary>The tangent of a loss made of per-element terms: Σᵢ (∂lᵢ/∂xᵢ·ẋᵢ + ∂lᵢ/∂tᵢ·ṫᵢ), reduced as the loss is.</summary>
    internal static Tensor ElementwiseLossTangent((Tensor Dx, Tensor Dt) slopes, IReadOnlyList<Tensor?> tangents, Reduction reduction, double count)
    {
        var perElement = OpDefinition.SumOfTangents(
            tangents[0] is { } tx ? slopes.Dx * tx : null,
            tangents[1] is { } tt ? slopes.Dt * tt : null)!;
        return reduction switch
        {
            Reduction.None => perElement,
            Reduction.Sum => perElement.Sum(),
            _ => perElement.Sum() / count,
        };
    }

    /// <summary>
    /// Binary cross-entropy's slopes as ops, with PyTorch's clamps: ∂l/∂p = (p − t)/max(p(1 − p), 1e-12),
    /// ∂l/∂t = max(log(1 − p), −100) − max(log p, −100).
    /// </summary>
    internal static (Tensor Dx, Tensor Dt) BceSlopes(Tensor input, Tensor target)
    {
        var dx = (input - target) / (input * (1.0 - input)).Maximum(Tensor.Constant(1e-12, input));
        var floor = Tensor.Constant(-100.0, input);
        var dt = (1.0 - input).Log().Maximum(floor) - input.Log().Maximum(floor);
        return (dx, dt);
    }

    /// <summary>
    /// Weighted BCE with logits' slopes as ops: ∂l/∂x = w(σ(x)(1 + (p − 1)t) − pt), ∂l/∂t = w(p·softplus(−x) − softplus(x))
    /// = w((p − 1)·softplus(−x) − x), with softplus(−x) = max(−x, 0) + log(1 + e^(−|x|)); the weights are constants.
    /// </summary>
    internal static (Tensor Dx, Tensor Dt) WeightedLogitsSlopes(Tensor input, Tensor target, Tensor? weight, Tensor? posWeight)
    {
        Tensor dx, dt;
        if (posWeight is null)
        {
            dx = input.Sigmoid() - target;
            dt = -input;
        }
        else
        {
            var p = posWeight.Detach();
            var negativeSoftplus = (-input).Relu() + ((-input.Abs()).Exp() + 1.0).Log();
            dx = (input.Sigmoid() * (((p - 1.0) * target) + 1.0)) - (p * target);
            dt = ((p - 1.0) * negativeSoftplus) - input;
        }

        if (weight is not null)
        {
            dx *= weight.Detach();
            dt *= weight.Detach();
        }

        return (dx, dt);
    }

    /// <summary>
    /// The upstream gradient of a loss over class-index samples as the reduction scales it, shaped to broadcast
    /// over the input: per sample with the class dim restored (none), or divided by the mean's denominator.
    /// </summary>
    private static Tensor ClassLossScale(Tensor g, Tensor input, Reduction reduction, double denominator) => reduction switch
    {
        Reduction.None => input.Rank == 1 ? g : g.Unsqueeze(1),
        Reduction.Sum => g,
        _ => g / denominator,
    };

    /// <summary>nll_loss's forward derivative: −Σ_c w[tₙ]·ẋₙ[tₙ] per sample, reduced as the loss.</summary>
    internal static Tensor NllTangent(Tensor input, Tensor target, Tensor tangent, Reduction reduction, Tensor? weight, long ignoreIndex)
    {
        var (mass, denominator) = CrossEntropyMass(input, target, weight, ignoreIndex, 0);
        var perSample = -(mass * tangent).Sum(input.Rank == 1 ? 0 : 1);
        return reduction switch
        {
            Reduction.None => perSample,
            Reduction.Sum => perSample.Sum(),
            _ => perSample.Sum() / denominator,
        };
    }

    /// <summary>BCE with logits' slopes as ops: ∂l/∂x = σ(x) − t, ∂l/∂t = −x.</summary>
    internal static (Tensor Dx, Tensor Dt) LogitsSlopes(Tensor input, Tensor target) => (input.Sigmoid() - target, -input);

    /// <summary>Smooth L1's slopes as ops (L1's for β = 0): d = x − t, ∂l/∂x = d/β where |d| &lt; β, else sign(d); ∂l/∂t = −∂l/∂x.</summary>
    internal static (Tensor Dx, Tensor Dt) SmoothL1Slopes(Tensor input, Tensor target, double beta)
    {
        var d = input - target;
        var dx = beta == 0 ? d.Sign() : Tensor.Where(d.Abs().Lt(beta), d / beta, d.Sign());
        return (dx, -dx);
    }

    /// <summary>Huber's slopes as ops: ∂l/∂x = clamp(x − t, −δ, δ), ∂l/∂t = −∂l/∂x.</summary>
    internal static (Tensor Dx, Tensor Dt) HuberSlopes(Tensor input, Tensor target, double delta)
    {
        var dx = (input - target).Clamp(-delta, delta);
        return (dx, -dx);
    }

    /// <summary>KL divergence's slopes as ops: ∂l/∂x = −t, ∂l/∂t = log t + 1 − x (log targets: −e^t and e^t·(t − x + 1)).</summary>
    internal static (Tensor Dx, Tensor Dt) KlDivSlopes(Tensor input, Tensor target, bool logTarget)
    {
        if (logTarget)
        {
            var p = target.Exp();
            return (-p, p * (target - input + 1.0));
        }

        return (-target, target.Log() + 1.0 - input);
    }

    /// <summary>
    /// The weighted, smoothed target mass aₙc of cross-entropy (lₙ = −Σ_c aₙc·log_softmax(xₙ)_c) as a tensor
    /// of the input's shape, and the mean's denominator. Class indices: a = w_c((1 − ε)[c = tₙ] + ε/C), 0 for an
    /// ignored sample, a constant; the denominator Σ w[tₙ] over the samples kept. Probabilities: a = w_c(t(1 − ε)
    /// + ε/C), recorded in t; the denominator the sample count.
    /// </summary>
    private static (Tensor Mass, double Denominator) CrossEntropyMass(Tensor input, Tensor target, Tensor? weight, long ignoreIndex, double epsilon)
    {
        var layout = ClassLayout.Of("cross_entropy", input, target, allowProbabilities: true, ignoreIndex);
        double[]? w = ClassWeights("cross_entropy", weight, input, layout.Classes);
        double keep = 1 - epsilon, spread = epsilon / layout.Classes;
        if (target.DType != DType.Int64)
        {
            var mass = (target * keep) + spread;
            if (w is not null)
            {
                int[] shape = [.. Enumerable.Repeat(1, input.Rank)];
                shape[input.Rank == 1 ? 0 : 1] = layout.Classes;
                mass *= Tensor.FromArray(w, shape).To(input.DType);
            }

            return (mass, layout.Samples);
        }

        var constant = Tensor.Zeros(input._shape, input.DType);
        double total = 0;
        for (int row = 0; row < layout.Samples; row++)
        {
            long label = target.I64[row];
            if (label == ignoreIndex)
            {
                continue;
            }

            total += w?[label] ?? 1;
            for (int c = 0; c < layout.Classes; c++)
            {
                constant.SetDouble(layout.At(row, c), (w?[c] ?? 1) * ((c == label ? keep : 0) + spread));
            }
        }

        return (constant, total);
    }

    /// <summary>
    /// Cross-entropy's backward written with recorded ops, for a recorded backward pass (createGraph):
    /// dl/dx = scale·(softmax(x)·Σ_c a − a) and, for probability targets, dl/dt = −scale·w(1 − ε)·log_softmax(x).
    /// </summary>
    private static Tensor?[] CrossEntropyBackwardRecorded(Tensor g, Tensor input, Tensor target, Reduction reduction, Tensor? weight, long ignoreIndex, double epsilon)
    {
        int classDim = input.Rank == 1 ? 0 : 1;
        var (mass, denominator) = CrossEntropyMass(input, target, weight, ignoreIndex, epsilon);
        var scale = reduction switch
        {
            Reduction.None => input.Rank == 1 ? g : g.Unsqueeze(1),
            Reduction.Sum => g,
            _ => g / denominator,
        };
        var gx = input.RequiresGrad ? scale * ((input.Softmax(classDim) * mass.Sum(classDim, keepDim: true)) - mass) : null;
        Tensor? gt = null;
        if (target is { RequiresGrad: true })
        {
            // ∂l/∂t = −w(1 − ε)·log_softmax(x): the mass's derivative in t times −log_softmax.
            var (unit, _) = CrossEntropyMass(input, Tensor.OnesLike(target), weight, ignoreIndex, 0);
            gt = scale * (1 - epsilon) * unit * -input.LogSoftmax(classDim);
        }

        return [gx, gt];
    }

    /// <summary>
    /// Cross-entropy's forward derivative: Σ_c (softmax·Σa − a)·ẋ − w(1 − ε)·log_softmax·ṫ per sample, reduced as the loss.
    /// </summary>
    internal static Tensor CrossEntropyTangent(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?> tangents, Reduction reduction, Tensor? weight, long ignoreIndex, double epsilon)
    {
        var (input, target) = (inputs[0], inputs[1]);
        int classDim = input.Rank == 1 ? 0 : 1;
        var (mass, denominator) = CrossEntropyMass(input, target, weight, ignoreIndex, epsilon);
        var terms = OpDefinition.SumOfTangents(
            tangents[0] is { } tx ? ((input.Softmax(classDim) * mass.Sum(classDim, keepDim: true)) - mass) * tx : null,
            tangents[1] is { } tt ? CrossEntropyMass(input, Tensor.OnesLike(target), weight, ignoreIndex, 0).Mass * (epsilon - 1) * input.LogSoftmax(classDim) * tt : null)!;
        var perSample = terms.Sum(classDim);
        return reduction switch
        {
            Reduction.None => perSample,
            Reduction.Sum => perSample.Sum(),
            _ => perSample.Sum() / denominator,
        };
    }

    /// <summary>softmax of the input along its class dim, in the input's dtype.</summary>
    private static Tensor Softmax(Tensor input, ClassLayout layout)
    {
        var softmax = Tensor.Empty(input._shape, input.DType);
        if (input.DType == DType.Float32)
        {
            ActivationOps.SoftmaxRows<float>(input.F32, softmax.F32, layout.Outer, layout.Classes, layout.Inner, log: false);
        }
        else
        {
            ActivationOps.SoftmaxRows<double>(input.F64, softmax.F64, layout.Outer, layout.Classes, layout.Inner, log: false);
        }

        return softmax;
    }

    /// <summary>The class weights as doubles, or null; throws unless the weight is a 1-D float tensor of <paramref name="classes"/> elements of the input's dtype.</summary>
    private static double[]? ClassWeights(string op, Tensor? weight, Tensor input, int classes)
    {
        if (weight is null)
        {
            return null;
        }

        if (weight.Rank != 1 || weight._shape[0] != classes || weight.DType != input.DType)
        {
            throw new ArgumentException(
                $"{op}: weight must be a 1-D {input.DType.Name()} tensor of one weight per class ({classes}), got {weight.DType.Name()} {Shapes.Format(weight._shape)}");
        }

        return weight.ToArray();
    }

    /// <summary>A per-element weight expanded to the input's shape as doubles, or null; throws unless it broadcasts to that shape with the input's dtype.</summary>
    private static double[]? ElementWeights(string op, string name, Tensor? weight, Tensor input)
    {
        if (weight is null)
        {
            return null;
        }

        if (weight.DType != input.DType)
        {
            throw new ArgumentException($"{op}: {name} must be {input.DType.Name()} as the input is, got {weight.DType.Name()}");
        }

        bool fits = weight.Rank <= input.Rank;
        for (int i = 1; fits && i <= weight.Rank; i++)
        {
            int size = weight._shape[^i];
            fits = size == 1 || size == input._shape[^i];
        }

        if (!fits)
        {
            throw new ArgumentException($"{op}: {name} of shape {Shapes.Format(weight._shape)} does not broadcast to the input shape {Shapes.Format(input._shape)}");
        }

        return Broadcasting.Expand(op, weight, input._shape).ToArray();
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
    private static Tensor ReduceLoss(Tensor losses, Reduction reduction) => ReduceLoss(losses, reduction, losses.Numel);

    /// <summary>The tangent of a loss from its per-element tangents: reduced as the loss is (none, sum or mean).</summary>
    internal static Tensor ReduceTangent(Tensor tangents, Reduction reduction) => reduction switch
    {
        Reduction.None => tangents,
        Reduction.Sum => tangents.Sum(),
        _ => tangents.Mean(),
    };

    /// <summary>Sums per-element losses, divided by <paramref name="denominator"/> for the mean, or returns them unchanged.</summary>
    private static Tensor ReduceLoss(Tensor losses, Reduction reduction, double denominator)
    {
        if (reduction == Reduction.None)
        {
            return losses;
        }

        double sum = losses.DType == DType.Float32 ? TensorPrimitives.Sum<float>(losses.F32) : TensorPrimitives.Sum<double>(losses.F64);
        return Tensor.Scalar(reduction == Reduction.Mean ? sum / denominator : sum, losses.DType);
    }

    /// <summary>
    /// Throws unless <paramref name="reduction"/> is none, mean or sum (or batchmean where the op allows
    /// it, kl_div), naming the op and the value.
    /// </summary>
    private static void RequireReduction(string op, Reduction reduction, bool batchMean = false)
    {
        if (reduction is Reduction.None or Reduction.Mean or Reduction.Sum || (batchMean && reduction == Reduction.BatchMean))
        {
            return;
        }

        string allowed = batchMean ? "none, mean, batchmean or sum" : "none, mean or sum";
        throw new ArgumentException(reduction == Reduction.BatchMean
            ? $"{op}: reduction 'batchmean' is only defined for kl_div; expected {allowed}"
            : $"{op}: reduction {(int)reduction} is not a reduction; expected {allowed}");
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

    /// <summary>dL/dl for sample <paramref name="row"/> with a mean over <paramref name="denominator"/> (a total weight).</summary>
    private static double LossGradScale(Tensor g, Reduction reduction, double denominator, int row) => reduction switch
    {
        Reduction.None => g.GetDouble(row),
        Reduction.Mean => g.GetDouble(0) / denominator,
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

        /// <summary>Whether some class-index label of <paramref name="target"/> is <paramref name="ignoreIndex"/>.</summary>
        public bool Ignores(Tensor target, long ignoreIndex) => Array.IndexOf(target.I64, ignoreIndex) >= 0;

        /// <summary>Validates input, target dtype, shape and labels (each in [0, C) or the ignored index); throws naming the op, both shapes and any bad label.</summary>
        public static ClassLayout Of(string op, Tensor input, Tensor target, bool allowProbabilities, long ignoreIndex)
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
                if ((labels[i] < 0 || labels[i] >= layout.Classes) && labels[i] != ignoreIndex)
                {
                    throw new ArgumentException(
                        $"{op}: target label {labels[i]} at index {i} is out of range for {layout.Classes} classes (expected 0 <= label < {layout.Classes}, or the ignoreIndex {ignoreIndex})");
                }
            }

            return layout;
        }
    }
}

/// <summary>
/// A loss's definition: the reduction its per-element losses were combined with, which every loss
/// records and formats first; the sealed subclass says which loss and adds its own attributes.
/// </summary>
public abstract class LossDefinition : OpDefinition
{
    /// <summary>Creates the definition of the loss <paramref name="name"/> with its reduction.</summary>
    /// <param name="name">The op's name, e.g. <c>mse_loss</c>.</param>
    /// <param name="formula">The loss and its derivative in plain text.</param>
    /// <param name="reduction">How the per-element losses are combined.</param>
    protected LossDefinition(string name, string formula, Reduction reduction)
        : base(name, formula) => Reduction = reduction;

    /// <summary>How the per-element losses are combined (PyTorch's <c>reduction</c>; kl_div also takes batchmean).</summary>
    public Reduction Reduction { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"reduction: {Reduction.ToString().ToLowerInvariant()}";
}

/// <summary>The definition of <see cref="LossOps.MseLoss"/> (<c>torch.nn.functional.mse_loss</c>); input and target are its inputs.</summary>
public sealed class MseLossDefinition : LossDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        LossOps.ReduceTangent(2.0 * (inputs[0] - inputs[1]) * SumOfTerms(tangents[0], tangents[1] is { } tt ? -tt : null)!, Reduction);

    private static readonly MseLossDefinition[] s_byReduction = [new(Reduction.None), new(Reduction.Mean), new(Reduction.Sum)];

    private MseLossDefinition(Reduction reduction)
        : base("mse_loss", "lᵢ = (xᵢ − tᵢ)², reduced; ∂lᵢ/∂xᵢ = 2(xᵢ − tᵢ), ∂lᵢ/∂tᵢ = −2(xᵢ − tᵢ)", reduction)
    {
    }

    /// <summary>The shared instance for <paramref name="reduction"/>.</summary>
    internal static MseLossDefinition For(Reduction reduction) => s_byReduction[(int)reduction];


    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("mse_loss", x => Tensor.MseLoss(x[0], x[1]), OpRegistry.In([3, 4]), OpRegistry.In([3, 4])),
        new("mse_loss_none", x => Tensor.MseLoss(x[0], x[1], Reduction.None), OpRegistry.In([3, 4]), OpRegistry.In([3, 4])),
    ];
}

/// <summary>The definition of <see cref="LossOps.BinaryCrossEntropy"/> (<c>torch.nn.functional.binary_cross_entropy</c>); input and target are its inputs.</summary>
public sealed class BinaryCrossEntropyDefinition : LossDefinition, IGradCheckSamples
{
    private static readonly BinaryCrossEntropyDefinition[] s_byReduction = [new(Reduction.None), new(Reduction.Mean), new(Reduction.Sum)];

    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        LossOps.ElementwiseLossTangent(LossOps.BceSlopes(inputs[0], inputs[1]), tangents, Reduction, inputs[0].Numel);

    private BinaryCrossEntropyDefinition(Reduction reduction)
        : base("binary_cross_entropy", "lᵢ = −(tᵢ log pᵢ + (1 − tᵢ) log(1 − pᵢ)), reduced; ∂lᵢ/∂pᵢ = (pᵢ − tᵢ)/(pᵢ(1 − pᵢ)), ∂lᵢ/∂tᵢ = log(1 − pᵢ) − log pᵢ", reduction)
    {
    }

    /// <summary>The shared instance for <paramref name="reduction"/>.</summary>
    internal static BinaryCrossEntropyDefinition For(Reduction reduction) => s_byReduction[(int)reduction];


    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("binary_cross_entropy", x => Tensor.BinaryCrossEntropy(x[0], x[1]), OpRegistry.In([3, 4], 0.05, 0.95), OpRegistry.In([3, 4], 0, 1)),
        new("binary_cross_entropy_sum", x => Tensor.BinaryCrossEntropy(x[0], x[1], Reduction.Sum), OpRegistry.In([3, 4], 0.05, 0.95), OpRegistry.In([3, 4], 0, 1)),
        new("binary_cross_entropy_none", x => Tensor.BinaryCrossEntropy(x[0], x[1], Reduction.None), OpRegistry.In([3, 4], 0.05, 0.95), OpRegistry.In([3, 4], 0, 1)),
    ];
}

/// <summary>
/// The definition of <see cref="LossOps.BinaryCrossEntropyWithLogits"/> (<c>torch.nn.functional.binary_cross_entropy_with_logits</c>):
/// input and target are its inputs; the weights, which get no gradient, are held here.
/// </summary>
public sealed class BinaryCrossEntropyWithLogitsDefinition : LossDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        LossOps.ElementwiseLossTangent(
            Weight is null && PosWeight is null ? LossOps.LogitsSlopes(inputs[0], inputs[1]) : LossOps.WeightedLogitsSlopes(inputs[0], inputs[1], Weight, PosWeight),
            tangents,
            Reduction,
            inputs[0].Numel);

    private static readonly BinaryCrossEntropyWithLogitsDefinition[] s_byReduction = [new(Reduction.None, null, null), new(Reduction.Mean, null, null), new(Reduction.Sum, null, null)];

    private BinaryCrossEntropyWithLogitsDefinition(Reduction reduction, Tensor? weight, Tensor? posWeight)
        : base("binary_cross_entropy_with_logits", "lᵢ = wᵢ[(1 − tᵢ)xᵢ + (1 + (pᵢ − 1)tᵢ)·softplus(−xᵢ)], reduced; ∂lᵢ/∂xᵢ = wᵢ(σ(xᵢ)(1 + (pᵢ − 1)tᵢ) − pᵢtᵢ), ∂lᵢ/∂tᵢ = wᵢ(pᵢ·softplus(−xᵢ) − softplus(xᵢ)); w = p = 1 by default", reduction)
    {
        Weight = weight;
        PosWeight = posWeight;
    }

    /// <summary>The per-element rescaling weight as given, or null (PyTorch's <c>weight</c>).</summary>
    public Tensor? Weight { get; }

    /// <summary>The weight of positive examples as given, or null (PyTorch's <c>pos_weight</c>).</summary>
    public Tensor? PosWeight { get; }

    /// <summary>The shared instance for <paramref name="reduction"/> without weights, else a new one holding them.</summary>
    internal static BinaryCrossEntropyWithLogitsDefinition For(Reduction reduction, Tensor? weight = null, Tensor? posWeight = null) =>
        weight is null && posWeight is null ? s_byReduction[(int)reduction] : new(reduction, weight, posWeight);

    /// <inheritdoc/>
    protected override string FormatAttributes() =>
        base.FormatAttributes() + LossAttributes.Tensor("weight", Weight) + LossAttributes.Tensor("posWeight", PosWeight);

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("binary_cross_entropy_with_logits", x => Tensor.BinaryCrossEntropyWithLogits(x[0], x[1]), OpRegistry.In([3, 4], -4, 4), OpRegistry.In([3, 4], 0, 1)),
        new("binary_cross_entropy_with_logits_none", x => Tensor.BinaryCrossEntropyWithLogits(x[0], x[1], Reduction.None), OpRegistry.In([3, 4], -4, 4), OpRegistry.In([3, 4], 0, 1)),
        new(
            "binary_cross_entropy_with_logits_weights",
            x => Tensor.BinaryCrossEntropyWithLogits(x[0], x[1], weight: x[2], posWeight: x[3]),
            OpRegistry.In([3, 4], -4, 4),
            OpRegistry.In([3, 4], 0, 1),
            InputSpec.Constant([3, 1], 0.5, 2),
            InputSpec.Constant([4], 0.5, 3)),
        new(
            "binary_cross_entropy_with_logits_pos_weight_sum",
            x => Tensor.BinaryCrossEntropyWithLogits(x[0], x[1], Reduction.Sum, posWeight: x[2]),
            OpRegistry.In([2, 3], -4, 4),
            OpRegistry.In([2, 3], 0, 1),
            InputSpec.Constant([3], 0.5, 3)),
    ];
}

/// <summary>
/// The definition of <see cref="LossOps.CrossEntropy"/> (<c>torch.nn.functional.cross_entropy</c>): input and target
/// are its inputs; the class weights (no gradient), the ignored index and the label smoothing are held here.
/// </summary>
public sealed class CrossEntropyDefinition : LossDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        LossOps.CrossEntropyTangent(inputs, tangents, Reduction, Weight, IgnoreIndex, LabelSmoothing);

    private static readonly CrossEntropyDefinition[] s_byReduction = [new(Reduction.None, null, -100, 0), new(Reduction.Mean, null, -100, 0), new(Reduction.Sum, null, -100, 0)];

    private CrossEntropyDefinition(Reduction reduction, Tensor? weight, long ignoreIndex, double labelSmoothing)
        : base("cross_entropy", "lₙ = −Σ_c aₙc·log_softmax(xₙ)_c with aₙc = w_c((1 − ε)tₙc + ε/C) (tₙ one-hot for a class index; w = 1, ε = 0 by default), 0 for an ignored sample, reduced (the mean over Σ w[tₙ]); ∂lₙ/∂xₙ = softmax(xₙ)·Σ_c aₙc − aₙ", reduction)
    {
        Weight = weight;
        IgnoreIndex = ignoreIndex;
        LabelSmoothing = labelSmoothing;
    }

    /// <summary>The class weights as given, or null (PyTorch's <c>weight</c>).</summary>
    public Tensor? Weight { get; }

    /// <summary>The class index whose samples are skipped (PyTorch's <c>ignore_index</c>, −100 by default).</summary>
    public long IgnoreIndex { get; }

    /// <summary>ε, the weight of the uniform distribution mixed into the target (PyTorch's <c>label_smoothing</c>).</summary>
    public double LabelSmoothing { get; }

    /// <summary>The shared instance for <paramref name="reduction"/> with the default options, else a new one holding them.</summary>
    internal static CrossEntropyDefinition For(Reduction reduction, Tensor? weight = null, long ignoreIndex = -100, double labelSmoothing = 0) =>
        weight is null && ignoreIndex == -100 && labelSmoothing == 0 ? s_byReduction[(int)reduction] : new(reduction, weight, ignoreIndex, labelSmoothing);

    /// <inheritdoc/>
    protected override string FormatAttributes() =>
        base.FormatAttributes() + LossAttributes.Tensor("weight", Weight)
        + (IgnoreIndex == -100 ? string.Empty : $", ignoreIndex: {IgnoreIndex}")
        + (LabelSmoothing == 0 ? string.Empty : $", labelSmoothing: {FormatNumber(LabelSmoothing)}");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("cross_entropy", x => Tensor.CrossEntropy(x[0], x[1]), OpRegistry.In([4, 5]), InputSpec.Index([4], 5)),
        new("cross_entropy_none", x => Tensor.CrossEntropy(x[0], x[1], Reduction.None), OpRegistry.In([4, 5]), InputSpec.Index([4], 5)),
        new("cross_entropy_sum_1d", x => Tensor.CrossEntropy(x[0], x[1], Reduction.Sum), OpRegistry.In([5]), InputSpec.Index([], 5)),
        new("cross_entropy_spatial", x => Tensor.CrossEntropy(x[0], x[1]), OpRegistry.In([2, 3, 4]), InputSpec.Index([2, 4], 3)),
        new("cross_entropy_probabilities", x => Tensor.CrossEntropy(x[0], x[1]), OpRegistry.In([4, 5]), OpRegistry.In([4, 5], 0, 1)),
        new(
            "cross_entropy_weight_smoothing",
            x => Tensor.CrossEntropy(x[0], x[1], weight: x[2], labelSmoothing: 0.2),
            OpRegistry.In([6, 5]),
            InputSpec.Index([6], 5),
            InputSpec.Constant([5], 0.5, 2)),
        new(
            "cross_entropy_ignore_index_none",
            x => Tensor.CrossEntropy(x[0], x[1], Reduction.None, ignoreIndex: 2, labelSmoothing: 0.1),
            OpRegistry.In([2, 4, 3]),
            InputSpec.Index([2, 3], 4)),
        new(
            "cross_entropy_ignore_index_weight",
            x => Tensor.CrossEntropy(x[0], x[1], weight: x[2], ignoreIndex: 0),
            OpRegistry.In([8, 3]),
            InputSpec.Index([8], 3),
            InputSpec.Constant([3], 0.5, 2)),
        new(
            "cross_entropy_probabilities_weight_smoothing",
            x => Tensor.CrossEntropy(x[0], x[1], weight: x[2], labelSmoothing: 0.3),
            OpRegistry.In([4, 5]),
            OpRegistry.In([4, 5], 0, 1),
            InputSpec.Constant([5], 0.5, 2)),
    ];
}

/// <summary>
/// The definition of <see cref="LossOps.NllLoss"/> (<c>torch.nn.functional.nll_loss</c>): input and target are its
/// inputs; the class weights (no gradient) and the ignored index are held here.
/// </summary>
public sealed class NllLossDefinition : LossDefinition, IGradCheckSamples
{
    private static readonly NllLossDefinition[] s_byReduction = [new(Reduction.None, null, -100), new(Reduction.Mean, null, -100), new(Reduction.Sum, null, -100)];

    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0] is { } tangent ? LossOps.NllTangent(inputs[0], inputs[1], tangent, Reduction, Weight, IgnoreIndex) : null;

    private NllLossDefinition(Reduction reduction, Tensor? weight, long ignoreIndex)
        : base("nll_loss", "lₙ = −w[tₙ]·xₙ[tₙ] (w = 1 by default), 0 for an ignored sample, reduced (the mean over Σ w[tₙ]); ∂lₙ/∂xₙc = −w[tₙ] where c = tₙ, else 0", reduction)
    {
        Weight = weight;
        IgnoreIndex = ignoreIndex;
    }

    /// <summary>The class weights as given, or null (PyTorch's <c>weight</c>).</summary>
    public Tensor? Weight { get; }

    /// <summary>The class index whose samples are skipped (PyTorch's <c>ignore_index</c>, −100 by default).</summary>
    public long IgnoreIndex { get; }

    /// <summary>The shared instance for <paramref name="reduction"/> with the default options, else a new one holding them.</summary>
    internal static NllLossDefinition For(Reduction reduction, Tensor? weight = null, long ignoreIndex = -100) =>
        weight is null && ignoreIndex == -100 ? s_byReduction[(int)reduction] : new(reduction, weight, ignoreIndex);

    /// <inheritdoc/>
    protected override string FormatAttributes() =>
        base.FormatAttributes() + LossAttributes.Tensor("weight", Weight)
        + (IgnoreIndex == -100 ? string.Empty : $", ignoreIndex: {IgnoreIndex}");

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("nll_loss", x => Tensor.NllLoss(x[0], x[1]), OpRegistry.In([4, 5]), InputSpec.Index([4], 5)),
        new("nll_loss_none", x => Tensor.NllLoss(x[0], x[1], Reduction.None), OpRegistry.In([4, 5]), InputSpec.Index([4], 5)),
        new("nll_loss_weight_ignore_index", x => Tensor.NllLoss(x[0], x[1], weight: x[2], ignoreIndex: 1), OpRegistry.In([8, 4]), InputSpec.Index([8], 4), InputSpec.Constant([4], 0.5, 2)),
        new("nll_loss_spatial_none", x => Tensor.NllLoss(x[0], x[1], Reduction.None), OpRegistry.In([2, 3, 4]), InputSpec.Index([2, 4], 3)),
        new("nll_loss_sum_1d", x => Tensor.NllLoss(x[0], x[1], Reduction.Sum), OpRegistry.In([5]), InputSpec.Index([], 5)),
    ];
}

/// <summary>The definition of <see cref="LossOps.L1Loss"/> (<c>torch.nn.functional.l1_loss</c>); input and target are its inputs.</summary>
public sealed class L1LossDefinition : LossDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        LossOps.ElementwiseLossTangent(LossOps.SmoothL1Slopes(inputs[0], inputs[1], 0), tangents, Reduction, inputs[0].Numel);

    private static readonly L1LossDefinition[] s_byReduction = [new(Reduction.None), new(Reduction.Mean), new(Reduction.Sum)];

    private L1LossDefinition(Reduction reduction)
        : base("l1_loss", "lᵢ = |xᵢ − tᵢ|, reduced; ∂lᵢ/∂xᵢ = sign(xᵢ − tᵢ) (0 where equal), ∂lᵢ/∂tᵢ = −sign(xᵢ − tᵢ)", reduction)
    {
    }

    /// <summary>The shared instance for <paramref name="reduction"/>.</summary>
    internal static L1LossDefinition For(Reduction reduction) => s_byReduction[(int)reduction];


    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("l1_loss", x => Tensor.L1Loss(x[0], x[1]), OpRegistry.In([3, 4]), OpRegistry.In([3, 4])),
        new("l1_loss_none", x => Tensor.L1Loss(x[0], x[1], Reduction.None), OpRegistry.In([3, 4]), OpRegistry.In([3, 4])),
    ];
}

/// <summary>The definition of <see cref="LossOps.SmoothL1Loss"/> (<c>torch.nn.functional.smooth_l1_loss</c>) with its β.</summary>
public sealed class SmoothL1LossDefinition : LossDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        LossOps.ElementwiseLossTangent(LossOps.SmoothL1Slopes(inputs[0], inputs[1], Beta), tangents, Reduction, inputs[0].Numel);

    internal SmoothL1LossDefinition(Reduction reduction, double beta)
        : base("smooth_l1_loss", "d = x − t; lᵢ = 0.5d²/β if |d| < β, else |d| − 0.5β (|d| for β = 0), reduced; ∂lᵢ/∂xᵢ = d/β if |d| < β, else sign(d)", reduction)
    {
        Beta = beta;
    }

    /// <summary>β, where the loss turns from quadratic to linear (PyTorch's <c>beta</c>).</summary>
    public double Beta { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"{base.FormatAttributes()}, beta: {FormatNumber(Beta)}";

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("smooth_l1_loss", x => Tensor.SmoothL1Loss(x[0], x[1]), OpRegistry.In([3, 4]), OpRegistry.In([3, 4])),
        new("smooth_l1_loss_beta_none", x => Tensor.SmoothL1Loss(x[0], x[1], Reduction.None, beta: 0.5), OpRegistry.In([3, 4]), OpRegistry.In([3, 4])),
    ];
}

/// <summary>The definition of <see cref="LossOps.HuberLoss"/> (<c>torch.nn.functional.huber_loss</c>) with its δ.</summary>
public sealed class HuberLossDefinition : LossDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        LossOps.ElementwiseLossTangent(LossOps.HuberSlopes(inputs[0], inputs[1], Delta), tangents, Reduction, inputs[0].Numel);

    internal HuberLossDefinition(Reduction reduction, double delta)
        : base("huber_loss", "d = x − t; lᵢ = 0.5d² if |d| < δ, else δ(|d| − 0.5δ), reduced; ∂lᵢ/∂xᵢ = clamp(d, −δ, δ)", reduction)
    {
        Delta = delta;
    }

    /// <summary>δ, where the loss turns from quadratic to linear (PyTorch's <c>delta</c>).</summary>
    public double Delta { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"{base.FormatAttributes()}, delta: {FormatNumber(Delta)}";

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("huber_loss", x => Tensor.HuberLoss(x[0], x[1]), OpRegistry.In([3, 4]), OpRegistry.In([3, 4])),
        new("huber_loss_delta_sum", x => Tensor.HuberLoss(x[0], x[1], Reduction.Sum, delta: 0.7), OpRegistry.In([3, 4]), OpRegistry.In([3, 4])),
    ];
}

/// <summary>The definition of <see cref="LossOps.KlDiv"/> (<c>torch.nn.functional.kl_div</c>) with its reduction and target form.</summary>
public sealed class KlDivDefinition : LossDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        LossOps.ElementwiseLossTangent(LossOps.KlDivSlopes(inputs[0], inputs[1], LogTarget), tangents, Reduction == Reduction.BatchMean ? Reduction.Mean : Reduction, Reduction == Reduction.BatchMean ? (inputs[0].Rank == 0 ? 1 : inputs[0].Shape[0]) : inputs[0].Numel);

    internal KlDivDefinition(Reduction reduction, bool logTarget)
        : base("kl_div", "lᵢ = tᵢ(log tᵢ − xᵢ) (e^tᵢ(tᵢ − xᵢ) for log targets), reduced (batchmean: the sum over the batch size); ∂lᵢ/∂xᵢ = −tᵢ (−e^tᵢ), ∂lᵢ/∂tᵢ = log tᵢ + 1 − xᵢ (e^tᵢ(tᵢ − xᵢ + 1))", reduction)
    {
        LogTarget = logTarget;
    }

    /// <summary>Whether the target is log-probabilities (PyTorch's <c>log_target</c>).</summary>
    public bool LogTarget { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"{base.FormatAttributes()}, logTarget: {(LogTarget ? "true" : "false")}";

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("kl_div_batchmean", x => Tensor.KlDiv(x[0], x[1], Reduction.BatchMean), OpRegistry.In([3, 4], -3, 0), OpRegistry.In([3, 4], 0.05, 1)),
        new("kl_div_log_target_none", x => Tensor.KlDiv(x[0], x[1], Reduction.None, logTarget: true), OpRegistry.In([3, 4], -3, 0), OpRegistry.In([3, 4], -3, 0)),
        new("kl_div_mean", x => Tensor.KlDiv(x[0], x[1]), OpRegistry.In([2, 3], -3, 0), OpRegistry.In([2, 3], 0.05, 1)),
    ];
}

/// <summary>How the loss definitions print a tensor-valued option in <c>ToString</c>.</summary>
internal static class LossAttributes
{
    /// <summary><c>, name: [v₁, v₂, …]</c> for up to 8 values, <c>, name: tensor (shape)</c> beyond, nothing for null.</summary>
    public static string Tensor(string name, Backprop.Tensor? value)
    {
        if (value is null)
        {
            return string.Empty;
        }

        return value.Numel <= 8
            ? $", {name}: [{string.Join(", ", value.ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}]"
            : $", {name}: tensor {Shapes.Format(value._shape)}";
    }
}
