using System.Globalization;

namespace Backprop.Optim;

/// <summary>
/// The 1cycle policy (<c>torch.optim.lr_scheduler.OneCycleLR</c>, Smith &amp; Topor 2017): the
/// learning rate rises from <see cref="MaxLr"/>/<see cref="DivFactor"/> to <see cref="MaxLr"/> over
/// the first <see cref="PctStart"/> of <see cref="TotalSteps"/>, then anneals to
/// <see cref="MaxLr"/>/(<see cref="DivFactor"/>·<see cref="FinalDivFactor"/>); the momentum (SGD's
/// and RMSprop's <c>Momentum</c>, Adam's and AdamW's β₁) cycles the other way, from
/// <see cref="MaxMomentum"/> down to <see cref="BaseMomentum"/> and back. Step it after every
/// batch's optimizer step, <see cref="TotalSteps"/> times in all; one step more is refused, as in PyTorch.
/// </summary>
/// <remarks>
/// The phases and their boundaries are PyTorch's: phase one ends at step pct_start·total_steps − 1,
/// the last at total_steps − 1, each phase starting where the one before ended; with
/// <see cref="ThreePhase"/> the rate goes back down to the initial rate at step
/// 2·pct_start·total_steps − 2 before the final annealing (fastai's schedule). The optimizer's
/// learning rate given at construction is not used: the base rate is <see cref="MaxLr"/>/<see cref="DivFactor"/>.
/// </remarks>
public sealed class OneCycleLR : LRScheduler
{
    private readonly (double EndStep, double StartLr, double EndLr, double StartMomentum, double EndMomentum)[] _phases;

    /// <summary>
    /// Creates the schedule (<c>OneCycleLR(optimizer, max_lr, total_steps, pct_start=0.3,
    /// anneal_strategy='cos', cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
    /// div_factor=25, final_div_factor=1e4, three_phase=False)</c>) and sets the optimizer's learning
    /// rate (and, cycling momentum, its momentum) for step 0.
    /// </summary>
    /// <param name="optimizer">The optimizer whose learning rate (and momentum) is set at each <see cref="LRScheduler.Step"/>.</param>
    /// <param name="maxLr">The highest learning rate, reached at the end of the first phase.</param>
    /// <param name="totalSteps">The number of steps in the cycle, at least 2 (PyTorch's <c>epochs × steps_per_epoch</c> is <see cref="OneCycleLR(Optimizer, double, int, int, double, AnnealStrategy, bool, double, double, double, double, bool)"/>).</param>
    /// <param name="pctStart">The fraction of the cycle spent raising the rate, in [0, 1] (default 0.3).</param>
    /// <param name="annealStrategy">Cosine (default) or linear annealing within each phase.</param>
    /// <param name="cycleMomentum">Whether the momentum is cycled inversely to the rate (default true).</param>
    /// <param name="baseMomentum">The momentum at the peak learning rate (default 0.85).</param>
    /// <param name="maxMomentum">The momentum at the start and end of the cycle (default 0.95).</param>
    /// <param name="divFactor">The initial rate is <paramref name="maxLr"/>/<paramref name="divFactor"/> (default 25).</param>
    /// <param name="finalDivFactor">The final rate is the initial rate/<paramref name="finalDivFactor"/> (default 1e4).</param>
    /// <param name="threePhase">Whether a third phase brings the rate back to the initial rate before annealing to the final one (default false).</param>
    public OneCycleLR(
        Optimizer optimizer,
        double maxLr,
        int totalSteps,
        double pctStart = 0.3,
        AnnealStrategy annealStrategy = AnnealStrategy.Cos,
        bool cycleMomentum = true,
        double baseMomentum = 0.85,
        double maxMomentum = 0.95,
        double divFactor = 25,
        double finalDivFactor = 1e4,
        bool threePhase = false)
        : base(optimizer, CheckedInitialLr(maxLr, divFactor, finalDivFactor))
    {
        if (totalSteps < 2)
        {
            throw new ArgumentException($"OneCycleLR: totalSteps must be at least 2, got {totalSteps}");
        }

        if (!(pctStart >= 0 && pctStart <= 1))
        {
            throw new ArgumentException($"OneCycleLR: pctStart must be in [0, 1], got {pctStart.ToString(CultureInfo.InvariantCulture)}");
        }

        if (pctStart * totalSteps == 1)
        {
            throw new ArgumentException($"OneCycleLR: pctStart {pctStart.ToString(CultureInfo.InvariantCulture)} × totalSteps {totalSteps} = 1 leaves the rising phase no length (PyTorch divides by zero); choose another pctStart");
        }

        if (!Enum.IsDefined(annealStrategy))
        {
            throw new ArgumentException($"OneCycleLR: annealStrategy must be Cos or Linear, got {annealStrategy}");
        }

        if (cycleMomentum)
        {
            RequireMomentum("baseMomentum", baseMomentum);
            RequireMomentum("maxMomentum", maxMomentum);
            if (optimizer is not (SGD or RMSprop or Adam))
            {
                throw new ArgumentException($"OneCycleLR: {optimizer.GetType().Name} has no momentum to cycle; pass cycleMomentum: false");
            }
        }

        MaxLr = maxLr;
        TotalSteps = totalSteps;
        PctStart = pctStart;
        AnnealStrategy = annealStrategy;
        CycleMomentum = cycleMomentum;
        BaseMomentum = baseMomentum;
        MaxMomentum = maxMomentum;
        DivFactor = divFactor;
        FinalDivFactor = finalDivFactor;
        ThreePhase = threePhase;

        double initial = maxLr / divFactor;
        double min = initial / finalDivFactor;
        double first = (pctStart * totalSteps) - 1;
        _phases = threePhase
            ?
            [
                (first, initial, maxLr, maxMomentum, baseMomentum),
                ((2 * pctStart * totalSteps) - 2, maxLr, initial, baseMomentum, maxMomentum),
                (totalSteps - 1, initial, min, maxMomentum, maxMomentum),
            ]
            :
            [
                (first, initial, maxLr, maxMomentum, baseMomentum),
                (totalSteps - 1, maxLr, min, baseMomentum, maxMomentum),
            ];
        InitialStep();
    }

    /// <summary>
    /// Creates the schedule for <paramref name="epochs"/> × <paramref name="stepsPerEpoch"/> steps
    /// (<c>OneCycleLR(optimizer, max_lr, epochs=…, steps_per_epoch=…)</c>); the other arguments are as in the other constructor.
    /// </summary>
    /// <param name="optimizer">The optimizer whose learning rate (and momentum) is set at each <see cref="LRScheduler.Step"/>.</param>
    /// <param name="maxLr">The highest learning rate.</param>
    /// <param name="epochs">The number of epochs trained, at least 1.</param>
    /// <param name="stepsPerEpoch">The optimizer steps per epoch, at least 1.</param>
    /// <param name="pctStart">The fraction of the cycle spent raising the rate, in [0, 1].</param>
    /// <param name="annealStrategy">Cosine or linear annealing within each phase.</param>
    /// <param name="cycleMomentum">Whether the momentum is cycled inversely to the rate.</param>
    /// <param name="baseMomentum">The momentum at the peak learning rate.</param>
    /// <param name="maxMomentum">The momentum at the start and end of the cycle.</param>
    /// <param name="divFactor">The initial rate is max_lr/div_factor.</param>
    /// <param name="finalDivFactor">The final rate is the initial rate/final_div_factor.</param>
    /// <param name="threePhase">Whether a third phase is used.</param>
    public OneCycleLR(
        Optimizer optimizer,
        double maxLr,
        int epochs,
        int stepsPerEpoch,
        double pctStart = 0.3,
        AnnealStrategy annealStrategy = AnnealStrategy.Cos,
        bool cycleMomentum = true,
        double baseMomentum = 0.85,
        double maxMomentum = 0.95,
        double divFactor = 25,
        double finalDivFactor = 1e4,
        bool threePhase = false)
        : this(optimizer, maxLr, CheckedTotal(epochs, stepsPerEpoch), pctStart, annealStrategy, cycleMomentum, baseMomentum, maxMomentum, divFactor, finalDivFactor, threePhase)
    {
    }

    /// <summary>The peak learning rate (<c>max_lr</c>).</summary>
    public double MaxLr { get; }

    /// <summary>The steps in the cycle (<c>total_steps</c>).</summary>
    public int TotalSteps { get; }

    /// <summary>The fraction of the cycle spent raising the rate (<c>pct_start</c>).</summary>
    public double PctStart { get; }

    /// <summary>Cosine or linear annealing (<c>anneal_strategy</c>).</summary>
    public AnnealStrategy AnnealStrategy { get; }

    /// <summary>Whether the momentum is cycled (<c>cycle_momentum</c>).</summary>
    public bool CycleMomentum { get; }

    /// <summary>The momentum at the peak rate (<c>base_momentum</c>).</summary>
    public double BaseMomentum { get; }

    /// <summary>The momentum at the start and end of the cycle (<c>max_momentum</c>).</summary>
    public double MaxMomentum { get; }

    /// <summary>The initial rate is <see cref="MaxLr"/> divided by this (<c>div_factor</c>).</summary>
    public double DivFactor { get; }

    /// <summary>The final rate is the initial rate divided by this (<c>final_div_factor</c>).</summary>
    public double FinalDivFactor { get; }

    /// <summary>Whether the rate returns to the initial rate in a second phase before the final annealing (<c>three_phase</c>).</summary>
    public bool ThreePhase { get; }

    /// <summary>The momentum (SGD, RMSprop) or β₁ (Adam, AdamW) this schedule sets at <paramref name="step"/>, or NaN without momentum cycling.</summary>
    /// <param name="step">The step, from 0 to <see cref="TotalSteps"/>.</param>
    /// <returns>The momentum at that step.</returns>
    public double MomentumAt(int step) => CycleMomentum ? Compute(step).Momentum : double.NaN;

    /// <inheritdoc/>
    /// <remarks>
    /// Linear annealing past the last phase's end (only at step <see cref="TotalSteps"/>, after the
    /// last optimizer step) extrapolates below the final rate, to a negative rate in PyTorch with
    /// three phases; a rate below 0 is set as 0 here, since an optimizer refuses a negative one.
    /// </remarks>
    protected override double ComputeLr(int epoch) => Math.Max(0, Compute(epoch).Lr);

    /// <inheritdoc/>
    internal override void ApplyOthers(int epoch)
    {
        if (!CycleMomentum)
        {
            return;
        }

        double momentum = Compute(epoch).Momentum;
        switch (Optimizer)
        {
            case SGD sgd:
                sgd.Momentum = momentum;
                break;
            case RMSprop rmsprop:
                rmsprop.Momentum = momentum;
                break;
            case Adam adam:
                adam.Betas = (momentum, adam.Betas.Beta2);
                break;
        }
    }

    private (double Lr, double Momentum) Compute(int step)
    {
        if (step > TotalSteps)
        {
            throw new InvalidOperationException($"OneCycleLR: tried to step {step} times, but the cycle has {TotalSteps} steps (totalSteps); make the cycle as long as the training");
        }

        double start = 0;
        for (int i = 0; i < _phases.Length; i++)
        {
            var phase = _phases[i];
            if (step <= phase.EndStep || i == _phases.Length - 1)
            {
                if (phase.EndStep == start)
                {
                    throw new InvalidOperationException($"OneCycleLR: phase {i + 1} has no length (pctStart {PctStart.ToString(CultureInfo.InvariantCulture)}, totalSteps {TotalSteps}), so step {step} has no learning rate; choose a pctStart below 1");
                }

                double pct = (step - start) / (phase.EndStep - start);
                return (Anneal(phase.StartLr, phase.EndLr, pct), Anneal(phase.StartMomentum, phase.EndMomentum, pct));
            }

            start = phase.EndStep;
        }

        throw new InvalidOperationException("OneCycleLR: unreachable");
    }

    private double Anneal(double start, double end, double pct) => AnnealStrategy == AnnealStrategy.Cos
        ? end + ((start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1))
        : ((end - start) * pct) + start;

    private static double CheckedInitialLr(double maxLr, double divFactor, double finalDivFactor)
    {
        if (!(maxLr > 0) || double.IsInfinity(maxLr))
        {
            throw new ArgumentException($"OneCycleLR: maxLr must be a finite number > 0, got {maxLr.ToString(CultureInfo.InvariantCulture)}");
        }

        if (!(divFactor > 0) || double.IsInfinity(divFactor))
        {
            throw new ArgumentException($"OneCycleLR: divFactor must be a finite number > 0, got {divFactor.ToString(CultureInfo.InvariantCulture)}");
        }

        if (!(finalDivFactor > 0) || double.IsInfinity(finalDivFactor))
        {
            throw new ArgumentException($"OneCycleLR: finalDivFactor must be a finite number > 0, got {finalDivFactor.ToString(CultureInfo.InvariantCulture)}");
        }

        return maxLr / divFactor;
    }

    private static int CheckedTotal(int epochs, int stepsPerEpoch)
    {
        if (epochs < 1)
        {
            throw new ArgumentException($"OneCycleLR: epochs must be at least 1, got {epochs}");
        }

        if (stepsPerEpoch < 1)
        {
            throw new ArgumentException($"OneCycleLR: stepsPerEpoch must be at least 1, got {stepsPerEpoch}");
        }

        long total = (long)epochs * stepsPerEpoch;
        return total <= int.MaxValue ? (int)total : throw new ArgumentException($"OneCycleLR: epochs × stepsPerEpoch = {total} steps is too many");
    }

    private static void RequireMomentum(string name, double value)
    {
        if (!(value >= 0 && value < 1))
        {
            throw new ArgumentException($"OneCycleLR: {name} must be in [0, 1), got {value.ToString(CultureInfo.InvariantCulture)}");
        }
    }
}
