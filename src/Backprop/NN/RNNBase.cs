using System.Globalization;
using Backprop.Kernels;

namespace Backprop.NN;

/// <summary>
/// What <see cref="RNN"/>, <see cref="LSTM"/> and <see cref="GRU"/> share (PyTorch's <c>RNNBase</c>):
/// a stack of <see cref="NumLayers"/> recurrent layers, layer l reading the hidden states of layer
/// l − 1 (with dropout between layers in training). Parameters are named and ordered as PyTorch's:
/// <c>weight_ih_l{k}</c> (G·hidden, input), <c>weight_hh_l{k}</c> (G·hidden, hidden),
/// <c>bias_ih_l{k}</c>, <c>bias_hh_l{k}</c> (G·hidden), with G = 1 (RNN), 4 (LSTM: i, f, g, o) or
/// 3 (GRU: r, z, n), all initialized U(−1/√hidden, 1/√hidden). Input is (seq_len, batch, input_size),
/// (batch, seq_len, input_size) with batch_first, or (seq_len, input_size) unbatched; the initial
/// states are (num_layers, batch, hidden_size), zeros when not given. Each layer is one fused op
/// that back-propagates through time (<see cref="RecurrentOps.Lstm"/>, <see cref="RecurrentOps.Gru"/>, <see cref="RecurrentOps.Rnn"/>).
/// With <see cref="Bidirectional"/> each layer also runs the sequence from its last step to its first
/// with weights of its own, named with the suffix <c>_reverse</c> and registered after the forward
/// ones of the same layer (PyTorch's order); the output joins the forward and the reverse h_t on its
/// last dim (2·hidden_size features, which layer k &gt; 0 reads), and the states are
/// (2·num_layers, batch, hidden_size), ordered layer 0 forward, layer 0 reverse, layer 1 forward, ….
/// </summary>
public abstract class RNNBase : Module
{
    private readonly RecurrentMode _mode;

    // Per layer and direction (layer 0 forward, layer 0 reverse, layer 1 forward, …): weight_ih,
    // weight_hh, bias_ih, bias_hh (the biases null without bias); the same tensors are registered
    // under their PyTorch names.
    [Unregistered]
    private readonly Tensor?[][] _layers;

    [Unregistered]
    private readonly Generator? _dropoutGenerator;

    private protected RNNBase(
        RecurrentMode mode,
        int inputSize,
        int hiddenSize,
        int numLayers,
        bool bias,
        bool batchFirst,
        double dropout,
        bool bidirectional,
        Generator? generator,
        Generator? dropoutGenerator,
        DType dtype)
    {
        string name = GetType().Name;
        if (inputSize < 1 || hiddenSize < 1 || numLayers < 1)
        {
            throw new ArgumentException($"{name}: input_size, hidden_size and num_layers must be positive, got {inputSize}, {hiddenSize}, {numLayers}");
        }

        if (!(dropout >= 0 && dropout <= 1))
        {
            throw new ArgumentException($"{name}: dropout must be a probability in [0, 1], got {dropout}");
        }

        if (!dtype.IsFloatingPoint())
        {
            throw new ArgumentException($"{name}: dtype must be float32 or float64, got {dtype.Name()}");
        }

        _mode = mode;
        _dropoutGenerator = dropoutGenerator;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        NumLayers = numLayers;
        Bias = bias;
        BatchFirst = batchFirst;
        Dropout = dropout;
        Bidirectional = bidirectional;
        int directions = bidirectional ? 2 : 1;
        int gateRows = RecurrentLayer<double>.GateCount(mode) * hiddenSize;
        _layers = new Tensor?[numLayers * directions][];
        for (int l = 0; l < numLayers; l++)
        {
            for (int d = 0; d < directions; d++)
            {
                var weights = new Tensor?[]
                {
                    Tensor.Zeros([gateRows, l == 0 ? inputSize : directions * hiddenSize], dtype, requiresGrad: true),
                    Tensor.Zeros([gateRows, hiddenSize], dtype, requiresGrad: true),
                    bias ? Tensor.Zeros([gateRows], dtype, requiresGrad: true) : null,
                    bias ? Tensor.Zeros([gateRows], dtype, requiresGrad: true) : null,
                };
                _layers[(l * directions) + d] = weights;
                string suffix = "_l" + l.ToString(CultureInfo.InvariantCulture) + (d == 1 ? "_reverse" : "");
                RegisterParameter("weight_ih" + suffix, weights[0]);
                RegisterParameter("weight_hh" + suffix, weights[1]);
                RegisterParameter("bias_ih" + suffix, weights[2]);
                RegisterParameter("bias_hh" + suffix, weights[3]);
            }
        }

        ResetParameters(generator);
    }

    /// <summary>Features of each input step (<c>input_size</c>).</summary>
    public int InputSize { get; }

    /// <summary>Features of the hidden state (<c>hidden_size</c>).</summary>
    public int HiddenSize { get; }

    /// <summary>Stacked layers (<c>num_layers</c>).</summary>
    public int NumLayers { get; }

    /// <summary>Whether the layers have biases (<c>bias</c>).</summary>
    public bool Bias { get; }

    /// <summary>Whether input and output are (batch, seq_len, features) rather than (seq_len, batch, features) (<c>batch_first</c>).</summary>
    public bool BatchFirst { get; }

    /// <summary>Dropout probability on the outputs of every layer but the last, in training (<c>dropout</c>).</summary>
    public double Dropout { get; }

    /// <summary>
    /// Whether each layer also runs the sequence backwards, doubling the output's features and the
    /// states' first dim (<c>bidirectional</c>).
    /// </summary>
    public bool Bidirectional { get; }

    /// <summary>
    /// Per layer and direction (layer 0, layer 0 reverse, layer 1, …): weight_ih, weight_hh and, with
    /// bias, bias_ih and bias_hh (<c>all_weights</c>).
    /// </summary>
    public IReadOnlyList<IReadOnlyList<Tensor>> AllWeights => [.. _layers.Select(l => (IReadOnlyList<Tensor>)[.. l.OfType<Tensor>()])];

    /// <summary>Re-draws every weight and bias from U(−1/√hidden_size, 1/√hidden_size) (<c>reset_parameters</c>).</summary>
    /// <param name="generator">The random source, or null for <see cref="Generator.Default"/>.</param>
    public void ResetParameters(Generator? generator = null)
    {
        double bound = 1 / Math.Sqrt(HiddenSize);
        foreach (var p in Parameters(recurse: false))
        {
            Init.Uniform(p, -bound, bound, generator);
        }
    }

    /// <inheritdoc/>
    protected override string ExtraRepr()
    {
        var s = string.Create(CultureInfo.InvariantCulture, $"{InputSize}, {HiddenSize}");
        s += NumLayers != 1 ? string.Create(CultureInfo.InvariantCulture, $", num_layers={NumLayers}") : "";
        s += Bias ? "" : ", bias=False";
        s += BatchFirst ? ", batch_first=True" : "";
        s += Dropout != 0 ? ", dropout=" + BatchNormBase.PythonFloat(Dropout) : "";
        s += Bidirectional ? ", bidirectional=True" : "";
        return s;
    }

    /// <summary>The last layer's h_t for every step, from zero initial states (the first element of PyTorch's result).</summary>
    /// <param name="input">The sequence: (L, N, H_in), (N, L, H_in) with <c>batchFirst</c>, or (L, H_in) unbatched; the initial state is zeros.</param>
    /// <returns>A new tensor (L, N, hidden_size), (N, L, hidden_size) with batch_first, or (L, hidden_size) unbatched.</returns>
    public override Tensor Forward(Tensor input) => Run(input, null, null).Output;

    /// <summary>
    /// Runs every layer over <paramref name="input"/> from the initial states (zeros when null);
    /// returns the last layer's h_t for every step (both directions' joined when bidirectional), and
    /// h_T (and c_T) of every layer and direction stacked on dim 0.
    /// </summary>
    private protected (Tensor Output, Tensor H, Tensor? C) Run(Tensor input, Tensor? h0, Tensor? c0)
    {
        ArgumentNullException.ThrowIfNull(input);
        string name = GetType().Name;
        if (input.Rank is not (2 or 3))
        {
            string layout = BatchFirst ? "(batch x seq_len x input_size)" : "(seq_len x batch x input_size)";
            throw new ArgumentException($"{name}: expected input of shape {layout}, or (seq_len x input_size) unbatched, got {Shapes.Format(input._shape)}");
        }

        bool batched = input.Rank == 3;
        int features = input._shape[^1];
        if (features != InputSize)
        {
            throw new ArgumentException($"{name}: input feature size {features} does not match input_size {InputSize} (input of shape {Shapes.Format(input._shape)})");
        }

        var x = !batched ? input.Unsqueeze(1) : BatchFirst ? input.Transpose(0, 1) : input;
        int steps = x._shape[0], batch = x._shape[1];
        if (steps == 0)
        {
            throw new ArgumentException($"{name}: sequence length is 0: input of shape {Shapes.Format(input._shape)} has no time steps");
        }

        var hStates = InitialStates("h0", h0, input, batched, batch);
        var cStates = _mode == RecurrentMode.Lstm ? InitialStates("c0", c0, input, batched, batch) : null;
        var hs = new Tensor[NumLayers];
        var cs = new Tensor[NumLayers];
        for (int l = 0; l < NumLayers; l++)
        {
            Tensor?[] weights = Bidirectional ? [.. _layers[2 * l], .. _layers[(2 * l) + 1]] : _layers[l];
            var outputs = RecurrentOps.RecurrentLayerOutputs(_mode, x, hStates[l], cStates?[l], weights);
            var output = outputs[0];
            hs[l] = outputs[1];
            if (_mode == RecurrentMode.Lstm)
            {
                cs[l] = outputs[2];
            }

            if (l < NumLayers - 1 && Dropout > 0 && IsTraining)
            {
                output = Tensor.Dropout(output, Dropout, train: true, _dropoutGenerator);
            }

            x = output;
        }

        var result = !batched ? x.Squeeze(1) : BatchFirst ? x.Transpose(0, 1) : x;
        return (result, StackStates(hs, batched), _mode == RecurrentMode.Lstm ? StackStates(cs, batched) : null);
    }

    private int Directions => Bidirectional ? 2 : 1;

    /// <summary>
    /// Each layer's initial state: the slices of a (num_layers, batch, hidden_size) tensor, (2, batch,
    /// hidden_size) ones of a (2·num_layers, batch, hidden_size) tensor when bidirectional, or nulls for
    /// zeros (which the layer op then makes itself, recording no constant shaped like the batch).
    /// </summary>
    private Tensor?[] InitialStates(string stateName, Tensor? state, Tensor input, bool batched, int batch)
    {
        if (state is null)
        {
            return new Tensor?[NumLayers];
        }

        int states = Directions * NumLayers;
        int[] expected = batched ? [states, batch, HiddenSize] : [states, HiddenSize];
        if (!state._shape.AsSpan().SequenceEqual(expected))
        {
            string layers = Bidirectional ? "2·num_layers" : "num_layers";
            string layout = batched ? $"{layers} x batch x hidden_size" : $"{layers} x hidden_size";
            throw new ArgumentException($"{GetType().Name}: {stateName} must have shape ({layout}) = {Shapes.Format(expected)} for input of shape {Shapes.Format(input._shape)}, got {Shapes.Format(state._shape)}");
        }

        if (state.DType != input.DType)
        {
            throw new ArgumentException($"{GetType().Name}: {stateName} is {state.DType.Name()} but the input is {input.DType.Name()}");
        }

        var s = batched ? state : state.Unsqueeze(1);
        if (Bidirectional)
        {
            return NumLayers == 1 ? [s] : [.. Enumerable.Range(0, NumLayers).Select(l => s.Narrow(0, 2 * l, 2))];
        }

        return NumLayers == 1 ? [s.View(batch, HiddenSize)] : [.. Enumerable.Range(0, NumLayers).Select(l => s.Select(0, l))];
    }

    /// <summary>The layers' last states on dim 0: (batch, hidden) each stacked, or (2, batch, hidden) each joined when bidirectional.</summary>
    private Tensor StackStates(Tensor[] states, bool batched)
    {
        var stacked = states.Length == 1 ? (Bidirectional ? states[0] : states[0].Unsqueeze(0))
            : Bidirectional ? Tensor.Concat(states, 0) : Tensor.Stack(states, 0);
        return batched ? stacked : stacked.Squeeze(1);
    }
}
