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

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("tanh")]
    public void OneAndTwoThreadsAreBitIdentical(string mode)
    {
        // Batch 96, hidden 40: big enough that rows are split across threads.
        var g = new Generator(8);
        var x = Tensor.Randn([12, 96, 7], g, requiresGrad: true);
        var h0 = Tensor.Randn([96, 40], g, requiresGrad: true);
        int gates = mode switch { "lstm" => 4, "gru" => 3, _ => 1 };
        var w = Tensor.Randn([gates * 40, 7], g, requiresGrad: true);
        var u = (Tensor.Randn([gates * 40, 40], g) * 0.2).Detach().RequiresGrad_();
        var b = Tensor.Randn([gates * 40], g, requiresGrad: true);
        var upstream = Tensor.Randn([12, 96, 40], g);

        (float[] Output, float[][] Grads) Run()
        {
            var output = mode switch
            {
                "lstm" => Tensor.Lstm(x, h0, h0, w, u, b, b).Output,
                "gru" => Tensor.Gru(x, h0, w, u, b, b).Output,
                _ => Tensor.Rnn(x, h0, w, u, b, b).Output,
            };
            var grads = Backprop.Autograd.Grad((output * upstream).Sum(), [x, h0, w, u, b]);
            return (output.ToArray<float>(), [.. grads.Select(t => t!.ToArray<float>())]);
        }

        var one = ThreadCount.With(1, Run);
        var two = ThreadCount.With(2, Run);
        Assert.True(one.Output.AsSpan().SequenceEqual(two.Output), "outputs differ");
        for (int i = 0; i < one.Grads.Length; i++)
        {
            Assert.True(one.Grads[i].AsSpan().SequenceEqual(two.Grads[i]), $"gradient {i} differs");
        }
    }
}
