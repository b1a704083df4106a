using Backprop.NN;
using Backprop.Optim;

namespace Backprop.Tests.NN;

public class RecurrentLayerTests
{
    private static RNNBase Create(string mode, int input, int hidden, int layers, bool batchFirst = false, bool bias = true, long seed = 1, DType dtype = DType.Float64)
    {
        var g = new Generator(seed);
        return mode switch
        {
            "lstm" => new LSTM(input, hidden, layers, bias, batchFirst, generator: g, dtype: dtype),
            "gru" => new GRU(input, hidden, layers, bias, batchFirst, generator: g, dtype: dtype),
            _ => new RNN(input, hidden, layers, mode, bias, batchFirst, generator: g, dtype: dtype),
        };
    }

    private static (Tensor Output, Tensor H, Tensor? C) Run(RNNBase module, Tensor x, Tensor? h0, Tensor? c0) => module switch
    {
        LSTM lstm => Unpack(lstm.Forward(x, h0 is null ? null : (h0, c0!))),
        GRU gru => Append(gru.Forward(x, h0)),
        RNN rnn => Append(rnn.Forward(x, h0)),
        _ => throw new ArgumentException(module.GetType().Name),
    };

    private static (Tensor, Tensor, Tensor?) Unpack((Tensor Output, (Tensor H, Tensor C) State) r) => (r.Output, r.State.H, r.State.C);

    private static (Tensor, Tensor, Tensor?) Append((Tensor Output, Tensor H) r) => (r.Output, r.H, null);

    [Theory]
    [InlineData("lstm", false)]
    [InlineData("lstm", true)]
    [InlineData("gru", false)]
    [InlineData("gru", true)]
    [InlineData("tanh", false)]
    [InlineData("relu", true)]
    public void TwoLayerModuleMatchesTheReferenceEquations(string mode, bool batchFirst)
    {
        // hidden 11 exercises both the vector loop and the scalar tail of the gate kernels.
        const int steps = 4, batch = 3, input = 5, hidden = 11, layers = 2;
        var module = Create(mode, input, hidden, layers, batchFirst);
        var g = new Generator(7);
        var x = Tensor.Randn(batchFirst ? [batch, steps, input] : [steps, batch, input], g, DType.Float64);
        var h0 = Tensor.Randn([layers, batch, hidden], g, DType.Float64) * 0.5;
        var c0 = mode == "lstm" ? Tensor.Randn([layers, batch, hidden], g, DType.Float64) : null;

        var (output, h, c) = Run(module, x, h0, c0);

        var state = module.StateDict();
        var layerInput = batchFirst ? RecurrentReference.SwapFirstTwo(x.ToArray(), batch, steps, input) : x.ToArray();
        var expectedH = new List<double>();
        var expectedC = new List<double>();
        for (int l = 0; l < layers; l++)
        {
            var (o, hl, cl) = RecurrentReference.Layer(
                mode,
                steps,
                batch,
                l == 0 ? input : hidden,
                hidden,
                layerInput,
                h0[l].ToArray(),
                c0?[l].ToArray(),
                state[$"weight_ih_l{l}"].ToArray(),
                state[$"weight_hh_l{l}"].ToArray(),
                state[$"bias_ih_l{l}"].ToArray(),
                state[$"bias_hh_l{l}"].ToArray());
            layerInput = o;
            expectedH.AddRange(hl);
            expectedC.AddRange(cl);
        }

        Assert.Equal(batchFirst ? [batch, steps, hidden] : [steps, batch, hidden], output.Shape);
        Assert.Equal([layers, batch, hidden], h.Shape);
        var expectedOutput = batchFirst ? RecurrentReference.SwapFirstTwo(layerInput, steps, batch, hidden) : layerInput;
        NNAssert.Close(expectedOutput, output.ToArray(), 1e-12);
        NNAssert.Close([.. expectedH], h.ToArray(), 1e-12);
        if (mode == "lstm")
        {
            NNAssert.Close([.. expectedC], c!.ToArray(), 1e-12);
        }
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("tanh")]
    [InlineData("relu")]
    public void ModuleGradCheckPassesThroughTwoLayersWithTheVectorPath(string mode)
    {
        // hidden 9: vector lanes plus a tail in float64.
        var module = Create(mode, 3, 9, 2, batchFirst: true, seed: 3);
        var g = new Generator(4);
        var x = Tensor.Randn([2, 3, 3], g, DType.Float64, requiresGrad: true);
        var h0 = Tensor.Randn([2, 2, 9], g, DType.Float64, requiresGrad: true);
        var c0 = Tensor.Randn([2, 2, 9], g, DType.Float64, requiresGrad: true);
        Tensor[] inputs = [x, h0, .. mode == "lstm" ? [c0] : Array.Empty<Tensor>(), .. module.Parameters()];

        var result = GradCheck.Check(
            t =>
            {
                var (output, h, c) = Run(module, t[0], t[1], mode == "lstm" ? t[2] : null);
                return Tensor.Concat([output.Flatten(), h.Flatten(), .. c is null ? Array.Empty<Tensor>() : [c.Flatten()]]);
            },
            inputs);

        Assert.True(result.Passed, result.ToString());
        Assert.Equal(inputs.Length, result.Inputs.Count);
    }

    [Theory]
    [InlineData("lstm", 6)]
    [InlineData("lstm", 12)]
    [InlineData("gru", 6)]
    [InlineData("tanh", 6)]
    [InlineData("tanh", 12)]
    public void Float32MatchesFloat64(string mode, int input)
    {
        // 6 + 20 inputs and hidden units: b_ih's gradient from the joint weight-gradient GEMM's column
        // of ones; 12 + 20 = 32 fills whole panels, so it comes from a sum over the rows instead.
        var m64 = Create(mode, input, 20, 1, batchFirst: true);
        var m32 = Create(mode, input, 20, 1, batchFirst: true, seed: 9, dtype: DType.Float32);
        m32.LoadStateDict(m64.StateDict());
        var x64 = Tensor.Randn([5, 7, input], new Generator(2), DType.Float64, requiresGrad: true);
        var x32 = Tensor.FromArray(x64.ToArray<float>(), 5, 7, input).RequiresGrad_();

        var y64 = m64.Forward(x64);
        var y32 = m32.Forward(x32);
        NNAssert.Close(y64.ToArray(), y32.ToArray(), 1e-5);

        y64.Sum().Backward();
        y32.Sum().Backward();
        NNAssert.Close(x64.Grad!.ToArray(), x32.Grad!.ToArray(), 1e-4);
        for (int i = 0; i < 4; i++)
        {
            NNAssert.Close(m64.AllWeights[0][i]!.Grad!.ToArray(), m32.AllWeights[0][i]!.Grad!.ToArray(), 1e-4);
        }
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("tanh")]
    public void LongSequenceSpanningSeveralBufferChunksMatchesStepByStepCells(string mode)
    {
        // 40 steps of batch 64 × 4·64 gate values in float64 are about 5 MB: the layer keeps them in
        // several chunks, so its GEMMs over chunks must sum to what one cell per step gives.
        const int steps = 40, batch = 64, input = 4, hidden = 64;
        var g = new Generator(12);
        var module = Create(mode, input, hidden, 1, seed: 13);
        var x = Tensor.Randn([steps, batch, input], g, DType.Float64, requiresGrad: true);
        var h0 = Tensor.Randn([1, batch, hidden], g, DType.Float64, requiresGrad: true);
        var c0 = Tensor.Randn([1, batch, hidden], g, DType.Float64, requiresGrad: true);
        var upstream = Tensor.Randn([steps, batch, hidden], g, DType.Float64);
        var w = module.AllWeights[0];
        Tensor[] leaves = [x, h0, .. mode == "lstm" ? [c0] : Array.Empty<Tensor>(), .. w];

        var (output, _, _) = Run(module, x, h0, mode == "lstm" ? c0 : null);
        var fused = Backprop.Autograd.Grad((output * upstream).Sum(), leaves);

        var h = h0[0];
        var c = c0[0];
        var outputs = new List<Tensor>();
        for (int t = 0; t < steps; t++)
        {
            if (mode == "lstm")
            {
                (h, c) = Tensor.LstmCell(x[t], h, c, w[0], w[1], w[2], w[3]);
            }
            else
            {
                h = mode == "gru" ? Tensor.GruCell(x[t], h, w[0], w[1], w[2], w[3]) : Tensor.RnnTanhCell(x[t], h, w[0], w[1], w[2], w[3]);
            }

            outputs.Add(h);
        }

        var stepwise = Tensor.Stack(outputs, 0);
        NNAssert.Close(stepwise.ToArray(), output.ToArray(), 1e-12);
        var expected = Backprop.Autograd.Grad((stepwise * upstream).Sum(), leaves);
        for (int i = 0; i < leaves.Length; i++)
        {
            NNAssert.Close(expected[i]!.ToArray(), fused[i]!.ToArray(), 1e-9);
        }
    }

    [Fact]
    public void StateDictKeysAndShapesAreTorchs()
    {
        var lstm = new LSTM(28, 128, numLayers: 2);
        var state = lstm.StateDict();
        Assert.Equal(
            ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"],
            state.Keys);
        Assert.Equal([512, 28], state["weight_ih_l0"].Shape);
        Assert.Equal([512, 128], state["weight_hh_l0"].Shape);
        Assert.Equal([512, 128], state["weight_ih_l1"].Shape);
        Assert.Equal([512], state["bias_hh_l1"].Shape);
        Assert.Equal([36, 5], new GRU(5, 12).StateDict()["weight_ih_l0"].Shape);
        Assert.Equal([12, 5], new RNN(5, 12).StateDict()["weight_ih_l0"].Shape);
        Assert.Equal(["weight_ih_l0", "weight_hh_l0"], new GRU(5, 12, bias: false).StateDict().Keys);
        Assert.Equal(["weight_ih", "weight_hh", "bias_ih", "bias_hh"], new LSTMCell(3, 4).StateDict().Keys);
        Assert.Equal([16, 3], new LSTMCell(3, 4).WeightIh.Shape);
        Assert.Equal([12, 4], new GRUCell(3, 4).WeightHh.Shape);
        Assert.Equal(["weight_ih", "weight_hh"], new RNNCell(3, 4, bias: false).StateDict().Keys);
        Assert.Equal("LSTM(28, 128, num_layers=2)", lstm.ToString());
        Assert.Equal("GRU(5, 12, bias=False, batch_first=True, dropout=0.5)", new GRU(5, 12, bias: false, batchFirst: true, dropout: 0.5).ToString());
        Assert.Equal("RNNCell(3, 4, nonlinearity=relu)", new RNNCell(3, 4, nonlinearity: "relu").ToString());
    }

    [Fact]
    public void StateDictRoundTripLoadsInPlace()
    {
        var source = new LSTM(3, 4, numLayers: 2, generator: new Generator(1));
        var target = new LSTM(3, 4, numLayers: 2, generator: new Generator(2));
        var held = target.Parameters().ToList();
        target.LoadStateDict(source.StateDict());
        Assert.Equal(held, target.Parameters());
        var x = Tensor.Randn([5, 2, 3], new Generator(3));
        Assert.Equal(source.Forward(x).ToArray(), target.Forward(x).ToArray());
    }

    [Theory]
    [InlineData("lstm", 4)]
    [InlineData("gru", 3)]
    [InlineData("tanh", 1)]
    public void InitializationIsUniformWithinOneOverSqrtHidden(string mode, int gates)
    {
        var module = Create(mode, 7, 16, 2, dtype: DType.Float32);
        Assert.Equal(8, module.Parameters().Count());
        var values = module.Parameters().SelectMany(p => p.ToArray()).ToArray();
        int gateRows = gates * 16;
        Assert.Equal((gateRows * 7) + (gateRows * 16) + (2 * gateRows) + (gateRows * 16 * 2) + (2 * gateRows), values.Length);
        Assert.All(values, v => Assert.InRange(v, -0.25, 0.25));
        Assert.True(values.Min() < -0.2 && values.Max() > 0.2);
    }

    [Fact]
    public void CellsMatchOneStepOfTheReference()
    {
        var g = new Generator(5);
        var x = Tensor.Randn([3, 4], g, DType.Float64);
        var h = Tensor.Randn([3, 6], g, DType.Float64);
        var c = Tensor.Randn([3, 6], g, DType.Float64);
        foreach (var mode in new[] { "lstm", "gru", "tanh", "relu" })
        {
            RNNCellBase cell = mode switch
            {
                "lstm" => new LSTMCell(4, 6, generator: g, dtype: DType.Float64),
                "gru" => new GRUCell(4, 6, generator: g, dtype: DType.Float64),
                _ => new RNNCell(4, 6, nonlinearity: mode, generator: g, dtype: DType.Float64),
            };
            var (hNext, cNext) = cell switch
            {
                LSTMCell lstm => lstm.Forward(x, (h, c)),
                GRUCell gru => (gru.Forward(x, h), null),
                RNNCell rnn => (rnn.Forward(x, h), (Tensor?)null),
                _ => throw new InvalidOperationException(),
            };
            var (_, expectedH, expectedC) = RecurrentReference.Layer(
                mode, 1, 3, 4, 6, x.ToArray(), h.ToArray(), c.ToArray(), cell.WeightIh.ToArray(), cell.WeightHh.ToArray(), cell.BiasIh!.ToArray(), cell.BiasHh!.ToArray());
            NNAssert.Close(expectedH, hNext.ToArray(), 1e-12);
            if (cNext is not null)
            {
                NNAssert.Close(expectedC, cNext.ToArray(), 1e-12);
            }

            // Unbatched: (input_size) in, (hidden_size) out, same numbers as row 0.
            var single = cell is LSTMCell l ? l.Forward(x[0], (h[0], c[0])).H : cell is GRUCell gc ? gc.Forward(x[0], h[0]) : ((RNNCell)cell).Forward(x[0], h[0]);
            Assert.Equal([6], single.Shape);
            NNAssert.Close(hNext[0].ToArray(), single.ToArray(), 1e-15);
        }
    }

    [Fact]
    public void UnbatchedInputGivesUnbatchedStates()
    {
        var lstm = new LSTM(3, 4, numLayers: 2, batchFirst: true);
        var (output, (h, c)) = lstm.Forward(Tensor.Randn([5, 3], new Generator(1)), null);
        Assert.Equal([5, 4], output.Shape);
        Assert.Equal([2, 4], h.Shape);
        Assert.Equal([2, 4], c.Shape);
        NNAssert.Close(output[^1].ToArray(), h[1].ToArray(), 0);
    }

    [Fact]
    public void SequenceLengthZeroIsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => new LSTM(3, 4, batchFirst: true).Forward(Tensor.Zeros(2, 0, 3)));
        Assert.Contains("sequence length is 0", ex.Message);
        Assert.Contains("(2x0x3)", ex.Message);
        Assert.Contains("sequence length is 0", Assert.Throws<ArgumentException>(() => Tensor.Gru(Tensor.Zeros(0, 2, 3), Tensor.Zeros(2, 4), Tensor.Zeros(12, 3), Tensor.Zeros(12, 4))).Message);
    }

    [Fact]
    public void InputFeatureSizeMismatchNamesBothSizes()
    {
        var ex = Assert.Throws<ArgumentException>(() => new GRU(28, 16).Forward(Tensor.Zeros(5, 2, 27)));
        Assert.Contains("input feature size 27 does not match input_size 28", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => new LSTMCell(4, 2).Forward(Tensor.Zeros(3, 5)));
        Assert.Contains("input feature size 5 does not match input_size 4", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Tensor.Rnn(Tensor.Zeros(5, 2, 3), Tensor.Zeros(2, 4), Tensor.Zeros(4, 6), Tensor.Zeros(4, 4)));
        Assert.Contains("input feature size 3 does not match input_size 6", ex.Message);
    }

    [Fact]
    public void WrongHiddenStateShapesNameExpectedAndActual()
    {
        var lstm = new LSTM(3, 4, numLayers: 2);
        var x = Tensor.Zeros(5, 2, 3);
        var ex = Assert.Throws<ArgumentException>(() => lstm.Forward(x, (Tensor.Zeros(1, 2, 4), Tensor.Zeros(2, 2, 4))));
        Assert.Contains("h0 must have shape (num_layers x batch x hidden_size) = (2x2x4)", ex.Message);
        Assert.Contains("got (1x2x4)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => lstm.Forward(x, (Tensor.Zeros(2, 2, 4), Tensor.Zeros(2, 3, 4))));
        Assert.Contains("c0 must have shape", ex.Message);
        Assert.Contains("got (2x3x4)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => new GRUCell(3, 4).Forward(Tensor.Zeros(2, 3), Tensor.Zeros(2, 5)));
        Assert.Contains("hx must have shape (2x4)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Tensor.LstmCell(Tensor.Zeros(2, 3), Tensor.Zeros(2, 4), Tensor.Zeros(1, 4), Tensor.Zeros(16, 3), Tensor.Zeros(16, 4)));
        Assert.Contains("cx must have shape (batch x hidden_size) = (2x4), got (1x4)", ex.Message);
        Assert.Contains("unknown nonlinearity", Assert.Throws<ArgumentException>(() => new RNN(3, 4, nonlinearity: "sigmoid")).Message);
    }

    [Fact]
    public void GradientClippingOnALongSequenceKeepsTrainingFinite()
    {
        // 400 steps with large weights: the raw gradient is far above the limit; clipped, SGD stays finite.
        var g = new Generator(6);
        var lstm = new LSTM(2, 8, batchFirst: true, generator: g);
        foreach (var p in lstm.Parameters())
        {
            Init.Uniform(p, -1.5, 1.5, g);
        }

        var head = new Linear(8, 1, generator: g);
        var parameters = lstm.Parameters().Concat(head.Parameters()).ToList();
        var opt = new SGD(parameters, lr: 0.5);
        var x = Tensor.Randn([4, 400, 2], g);
        var target = Tensor.Randn([4, 400, 1], g);
        for (int step = 0; step < 5; step++)
        {
            opt.ZeroGrad();
            var loss = F.MseLoss(head.Forward(lstm.Forward(x)), target, Reduction.Sum);
            loss.Backward();
            double norm = ClipGrad.ClipGradNorm(parameters, maxNorm: 1.0);
            Assert.True(double.IsFinite(norm) && norm > 1, $"step {step}: total norm {norm}");
            double clipped = Math.Sqrt(parameters.Sum(p => p.Grad!.ToArray().Sum(v => v * v)));
            Assert.True(clipped <= 1 + 1e-4, $"clipped norm {clipped}");
            opt.Step();
            Assert.True(double.IsFinite(loss.Item()));
        }

        Assert.All(parameters, p => Assert.All(p.ToArray(), v => Assert.True(double.IsFinite(v))));
    }

    [Fact]
    public void LstmLearnsToRememberTheFirstStep()
    {
        // Label = sign of the first of 8 steps; the rest is noise: only memory through time solves it.
        var g = new Generator(11);
        var lstm = new LSTM(1, 12, batchFirst: true, generator: g);
        var head = new Linear(12, 2, generator: g);
        var opt = new Adam(lstm.Parameters().Concat(head.Parameters()), lr: 0.02);
        double accuracy = 0;
        for (int step = 0; step < 150; step++)
        {
            var x = Tensor.Randn([32, 8, 1], g);
            var labels = Tensor.FromArray(x.ToArray().Where((_, i) => i % 8 == 0).Select(v => v > 0 ? 1L : 0L).ToArray(), 32);
            var (_, (h, _)) = lstm.Forward(x, null);
            var logits = head.Forward(h[0]);
            opt.ZeroGrad();
            F.CrossEntropy(logits, labels).Backward();
            opt.Step();
            accuracy = logits.ArgMax(1).ToArray<long>().Zip(labels.ToArray<long>()).Count(p => p.First == p.Second) / 32.0;
        }

        Assert.True(accuracy >= 0.9, $"accuracy {accuracy}");
    }
}
