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
