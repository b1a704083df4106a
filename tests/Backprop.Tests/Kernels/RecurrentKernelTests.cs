using System.Numerics;
using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

public class RecurrentKernelTests
{
    [Fact]
    public void SingleExpIsWithinAFewUlpOverTheWholeRange()
    {
        double worst = 0;
        var lanes = new float[Vector<float>.Count];
        for (double x = -87; x <= 87.99; x += 0.00137)
        {
            for (int k = 0; k < lanes.Length; k++)
            {
                lanes[k] = (float)(x + (k * 0.0001));
            }

            var y = RecurrentLayer<float>.ExpSingle(new Vector<float>(lanes));
            for (int k = 0; k < lanes.Length; k++)
            {
                double exact = Math.Exp(lanes[k]);
                worst = Math.Max(worst, Math.Abs(y[k] - exact) / exact);
            }
        }

        Assert.True(worst < 2e-7, $"worst relative error {worst:E2}");
    }

    [Fact]
    public void SingleExpClampsInsteadOfOverflowing()
    {
        var y = RecurrentLayer<float>.ExpSingle(new Vector<float>(1000f));
        var z = RecurrentLayer<float>.ExpSingle(new Vector<float>(-1000f));
        Assert.True(float.IsFinite(y[0]) && y[0] > 1e38f);
        Assert.True(z[0] >= 0 && z[0] < 1e-37f);
    }

    [Fact]
    public void SaturatedGatesStayFiniteInFloat32()
    {
        // Pre-activations of ±1000s: σ and tanh must give 0/±1, never NaN or ∞.
        var g = new Generator(3);
        var x = Tensor.Randn([6, 4, 5], g) * 1000.0;
        var w = Tensor.Randn([4 * 16, 5], g) * 10.0;
        var u = Tensor.Randn([4 * 16, 16], g) * 10.0;
        var h0 = Tensor.Zeros(4, 16);
        var (output, _, c) = Tensor.Lstm(x, h0, h0, w, u);
        Assert.All(output.ToArray(), v => Assert.InRange(v, -1, 1));
        Assert.All(c.ToArray(), v => Assert.True(double.IsFinite(v)));
        var (gru, _) = Tensor.Gru(x, h0, Tensor.Randn([3 * 16, 5], g) * 10.0, Tensor.Randn([3 * 16, 16], g) * 10.0);
        Assert.All(gru.ToArray(), v => Assert.InRange(v, -1, 1));
    }
}
