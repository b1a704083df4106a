using System.Numerics;
using Backprop.Kernels;

namespace Backprop;

// rnn (tanh, relu), lstm, gru over a whole sequence, and their one-step cells: fused primitives for
// speed. As composites each time step would record a dozen ops and copy W_hhᵀ; here one op runs the
// layer (Kernels/RecurrentLayer.cs: one GEMM for the inputs of all steps, one GEMM and one pass over
// the gates per step) and back-propagates through time by hand. A layer has several outputs
// (output, h_n, c_n) but a graph node has one, so the op returns them packed in one vector and the
// public methods cut it apart with narrow and view, whose gradients put each piece back in place.
public sealed partial class Tensor
{
    /// <summary>
    /// One Elman RNN layer over a time-major sequence: input (seq_len, batch, input_size), hx (batch,
    /// hidden_size), h_t = act(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh) with act tanh or relu
    /// (<c>torch.rnn_tanh</c> / <c>torch.rnn_relu</c> with one layer, one direction). Returns every h_t as
    /// output (seq_len, batch, hidden_size) and the last one as H. Backward through time:
    /// dL/d(pre-activation)_t = dh_t·act′, dh_{t−1} += that·W_hh, and dW_ih, dW_hh, the biases and x get
    /// the sums over steps.
    /// </summary>
    public static (Tensor Output, Tensor H) Rnn(Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null, string nonlinearity = "tanh")
    {
        var mode = RnnMode("rnn", nonlinearity);
        var packed = RecurrentSequence(mode == RecurrentMode.RnnTanh ? "rnn_tanh" : "rnn_relu", mode, input, hx, null, weightIh, weightHh, biasIh, biasHh);
        var output = SequenceOutput(packed, input, hx);
        return (output, output.Select(0, -1));
    }

    /// <summary>
    /// One LSTM layer over a time-major sequence (<c>torch.lstm</c> with one layer, one direction), with
    /// PyTorch's gate order i, f, g, o along the rows of W_ih (4·hidden, input) and W_hh (4·hidden, hidden):
    /// (i, f, g, o) = (σ, σ, tanh, σ)(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh), c_t = f·c_{t−1} + i·g,
    /// h_t = o·tanh(c_t). Returns every h_t as output (seq_len, batch, hidden_size), h_T and c_T.
    /// Backward through time: with dc = dL/dc_t + dL/dh_t·o·(1 − tanh²c_t): d(pre i) = dc·g·i(1 − i),
    /// d(pre f) = dc·c_{t−1}·f(1 − f), d(pre g) = dc·i·(1 − g²), d(pre o) = dL/dh_t·tanh c_t·o(1 − o),
    /// dL/dc_{t−1} = dc·f and dL/dh_{t−1} = d(pre)·W_hh.
    /// </summary>
    public static (Tensor Output, Tensor H, Tensor C) Lstm(Tensor input, Tensor hx, Tensor cx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null)
    {
        ArgumentNullException.ThrowIfNull(cx);
        var packed = RecurrentSequence("lstm", RecurrentMode.Lstm, input, hx, cx, weightIh, weightHh, biasIh, biasHh);
        var output = SequenceOutput(packed, input, hx);
        int length = output.Numel, batchHidden = hx.Numel;
        return (output, output.Select(0, -1), packed.Narrow(0, length, batchHidden).View(hx._shape));
    }

    /// <summary>
    /// One GRU layer over a time-major sequence (<c>torch.gru</c> with one layer, one direction), with
    /// PyTorch's gate order r, z, n: r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
    /// n = tanh(W_in x + b_in + r·(W_hn h + b_hn)), h' = (1 − z)·n + z·h. Returns every h_t as output
    /// (seq_len, batch, hidden_size) and h_T. Backward: d(pre n) = dh·(1 − z)·(1 − n²), d(pre z) =
    /// dh·(h − n)·z(1 − z), d(pre r) = d(pre n)·(W_hn h + b_hn)·r(1 − r); the hidden side of n gets
    /// d(pre n)·r, and dL/dh_{t−1} = dh·z + d(pre, hidden side)·W_hh.
    /// </summary>
    public static (Tensor Output, Tensor H) Gru(Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null)
    {
        var packed = RecurrentSequence("gru", RecurrentMode.Gru, input, hx, null, weightIh, weightHh, biasIh, biasHh);
        var output = SequenceOutput(packed, input, hx);
        return (output, output.Select(0, -1));
    }

    /// <summary>
    /// One step of an Elman RNN with tanh (<c>torch.rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih, b_hh)</c>):
    /// input (batch, input_size), hx (batch, hidden_size), h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh);
    /// the derivatives are those of <see cref="Rnn"/> for one step.
    /// </summary>
    public static Tensor RnnTanhCell(Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null) =>
        CellHidden("rnn_tanh_cell", RecurrentMode.RnnTanh, input, hx, null, weightIh, weightHh, biasIh, biasHh);

    /// <summary>
    /// One step of an Elman RNN with relu (<c>torch.rnn_relu_cell</c>): h' = relu(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh);
    /// the derivatives are those of <see cref="Rnn"/> for one step.
    /// </summary>
    public static Tensor RnnReluCell(Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null) =>
        CellHidden("rnn_relu_cell", RecurrentMode.RnnRelu, input, hx, null, weightIh, weightHh, biasIh, biasHh);

    /// <summary>
    /// One LSTM step (<c>torch.lstm_cell(input, (hx, cx), w_ih, w_hh, b_ih, b_hh)</c>): input (batch,
    /// input_size), hx and cx (batch, hidden_size); returns (h', c') by the equations and derivatives of
    /// <see cref="Lstm"/> for one step.
    /// </summary>
    public static (Tensor H, Tensor C) LstmCell(Tensor input, Tensor hx, Tensor cx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null)
    {
        ArgumentNullException.ThrowIfNull(cx);
        var packed = RecurrentSequence("lstm_cell", RecurrentMode.Lstm, CellInput("lstm_cell", input), hx, cx, weightIh, weightHh, biasIh, biasHh);
        int n = hx.Numel;
        return (packed.Narrow(0, 0, n).View(hx._shape), packed.Narrow(0, n, n).View(hx._shape));
    }

    /// <summary>
    /// One GRU step (<c>torch.gru_cell(input, hx, w_ih, w_hh, b_ih, b_hh)</c>): input (batch, input_size),
    /// hx (batch, hidden_size); returns h' by the equations and derivatives of <see cref="Gru"/> for one step.
    /// </summary>
    public static Tensor GruCell(Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null) =>
        CellHidden("gru_cell", RecurrentMode.Gru, input, hx, null, weightIh, weightHh, biasIh, biasHh);

    /// <summary>The mode for PyTorch's <c>nonlinearity</c> argument, "tanh" or "relu".</summary>
    internal static RecurrentMode RnnMode(string op, string nonlinearity) => nonlinearity switch
    {
        "tanh" => RecurrentMode.RnnTanh,
        "relu" => RecurrentMode.RnnRelu,
        _ => throw new ArgumentException($"{op}: unknown nonlinearity '{nonlinearity}' (expected tanh or relu)"),
    };

    private static Tensor CellHidden(string op, RecurrentMode mode, Tensor input, Tensor hx, Tensor? cx, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh)
    {
        var packed = RecurrentSequence(op, mode, CellInput(op, input), hx, cx, weightIh, weightHh, biasIh, biasHh);
        return packed.View(hx._shape);
    }

    /// <summary>A (batch, input_size) cell input as a sequence of one step.</summary>
    private static Tensor CellInput(string op, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 2)
        {
            throw new ArgumentException($"{op}: expected input of shape (batch x input_size), got {Shapes.Format(input._shape)}");
        }

        return input.Unsqueeze(0);
    }

    /// <summary>The h_1 … h_T part of a packed result, as (seq_len, batch, hidden_size).</summary>
    private static Tensor SequenceOutput(Tensor packed, Tensor input, Tensor hx)
    {
        int steps = input._shape[0], batch = hx._shape[0], hidden = hx._shape[1];
        int length = steps * batch * hidden;

        // Without a cell state the packed vector is the output itself: a view, no copy.
        var output = packed.Numel == length ? packed : packed.Narrow(0, 0, length);
        return output.View(steps, batch, hidden);
    }

    /// <summary>
    /// Runs one layer and records one node whose output packs h_1 … h_T (seq_len·batch·hidden values)
    /// followed, for LSTM, by c_T (batch·hidden values).
    /// </summary>
    private static Tensor RecurrentSequence(string op, RecurrentMode mode, Tensor input, Tensor hx, Tensor? cx, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh)
    {
        CheckRecurrentArguments(op, mode, input, hx, cx, weightIh, weightHh, biasIh, biasHh);
        return input.DType == DType.Float32
            ? RecurrentSequence<float>(op, mode, input, hx, cx, weightIh, weightHh, biasIh, biasHh)
            : RecurrentSequence<double>(op, mode, input, hx, cx, weightIh, weightHh, biasIh, biasHh);
    }

    private static Tensor RecurrentSequence<T>(string op, RecurrentMode mode, Tensor input, Tensor hx, Tensor? cx, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int steps = input._shape[0], batch = input._shape[1], hidden = weightHh._shape[1];
        int length = steps * batch * hidden, extra = mode == RecurrentMode.Lstm ? batch * hidden : 0;
        var packed = Empty([length + extra], input.DType);
        var data = (T[])packed._data;
        var layer = new RecurrentLayer<T>(mode, steps, batch, input._shape[2], hidden);
        layer.Forward(
            (T[])input._data,
            (T[])hx._data,
            (T[]?)cx?._data,
            (T[])weightIh._data,
            (T[])weightHh._data,
            (T[]?)biasIh?._data,
            (T[]?)biasHh?._data,
            data,
            new ArraySegment<T>(data, length, extra));

        Tensor?[] all = [input, hx, cx, weightIh, weightHh, biasIh, biasHh];
        Tensor[] inputs = [.. all.OfType<Tensor>()];
        return Record(RecurrentDefinition.For(op), packed, inputs, g =>
        {
            var grads = Array.ConvertAll(all, t => t is { RequiresGrad: true } ? Empty(t._shape, t.DType) : null);
            var gData = (T[])g._data;
            layer.Backward(
                gData,
                new ArraySegment<T>(gData, length, extra),
                (T[])input._data,
                (T[])hx._data,
                (T[]?)cx?._data,
                (T[])weightIh._data,
                (T[])weightHh._data,
                data,
                (T[]?)grads[0]?._data,
                (T[]?)grads[1]?._data,
                (T[]?)grads[2]?._data,
                (T[]?)grads[3]?._data,
                (T[]?)grads[4]?._data,
                (T[]?)grads[5]?._data,
                (T[]?)grads[6]?._data);
            return [.. grads.Where((_, i) => all[i] is not null)];
        });
    }

    /// <summary>Checks shapes and dtypes, naming the sizes that disagree.</summary>
    private static void CheckRecurrentArguments(string op, RecurrentMode mode, Tensor input, Tensor hx, Tensor? cx, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(hx);
        ArgumentNullException.ThrowIfNull(weightIh);
        ArgumentNullException.ThrowIfNull(weightHh);
        RequireFloat(op, input);
        foreach (var t in (ReadOnlySpan<Tensor?>)[hx, cx, weightIh, weightHh, biasIh, biasHh])
        {
            if (t is not null)
            {
                RequireSameDType(op, input, t);
            }
        }

        if (input.Rank != 3)
        {
            throw new ArgumentException($"{op}: expected input of shape (seq_len x batch x input_size), got {Shapes.Format(input._shape)}");
        }

        if (input._shape[0] == 0)
        {
            throw new ArgumentException($"{op}: sequence length is 0: input of shape {Shapes.Format(input._shape)} has no time steps");
        }

        int gates = RecurrentLayer<double>.GateCount(mode);
        if (weightHh.Rank != 2 || weightHh._shape[0] != gates * weightHh._shape[1])
        {
            throw new ArgumentException($"{op}: weight_hh must have shape ({gates}·hidden_size x hidden_size), got {Shapes.Format(weightHh._shape)}");
        }

        int hidden = weightHh._shape[1];
        if (weightIh.Rank != 2 || weightIh._shape[0] != gates * hidden)
        {
            throw new ArgumentException($"{op}: weight_ih must have shape ({gates * hidden} x input_size) for hidden_size {hidden}, got {Shapes.Format(weightIh._shape)}");
        }

        if (input._shape[2] != weightIh._shape[1])
        {
            throw new ArgumentException($"{op}: input feature size {input._shape[2]} does not match input_size {weightIh._shape[1]} (input of shape {Shapes.Format(input._shape)})");
        }

        foreach (var (name, bias) in (ReadOnlySpan<(string, Tensor?)>)[("bias_ih", biasIh), ("bias_hh", biasHh)])
        {
            if (bias is not null && (bias.Rank != 1 || bias._shape[0] != gates * hidden))
            {
                throw new ArgumentException($"{op}: {name} must have shape ({gates * hidden}), got {Shapes.Format(bias._shape)}");
            }
        }

        int batch = input._shape[1];
        foreach (var (name, state) in (ReadOnlySpan<(string, Tensor?)>)[("hx", hx), ("cx", cx)])
        {
            if (state is not null && (state.Rank != 2 || state._shape[0] != batch || state._shape[1] != hidden))
            {
                throw new ArgumentException($"{op}: {name} must have shape (batch x hidden_size) = ({batch}x{hidden}), got {Shapes.Format(state._shape)}");
            }
        }

        if (mode == RecurrentMode.Lstm && cx is null)
        {
            throw new ArgumentException($"{op}: the LSTM needs a cell state cx");
        }
    }
}

/// <summary>
/// The definition of the fused recurrent ops: whole-sequence <see cref="Tensor.Rnn"/> (<c>rnn_tanh</c>,
/// <c>rnn_relu</c>), <see cref="Tensor.Lstm"/>, <see cref="Tensor.Gru"/>, and their one-step cells
/// (<c>rnn_tanh_cell</c>, <c>rnn_relu_cell</c>, <c>lstm_cell</c>, <c>gru_cell</c>). Inputs in order: input,
/// hx, cx (LSTM only), weight_ih, weight_hh, then bias_ih and bias_hh when given. The output packs
/// h_1 … h_T, then c_T for LSTM. One layer, one direction; one shared instance per op.
/// </summary>
public sealed class RecurrentDefinition : OpDefinition
{
    private static readonly RecurrentDefinition[] s_all =
    [
        new("rnn_tanh", "RNN_TANH", isCell: false, "hₜ = tanh(xₜ·W_ihᵀ + b_ih + hₜ₋₁·W_hhᵀ + b_hh); backward through time: ∂L/∂preₜ = ∂L/∂hₜ·(1 − hₜ²), ∂L/∂hₜ₋₁ += ∂L/∂preₜ·W_hh"),
        new("rnn_relu", "RNN_RELU", isCell: false, "hₜ = relu(xₜ·W_ihᵀ + b_ih + hₜ₋₁·W_hhᵀ + b_hh); backward through time: ∂L/∂preₜ = ∂L/∂hₜ·[hₜ > 0], ∂L/∂hₜ₋₁ += ∂L/∂preₜ·W_hh"),
        new("lstm", "LSTM", isCell: false, LstmFormula),
        new("gru", "GRU", isCell: false, GruFormula),
        new("rnn_tanh_cell", "RNN_TANH", isCell: true, "h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh); ∂L/∂pre = g·(1 − h'²), ∂L/∂h = ∂L/∂pre·W_hh"),
        new("rnn_relu_cell", "RNN_RELU", isCell: true, "h' = relu(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh); ∂L/∂pre = g·[h' > 0], ∂L/∂h = ∂L/∂pre·W_hh"),
        new("lstm_cell", "LSTM", isCell: true, LstmFormula),
        new("gru_cell", "GRU", isCell: true, GruFormula),
    ];

    private const string LstmFormula =
        "(i, f, g, o) = (σ, σ, tanh, σ)(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), c' = f·c + i·g, h' = o·tanh(c'); " +
        "backward through time with dc = ∂L/∂c' + ∂L/∂h'·o·(1 − tanh²c'), ∂L/∂c = dc·f";

    private const string GruFormula =
        "r = σ(…), z = σ(…), n = tanh(W_in x + b_in + r·(W_hn h + b_hn)), h' = (1 − z)·n + z·h; " +
        "backward through time: ∂pre_n = ∂L/∂h'·(1 − z)·(1 − n²), ∂pre_z = ∂L/∂h'·(h − n)·z(1 − z)";

    private RecurrentDefinition(string name, string mode, bool isCell, string formula)
        : base(name, formula)
    {
        Mode = mode;
        IsCell = isCell;
    }

    /// <summary>The cell kind as PyTorch's <c>RNNBase.mode</c> names it: RNN_TANH, RNN_RELU, LSTM or GRU.</summary>
    public string Mode { get; }

    /// <summary>Whether this is a one-step cell (input (batch, input_size)) rather than a whole sequence.</summary>
    public bool IsCell { get; }

    /// <summary>The number of stacked layers one node runs (PyTorch's <c>num_layers</c>): always 1.</summary>
    public int NumLayers => 1;

    /// <summary>Whether the sequence is also run backwards (PyTorch's <c>bidirectional</c>): always false.</summary>
    public bool Bidirectional => false;

    /// <summary>The shared instance for the op named <paramref name="name"/>.</summary>
    internal static RecurrentDefinition For(string name)
    {
        foreach (var definition in s_all)
        {
            if (definition.Name == name)
            {
                return definition;
            }
        }

        throw new ArgumentException($"no recurrent op named '{name}'", nameof(name));
    }

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"mode: {Mode}";
}
