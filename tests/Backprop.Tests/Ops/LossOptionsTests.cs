using Backprop.NN;

namespace Backprop.Tests.Ops;

/// <summary>
/// cross_entropy's weight, ignore_index and label_smoothing, nll_loss's weight and ignore_index,
/// BCE-with-logits' weight and pos_weight, and the L1, smooth L1, Huber and KL-divergence losses:
/// values and gradients from PyTorch 1.13 in float64 (torch.nn.functional with the same arguments; a loss
/// without reduction is backpropagated from Σ wₙ·lₙ with wₙ = 1, 2, …), the module wrappers, errors.
/// </summary>
public class LossOptionsTests
{
    private static readonly double[] s_logits =
    [
        1.5, -0.5, 0.25, 2.0, 0.1, 0.2, -1.3, 0.7, -2.0, 1.0, 0.5, 0.0, 0.3, -0.3, 1.1, -0.9, 0.0, 2.5, -0.5, 1.5,
    ];

    private static Tensor Logits() => Tensor.FromArray(s_logits, 5, 4).RequiresGrad_();

    private static Tensor Labels(params long[] labels) => Tensor.FromArray(labels, labels.Length);

    private static Tensor ClassWeights() => Tensor.FromArray(new[] { 0.5, 2.0, 1.5, 0.75 }, 4);

    /// <summary>The loss's values and d(Σ wₙ·lₙ)/dx with wₙ = 1, 2, … (d(loss)/dx for a scalar), as the PyTorch numbers were made.</summary>
    private static (double[] Values, double[] Gradient) Run(Tensor x, Func<Tensor, Tensor> loss)
    {
        var y = loss(x);
        if (y.Rank == 0)
        {
            y.Backward();
        }
        else
        {
            (y * Tensor.Arange(1, y.Numel + 1, dtype: DType.Float64).Reshape(y.Shape)).Sum().Backward();
        }

        return (y.ToArray(), x.Grad!.ToArray());
    }

    private static void Check(double[] values, double[] gradient, (double[] Values, double[] Gradient) actual, double tolerance = 1e-14)
    {
        ReductionTests.AssertClose(values, actual.Values, tolerance, "value");
        ReductionTests.AssertClose(gradient, actual.Gradient, tolerance, "gradient");
    }

    [Fact]
    public void CrossEntropyIgnoresTheIgnoreIndexAndAveragesOverTheRest()
    {
        // F.cross_entropy(x, [0, 3, -100, 2, 1]): the mean over the 4 samples kept.
        var t = Labels(0, 3, -100, 2, 1);
        Check(
            [0.7402531010714932],
            [-0.16858166262168472, 0.011018773749748386, 0.023326744211268634, 0.1342361446606677, 0.05989621161822825, 0.06619555118337059, 0.014770223936659058, -0.1408619867382579, 0.0, 0.0, 0.0, 0.0, 0.06134146255947897, 0.03366490842766812, -0.11348206446029122, 0.018475693473144116, 0.013683099863061812, -0.08330571855454691, 0.008299219586856725, 0.0613233991046284],
            Run(Logits(), x => Tensor.CrossEntropy(x, t)));
        Check(
            [1.121860395306458, 0.8288476598456025, 0.0, 0.6050049159736142, 0.40529943316029804],
            [-0.6743266504867389, 0.04407509499899354, 0.09330697684507454, 0.5369445786426708, 0.479169692945826, 0.5295644094669647, 0.11816179149327247, -1.1268958939060632, 0.0, 0.0, 0.0, 0.0, 0.9814634009516635, 0.5386385348426899, -1.8157130313646594, 0.29561109557030585, 0.27366199726123625, -1.6661143710909383, 0.1659843917371345, 1.226467982092568],
            Run(Logits(), x => Tensor.CrossEntropy(x, t, Reduction.None)));
    }

    [Fact]
    public void CrossEntropyWithClassWeightsDividesByTheirSum()
    {
        // F.cross_entropy(x, t, weight=[0.5, 2, 1.5, 0.75]): Σ w[tₙ]·lₙ / Σ w[tₙ] over the samples kept.
        var t = Labels(0, 3, -100, 2, 1);
        Check(
            [0.6106678279617784],
            [-0.07098175268281462, 0.0046394836841045835, 0.009821787036323635, 0.05652048196238639, 0.03782918628519679, 0.04180771653686563, 0.009328562486310983, -0.08896546530837339, 0.0, 0.0, 0.0, 0.0, 0.07748395270671027, 0.04252409485600183, -0.14334576563405205, 0.023337718071339934, 0.02304522082199884, -0.14030436809186847, 0.013977632988390273, 0.1032815142814794],
            Run(Logits(), x => Tensor.CrossEntropy(x, t, weight: ClassWeights())));
    }

    [Fact]
    public void CrossEntropyWithLabelSmoothingMatchesPyTorch()
    {
        var t = Labels(0, 3, -100, 2, 1);
        // weight and label_smoothing=0.2, mean and none.
        Check(
            [0.8576375141626689],
            [-0.04576489256532549, -0.015137289881714025, -0.0032666952128978916, 0.0641688776599374, 0.03697943345706624, 0.025632651887219256, -0.005372578907829928, -0.05723950643645556, 0.0, 0.0, 0.0, 0.0, 0.06899229678252719, 0.019699625991387727, -0.1031624990835104, 0.014470576309595511, 0.015909638735474595, -0.09995726976335151, -0.002947523376126962, 0.08699515440400395],
            Run(Logits(), x => Tensor.CrossEntropy(x, t, weight: ClassWeights(), labelSmoothing: 0.2)));
        Check(
            [0.9901860020078671, 0.9091599151206922, 0.0, 1.1046945667120704, 1.0697377084320476],
            [-0.2173832396852961, -0.07190212693814162, -0.015516802261264987, 0.30480216888470263, 0.35130461784212935, 0.243510192928583, -0.05103949962438432, -0.5437753111463278, 0.0, 0.0, 0.0, 0.0, 1.3108536388680165, 0.37429289383636677, -1.960087482586698, 0.2749409498823147, 0.3778539199675216, -2.373985156879599, -0.07000368018301537, 2.0661349170950936],
            Run(Logits(), x => Tensor.CrossEntropy(x, t, Reduction.None, ClassWeights(), labelSmoothing: 0.2)));

        // label_smoothing=0.1, sum, no weight.
        Check(
            [3.374762404285973],
            [-0.5993266504867389, 0.01907509499899354, 0.06830697684507453, 0.5119445786426707, 0.214584846472913, 0.23978220473348236, 0.03408089574663623, -0.48844794695303156, 0.0, 0.0, 0.0, 0.0, 0.22036585023791588, 0.10965963371067247, -0.3789282578411649, 0.04890277389257646, 0.029732399452247246, -0.2582228742181877, 0.008196878347426897, 0.2202935964185136],
            Run(Logits(), x => Tensor.CrossEntropy(x, t, Reduction.Sum, labelSmoothing: 0.1)));

        // An ignore_index inside [0, C): ignore_index=1, label_smoothing=0.3 on targets [0, 3, 1, 2, 1].
        Check(
            [1.1031543237085581],
            [-0.14977555016224628, -0.010308301667002149, 0.006102325615024852, 0.15398152621422362, 0.054861615490971, 0.06326073491116078, -0.005306368084454588, -0.11281598231767716, 0.0, 0.0, 0.0, 0.0, 0.05678861674597196, 0.019886544570224155, -0.07630941928038827, -0.00036574203580784525, 0.0, 0.0, 0.0, 0.0],
            Run(Logits(), x => Tensor.CrossEntropy(x, Labels(0, 3, 1, 2, 1), ignoreIndex: 1, labelSmoothing: 0.3)));
    }

    [Fact]
    public void CrossEntropyOptionsOnSpatialInputs()
    {
        // F.cross_entropy of [2, 3, 2] logits, targets [[2, -100], [1, 0]], weight [1, 2, 0.5], label_smoothing=0.1.
        var x = Tensor.FromArray(new[] { 0.1, 0.2, 0.3, -0.4, 1.0, 0.0, 0.5, -0.5, 2.0, 1.0, -1.0, 0.25 }, 2, 3, 2).RequiresGrad_();
        var t = Tensor.FromArray(new long[] { 2, -100, 1, 0 }, 2, 2);
        Check(
            [0.8437464859083752],
            [0.02506379118098966, 0.0, 0.02319777185136532, 0.0, -0.048261563032354966, 0.0, 0.08646854807668677, -0.22843952154303923, -0.10312543343920613, 0.15227455944316937, 0.01665688536251932, 0.07616496209986978],
            Run(x, l => Tensor.CrossEntropy(l, t, weight: Tensor.FromArray(new[] { 1.0, 2, 0.5 }, 3), labelSmoothing: 0.1)));
    }

    [Fact]
    public void CrossEntropyOnProbabilitiesWithWeightAndSmoothing()
    {
        // F.cross_entropy(x, P, weight=w, label_smoothing=0.25), P = softmax of the rows below; also dL/dP.
        var p = Tensor.FromArray(new[] { 0.2, 0.1, -0.3, 0.9, 1.0, 0.0, 0.0, -1.0, 0.5, 0.5, 0.5, 0.5, 2.0, -1.0, 0.3, 0.1, 0.0, 0.1, 0.2, 0.3 }, 5, 4).Softmax(1).Detach().RequiresGrad_();
        Check(
            [1.8005646236077824],
            [0.04757317346535755, -0.07546037905050515, -0.028739009153845613, 0.05662621473899319, 0.004175019629887133, -0.028163034726139232, -0.050532437778952645, 0.07452045287520474, -0.0191584599973838, 0.017330467410825535, -0.0038354741969203604, 0.005663466783478619, -0.019696989223609844, -0.013404460292436143, 0.042356610106639665, -0.009255160590593697, -0.009286153974795701, 0.062494949955038036, -0.06963014594293729, 0.016421349962694995],
            Run(Logits(), x => Tensor.CrossEntropy(x, p, weight: ClassWeights(), labelSmoothing: 0.25)));
        ReductionTests.AssertClose(
            [0.08413952964798437, 0.9365581185919375, 0.5336685889439532, 0.06995929447197653, 0.10716357448842018, 0.3986542979536808, 0.6364907234652607, 0.0932453617326303, 0.27788798717392005, 0.21155194869568023, 0.27116396152176026, 0.19183198076088012, 0.10537536869802105, 0.6015014747920844, 0.13612610609406323, 0.2930630530470317, 0.21789745748702238, 0.12158982994808942, 0.7661923724610673, 0.15809618623053356],
            p.Grad!.ToArray(),
            1e-14,
            "dL/dP");
    }

    [Fact]
    public void CrossEntropyDefaultsGiveTheSameNumbersAsBefore()
    {
        // No option set: the same path and bits as the plain call, float32 included.
        var x = Tensor.Randn([6, 5], seed: 3);
        var t = Tensor.RandInt(0, 5, [6], new Generator(4));
        var a = x.Detach().RequiresGrad_();
        var b = x.Detach().RequiresGrad_();
        var plain = Tensor.CrossEntropy(a, t);
        var named = Tensor.CrossEntropy(b, t, Reduction.Mean, weight: null, ignoreIndex: -100, labelSmoothing: 0);
        plain.Backward();
        named.Backward();
        Assert.Equal(plain.Item(), named.Item());
        Assert.Equal(a.Grad!.ToArray(), b.Grad!.ToArray());
        Assert.Same(plain.GradFn!.Op, named.GradFn!.Op);

        // All-ones weights and an ignore index no label uses change nothing either.
        var c = x.Detach().RequiresGrad_();
        var weighted = Tensor.CrossEntropy(c, t, weight: Tensor.Ones([5]), ignoreIndex: 7);
        weighted.Backward();
        Assert.Equal(plain.Item(), weighted.Item(), 6);
        ReductionTests.AssertClose(a.Grad!.ToArray(), c.Grad!.ToArray(), 1e-6, "weights of 1");
    }

    [Fact]
    public void NllLossWithWeightAndIgnoreIndex()
    {
        var t = Labels(0, 3, -100, 2, 1);
        Check(
            [-1.6684210526315788],
            [-0.10526315789473684, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.15789473684210525, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.3157894736842105, 0.0, 0.0, -0.42105263157894735, 0.0, 0.0],
            Run(Logits(), x => Tensor.NllLoss(x, t, weight: ClassWeights())));
        Check(
            [-0.75, -0.5249999999999999, 0.0, -1.6500000000000001, -5.0],
            [-0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -6.0, 0.0, 0.0, -10.0, 0.0, 0.0],
            Run(Logits(), x => Tensor.NllLoss(x, t, Reduction.None, ClassWeights())));
        Check(
            [-5.3],
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, -1.0, 0.0, 0.0],
            Run(Logits(), x => Tensor.NllLoss(x, Labels(0, 3, 1, 2, 1), Reduction.Sum, ignoreIndex: 0)));

        // Every sample ignored: the mean is 0/0 = NaN, as PyTorch's.
        Assert.True(double.IsNaN(Tensor.NllLoss(Logits(), Labels(-100, -100, -100, -100, -100)).Item()));
    }

    [Fact]
    public void BinaryCrossEntropyWithLogitsWeightAndPosWeight()
    {
        var x = Tensor.FromArray(new[] { 1.5, -0.5, 0.25, -3.0, 0.0, 2.0 }, 2, 3);
        var t = Tensor.FromArray(new[] { 1.0, 0.0, 0.3, 0.0, 1.0, 0.8 }, 2, 3);
        var posWeight = Tensor.FromArray(new[] { 2.0, 0.5, 3.0 }, 3);
        var weight = Tensor.FromArray(new[] { 1.0, 0.25 }, 2, 1);
        Check(
            [0.5164300637528675],
            [-0.060808507935452116, 0.0629234447996909, -8.626643045384075e-05, 0.00790431219626113, -0.041666666666666664, -0.018321266209584335],
            Run(x.Detach().RequiresGrad_(), l => Tensor.BinaryCrossEntropyWithLogits(l, t, posWeight: posWeight)));
        Check(
            [0.40282655596550493, 0.4740769841801067, 1.09650307180615, 0.012146837893435514, 0.08664339756999316, 0.18250320717793217],
            [-0.3648510476127127, 0.7550813375962908, -0.0015527957481691335, 0.04742587317756678, -0.3125, -0.164891395886259],
            Run(x.Detach().RequiresGrad_(), l => Tensor.BinaryCrossEntropyWithLogits(l, t, Reduction.None, weight, posWeight)));
        Check(
            [1.7435953178358679],
            [-0.18242552380635635, 0.3775406687981454, 0.2621765008857981, 0.011856468294391695, -0.125, 0.020199269494470568],
            Run(x.Detach().RequiresGrad_(), l => Tensor.BinaryCrossEntropyWithLogits(l, t, Reduction.Sum, weight)));

        // dL/dt with both weights, mean.
        var target = t.Detach().RequiresGrad_();
        Tensor.BinaryCrossEntropyWithLogits(x, target, weight: weight, posWeight: posWeight).Backward();
        ReductionTests.AssertClose(
            [-0.21643112033620793, 0.002160251318324443, 0.1503131399596145, 0.25202447298223923, -0.014440566261665526, -0.07275599907975229],
            target.Grad!.ToArray(),
            1e-14,
            "dL/dt");

        // Logits of ±1000 stay finite with weights, in float32.
        var big = Tensor.BinaryCrossEntropyWithLogits(
            Tensor.FromArray(new[] { 1000f, -1000f }, 2),
            Tensor.FromArray(new[] { 0f, 1f }, 2),
            posWeight: Tensor.FromArray(new[] { 2f }, 1));
        Assert.Equal(1500.0, big.Item(), 1e-3);
    }

    [Fact]
    public void L1SmoothL1AndHuberMatchPyTorch()
    {
        var x = Tensor.FromArray(new[] { 0.5, -1.5, 2.0, 0.3, 0.0, -0.2 }, 2, 3);
        var t = Tensor.FromArray(new[] { 0.0, 0.5, 0.25, 0.3, 1.2, -0.9 }, 2, 3);
        Tensor In() => x.Detach().RequiresGrad_();

        Check([1.0250000000000001], [0.16666666666666666, -0.16666666666666666, 0.16666666666666666, 0.0, -0.16666666666666666, 0.16666666666666666], Run(In(), l => Tensor.L1Loss(l, t)));
        Check([0.5, 2.0, 1.75, 0.0, 1.2, 0.7], [1.0, -2.0, 3.0, 0.0, -5.0, 6.0], Run(In(), l => Tensor.L1Loss(l, t, Reduction.None)));

        Check([0.6366666666666666], [0.08333333333333333, -0.16666666666666666, 0.16666666666666666, 0.0, -0.16666666666666666, 0.11666666666666665], Run(In(), l => Tensor.SmoothL1Loss(l, t)));
        Check([0.25, 1.75, 1.5, 0.0, 0.95, 0.44999999999999996], [1.0, -2.0, 3.0, 0.0, -5.0, 6.0], Run(In(), l => Tensor.SmoothL1Loss(l, t, Reduction.None, beta: 0.5)));

        // β = 0 is the L1 loss (PyTorch 2's F.smooth_l1_loss calls l1_loss): the gradient at d = 0 is 0,
        // where PyTorch 1.13's kernel gave −1.
        Check([6.15], [1.0, -1.0, 1.0, 0.0, -1.0, 1.0], Run(In(), l => Tensor.SmoothL1Loss(l, t, Reduction.Sum, beta: 0)));

        Check([0.6366666666666666], [0.08333333333333333, -0.16666666666666666, 0.16666666666666666, 0.0, -0.16666666666666666, 0.11666666666666665], Run(In(), l => Tensor.HuberLoss(l, t)));
        Check([0.125, 0.875, 0.75, 0.0, 0.475, 0.22499999999999998], [0.5, -1.0, 1.5, 0.0, -2.5, 3.0], Run(In(), l => Tensor.HuberLoss(l, t, Reduction.None, delta: 0.5)));

        var target = t.Detach().RequiresGrad_();
        Tensor.HuberLoss(x, target, delta: 0.5).Backward();
        ReductionTests.AssertClose([-0.08333333333333333, 0.08333333333333333, -0.08333333333333333, 0.0, 0.08333333333333333, -0.08333333333333333], target.Grad!.ToArray(), 1e-15, "huber dL/dt");
    }

    [Fact]
    public void KlDivMatchesPyTorchForEveryReduction()
    {
        var q = Tensor.FromArray(new[] { 0.1, 0.5, -0.2, 1.0, -1.0, 0.0 }, 2, 3).LogSoftmax(1).Detach();
        var t = Tensor.FromArray(new[] { 0.2, 0.5, 0.3, 0.0, 0.4, 0.6 }, 2, 3);
        Tensor In() => q.Detach().RequiresGrad_();

        Check([0.584120663497671], [-0.1, -0.25, -0.15, -0.0, -0.2, -0.3], Run(In(), x => Tensor.KlDiv(x, t, Reduction.BatchMean)));
        Check([0.194706887832557], [-0.03333333333333333, -0.08333333333333333, -0.049999999999999996, -0.0, -0.06666666666666667, -0.09999999999999999], Run(In(), x => Tensor.KlDiv(x, t)));
        Check(
            [-0.08722757376186177, 0.040076431532423185, 0.08079817178965665, 0.0, 0.5965260930280902, 0.5380682044070337],
            [-0.2, -1.0, -0.8999999999999999, -0.0, -2.0, -3.5999999999999996],
            Run(In(), x => Tensor.KlDiv(x, t, Reduction.None)));

        var logT = Tensor.FromArray(new[] { 0.2, 0.5, 0.3, 0.1, 0.3, 0.6 }, 2, 3).Log();
        Check([0.7433072691478186], [-0.2, -0.5, -0.3, -0.10000000000000002, -0.3, -0.6], Run(In(), x => Tensor.KlDiv(x, logT, Reduction.Sum, logTarget: true)));

        var logTarget = logT.Detach().RequiresGrad_();
        Tensor.KlDiv(q, logTarget, Reduction.BatchMean, logTarget: true).Backward();
        ReductionTests.AssertClose([0.056386213119069134, 0.27003821576621156, 0.19039908589482832, -0.04474895642748327, 0.33054497401776667, 0.5690341022035168], logTarget.Grad!.ToArray(), 1e-14, "dL/dlog t");

        var target = Tensor.FromArray(new[] { 0.2, 0.5, 0.3, 0.1, 0.4, 0.5 }, 2, 3).RequiresGrad_();
        Tensor.KlDiv(q, target, Reduction.BatchMean).Backward();
        ReductionTests.AssertClose([0.28193106559534564, 0.5400764315324231, 0.6346636196494277, -0.44748956427483255, 1.2456576162851127, 0.8572293919422176], target.Grad!.ToArray(), 1e-14, "dL/dt");
    }

    [Fact]
    public void TheModulesPassTheirOptionsThrough()
    {
        var x = Logits();
        var t = Labels(0, 3, -100, 2, 1);
        var w = ClassWeights();
        Assert.Equal(Tensor.CrossEntropy(x, t, weight: w, labelSmoothing: 0.2).Item(), new CrossEntropyLoss(weight: w, labelSmoothing: 0.2).Forward(x, t).Item());
        var kept = Labels(0, 3, 1, 2, 1);
        Assert.Equal(Tensor.NllLoss(x, kept, Reduction.Sum, w, ignoreIndex: 3).Item(), new NLLLoss(Reduction.Sum, w, ignoreIndex: 3).Forward(x, kept).Item());
        var probabilities = x.Sigmoid().Detach();
        Assert.Equal(
            Tensor.BinaryCrossEntropyWithLogits(x, probabilities, weight: w, posWeight: w).Item(),
            new BCEWithLogitsLoss(weight: w, posWeight: w).Forward(x, probabilities).Item());
        Assert.Equal(Tensor.L1Loss(x, probabilities).Item(), new L1Loss().Forward(x, probabilities).Item());
        Assert.Equal(Tensor.SmoothL1Loss(x, probabilities, beta: 0.3).Item(), new SmoothL1Loss(beta: 0.3).Forward(x, probabilities).Item());
        Assert.Equal(Tensor.HuberLoss(x, probabilities, Reduction.Sum, 0.3).Item(), new HuberLoss(Reduction.Sum, delta: 0.3).Forward(x, probabilities).Item());
        var logp = x.LogSoftmax(1);
        var soft = x.Softmax(1).Detach();
        Assert.Equal(Tensor.KlDiv(logp, soft, Reduction.BatchMean).Item(), new KLDivLoss(Reduction.BatchMean).Forward(logp, soft).Item());
        Assert.Equal("KLDivLoss(reduction='batchmean')", new KLDivLoss(Reduction.BatchMean).ToString());
        Assert.Equal("SmoothL1Loss()", new SmoothL1Loss(beta: 0.5).ToString());

        // The existing calls compile and keep their meaning.
        Assert.Equal(Tensor.CrossEntropy(x, Labels(0, 3, 1, 2, 1), Reduction.Sum).Item(), new CrossEntropyLoss(Reduction.Sum).Forward(x, Labels(0, 3, 1, 2, 1)).Item());
        Assert.Equal(3, new CrossEntropyLoss(labelSmoothing: 0.1, ignoreIndex: 3).IgnoreIndex);
    }

    [Fact]
    public void TheirNodesRecordTheOptions()
    {
        var x = Logits();
        var ce = Assert.IsType<CrossEntropyDefinition>(Tensor.CrossEntropy(x, Labels(0, 3, -100, 2, 1), weight: ClassWeights(), labelSmoothing: 0.2).GradFn!.Op);
        Assert.Equal((-100L, 0.2), (ce.IgnoreIndex, ce.LabelSmoothing));
        Assert.Equal("cross_entropy(reduction: mean, weight: [0.5, 2, 1.5, 0.75], labelSmoothing: 0.2)", ce.ToString());
        Assert.Equal("cross_entropy(reduction: mean)", Tensor.CrossEntropy(x, Labels(0, 3, 1, 2, 1)).GradFn!.Op.ToString());
        Assert.Equal("nll_loss(reduction: sum, ignoreIndex: 0)", Tensor.NllLoss(x, Labels(0, 3, 1, 2, 1), Reduction.Sum, ignoreIndex: 0).GradFn!.Op.ToString());
        var bce = Assert.IsType<BinaryCrossEntropyWithLogitsDefinition>(Tensor.BinaryCrossEntropyWithLogits(x, x.Sigmoid().Detach(), posWeight: ClassWeights()).GradFn!.Op);
        Assert.NotNull(bce.PosWeight);
        Assert.Equal("smooth_l1_loss(reduction: none, beta: 0.5)", Tensor.SmoothL1Loss(x, x.Detach(), Reduction.None, 0.5).GradFn!.Op.ToString());
        Assert.Equal("huber_loss(reduction: mean, delta: 2)", Tensor.HuberLoss(x, x.Detach(), delta: 2).GradFn!.Op.ToString());
        Assert.Equal("kl_div(reduction: batchmean, logTarget: true)", Tensor.KlDiv(x, x.Detach(), Reduction.BatchMean, true).GradFn!.Op.ToString());
        Assert.Equal("l1_loss(reduction: sum)", Tensor.L1Loss(x, x.Detach(), Reduction.Sum).GradFn!.Op.ToString());
    }

    [Fact]
    public void TheirRowsPassGradCheck()
    {
        string[] names =
        [
            "cross_entropy_weight_smoothing", "cross_entropy_ignore_index_none", "cross_entropy_ignore_index_weight", "cross_entropy_probabilities_weight_smoothing",
            "nll_loss_weight_ignore_index", "binary_cross_entropy_with_logits_weights", "binary_cross_entropy_with_logits_pos_weight_sum",
            "l1_loss", "l1_loss_none", "smooth_l1_loss", "smooth_l1_loss_beta_none", "huber_loss", "huber_loss_delta_sum",
            "kl_div_batchmean", "kl_div_log_target_none", "kl_div_mean",
        ];
        foreach (string name in names)
        {
            var row = OpRegistry.Find(name);
            Assert.NotNull(row);
            Assert.True(row.Check().Passed, name);
        }

        // The ignore-index rows do ignore something at their sampled point.
        Assert.Contains(2L, OpRegistry.Find("cross_entropy_ignore_index_none")!.SampleInputs()[1].ToArray<long>());
        Assert.Contains(0L, OpRegistry.Find("cross_entropy_ignore_index_weight")!.SampleInputs()[1].ToArray<long>());
        Assert.Contains(1L, OpRegistry.Find("nll_loss_weight_ignore_index")!.SampleInputs()[1].ToArray<long>());
    }

    [Fact]
    public void BadOptionsAreRefusedByName()
    {
        var x = Logits();
        var t = Labels(0, 3, 1, 2, 1);
        Assert.Equal(
            "cross_entropy: weight must be a 1-D float64 tensor of one weight per class (4), got float64 (3)",
            Assert.Throws<ArgumentException>(() => Tensor.CrossEntropy(x, t, weight: Tensor.Ones([3], DType.Float64))).Message);
        Assert.Equal("cross_entropy: labelSmoothing must be between 0 and 1, got 1.5", Assert.Throws<ArgumentException>(() => Tensor.CrossEntropy(x, t, labelSmoothing: 1.5)).Message);
        Assert.StartsWith(
            "cross_entropy: ignoreIndex (0) is not supported for class-probability targets",
            Assert.Throws<ArgumentException>(() => Tensor.CrossEntropy(x, x.Softmax(1), ignoreIndex: 0)).Message,
            StringComparison.Ordinal);
        Assert.Equal(
            "nll_loss: target label -1 at index 0 is out of range for 4 classes (expected 0 <= label < 4, or the ignoreIndex -100)",
            Assert.Throws<ArgumentException>(() => Tensor.NllLoss(x, Labels(-1, 0, 0, 0, 0))).Message);
        Assert.Equal(
            "binary_cross_entropy_with_logits: posWeight of shape (5) does not broadcast to the input shape (5x4)",
            Assert.Throws<ArgumentException>(() => Tensor.BinaryCrossEntropyWithLogits(x, x.Detach(), posWeight: Tensor.Ones([5], DType.Float64))).Message);
        Assert.Equal("smooth_l1_loss: beta must be non-negative, got -1", Assert.Throws<ArgumentException>(() => Tensor.SmoothL1Loss(x, x.Detach(), beta: -1)).Message);
        Assert.Equal("huber_loss: delta must be positive, got 0", Assert.Throws<ArgumentException>(() => Tensor.HuberLoss(x, x.Detach(), delta: 0)).Message);
        Assert.Equal(
            "l1_loss: input shape (5x4) and target shape (4) must be the same",
            Assert.Throws<ArgumentException>(() => Tensor.L1Loss(x, Tensor.Ones([4], DType.Float64))).Message);
        Assert.Equal(
            "mse_loss: reduction 'batchmean' is only defined for kl_div; expected none, mean or sum",
            Assert.Throws<ArgumentException>(() => Tensor.MseLoss(x, x.Detach(), Reduction.BatchMean)).Message);
        Assert.Equal(
            "kl_div: reduction 9 is not a reduction; expected none, mean, batchmean or sum",
            Assert.Throws<ArgumentException>(() => Tensor.KlDiv(x, x.Detach(), (Reduction)9)).Message);
    }
}
