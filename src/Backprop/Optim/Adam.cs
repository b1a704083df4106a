using System.Numerics;
using System.Runtime.CompilerServices;

namespace Backprop.Optim;

/// <summary>
/// Adam (<c>torch.optim.Adam</c>), with PyTorch's formulas. At step t, for each parameter p with gradient g:
/// <code>
/// g ← g + λ·p                                   (L2 weight decay λ ≠ 0)
/// m ← β₁·m + (1 − β₁)·g                         (state exp_avg)
/// v ← β₂·v + (1 − β₂)·g²                        (state exp_avg_sq)
/// v̂ ← max(v̂, v) if amsgrad, else v̂ ← v         (state max_exp_avg_sq)
/// p ← p − η/(1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + ε)
/// </code>
/// t counts the steps in which this parameter had a gradient (state <c>step</c>).
/// </summary>
public class Adam : Optimizer
{
    private static readonly HashSet<string> s_state = ["step", "exp_avg", "exp_avg_sq"];
    private static readonly HashSet<string> s_amsgradState = ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"];

    private readonly bool _decoupledWeightDecay;
    private double _beta1;
    private double _beta2;
    private double _eps;
    private double _weightDecay;
    private bool _amsgrad;

    /// <summary>
    /// Creates the optimizer (<c>torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False)</c>).
    /// Both betas must lie in [0, 1).
    /// </summary>
    /// <param name="parameters">The tensors updated, e.g. <c>model.Parameters()</c>.</param>
    /// <param name="lr">The learning rate (default 1e-3).</param>
    /// <param name="betas">The decay rates (β₁, β₂) of the running averages of the gradient and of its square, each in [0, 1); null for (0.9, 0.999).</param>
    /// <param name="eps">Added to the denominator for stability (default 1e-8).</param>
    /// <param name="weightDecay">The L2 penalty added to the gradient (default 0).</param>
    /// <param name="amsgrad">Whether the maximum of the squared-gradient averages is used (AMSGrad, default false).</param>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false)
        : this(parameters, lr, betas, eps, weightDecay, amsgrad, decoupledWeightDecay: false)
    {
    }

    /// <summary>Creates Adam, or AdamW when <paramref name="decoupledWeightDecay"/> is true (<c>Adam(..., decoupled_weight_decay=True)</c>).</summary>
    private protected Adam(IEnumerable<Tensor> parameters, double lr, (double Beta1, double Beta2)? betas, double eps, double weightDecay, bool amsgrad, bool decoupledWeightDecay)
        : base(parameters, lr)
    {
        _decoupledWeightDecay = decoupledWeightDecay;
        var (beta1, beta2) = betas ?? (0.9, 0.999);
        Configure(beta1, beta2, eps, weightDecay, amsgrad);
    }

    /// <summary>
    /// Decay rates (β₁, β₂) of the running averages of the gradient and its square (<c>betas</c>);
    /// <see cref="OneCycleLR"/> cycles β₁. Setting them checks each lies in [0, 1).
    /// </summary>
    public (double Beta1, double Beta2) Betas
    {
        get => (_beta1, _beta2);
        set => Configure(value.Beta1, value.Beta2, _eps, _weightDecay, _amsgrad);
    }

    /// <summary>Term ε added to the denominator for numerical stability (<c>eps</c>).</summary>
    public double Eps => _eps;

    /// <summary>Weight decay λ: L2 penalty for Adam, decoupled decay for AdamW (<c>weight_decay</c>).</summary>
    public double WeightDecay => _weightDecay;

    /// <summary>Whether the AMSGrad variant (maximum of past squared-gradient averages) is used (<c>amsgrad</c>).</summary>
    public bool Amsgrad => _amsgrad;

    /// <inheritdoc/>
    protected override IReadOnlySet<string> RequiredStateNames => _amsgrad ? s_amsgradState : s_state;

    /// <inheritdoc/>
    protected override IReadOnlySet<string> AllStateNames => s_amsgradState;

    /// <inheritdoc/>
    protected override void GetHyperparameters(Dictionary<string, Tensor> dict)
    {
        dict["betas"] = new Tensor(new[] { _beta1, _beta2 }, [2]);
        dict["eps"] = ScalarTensor(_eps);
        dict["weight_decay"] = ScalarTensor(_weightDecay);
        dict["amsgrad"] = ScalarTensor(_amsgrad ? 1 : 0);
    }

    /// <inheritdoc/>
    protected override void SetHyperparameters(IReadOnlyDictionary<string, Tensor> dict)
    {
        var betas = dict["betas"].F64;
        Configure(betas[0], betas[1], dict["eps"].Item(), dict["weight_decay"].Item(), dict["amsgrad"].Item() != 0);
    }

    private void Configure(double beta1, double beta2, double eps, double weightDecay, bool amsgrad)
    {
        RequireUnitInterval("betas[0]", beta1);
        RequireUnitInterval("betas[1]", beta2);
        RequireNonNegative("eps", eps);
        RequireNonNegative("weight_decay", weightDecay);
        _beta1 = beta1;
        _beta2 = beta2;
        _eps = eps;
        _weightDecay = weightDecay;
        _amsgrad = amsgrad;
    }

    /// <inheritdoc/>
    protected override void Update<T>(Tensor parameter, Tensor grad, Dictionary<string, Tensor> state)
    {
        double step = IncrementStep(state);
        var expAvg = GetOrAddZeros(state, "exp_avg", parameter);
        var expAvgSq = GetOrAddZeros(state, "exp_avg_sq", parameter);
        T[]? maxExpAvgSq = _amsgrad ? GetOrAddZeros(state, "max_exp_avg_sq", parameter).Storage<T>() : null;

        // As PyTorch, the bias corrections and the step size are computed in double precision and
        // rounded to the parameter's dtype once.
        double biasCorrection1 = 1 - Math.Pow(_beta1, step);
        double biasCorrection2 = 1 - Math.Pow(_beta2, step);
        var constants = new Constants<T>(
            lerpWeight: 1 - _beta1,
            beta2: _beta2,
            eps: _eps,
            negStepSize: -(Lr / biasCorrection1),
            biasCorrection2Sqrt: Math.Sqrt(biasCorrection2),
            l2: _decoupledWeightDecay ? 0 : _weightDecay,
            decayFactor: _decoupledWeightDecay ? 1 - (Lr * _weightDecay) : 1,
            amsgrad: _amsgrad);
        var (p, g, m, v) = (parameter.Storage<T>(), grad.Storage<T>(), expAvg.Storage<T>(), expAvgSq.Storage<T>());
        switch (constants.Variant)
        {
            case VariantKind.Plain:
                Plan.Add<T, Rule<T, CommonUpdate>>(new(constants), p, g, m, v, null);
                break;
            case VariantKind.Decoupled:
                Plan.Add<T, Rule<T, DecayingUpdate>>(new(constants), p, g, m, v, null);
                break;
            default:
                Plan.Add<T, Rule<T, ExtendedUpdate>>(new(constants), p, g, m, v, maxExpAvgSq);
                break;
        }
    }

    /// <summary>
    /// The loops Adam compiles (<see cref="IUpdateVariant"/>): plain Adam (no weight decay, no AMSGrad,
    /// β1 above 0.5, so the lerp from the near end), AdamW as usually set (the same after decoupled
    /// weight decay), and any other setting with its parts tested at run time.
    /// </summary>
    private enum VariantKind
    {
        Plain,
        Decoupled,
        Extended,
    }

    /// <summary>One parameter's step constants, as vectors.</summary>
    private readonly struct Constants<T>(double lerpWeight, double beta2, double eps, double negStepSize, double biasCorrection2Sqrt, double l2, double decayFactor, bool amsgrad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly Vector<T> _lerpWeight = UpdateKernel.Splat<T>(lerpWeight);
        private readonly Vector<T> _oneMinusLerpWeight = Vector<T>.One - UpdateKernel.Splat<T>(lerpWeight);
        private readonly bool _smallLerpWeight = Math.Abs(lerpWeight) < 0.5;
        private readonly Vector<T> _beta2 = UpdateKernel.Splat<T>(beta2);
        private readonly Vector<T> _oneMinusBeta2 = UpdateKernel.Splat<T>(1 - beta2);
        private readonly Vector<T> _eps = UpdateKernel.Splat<T>(eps);
        private readonly Vector<T> _negStepSize = UpdateKernel.Splat<T>(negStepSize);
        private readonly Vector<T> _biasCorrection2Sqrt = UpdateKernel.Splat<T>(biasCorrection2Sqrt);
        private readonly Vector<T> _l2 = UpdateKernel.Splat<T>(l2);
        private readonly bool _hasL2 = l2 != 0;
        private readonly Vector<T> _decayFactor = UpdateKernel.Splat<T>(decayFactor);
        private readonly bool _hasDecay = decayFactor != 1;
        private readonly bool _amsgrad = amsgrad;

        /// <summary>The narrowest variant that runs these constants.</summary>
        public VariantKind Variant =>
            _hasL2 || _amsgrad || !_smallLerpWeight ? VariantKind.Extended : _hasDecay ? VariantKind.Decoupled : VariantKind.Plain;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply<TVariant>(ref Vector<T> p, Vector<T> g, ref Vector<T> expAvg, ref Vector<T> expAvgSq, ref Vector<T> maxExpAvgSq)
            where TVariant : struct, IUpdateVariant
        {
            var parameter = p;
            if (TVariant.Decays || (TVariant.Extended && _hasDecay))
            {
                parameter *= _decayFactor;
            }

            if (TVariant.Extended && _hasL2)
            {
                g += _l2 * parameter;
            }

            // The new moments are kept in registers: read back through the references, each would be
            // loaded again after its store.
            var firstMoment = UpdateKernel.Lerp(expAvg, g, _lerpWeight, _oneMinusLerpWeight, !TVariant.Extended || _smallLerpWeight);
            expAvg = firstMoment;
            var secondMoment = (expAvgSq * _beta2) + (_oneMinusBeta2 * g * g);
            expAvgSq = secondMoment;
            if (TVariant.Extended && _amsgrad)
            {
                secondMoment = Vector.Max(maxExpAvgSq, secondMoment);
                maxExpAvgSq = secondMoment;
            }

            var denominator = (Vector.SquareRoot(secondMoment) / _biasCorrection2Sqrt) + _eps;
            p = parameter + (_negStepSize * firstMoment / denominator);
        }
    }

    private readonly struct Rule<T, TVariant>(Constants<T> constants) : IUpdateRule<T>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVariant : struct, IUpdateVariant
    {
        private readonly Constants<T> _constants = constants;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply(ref Vector<T> p, Vector<T> g, ref Vector<T> expAvg, ref Vector<T> expAvgSq, ref Vector<T> maxExpAvgSq) =>
            _constants.Apply<TVariant>(ref p, g, ref expAvg, ref expAvgSq, ref maxExpAvgSq);
    }
}
