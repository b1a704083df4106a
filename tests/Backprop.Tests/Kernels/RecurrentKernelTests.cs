namespace Backprop.Tests.Kernels;

public class RecurrentKernelTests
{
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
