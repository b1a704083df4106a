using Backprop.NN;
using Backprop.Onnx;
using Backprop.Onnx.Proto;

namespace Backprop.Tests.Onnx;

/// <summary>
/// Bidirectional RNN, LSTM and GRU exported to ONNX: one node per layer with direction
/// "bidirectional", run in ONNX Runtime against the library's forward, with zero and with given
/// initial states, the output in PyTorch's (…, 2·hidden) layout and h_n, c_n as (2·num_layers, batch, hidden).
/// </summary>
public sealed class BidirectionalRecurrentExportTests
{
    private const double Tolerance = 1e-4;

    private static RNNBase Create(string kind, int input, int hidden, int layers, bool batchFirst, bool bias, Generator g) => kind switch
    {
        "lstm" => new LSTM(input, hidden, layers, bias, batchFirst, bidirectional: true, generator: g),
        "gru" => new GRU(input, hidden, layers, bias, batchFirst, bidirectional: true, generator: g),
        _ => new RNN(input, hidden, layers, kind, bias, batchFirst, bidirectional: true, generator: g),
    };

    [Theory]
    [InlineData("lstm", false, true)]
    [InlineData("lstm", true, false)]
    [InlineData("gru", false, true)]
    [InlineData("gru", true, false)]
    [InlineData("tanh", false, true)]
    [InlineData("relu", true, true)]
    public void TwoLayersMatchOnnxRuntimeWithOneBidirectionalNodePerLayer(string kind, bool batchFirst, bool bias)
    {
        var g = new Generator(kind.Length + (batchFirst ? 10 : 0));
        var model = Create(kind, 4, 5, 2, batchFirst, bias, g);
        int[] shape = batchFirst ? [3, 6, 4] : [6, 3, 4];
        var x = Tensor.Randn(shape, seed: 3) * 2;
        OnnxRuntimeRunner.AssertMatchesForward(model, shape, x, Tolerance);

        var graph = ModelProto.Parser.ParseFrom(OnnxExport.ToBytes(model, shape)).Graph;
        string opType = kind switch { "lstm" => "LSTM", "gru" => "GRU", _ => "RNN" };
        var nodes = graph.Node.Where(n => n.OpType == opType).ToList();
        Assert.Equal(2, nodes.Count);
        Assert.All(nodes, n => Assert.Equal("bidirectional", n.Attribute.Single(a => a.Name == "direction").S.ToStringUtf8()));
        // The weights stay under their state-dict names in PyTorch's layout: layer 1 reads 2·5 features.
        long gates = kind switch { "lstm" => 4, "gru" => 3, _ => 1 };
        Assert.Equal([gates * 5, 10L], graph.Initializer.Single(t => t.Name == "weight_ih_l1_reverse").Dims);
    }

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("tanh")]
    public void GivenStatesAndTheLastStatesMatchOnnxRuntimeAtTwoBatchSizes(string kind)
    {
        // The initial states come from the input (so the file's initial_h and initial_c are values of the
        // graph, batch-sized), and the model returns output, h_n and c_n side by side per batch row.
        var model = new StatefulBidirectional(kind, new Generator(kind.Length));
        byte[] onnx = OnnxExport.ToBytes(model, [2, 5, 3]);
        foreach (int batch in new[] { 1, 4 })
        {
            var x = Tensor.Randn([batch, 5, 3], seed: batch);
            OnnxRuntimeRunner.AssertMatchesForward(model, [2, 5, 3], x, Tolerance);
            Assert.Equal([batch, (5 * 8) + ((kind == "lstm" ? 2 : 1) * 2 * 4)], OnnxRuntimeRunner.Run(onnx, x).Shape);
        }

        var graph = ModelProto.Parser.ParseFrom(onnx).Graph;
        var node = graph.Node.Single(n => n.OpType is "LSTM" or "GRU" or "RNN");
        Assert.Equal(kind == "lstm" ? 7 : 6, node.Input.Count);
        Assert.All(node.Input.Skip(5), i => Assert.NotEqual("", i));
    }

    /// <summary>
    /// A batch-first bidirectional layer (input 3, hidden 4, one layer) whose initial states are
    /// tanh(Linear(first step)); Forward returns [output, h_nᵀ, c_nᵀ] flattened per batch row.
    /// </summary>
    private sealed class StatefulBidirectional : Module
    {
        public StatefulBidirectional(string kind, Generator g)
        {
            Net = kind switch
            {
                "lstm" => new LSTM(3, 4, batchFirst: true, bidirectional: true, generator: g),
                "gru" => new GRU(3, 4, batchFirst: true, bidirectional: true, generator: g),
                _ => new RNN(3, 4, batchFirst: true, bidirectional: true, generator: g),
            };
            States = new Linear(3, (kind == "lstm" ? 2 : 1) * 2 * 4, generator: g);
        }

        public RNNBase Net { get; }

        public Linear States { get; }

        public override Tensor Forward(Tensor input)
        {
            var s = States.Forward(input.Select(1, 0)).Tanh();
            var states = s.View(-1, s.Shape[1] / 4, 4).Transpose(0, 1);
            Tensor Rows(Tensor t) => t.Transpose(0, 1).Flatten(1);
            switch (Net)
            {
                case LSTM lstm:
                    var (y, (h, c)) = lstm.Forward(input, (states.Narrow(0, 0, 2), states.Narrow(0, 2, 2)));
                    return Tensor.Concat([y.Flatten(1), Rows(h), Rows(c)], 1);
                case GRU gru:
                    var (yg, hg) = gru.Forward(input, states);
                    return Tensor.Concat([yg.Flatten(1), Rows(hg)], 1);
                default:
                    var (yr, hr) = ((RNN)Net).Forward(input, states);
                    return Tensor.Concat([yr.Flatten(1), Rows(hr)], 1);
            }
        }
    }
}
