using System.Numerics;
using System.Runtime.CompilerServices;

namespace Backprop.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
/// decay (<c>torch.optim.SGD</c>), with PyTorch's formulas. For each parameter p with gradient g:
/// <code>
/// g ← g + λ·p                                   (weight decay λ ≠ 0)
/// b ← g on the first step, else b ← μ·b + (1 − τ)·g   (momentum μ ≠ 0, dampening τ)
/// g ← g + μ·b if nesterov, else g ← b          (momentum μ ≠ 0)
/// p ← p − η·g
/// </code>
/// The momentum buffer is state <c>momentum_buffer</c>.
/// </summary>
public sealed class SGD : Optimizer
{
    private static readonly HashSet<string> s_momentumState = ["momentum_buffer"];
    private static readonly HashSet<string> s_noState = [];

    private double _momentum;
    private double _dampening;
    private double _weightDecay;
    private bool _nesterov;

    /// <summary>
    /// Creates the optimizer (<c>torch.optim.SGD(params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False)</c>).
    /// Nesterov momentum requires <paramref name="momentum"/> &gt; 0 and <paramref name="dampening"/> = 0.
    /// </summary>
    /// <param name="parameters">The tensors updated, e.g. <c>model.Parameters()</c>.</param>
    /// <param name="lr">The learning rate, ≥ 0.</param>
    /// <param name="momentum">The momentum factor (default 0: plain gradient descent).</param>
    /// <param name="dampening">How much of each gradient the momentum buffer leaves out, in [0, 1] (default 0).</param>
    /// <param name="weightDecay">The L2 penalty added to the gradient (default 0).</param>
    /// <param name="nesterov">Whether Nesterov momentum is used; needs momentum &gt; 0 and no dampening (default false).</param>
    public SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : base(parameters, lr)
    {
        Configure(momentum, dampening, weightDecay, nesterov);
    }

    /// <summary>
    /// Momentum factor μ (<c>momentum</c>); <see cref="OneCycleLR"/> cycles it. Setting it checks it
    /// as the constructor does (finite, ≥ 0, and &gt; 0 with Nesterov momentum).
    /// </summary>
    public double Momentum
    {
        get => _momentum;
        set => Configure(value, _dampening, _weightDecay, _nesterov);
    }

    /// <summary>Dampening τ applied to the gradient's contribution to the momentum buffer (<c>dampening</c>).</summary>
    public double Dampening => _dampening;

    /// <summary>L2 penalty λ added to the gradient as λ·p (<c>weight_decay</c>).</summary>
    public double WeightDecay => _weightDecay;

    /// <summary>Whether Nesterov momentum is used (<c>nesterov</c>).</summary>
    public bool Nesterov => _nesterov;

    /// <inheritdoc/>
    protected override IReadOnlySet<string> RequiredStateNames => _momentum != 0 ? s_momentumState : s_noState;

    /// <inheritdoc/>
    protected override IReadOnlySet<string> AllStateNames => s_momentumState;

    /// <inheritdoc/>
    protected override void GetHyperparameters(Dictionary<string, Tensor> dict)
    {
        dict["momentum"] = ScalarTensor(_momentum);
        dict["dampening"] = ScalarTensor(_dampening);
        dict["weight_decay"] = ScalarTensor(_weightDecay);
        dict["nesterov"] = ScalarTensor(_nesterov ? 1 : 0);
    }

    /// <inheritdoc/>
    protected override void SetHyperparameters(IReadOnlyDictionary<string, Tensor> dict) =>
        Configure(dict["momentum"].Item(), dict["dampening"].Item(), dict["weight_decay"].Item(), dict["nesterov"].Item() != 0);

    private void Configure(double momentum, double dampening, double weightDecay, bool nesterov)
    {
        RequireNonNegative("momentum", momentum);
        RequireNonNegative("dampening", dampening);
        RequireNonNegative("weight_decay", weightDecay);
        if (nesterov && (momentum <= 0 || dampening != 0))
        {
            throw new ArgumentException($"SGD: nesterov momentum requires momentum > 0 and dampening = 0, got momentum {momentum} and dampening {dampening}");
        }

        _momentum = momentum;
        _dampening = dampening;
        _weightDecay = weightDecay;
        _nesterov = nesterov;
    }

    /// <inheritdoc/>
    protected override void Update<T>(Tensor parameter, Tensor grad, Dictionary<string, Tensor> state)
    {
        T[]? buffer = null;
        bool firstStep = false;
        if (_momentum != 0)
        {
            // PyTorch starts the buffer as a copy of the first gradient rather than from zero.
            firstStep = !state.ContainsKey("momentum_buffer");
            buffer = GetOrAddZeros(state, "momentum_buffer", parameter).Storage<T>();
        }

        var (p, g) = (parameter.Storage<T>(), grad.Storage<T>());
        if (_momentum != 0 && _weightDecay == 0 && !_nesterov && !firstStep)
        {
            Plan.Add<T, Rule<T, CommonUpdate>>(new(Lr, _momentum, _dampening, 0, false, false), p, g, buffer, null, null);
        }
        else
        {
            Plan.Add<T, Rule<T, ExtendedUpdate>>(new(Lr, _momentum, _dampening, _weightDecay, _nesterov, firstStep), p, g, buffer, null, null);
        }
    }

    /// <summary>
    /// SGD's update. Its common setting (<see cref="IUpdateVariant"/>) is heavy-ball momentum after the
    /// first step, without weight decay or Nesterov.
    /// </summary>
    private readonly struct Rule<T, TVariant>(double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool firstStep) : IUpdateRule<T>
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVariant : struct, IUpdateVariant
    {
        private readonly Vector<T> _negLr = UpdateKernel.Splat<T>(-lr);
        private readonly Vector<T> _momentum = UpdateKernel.Splat<T>(momentum);
        private readonly Vector<T> _oneMinusDampening = UpdateKernel.Splat<T>(1 - dampening);
        private readonly Vector<T> _weightDecay = UpdateKernel.Splat<T>(weightDecay);
        private readonly bool _hasWeightDecay = weightDecay != 0;
        private readonly bool _hasMomentum = momentum != 0;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Apply(ref Vector<T> p, Vector<T> g, ref Vector<T> buffer, ref Vector<T> unused1, ref Vector<T> unused2)
        {
            if (TVariant.Extended && _hasWeightDecay)
            {
                g += _weightDecay * p;
            }

            if (!TVariant.Extended || _hasMomentum)
            {
                // The new buffer is kept in a register rather than read back through its reference.
                var next = TVariant.Extended && firstStep ? g : (buffer * _momentum) + (_oneMinusDampening * g);
                buffer = next;
                g = TVariant.Extended && nesterov ? g + (_momentum * next) : next;
            }

            p += _negLr * g;
        }
    }
}
