namespace Backprop.Tests.Autograd;

using Backprop.NN;

/// <summary>
/// Second derivatives through the ops whose backward became differentiable last (issue 19's remaining ops:
/// gather, max along a dim, pad, nll_loss, binary cross-entropy with and without logits, pow with a tensor
/// exponent, LSTM and GRU): a loss, its gradient and a Hessian-vector product H·v (the gradient of ⟨∇L, v⟩,
/// recorded with createGraph) checked against PyTorch 1.13's float64 values. The inputs are rational
/// patterns computed identically in both (((i·a + b) mod m)/m − ½)·s.
/// </summary>
public class SecondOrderPyTorchTests
{
    [Fact]
    public void GatherMatchesPyTorch()
    {
        var x = Pattern([3, 4], 5, 1, 13, 3, requiresGrad: true);
        var index = Tensor.FromArray(new long[] { 0, 3, 2, 2, 1, 0 }, [3, 2]);
        var v = Pattern([3, 4], 3, 2, 7, 2);
        double expectedLoss = -1.4623510383559926;
        double[][] expectedGrad =
        [
            [0.5932065941493806, 0.0, 0.0, 0.7414598219454935, 0.0, 0.0, 0.5914319352585329, 0.0, 0.7174496382640103, 0.03906655097850264, 0.0, 0.0],
        ];
        double[][] expectedHvp =
        [
            [-0.2723601844661871, 0.0, 0.0, -0.03382525148531913, 0.0, 0.0, -1.9749110695206937, 0.0, 0.16482174927938753, -0.473003488570152, 0.0, 0.0],
        ];
        Check(a => a[0].Tanh().Gather(1, index).Pow(3).Sum(), [x], [v], expectedLoss, expectedGrad, expectedHvp);
    }

    [Fact]
    public void MaxAndMinAlongADimMatchPyTorch()
    {
        var x = Pattern([3, 4], 7, 2, 11, 4, requiresGrad: true);
        var v = Pattern([3, 4], 2, 1, 5, 2);
        double expectedLoss = 8.38425756460809;
        double[][] expectedGrad =
        [
            [0.2800667608216489, 4.8595041322314065, 0.0, 0.1946867083315102, 2.4793388429752072, 0.5795782787848095, 0.1353352832366127, 0.0, 0.0, 8.033057851239668, 0.0, 0.0],
        ];
        double[][] expectedHvp =
        [
            [-0.16804005649298934, 1.5272727272727271, 0.0, -0.03893734166630203, 3.2727272727272734, -0.34774696727088567, 0.027067056647322535, 0.0, 0.0, 5.8909090909090915, 0.0, 0.0],
        ];
        Check(a => a[0].Max(1).Values.Pow(3).Sum() + a[0].Min(0, keepDim: true).Values.Exp().Sum(), [x], [v], expectedLoss, expectedGrad, expectedHvp);
    }

    [Fact]
    public void ReflectPaddingMatchesPyTorch()
    {
        var x = Pattern([1, 2, 3, 4], 5, 3, 17, 2, requiresGrad: true);
        var w = Pattern([1, 2, 6, 7], 3, 1, 10, 2);
        var v = Pattern([1, 2, 3, 4], 4, 1, 9, 2);
        double expectedLoss = -0.9890494606146958;
        double[][] expectedGrad =
        [
            [0.25121107266435977, -0.004152249134948099, 1.1102230246251565e-16, 0.0, 0.31141868512110715, -0.8823529411764709, -1.8685121107266436, 0.5044982698961938, 0.0041522491349481, -1.0048442906574393, -3.508650519031142, -6.938893903907228e-18, -0.30519031141868525, 3.6, 0.20346020761245684, -0.07474048442906578, -2.1051903114186854, -0.7536332179930793, 0.004152249134948096, -1.513494809688581, -2.802768166089965, 0.10380622837370235, -0.3114186851211074, 0.9342560553633217],
        ];
        double[][] expectedHvp =
        [
            [0.6039215686274507, 0.015686274509803935, -4.440892098500626e-16, 0.0, -1.6470588235294112, 2.0000000000000004, -2.3529411764705888, 1.0588235294117647, 0.047058823529411785, 2.415686274509804, 1.0196078431372553, -1.6653345369377348e-16, 0.16470588235294126, -5.6, 0.3294117647058824, -0.4705882352941178, 3.0588235294117654, 0.7764705882352935, 0.10980392156862742, -0.6352941176470589, -6.352941176470588, 0.07843137254901958, -1.6470588235294121, -0.7058823529411766],
        ];
        Check(a => (Tensor.Pad(a[0], [1, 2, 2, 1], PadMode.Reflect).Pow(3) * w).Sum(), [x], [v], expectedLoss, expectedGrad, expectedHvp);
    }

    [Fact]
    public void WeightedNllLossMatchesPyTorch()
    {
        var x = Pattern([5, 4], 3, 1, 11, 4, requiresGrad: true);
        var target = Tensor.FromArray(new long[] { 0, 3, 1, 1, 2 });
        var weight = Tensor.FromArray(new[] { 0.5, 2.0, 1.0, 1.5 });
        var v = Pattern([5, 4], 5, 2, 9, 2);
        double expectedLoss = 2.1339905020529444;
        double[][] expectedGrad =
        [
            [-0.08120870680804032, 0.006324968946997054, 0.018829300916762208, 0.056054436944281055, 0.018765092738574254, 0.05586329053414854, 0.16630385326514505, -0.24093223653786786, 0.025020123651432323, -0.2588489459544686, 0.2217384710201934, 0.01209035128284286, 0.025020123651432337, -0.25884894595446856, 0.2217384710201934, 0.01209035128284286, 0.0, 0.0, 0.0, 0.0],
        ];
        double[][] expectedHvp =
        [
            [-0.002191372473908812, 0.0005040730275652728, -0.015236541458415902, 0.01692384090475944, 0.0014070083091673423, -0.04546762379955281, 0.04942588942737475, -0.005365273936989282, 0.0018760110788897876, -0.06062349839940374, 0.06590118590316633, -0.007153698582652376, 0.0351635548581185, 0.03847282663418779, -0.08256805895498157, 0.008931677462675282, 0.0, 0.0, 0.0, 0.0],
        ];
        Check(a => Tensor.NllLoss(a[0].LogSoftmax(1), target, weight: weight, ignoreIndex: 2), [x], [v], expectedLoss, expectedGrad, expectedHvp);
    }

    [Fact]
    public void BinaryCrossEntropyMatchesPyTorchInTheInputAndTheTarget()
    {
        var p = Pattern([3, 4], 5, 3, 13, 0.8, requiresGrad: true, shift: 0.5);
        var t = Pattern([3, 4], 7, 1, 9, 1, requiresGrad: true, shift: 0.5);
        var vp = Pattern([3, 4], 3, 1, 7, 2);
        var vt = Pattern([3, 4], 2, 5, 11, 2);
        double expectedLoss = 0.8431934358852174;
        double[][] expectedGrad =
        [
            [0.0710118720871409, -0.10234873442420611, -0.5246913580246915, -0.012682984381097584, 0.20184162657280938, 0.10726072607260727, -0.08264917328827996, 0.17406112971862223, 0.0047204066811909985, 0.19983054950375215, -0.4475106386421371, -0.06606214197090889],
            [0.07680679837575263, -0.031126125691796836, 0.18310204811135164, 0.031126125691796836, -0.07680679837575263, 0.10398539057123213, -0.010269386701995675, -0.13723545370881016, 0.05299906389333305, -0.05299906389333305, 0.13723545370881007, 0.010269386701995675],
        ];
        double[][] expectedHvp =
        [
            [-0.14782340687669027, -0.055995767203961676, -6.179074697469, 0.29441065175702613, 0.8578148678648417, 0.07196593433981244, 0.1042297952719203, -1.340512007263402, -0.24956570951746698, -0.33860901005450744, -0.12774102435513862, 0.28107802756230554],
            [0.29234303427851815, -0.049299308059415854, 0.925925925925926, 0.049299308059415896, -0.2923430342785181, 0.20606740477003369, -0.14340019685707497, 0.4394724250556495, -0.05259881730469964, 0.3681917211328976, 0.08789448501112986, -0.23900032809512492],
        ];
        Check(a => Tensor.BinaryCrossEntropy(a[0], a[1]), [p, t], [vp, vt], expectedLoss, expectedGrad, expectedHvp);
    }

    [Fact]
    public void WeightedBinaryCrossEntropyWithLogitsMatchesPyTorch()
    {
        var x = Pattern([3, 4], 5, 2, 13, 6, requiresGrad: true);
        var t = Pattern([3, 4], 7, 1, 9, 1, requiresGrad: true, shift: 0.5);
        var weight = Tensor.FromArray(new[] { 0.5, 1.5, 2.0 }, [3, 1]);
        var posWeight = Tensor.FromArray(new[] { 0.7, 1.3, 2.0, 0.9 });
        var vx = Pattern([3, 4], 3, 1, 7, 2);
        var vt = Pattern([3, 4], 2, 5, 11, 2);
        double expectedLoss = 22.44964897274926;
        double[][] expectedGrad =
        [
            [0.014935155622315864, -0.22473394360061644, 0.10566209662419968, -0.08543497161987551, 0.8309644904830459, 0.10980822607644063, -1.1531670210968197, 0.5089065362027906, -0.16815039693078787, 1.0885032922080007, -3.3763911457736366, -0.5774294969047172],
            [0.7092136001486182, -0.02772391771615379, -1.2312190674154528, 0.505522920467405, -1.8541398696395084, 4.984210531633785, 1.5689146689923072, -3.1330940921590735, 2.1527387262337565, -1.1411683751129524, 12.097174703147484, 1.1650048429863682],
        ];
        double[][] expectedHvp =
        [
            [-0.0008276957269457985, -0.132147901194737, -0.39801317316122037, 0.4495473929871264, 1.0681684347968174, 0.47921830309746855, 0.06956604762440685, -0.774362553842837, -1.1912952702129367, 1.3407038738045225, 1.7506863335624414, 0.4660795359411771],
            [0.2619314384384444, -0.0809120507233291, 0.5366027420254802, 0.06599848049073277, -0.9943540922027398, 0.8215960852187434, -1.0012099068715548, 1.059497132990127, -0.21421506046361316, 2.200111947423484, 0.5578783219492669, -1.3333599874817816],
        ];
        Check(a => Tensor.BinaryCrossEntropyWithLogits(a[0], a[1], Reduction.Sum, weight, posWeight), [x, t], [vx, vt], expectedLoss, expectedGrad, expectedHvp);
    }

    [Fact]
    public void PowWithATensorExponentMatchesPyTorch()
    {
        var a0 = Pattern([3, 4], 5, 3, 13, 1.5, requiresGrad: true, shift: 1.0);
        var b0 = Pattern([3, 4], 3, 2, 7, 3, requiresGrad: true);
        var va = Pattern([3, 4], 2, 1, 5, 2);
        var vb = Pattern([3, 4], 4, 3, 9, 2);
        double expectedLoss = 14.906056191643886;
        double[][] expectedGrad =
        [
            [-1.5037256669454575, 0.6072325069206675, -18.927248805836776, 0.24879523574146764, -0.6423806756397731, -0.5214503735696545, 1.0757297429850101, -0.28674982421833445, 0.7259400657799778, -0.6338084984772349, 0.47265753780989506, -1.7402410868426181],
            [-0.7213041947485678, 0.17688130751846515, -6.122372267910433, -0.1824598056086527, 0.20393731575211033, -0.8568123661443205, 0.059563554883864014, 0.3582994014674717, -0.2734510244816553, 0.19317757319552015, -0.8114259223320561, -0.06496336940226408],
        ];
        double[][] expectedHvp =
        [
            [-3.5253247962829146, 0.5416459403953295, -181.2169816585825, 0.4185335239061748, 0.5227752286126186, -0.47740650708671517, -1.049822197542334, -0.32210053909608716, 0.7590173757210289, 0.46773634750968096, 1.5708689089563979, 0.2214088950944716],
            [-1.9945308582601042, 0.22398974089047918, -48.61939837187072, -0.21119405848234507, 0.07240320550928542, -1.6194747232886126, 0.20952941884086443, -0.32470770441462166, -0.10405489487097853, 0.2422297042604191, -0.5840570939731016, 0.25056972402426775],
        ];
        Check(a => a[0].Pow(a[1]).Sum(), [a0, b0], [va, vb], expectedLoss, expectedGrad, expectedHvp);
    }
    /// <summary>Builds the pattern ((i·a + b) mod m / m − ½)·s of the given shape, as the PyTorch script did.</summary>
    private static Tensor Pattern(int[] shape, int a, int b, int m, double s, bool requiresGrad = false, double shift = 0)
    {
        int n = shape.Aggregate(1, (p, d) => p * d);
        var values = Enumerable.Range(0, n).Select(i => (((((i * a) + b) % m) / (double)m) - 0.5) * s).ToArray();
        var t = Tensor.FromArray(values, shape);
        if (shift != 0)
        {
            t = Tensor.FromArray(values.Select(value => value + shift).ToArray(), shape);
        }

        return t.RequiresGrad_(requiresGrad);
    }

    /// <summary>
    /// Checks the loss, its gradient in each input and the Hessian-vector product Σⱼ ∂²L/∂xᵢ∂xⱼ·vⱼ (the gradient of
    /// ⟨∇L, v⟩ with the first gradient recorded) against PyTorch's values, to 1e-10 relative.
    /// </summary>
    private static void Check(Func<Tensor[], Tensor> loss, Tensor[] inputs, Tensor[] vs, double expectedLoss, double[][] expectedGrad, double[][] expectedHvp)
    {
        var l = loss(inputs);
        Assert.Equal(expectedLoss, l.Item(), 1e-12);
        var grads = Backprop.Autograd.Grad(l, inputs, createGraph: true);
        Tensor? inner = null;
        for (int i = 0; i < inputs.Length; i++)
        {
            Near($"dL/dx{i}", expectedGrad[i], grads[i]!.ToArray());
            var term = (grads[i]! * vs[i]).Sum();
            inner = inner is null ? term : inner + term;
        }

        var hvp = Backprop.Autograd.Grad(inner!, inputs);
        for (int i = 0; i < inputs.Length; i++)
        {
            Near($"(H·v) for x{i}", expectedHvp[i], hvp[i]!.ToArray());
        }
    }

    private static void Near(string what, double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-10 * Math.Max(1, Math.Abs(expected[i])), $"{what}[{i}]: {actual[i]:R}, PyTorch {expected[i]:R}");
        }
    }
}
