using Backprop.NN;
using static Backprop.Onnx.OnnxGraphBuilder;

namespace Backprop.Onnx;

/// <summary>
/// RNN, LSTM and GRU as the ONNX RNN, LSTM and GRU ops, one op per layer (a stack of num_layers ops;
/// dropout between layers is a training-time effect and is not exported). The ONNX ops read
/// (seq_len, batch, features), so a batch_first network gets a Transpose on each side (ONNX's own
/// layout=1 attribute is not implemented by ONNX Runtime's CPU kernels). Per layer the weights become
/// W = [weight_ih], R = [weight_hh], B = [bias_ih, bias_hh] (each with a leading num_directions = 1
/// axis), their gate blocks reordered from PyTorch's to ONNX's: LSTM i,f,g,o → i,o,f,c; GRU r,z,n →
/// z,r,h with linear_before_reset = 1, which is PyTorch's n = tanh(W_in x + b_in + r·(W_hn h + b_hn)).
/// </summary>
internal sealed partial class ModuleExporter
{
    /// <summary>ONNX LSTM gate j is PyTorch gate LstmOrder[j]: i, o, f, c(=g) from i, f, g, o.</summary>
    private static readonly int[] LstmOrder = [0, 3, 1, 2];

    /// <summary>ONNX GRU gate j is PyTorch gate GruOrder[j]: z, r, h(=n) from r, z, n.</summary>
    private static readonly int[] GruOrder = [1, 0, 2];

    /// <summary>
    /// A recurrent module inside a Sequential: its forward returns the last layer's h_t for every step,
    /// (seq_len, batch, hidden) or (batch, seq_len, hidden) with batch_first, as the library's does.
    /// </summary>
    private OnnxValue Recurrent(RNNBase rnn, OnnxValue x, string path) => RunLayers(rnn, x, path, lastHidden: false);

    /// <summary>
    /// A module implementing <see cref="IRecurrentClassifier"/>: Reshape (N, T·F) to (N, T, F), the
    /// batch-first network, the last layer's final hidden state h_n[−1] (ONNX's Y_h), then the Linear head.
    /// </summary>
    private OnnxValue RecurrentClassifier(Module module, IRecurrentClassifier classifier, OnnxValue x, string path)
    {
        var rnn = classifier.Recurrent;
        var head = classifier.Head;
        string rnnPath = Child(path, ChildName(module, rnn, path, "Recurrent"));
        string headPath = Child(path, ChildName(module, head, path, "Head"));
        if (!rnn.BatchFirst)
        {
            throw new NotSupportedException($"ONNX export: '{Where(path)}' is an IRecurrentClassifier whose network {rnn} is not batch_first; the classifier reads (batch, steps, features)");
        }

        int features = rnn.InputSize;
        if (x.Rank == 2)
        {
            if (x.Shape[1] % features != 0)
            {
                throw new ArgumentException($"ONNX export: '{Where(path)}' reads rows of {x.Shape[1]} values as steps of input_size {features}, which does not divide them (input shape {x.FormatShape()})");
            }

            int steps = x.Shape[1] / features;
            string target = graph.AddInt64Constant(NodeName(path, "steps"), [0, steps, features]);
            x = new(graph.AddNode("Reshape", NodeName(path, "Reshape"), [x.Name, target]), [x.Shape[0], steps, features]);
        }

        return Export(head, RunLayers(rnn, x, rnnPath, lastHidden: true), headPath);
    }

    /// <summary>The name under which <paramref name="module"/> registered <paramref name="child"/>, for its initializers' state-dict names.</summary>
    private static string ChildName(Module module, Module child, string path, string property)
    {
        foreach (var (name, registered) in module.NamedChildren())
        {
            if (ReferenceEquals(registered, child))
            {
                return name;
            }
        }

        throw new ArgumentException($"ONNX export: '{Where(path)}' is a {module.GetType().Name} whose IRecurrentClassifier.{property} is not one of its child modules");
    }

    /// <summary>
    /// Appends one ONNX op per layer; returns the last layer's output sequence in the module's layout,
    /// or with <paramref name="lastHidden"/> that layer's final hidden state h_n[−1] of shape (batch, hidden).
    /// </summary>
    private OnnxValue RunLayers(RNNBase rnn, OnnxValue x, string path, bool lastHidden)
    {
        if (x.Rank != 3 || x.Shape[2] != rnn.InputSize)
        {
            string layout = rnn.BatchFirst ? $"(batch, seq_len, {rnn.InputSize})" : $"(seq_len, batch, {rnn.InputSize})";
            string unbatched = x.Rank == 2 && x.Shape[1] == rnn.InputSize ? " (the batch dimension is needed: export for a batch of one)" : "";
            throw new ArgumentException($"ONNX export: '{Where(path)}' is {rnn} and takes input {layout}, but its input has shape {x.FormatShape()}{unbatched}");
        }

        var (op, order, attributes) = rnn switch
        {
            LSTM => ("LSTM", LstmOrder, Array.Empty<Backprop.Onnx.Proto.AttributeProto>()),
            GRU => ("GRU", GruOrder, [Attribute("linear_before_reset", 1L)]),
            RNN r => ("RNN", [0], [Attribute("activations", [r.Nonlinearity == "relu" ? "Relu" : "Tanh"])]),
            _ => throw new NotSupportedException($"ONNX export: module '{Where(path)}' is a {rnn.GetType().Name}, an RNNBase of a kind the exporter does not know (LSTM, GRU and RNN are)"),
        };

        int hidden = rnn.HiddenSize;
        string sequence = x.Name;
        int steps = x.Shape[rnn.BatchFirst ? 1 : 0], batch = x.Shape[rnn.BatchFirst ? 0 : 1];
        if (rnn.BatchFirst)
        {
            sequence = graph.AddNode("Transpose", NodeName(path, "to_seq_first"), [sequence], Attribute("perm", [1L, 0L, 2L]));
        }

        string axis1 = graph.AddInt64Constant(NodeName(path, "axis1"), [1]);
        for (int l = 0; l < rnn.NumLayers; l++)
        {
            var weights = rnn.AllWeights[l];
            string layer = "_l" + l.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var inputs = new List<string>
            {
                sequence,
                GateInitializer(Child(path, "weight_ih" + layer), weights[0], order, hidden),
                GateInitializer(Child(path, "weight_hh" + layer), weights[1], order, hidden),
            };
            if (rnn.Bias)
            {
                inputs.Add(BiasInitializer(Child(path, "bias_ih_hh" + layer), Child(path, "bias_ih" + layer), weights[2], Child(path, "bias_hh" + layer), weights[3], order, hidden));
            }

            // Outputs Y (seq_len, num_directions = 1, batch, hidden) and Y_h (num_directions = 1, batch, hidden):
            // the last layer of a classifier needs only Y_h, every other layer only Y.
            bool hiddenOnly = lastHidden && l == rnn.NumLayers - 1;
            var outputs = graph.AddNode(
                op,
                NodeName(path, op + layer),
                inputs,
                hiddenOnly ? [null, "Y_h"] : ["Y"],
                [Attribute("hidden_size", (long)hidden), .. attributes]);
            if (hiddenOnly)
            {
                string axis0 = graph.AddInt64Constant(NodeName(path, "axis0"), [0]);
                return new(graph.AddNode("Squeeze", NodeName(path, "h_n"), [outputs[1], axis0]), [batch, hidden]);
            }

            sequence = graph.AddNode("Squeeze", NodeName(path, "Squeeze" + layer), [outputs[0], axis1]);
        }

        return rnn.BatchFirst
            ? new OnnxValue(graph.AddNode("Transpose", NodeName(path, "to_batch_first"), [sequence], Attribute("perm", [1L, 0L, 2L])), [batch, steps, hidden])
            : new OnnxValue(sequence, [steps, batch, hidden]);
    }

    /// <summary>A (G·hidden, columns) weight as ONNX's (1, G·hidden, columns), gate blocks in ONNX's order, under its state-dict name.</summary>
    private string GateInitializer(string name, Tensor weight, int[] order, int hidden)
    {
        RequireFloat32(name, weight);
        int columns = weight.Shape[1];
        return graph.AddConstant(name, ReorderGates(weight.ToArray<float>(), order, hidden * columns), 1, order.Length * hidden, columns);
    }

    /// <summary>ONNX's B = [bias_ih, bias_hh] of shape (1, 2·G·hidden), each half's gate blocks in ONNX's order.</summary>
    private string BiasInitializer(string name, string inputName, Tensor inputBias, string hiddenName, Tensor hiddenBias, int[] order, int hidden)
    {
        RequireFloat32(inputName, inputBias);
        RequireFloat32(hiddenName, hiddenBias);
        float[] values = [.. ReorderGates(inputBias.ToArray<float>(), order, hidden), .. ReorderGates(hiddenBias.ToArray<float>(), order, hidden)];
        return graph.AddConstant(name, values, 1, values.Length);
    }

    /// <summary>Block j of the result is block order[j] of <paramref name="values"/>, blocks of <paramref name="block"/> values.</summary>
    private static float[] ReorderGates(float[] values, int[] order, int block)
    {
        var result = new float[values.Length];
        for (int j = 0; j < order.Length; j++)
        {
            Array.Copy(values, order[j] * block, result, j * block, block);
        }

        return result;
    }
}
