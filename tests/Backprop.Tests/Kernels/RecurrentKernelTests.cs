using Backprop.Tests.NN;

namespace Backprop.Tests.Kernels;

// Alone: it sets the process-wide thread count, and another test's change meanwhile would make its
// two passes run on the same count.
[Collection(ThreadCountCollection.Name)]
public class RecurrentKernelTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void ABidirectionalStackGivesTheSameBitsOnOneAndTwoThreads(int batch)
    {
        var lstm = new Backprop.NN.LSTM(5, 24, numLayers: 2, bidirectional: true, generator: new Generator(3));
        var x = Tensor.Randn([9, batch, 5], new Generator(4), requiresGrad: true);

        float[][] Run()
        {
            var (output, _) = lstm.Forward(x, null);
            var inputs = lstm.Parameters().Prepend(x).ToList();
            var grads = Backprop.Autograd.Grad((output * output).Sum(), inputs);
            return [output.ToArray<float>(), .. grads.Select(t => t!.ToArray<float>())];
        }

        var one = ThreadCount.With(1, Run);
        var two = ThreadCount.With(2, Run);
        for (int i = 0; i < one.Length; i++)
        {
            Assert.True(one[i].AsSpan().SequenceEqual(two[i]), i == 0 ? "outputs differ" : $"gradient {i - 1} differs");
        }
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

    // Batch 96, hidden 40: big enough that rows are split across threads (and each range into 32-row
    // blocks: 32+32+32 on one thread, 32+16 on each of two; batch 70 leaves last blocks of 6 and 3);
    // batch 3 and 5 give a thread a share of one row (once routed to the one-row product, whose sums
    // run in another order); batch 1 splits the input-side product by time steps.
    [Theory]
    [InlineData("lstm", 96)]
    [InlineData("lstm", 70)]
    [InlineData("gru", 96)]
    [InlineData("tanh", 96)]
    [InlineData("lstm", 3)]
    [InlineData("gru", 5)]
    [InlineData("tanh", 3)]
    [InlineData("lstm", 1)]
    public void OneAndTwoThreadsAreBitIdentical(string mode, int batch)
    {
        var g = new Generator(8);
        var x = Tensor.Randn([12, batch, 7], g, requiresGrad: true);
        var h0 = Tensor.Randn([batch, 40], g, requiresGrad: true);
        int gates = mode switch { "lstm" => 4, "gru" => 3, _ => 1 };
        var w = Tensor.Randn([gates * 40, 7], g, requiresGrad: true);
        var u = (Tensor.Randn([gates * 40, 40], g) * 0.2).Detach().RequiresGrad_();
        var b = Tensor.Randn([gates * 40], g, requiresGrad: true);
        var upstream = Tensor.Randn([12, batch, 40], g);

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

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("tanh")]
    public void EveryVectorWidthAndTheScalarTailMatchTheReference(string mode)
    {
        // The gate passes run 512-bit lanes, then 256- and 128-bit lanes on what is left, then scalars.
        // Hidden sizes chosen so that, in float32 (16, 8, 4 lanes) and float64 (8, 4, 2), some rows end in
        // each of those paths: a lane offset or a skipped remainder in any of them shows here.
        // Forward: the scalar float64 equations. Gradients: the recorded decomposition (createGraph),
        // built from separate sigmoid, tanh and product ops, none of which runs the gate passes.
        const int steps = 3, batch = 2, input = 4;
        int gates = mode switch { "lstm" => 4, "gru" => 3, _ => 1 };
        foreach (int hidden in (int[])[1, 3, 7, 15, 16, 17, 31, 33, 67])
        {
            var g = new Generator(20 + hidden);
            var x = Tensor.Randn([steps, batch, input], g, DType.Float64, requiresGrad: true);
            var h0 = (Tensor.Randn([batch, hidden], g, DType.Float64) * 0.5).Detach().RequiresGrad_();
            var c0 = Tensor.Randn([batch, hidden], g, DType.Float64, requiresGrad: true);
            var w = (Tensor.Randn([gates * hidden, input], g, DType.Float64) * 0.5).Detach().RequiresGrad_();
            var u = (Tensor.Randn([gates * hidden, hidden], g, DType.Float64) * (1.0 / Math.Sqrt(hidden))).Detach().RequiresGrad_();
            var bIh = Tensor.Randn([gates * hidden], g, DType.Float64, requiresGrad: true);
            var bHh = Tensor.Randn([gates * hidden], g, DType.Float64, requiresGrad: true);
            var upstream = Tensor.Randn([steps, batch, hidden], g, DType.Float64);
            Tensor[] leaves = [x, h0, .. mode == "lstm" ? [c0] : Array.Empty<Tensor>(), w, u, bIh, bHh];

            Tensor Output(Tensor[] t) => mode switch
            {
                "lstm" => Tensor.Lstm(t[0], t[1], t[2], t[3], t[4], t[5], t[6]).Output,
                "gru" => Tensor.Gru(t[0], t[1], t[2], t[3], t[4], t[5]).Output,
                _ => Tensor.Rnn(t[0], t[1], t[2], t[3], t[4], t[5]).Output,
            };

            var (expected, _, _) = RecurrentReference.Layer(mode, steps, batch, input, hidden, x.ToArray(), h0.ToArray(), mode == "lstm" ? c0.ToArray() : null, w.ToArray(), u.ToArray(), bIh.ToArray(), bHh.ToArray());
            var y64 = Output(leaves);
            NNAssert.Close(expected, y64.ToArray(), 1e-12);
            var fused64 = Backprop.Autograd.Grad((y64 * upstream).Sum(), leaves);
            var recorded = Backprop.Autograd.Grad((Output(leaves) * upstream).Sum(), leaves, createGraph: true);

            var leaves32 = leaves.Select(t => t.Detach().Float().RequiresGrad_()).ToArray();
            var y32 = Output(leaves32);
            NNAssert.Close(expected, y32.ToArray(), 2e-6);
            var fused32 = Backprop.Autograd.Grad((y32 * upstream.Float()).Sum(), leaves32);
            for (int k = 0; k < leaves.Length; k++)
            {
                var r = recorded[k]!.ToArray();
                var (f64, f32) = (fused64[k]!.ToArray(), fused32[k]!.ToArray());
                for (int i = 0; i < r.Length; i++)
                {
                    double scale = Math.Max(1, Math.Abs(r[i]));
                    Assert.True(Math.Abs(f64[i] - r[i]) <= 1e-12 * scale, $"{mode}, hidden {hidden}, float64, input {k}, element {i}: fused {f64[i]:R}, recorded {r[i]:R}");
                    Assert.True(Math.Abs(f32[i] - r[i]) <= 2e-5 * scale, $"{mode}, hidden {hidden}, float32, input {k}, element {i}: fused {f32[i]:R}, recorded {r[i]:R}");
                }
            }
        }
    }

    [Fact]
    public void ANaNInputGivesNaNNotAFiniteGate()
    {
        // The float32 gate passes clamp the exponent's argument: a NaN must pass through the clamp.
        var g = new Generator(5);
        var x = Tensor.Randn([2, 3, 4], g);
        var values = x.ToArray<float>();
        values[5] = float.NaN;
        x = Tensor.FromArray(values, 2, 3, 4);
        var h0 = Tensor.Zeros(3, 37);
        var (output, _, c) = Tensor.Lstm(x, h0, h0, Tensor.Randn([4 * 37, 4], g), Tensor.Randn([4 * 37, 37], g));
        var (gru, _) = Tensor.Gru(x, h0, Tensor.Randn([3 * 37, 4], g), Tensor.Randn([3 * 37, 37], g));

        // Batch row 1 of step 0 read the NaN (x[0, 1, 1]): all its hidden units are NaN from then on.
        foreach (var h in (Tensor[])[output, gru])
        {
            var a = h.ToArray<float>();
            for (int j = 0; j < 37; j++)
            {
                Assert.True(float.IsNaN(a[37 + j]), $"hidden unit {j} of row 1 at step 0 is {a[37 + j]}");
                Assert.False(float.IsNaN(a[j]), $"row 0 at step 0 is NaN");
            }
        }

        Assert.True(float.IsNaN(c.ToArray<float>()[37]));
    }
}
