using Backprop.NN;

namespace Backprop.Tests.NN;

/// <summary>
/// <c>bidirectional: true</c> for RNN, LSTM and GRU: PyTorch 1.13's float64 outputs and gradients
/// (<see cref="BidirectionalTorchValues"/>) for a 2-layer model loaded from a state dict with PyTorch's
/// keys, the parameters' names, order, shapes and initialization, the states' layout, and the plumbing
/// of the reverse direction against the one-direction ops run on the reversed sequence.
/// </summary>
public class BidirectionalRecurrentTests
{
    private const int Steps = 3, Batch = 2, Input = 3, Hidden = 2, Layers = 2;

    /// <summary>PyTorch's state-dict keys of a 2-layer bidirectional model, in its order.</summary>
    private static readonly string[] s_torchKeys =
    [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
        "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
        "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
        "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
    ];

    private static RNNBase Create(string mode, int input, int hidden, int layers, bool batchFirst = false, long seed = 1, DType dtype = DType.Float64, double dropout = 0) => mode switch
    {
        "lstm" => new LSTM(input, hidden, layers, batchFirst: batchFirst, dropout: dropout, bidirectional: true, generator: new Generator(seed), dtype: dtype),
        "gru" => new GRU(input, hidden, layers, batchFirst: batchFirst, dropout: dropout, bidirectional: true, generator: new Generator(seed), dtype: dtype),
        _ => new RNN(input, hidden, layers, mode, batchFirst: batchFirst, dropout: dropout, bidirectional: true, generator: new Generator(seed), dtype: dtype),
    };

    private static (Tensor Output, Tensor H, Tensor? C) Run(RNNBase module, Tensor x, Tensor? h0, Tensor? c0) => module switch
    {
        LSTM lstm => Unpack(lstm.Forward(x, h0 is null ? null : (h0, c0!))),
        GRU gru => Append(gru.Forward(x, h0)),
        RNN rnn => Append(rnn.Forward(x, h0)),
        _ => throw new ArgumentException(module.GetType().Name),
    };

    private static (Tensor, Tensor, Tensor?) Unpack((Tensor Output, (Tensor H, Tensor C) State) r) => (r.Output, r.State.H, r.State.C);

    private static (Tensor, Tensor, Tensor?) Append((Tensor Output, Tensor H) r) => (r.Output, r.H, null);

    /// <summary>A float64 tensor whose element i (row-major) is f(i), as the PyTorch script filled its tensors.</summary>
    private static Tensor Filled(int[] shape, Func<int, double> f)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        return Tensor.FromArray(Enumerable.Range(0, n).Select(f).ToArray(), shape);
    }

    [Theory]
    [InlineData("tanh", false)]
    [InlineData("tanh", true)]
    [InlineData("relu", false)]
    [InlineData("relu", true)]
    [InlineData("lstm", false)]
    [InlineData("lstm", true)]
    [InlineData("gru", false)]
    [InlineData("gru", true)]
    public void TwoLayerModelLoadedFromATorchStateDictGivesTorchsValuesAndGradients(string mode, bool batchFirst)
    {
        var module = Create(mode, Input, Hidden, Layers, batchFirst);
        int gates = mode switch { "lstm" => 4, "gru" => 3, _ => 1 };
        int[] Shape(string key) =>
            key.StartsWith("weight_ih_l0", StringComparison.Ordinal) ? [gates * Hidden, Input]
            : key.StartsWith("weight_ih", StringComparison.Ordinal) ? [gates * Hidden, 2 * Hidden]
            : key.StartsWith("weight_hh", StringComparison.Ordinal) ? [gates * Hidden, Hidden]
            : [gates * Hidden];

        // The state dict as PyTorch's: the same keys in the same order and shapes, loaded strictly.
        Assert.Equal(s_torchKeys, module.StateDict().Keys);
        var state = s_torchKeys.Select((key, j) => (key, Filled(Shape(key), i => 0.6 * Math.Sin((1.3 * i) + (0.7 * j) + 0.1)))).ToDictionary(e => e.key, e => e.Item2);
        Assert.Equal(s_torchKeys.Select(Shape), module.StateDict().Values.Select(t => t.Shape));
        module.LoadStateDict(state);

        var x = Filled([Steps, Batch, Input], i => 1.5 * Math.Sin((0.9 * i) + 0.5)).RequiresGrad_();
        var h0 = Filled([2 * Layers, Batch, Hidden], i => 0.5 * Math.Cos(0.8 * i)).RequiresGrad_();
        var c0 = Filled([2 * Layers, Batch, Hidden], i => 0.5 * Math.Sin((0.6 * i) + 1)).RequiresGrad_();
        var (output, h, c) = Run(module, batchFirst ? x.Transpose(0, 1) : x, h0, mode == "lstm" ? c0 : null);

        Assert.Equal(batchFirst ? [Batch, Steps, 2 * Hidden] : [Steps, Batch, 2 * Hidden], output.Shape);
        Assert.Equal([2 * Layers, Batch, Hidden], h.Shape);
        var timeMajor = batchFirst ? output.Transpose(0, 1) : output;
        var loss = (Filled([Steps, Batch, 2 * Hidden], k => Math.Cos(0.41 * k)) * timeMajor).Sum()
            + (Filled([2 * Layers, Batch, Hidden], k => Math.Sin((0.53 * k) + 0.2)) * h).Sum();
        if (c is not null)
        {
            Assert.Equal([2 * Layers, Batch, Hidden], c.Shape);
            loss += (Filled([2 * Layers, Batch, Hidden], k => Math.Cos((0.29 * k) + 0.3)) * c).Sum();
        }

        loss.Backward();

        var torch = BidirectionalTorchValues.Values[mode];
        void Check(string key, Tensor actual) => Ops.ReductionTests.AssertClose(torch[key], actual.ToArray(), 1e-12, $"{mode} {key}");
        Check("output", timeMajor);
        Check("h_n", h);
        Check("grad_input", x.Grad!);
        Check("grad_h0", h0.Grad!);
        if (c is not null)
        {
            Check("c_n", c);
            Check("grad_c0", c0.Grad!);
        }
        else
        {
            Assert.Null(c0.Grad);
        }

        foreach (var (key, parameter) in module.NamedParameters())
        {
            Check("grad_" + key, parameter.Grad!);
        }

        Assert.Equal(torch.Keys.Count(k => k.StartsWith("grad_", StringComparison.Ordinal)) - (mode == "lstm" ? 3 : 2), module.NamedParameters().Count());
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("tanh")]
    [InlineData("relu")]
    public void EachDirectionIsTheOneDirectionOpOnTheSequenceOrItsReverse(string mode)
    {
        // hidden 9 takes the gate kernels' vector lanes and their tail; batch_first; the reverse
        // direction must equal the one-direction op run on the reversed steps, read back reversed, for
        // the values and every gradient, and layer 1 reads both directions' 2·9 features.
        const int steps = 5, batch = 3, input = 4, hidden = 9;
        var module = Create(mode, input, hidden, 2, batchFirst: true, seed: 5);
        var g = new Generator(6);
        var x = Tensor.Randn([batch, steps, input], g, DType.Float64, requiresGrad: true);
        var h0 = Tensor.Randn([4, batch, hidden], g, DType.Float64, requiresGrad: true);
        var c0 = Tensor.Randn([4, batch, hidden], g, DType.Float64, requiresGrad: true);
        var upstream = Tensor.Randn([batch, steps, 2 * hidden], g, DType.Float64);
        var upstreamH = Tensor.Randn([4, batch, hidden], g, DType.Float64);
        bool lstm = mode == "lstm";
        Tensor[] leaves = [x, h0, .. lstm ? [c0] : Array.Empty<Tensor>(), .. module.Parameters()];

        var (output, h, c) = Run(module, x, h0, lstm ? c0 : null);
        Tensor Loss(Tensor y, Tensor hn, Tensor? cn) => cn is null ? (y * upstream).Sum() + (hn * upstreamH).Sum() : (y * upstream).Sum() + (hn * upstreamH).Sum() + cn.Tanh().Sum();
        var fused = Backprop.Autograd.Grad(Loss(output, h, c), leaves);

        static Tensor Reverse(Tensor sequence) => Tensor.Stack([.. Enumerable.Range(0, sequence.Shape[0]).Reverse().Select(t => sequence[t])], 0);
        (Tensor Output, Tensor H, Tensor? C) Direction(Tensor sequence, IReadOnlyList<Tensor> w, int state)
        {
            var hx = h0[state];
            return mode switch
            {
                "lstm" => Tensor.Lstm(sequence, hx, c0[state], w[0], w[1], w[2], w[3]),
                "gru" => Append(Tensor.Gru(sequence, hx, w[0], w[1], w[2], w[3])),
                _ => Append(Tensor.Rnn(sequence, hx, w[0], w[1], w[2], w[3], mode)),
            };
        }

        var layerInput = x.Transpose(0, 1);
        var hs = new List<Tensor>();
        var cs = new List<Tensor>();
        for (int l = 0; l < 2; l++)
        {
            var forward = Direction(layerInput, module.AllWeights[2 * l], 2 * l);
            var reverse = Direction(Reverse(layerInput), module.AllWeights[(2 * l) + 1], (2 * l) + 1);
            layerInput = Tensor.Concat([forward.Output, Reverse(reverse.Output)], 2);
            hs.AddRange([forward.H, reverse.H]);
            cs.AddRange(lstm ? [forward.C!, reverse.C!] : []);
        }

        var expectedOutput = layerInput.Transpose(0, 1);
        var expectedH = Tensor.Stack(hs, 0);
        NNAssert.Close(expectedOutput.ToArray(), output.ToArray(), 1e-13);
        NNAssert.Close(expectedH.ToArray(), h.ToArray(), 1e-13);
        var expectedC = lstm ? Tensor.Stack(cs, 0) : null;
        if (lstm)
        {
            NNAssert.Close(expectedC!.ToArray(), c!.ToArray(), 1e-13);
        }

        var expected = Backprop.Autograd.Grad(Loss(expectedOutput, expectedH, expectedC), leaves);
        for (int i = 0; i < leaves.Length; i++)
        {
            NNAssert.Close(expected[i]!.ToArray(), fused[i]!.ToArray(), 1e-11);
        }
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("relu")]
    public void ModuleGradCheckPassesWithZeroStatesAndUnbatched(string mode)
    {
        var module = Create(mode, 3, 5, 2, seed: 7);
        var g = new Generator(8);
        var x = Tensor.Randn([4, 3], g, DType.Float64, requiresGrad: true);
        Tensor[] inputs = [x, .. module.Parameters()];
        var result = GradCheck.Check(
            t =>
            {
                var (output, h, c) = Run(module, t[0], null, null);
                Assert.Equal([4, 10], output.Shape);
                Assert.Equal([4, 5], h.Shape);
                return Tensor.Concat([output.Flatten(), h.Flatten(), .. c is null ? Array.Empty<Tensor>() : [c.Flatten()]]);
            },
            inputs);
        Assert.True(result.Passed, result.ToString());
        Assert.Equal(inputs.Length, result.Inputs.Count);
    }

    [Fact]
    public void UnbatchedInputGivesRowZeroOfTheBatchedResult()
    {
        var lstm = (LSTM)Create("lstm", 3, 4, 2, batchFirst: true);
        var g = new Generator(2);
        var x = Tensor.Randn([5, 3], g, DType.Float64);
        var h0 = Tensor.Randn([4, 4], g, DType.Float64);
        var c0 = Tensor.Randn([4, 4], g, DType.Float64);
        var (output, (h, c)) = lstm.Forward(x, (h0, c0));
        Assert.Equal([5, 8], output.Shape);
        Assert.Equal([4, 4], h.Shape);
        Assert.Equal([4, 4], c.Shape);
        var (batched, (hb, cb)) = lstm.Forward(x.Unsqueeze(0), (h0.Unsqueeze(1), c0.Unsqueeze(1)));
        NNAssert.Close(batched[0].ToArray(), output.ToArray(), 0);
        NNAssert.Close(hb.Select(1, 0).ToArray(), h.ToArray(), 0);
        NNAssert.Close(cb.Select(1, 0).ToArray(), c.ToArray(), 0);

        // h_n's forward entry of the last layer is the output's first half at the last step; the
        // reverse entry is the second half at the first step (where the reverse direction ends).
        NNAssert.Close(output[^1].Narrow(0, 0, 4).ToArray(), h[2].ToArray(), 0);
        NNAssert.Close(output[0].Narrow(0, 4, 4).ToArray(), h[3].ToArray(), 0);
    }

    [Fact]
    public void ParametersReprAndInitializationAreTorchs()
    {
        var lstm = new LSTM(28, 128, numLayers: 2, bidirectional: true);
        Assert.Equal(s_torchKeys, lstm.StateDict().Keys);
        Assert.Equal([512, 28], lstm.StateDict()["weight_ih_l0_reverse"].Shape);
        Assert.Equal([512, 256], lstm.StateDict()["weight_ih_l1"].Shape);
        Assert.Equal([512, 256], lstm.StateDict()["weight_ih_l1_reverse"].Shape);
        Assert.Equal([512, 128], lstm.StateDict()["weight_hh_l1_reverse"].Shape);
        Assert.True(lstm.Bidirectional);
        Assert.False(new LSTM(3, 4).Bidirectional);
        Assert.Equal(4, lstm.AllWeights.Count);
        Assert.Same(lstm.NamedParameters().Single(p => p.Name == "bias_hh_l0_reverse").Parameter, lstm.AllWeights[1][3]);
        Assert.Equal(["weight_ih_l0", "weight_hh_l0", "weight_ih_l0_reverse", "weight_hh_l0_reverse"], new GRU(5, 12, bias: false, bidirectional: true).StateDict().Keys);

        // torch.nn's repr: bidirectional=True last, after dropout.
        Assert.Equal("LSTM(28, 128, num_layers=2, bidirectional=True)", lstm.ToString());
        Assert.Equal("GRU(5, 12, bias=False, batch_first=True, dropout=0.5, bidirectional=True)", new GRU(5, 12, bias: false, batchFirst: true, dropout: 0.5, bidirectional: true).ToString());
        Assert.Equal("RNN(3, 4, bidirectional=True)", new RNN(3, 4, bidirectional: true).ToString());

        // Every parameter, the reverse ones too, from U(−1/√hidden, 1/√hidden).
        var rnn = Create("tanh", 7, 16, 2, dtype: DType.Float32);
        Assert.Equal(16, rnn.Parameters().Count());
        foreach (var (name, p) in rnn.NamedParameters())
        {
            var values = p.ToArray();
            Assert.All(values, v => Assert.InRange(v, -0.25, 0.25));
            Assert.True(values.Max() - values.Min() > 0.2, name);
        }
    }

    [Fact]
    public void Float32MatchesFloat64()
    {
        var m64 = Create("gru", 6, 20, 2, batchFirst: true);
        var m32 = Create("gru", 6, 20, 2, batchFirst: true, seed: 9, dtype: DType.Float32);
        m32.LoadStateDict(m64.StateDict());
        var x64 = Tensor.Randn([5, 7, 6], new Generator(2), DType.Float64, requiresGrad: true);
        var x32 = Tensor.FromArray(x64.ToArray<float>(), 5, 7, 6).RequiresGrad_();
        var y64 = m64.Forward(x64);
        var y32 = m32.Forward(x32);
        NNAssert.Close(y64.ToArray(), y32.ToArray(), 1e-5);
        y64.Sum().Backward();
        y32.Sum().Backward();
        NNAssert.Close(x64.Grad!.ToArray(), x32.Grad!.ToArray(), 1e-4);
        NNAssert.Close(m64.AllWeights[3][1].Grad!.ToArray(), m32.AllWeights[3][1].Grad!.ToArray(), 1e-4);
    }

    [Fact]
    public void DropoutBetweenLayersActsOnBothDirectionsOutputs()
    {
        // Dropout 1 in training zeroes all of layer 0's output, so layer 1 sees zeros: its output is then
        // the same whatever the input; in evaluation there is no dropout.
        var gru = (GRU)Create("gru", 3, 4, 2, dropout: 1);
        var a = Tensor.Randn([4, 2, 3], new Generator(1), DType.Float64);
        var b = Tensor.Randn([4, 2, 3], new Generator(2), DType.Float64);
        Assert.Equal(gru.Forward(a).ToArray(), gru.Forward(b).ToArray());
        gru.Eval();
        Assert.NotEqual(gru.Forward(a).ToArray(), gru.Forward(b).ToArray());
    }

    [Fact]
    public void WrongStateShapesNameTheBidirectionalLayout()
    {
        var lstm = new LSTM(3, 4, numLayers: 2, bidirectional: true);
        var x = Tensor.Zeros(5, 2, 3);
        var ex = Assert.Throws<ArgumentException>(() => lstm.Forward(x, (Tensor.Zeros(2, 2, 4), Tensor.Zeros(4, 2, 4))));
        Assert.Equal("LSTM: h0 must have shape (2·num_layers x batch x hidden_size) = (4x2x4) for input of shape (5x2x3), got (2x2x4)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => new GRU(3, 4, bidirectional: true).Forward(Tensor.Zeros(5, 3), Tensor.Zeros(1, 4)));
        Assert.Equal("GRU: h0 must have shape (2·num_layers x hidden_size) = (2x4) for input of shape (5x3), got (1x4)", ex.Message);
        var width = Assert.Throws<ArgumentException>(() => new RNN(3, 4, bidirectional: true).Forward(Tensor.Zeros(5, 2, 4)));
        Assert.Contains("input feature size 4 does not match input_size 3", width.Message);
    }

    [Fact]
    public void OneNodePerLayerRecordsBothDirections()
    {
        var lstm = new LSTM(3, 4, numLayers: 2, bidirectional: true);
        var (output, _) = lstm.Forward(Tensor.Randn([5, 2, 3], new Generator(1)), null);
        var nodes = Backprop.Autograd.TopologicalOrder(output).Select(t => t.GradFn?.Op).OfType<RecurrentDefinition>().Distinct().ToList();
        Assert.Equal(2, nodes.Count);
        Assert.All(nodes, n => Assert.Equal("lstm(mode: LSTM, bidirectional: true)", n.ToString()));
        Assert.All(nodes, n => Assert.Contains("reverse direction", n.Formula, StringComparison.Ordinal));
        Assert.All(nodes, n => Assert.False(n.HasState));
        Assert.Equal("lstm(mode: LSTM)", Tensor.Lstm(Tensor.Zeros(2, 1, 3), Tensor.Zeros(1, 4), Tensor.Zeros(1, 4), lstm.AllWeights[0][0], lstm.AllWeights[0][1]).Output.GradFn!.Op.ToString());
    }
}
