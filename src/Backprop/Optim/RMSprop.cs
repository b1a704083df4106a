using System.Numerics;
using System.Runtime.CompilerServices;

namespace Backprop.Optim;

/// <summary>
/// RMSprop (<c>torch.optim.RMSprop</c>), with PyTorch's formulas. For each parameter p with gradient g:
/// <code>
/// g ← g + λ·p                                   (weight decay λ ≠ 0)
/// v ← α·v + (1 − α)·g²                          (state square_avg)
/// ḡ ← α·ḡ + (1 − α)·g;  a ← √(v − ḡ²) + ε       (centered; state grad_avg)
/// a ← √v + ε                                    (not centered)
/// b ← μ·b + g/a;  p ← p − η·b                   (momentum μ &gt; 0; state momentum_buffer)
/// p ← p − η·g/a                                 (no momentum)
/// </code>
/// </summary>
public sealed class RMSprop : Optimizer
{
    private static readonly string[] s_optionalState = ["momentum_buffer", "grad_avg"];
    private static readonly HashSet<string> s_allState = ["step", "square_avg", "momentum_buffer", "grad_avg"];

    private double _alpha;
    private double _eps;
    private double _weightDecay;
    private double _momentum;
    private bool _centered;

    /// <summary>
    /// Creates the optimizer (<c>torch.optim.RMSprop(params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False)</c>).
    /// </summary>
    /// <param name="parameters">The tensors updated, e.g. <c>model.Parameters()</c>.</param>
    /// <param name="lr">The learning rate (default 1e-2).</param>
    /// <param name="alpha">The smoothing constant of the running average of the squared gradient (default 0.99).</param>
    /// <param name="eps">Added to the denominator for stability (default 1e-8).</param>
    /// <param name="weightDecay">The L2 penalty added to the gradient (default 0).</param>
    /// <param name="momentum">The momentum factor (default 0).</param>
    /// <param name="centered">Whether the gradient is normalized by an estimate of its variance rather than of its second moment (default false).</param>
    public RMSprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false)
        : base(parameters, lr)
    {
        Configure(alpha, eps, weightDecay, momentum, centered);
    }

    /// <summary>Smoothing constant α of the running average of g² (<c>alpha</c>).</summary>
    public double Alpha => _alpha;

    /// <summary>Term ε added to the denominator for numerical stability (<c>eps</c>).</summary>
    public double Eps => _eps;

    /// <summary>L2 penalty λ added to the gradient as λ·p (<c>weight_decay</c>).</summary>
    public double WeightDecay => _weightDecay;

    /// <summary>Momentum factor μ (<c>momentum</c>); <see cref="OneCycleLR"/> cycles it. Setting it checks it is finite and ≥ 0.</summary>
    public double Momentum
    {
        get => _momentum;
        set => Configure(_alpha, _eps, _weightDecay, value, _centered);
    }

    /// <summary>Whether the gradient is normalized by an estimate of its variance rather than its second moment (<c>centered</c>).</summary>
    public bool Centered => _centered;

    /// <inheritdoc/>
    protected override IReadOnlySet<string> RequiredStateNames
    {
        get
        {
            var names = new HashSet<string> { "step", "square_avg" };
            if (_momentum > 0)
            {
                names.Add(s_optionalState[0]);
            }

            if (_centered)
            {
                names.Add(s_optionalState[1]);
            }

            return names;
        }
    }

    /// <inheritdoc/>
    protected override IReadOnlySet<string> AllStateNames => s_allState;

    /// <inheritdoc/>
    protected override void GetHyperparameters(Dictionary<string, Tensor> dict)
    {
        dict["alpha"] = ScalarTensor(_alpha);
        dict["eps"] = ScalarTensor(_eps);
        dict["weight_decay"] = ScalarTensor(_weightDecay);
        dict["momentum"] = ScalarTensor(_momentum);
        dict["centered"] = ScalarTensor(_centered ? 1 : 0);
    }

    /// <inheritdoc/>
    protected override void SetHyperparameters(IReadOnlyDictionary<string, Tensor> dict) =>
        Configure(dict["alpha"].Item(), dict["eps"].Item(), dict["weight_decay"].Item(), dict["momentum"].Item(), dict["centered"].Item() != 0);

    private void Configure(double alpha, double eps, double weightDecay, double momentum, bool centered)
    {
        RequireNonNegative("alpha", alpha);
        RequireNonNegative("eps", eps);
        RequireNonNegative("weight_decay", weightDecay);
        RequireNonNegative("momentum", momentum);
        _alpha = alpha;
        _eps = eps;
        _weightDecay = weightDecay;
        _momentum = momentum;
        _centered = centered;
    }

    /// <inheritdoc/>
    protected override void Update<T>(Tensor parameter, Tensor grad, Dictionary<string, Tensor> state)
    {
        IncrementStep(state);
        var squareAvg = GetOrAddZeros(state, "square_avg", parameter).Storage<T>();
        T[]? momentumBuffer = _momentum > 0 ? GetOrAddZeros(state, "momentum_buffer", parameter).Storage<T>() : null;
        T[]? gradAvg = _centered ? GetOrAddZeros(state, "grad_avg", parameter).Storage<T>() : null;
        var (p, g) = (parameter.Storage<T>(), grad.Storage<T>());
        if (_weightDecay == 0 && _momentum == 0 && !_centered)
        {
            Plan.Add<T, Rule<T, CommonUpdate>>(new(Lr, _alpha, _eps, 0, 0, false), p, g, squareAvg, null, null);
        }
        else
        {
            Plan.Add<T, Rule<T, ExtendedUpdate>>(new(Lr, _alpha, _eps, _weightDecay, _momentum, _centered), p, g, squareAvg, momentumBuffer, gradAvg);
        }
    }

    /// <summary>
    /// RMSprop's update. Its common setting (<see cref="IUpdateVariant"/>) is the defaults': no weight
    /// decay, no momentum, not centered.
    /// </summary>
    private readonly struct Rule<T, TVariant>(double lr, double alpha, double eps, double weightDecay, double momentum, bool centered) : IUpdateRule<T>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVariant : struct, IUpdateVariant
    {
        private readonly Vector<T> _negLr = UpdateKernel.Splat<T>(-lr);
        private readonly Vector<T> _alpha = UpdateKernel.Splat<T>(alpha);
        private readonly Vector<T> _oneMinusAlpha = UpdateKernel.Splat<T>(1 - alpha);
        private readonly Vector<T> _oneMinusLerpWeight = Vector<T>.One - UpdateKernel.Splat<T>(1 - alpha);
        private readonly bool _smallLerpWeight = Math.Abs(1 - alpha) < 0.5;
        private readonly Vector<T> _eps = UpdateKernel.Splat<T>(eps);
        private readonly Vector<T> _weightDecay = UpdateKernel.Splat<T>(weightDecay);
        private readonly bool _hasWeightDecay = weightDecay != 0;
        private readonly Vector<T> _momentum = UpdateKernel.Splat<T>(momentum);
        private readonly bool _hasMomentum = momentum > 0;
        private readonly bool _centered = centered;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply(ref Vector<T> p, Vector<T> g, ref Vector<T> squareAvg, ref Vector<T> momentumBuffer, ref Vector<T> gradAvg)
        {
            if (TVariant.Extended && _hasWeightDecay)
            {
                g += _weightDecay * p;
            }

            // The new averages are kept in registers rather than read back through their references.
            var square = (squareAvg * _alpha) + (_oneMinusAlpha * g * g);
            squareAvg = square;
            Vector<T> avg;
            if (TVariant.Extended && _centered)
            {
                var mean = UpdateKernel.Lerp(gradAvg, g, _oneMinusAlpha, _oneMinusLerpWeight, _smallLerpWeight);
                gradAvg = mean;
                avg = Vector.SquareRoot(square - (mean * mean));
            }
            else
            {
                avg = Vector.SquareRoot(square);
            }

            avg += _eps;
            if (TVariant.Extended && _hasMomentum)
            {
                var buffer = (momentumBuffer * _momentum) + (g / avg);
                momentumBuffer = buffer;
                p += _negLr * buffer;
            }
            else
            {
                p += _negLr * g / avg;
            }
        }
    }
}
