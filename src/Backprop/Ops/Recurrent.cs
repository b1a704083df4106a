using System.Numerics;
using Backprop.Kernels;

namespace Backprop;

// rnn (tanh, relu), lstm, gru over a whole sequence, and their one-step cells: fused primitives for
// speed. As composites each time step would record a dozen ops and copy W_hhᵀ; here one op runs the
// layer (Kernels/RecurrentLayer.cs: one GEMM for the inputs of all steps, one GEMM and one pass over
// the gates per step) and back-propagates through time by hand. A layer has several outputs
// (output, h_n, c_n): one node records them all, and its backward receives the gradient of each.
// A bidirectional layer is one node too (one ONNX node with direction "bidirectional"): the kernel
// runs once per direction, the reverse one on a time-reversed copy of the input.

/// <summary>
/// The recurrent layers and cells of <see cref="Tensor"/>: rnn (tanh, relu), lstm, gru over a whole
/// sequence and their one-step cells. Extension members in namespace <c>Backprop</c>, so they are
/// called as members of <see cref="Tensor"/> (<c>Tensor.Lstm(…)</c>).
/// </summary>
public static partial class RecurrentOps
{
    extension(Tensor)
    {
        /// <summary>
        /// One Elman RNN layer over a time-major sequence: input (seq_len, batch, input_size), hx (batch,
        /// hidden_size), h_t = act(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh) with act tanh or relu
        /// (<c>torch.rnn_tanh</c> / <c>torch.rnn_relu</c> with one layer, one direction). Returns every h_t as
        /// output (seq_len, batch, hidden_size) and the last one as H. Backward through time:
        /// dL/d(pre-activation)_t = dh_t·act′, dh_{t−1} += that·W_hh, and dW_ih, dW_hh, the biases and x get
        /// the sums over steps.
        /// </summary>
        /// <param name="input">The sequence of one layer, (L, N, H_in).</param>
        /// <param name="hx">The initial hidden state, (N, H_out).</param>
        /// <param name="weightIh">The input-to-hidden weights, (H_out, H_in).</param>
        /// <param name="weightHh">The hidden-to-hidden weights, (H_out, H_out).</param>
        /// <param name="biasIh">The input-to-hidden bias, (H_out), or null for none.</param>
        /// <param name="biasHh">The hidden-to-hidden bias, (H_out), or null for none.</param>
        /// <param name="nonlinearity"><c>"tanh"</c> (default) or <c>"relu"</c>.</param>
        /// <returns>Output: every h_t, (seq_len, batch, hidden_size); H: the last one, (batch, hidden_size). New tensors of the input's dtype.</returns>
        public static (Tensor Output, Tensor H) Rnn(Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null, string nonlinearity = "tanh")
        {
            ArgumentNullException.ThrowIfNull(hx);
            var o = RecurrentLayerOutputs(RnnMode("rnn", nonlinearity), input, hx, null, [weightIh, weightHh, biasIh, biasHh]);
            return (o[0], o[1]);
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
        /// <param name="input">The sequence of one layer, (L, N, H_in).</param>
        /// <param name="hx">The initial hidden state, (N, H_out).</param>
        /// <param name="cx">The initial cell state, (N, H_out).</param>
        /// <param name="weightIh">The input-to-hidden weights, (4·H_out, H_in).</param>
        /// <param name="weightHh">The hidden-to-hidden weights, (4·H_out, H_out).</param>
        /// <param name="biasIh">The input-to-hidden bias, (4·H_out), or null for none.</param>
        /// <param name="biasHh">The hidden-to-hidden bias, (4·H_out), or null for none.</param>
        /// <returns>Output: every h_t, (seq_len, batch, hidden_size); H and C: h_T and c_T, (batch, hidden_size). New tensors of the input's dtype.</returns>
        public static (Tensor Output, Tensor H, Tensor C) Lstm(Tensor input, Tensor hx, Tensor cx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null)
        {
            ArgumentNullException.ThrowIfNull(hx);
            ArgumentNullException.ThrowIfNull(cx);
            var o = RecurrentLayerOutputs(RecurrentMode.Lstm, input, hx, cx, [weightIh, weightHh, biasIh, biasHh]);
            return (o[0], o[1], o[2]);
        }

        /// <summary>
        /// One GRU layer over a time-major sequence (<c>torch.gru</c> with one layer, one direction), with
        /// PyTorch's gate order r, z, n: r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
        /// n = tanh(W_in x + b_in + r·(W_hn h + b_hn)), h' = (1 − z)·n + z·h. Returns every h_t as output
        /// (seq_len, batch, hidden_size) and h_T. Backward: d(pre n) = dh·(1 − z)·(1 − n²), d(pre z) =
        /// dh·(h − n)·z(1 − z), d(pre r) = d(pre n)·(W_hn h + b_hn)·r(1 − r); the hidden side of n gets
        /// d(pre n)·r, and dL/dh_{t−1} = dh·z + d(pre, hidden side)·W_hh.
        /// </summary>
        /// <param name="input">The sequence of one layer, (L, N, H_in).</param>
        /// <param name="hx">The initial hidden state, (N, H_out).</param>
        /// <param name="weightIh">The input-to-hidden weights, (3·H_out, H_in).</param>
        /// <param name="weightHh">The hidden-to-hidden weights, (3·H_out, H_out).</param>
        /// <param name="biasIh">The input-to-hidden bias, (3·H_out), or null for none.</param>
        /// <param name="biasHh">The hidden-to-hidden bias, (3·H_out), or null for none.</param>
        /// <returns>Output: every h_t, (seq_len, batch, hidden_size); H: the last one, (batch, hidden_size). New tensors of the input's dtype.</returns>
        public static (Tensor Output, Tensor H) Gru(Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null)
        {
            ArgumentNullException.ThrowIfNull(hx);
            var o = RecurrentLayerOutputs(RecurrentMode.Gru, input, hx, null, [weightIh, weightHh, biasIh, biasHh]);
            return (o[0], o[1]);
        }

        /// <summary>
        /// One step of an Elman RNN with tanh (<c>torch.rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih, b_hh)</c>):
        /// input (batch, input_size), hx (batch, hidden_size), h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh);
        /// the derivatives are those of <see cref="Rnn"/> for one step.
        /// </summary>
        /// <param name="input">One step, (N, H_in).</param>
        /// <param name="hx">The hidden state, (N, H_out).</param>
        /// <param name="weightIh">The input-to-hidden weights, (H_out, H_in).</param>
        /// <param name="weightHh">The hidden-to-hidden weights, (H_out, H_out).</param>
        /// <param name="biasIh">The input-to-hidden bias, (H_out), or null for none.</param>
        /// <param name="biasHh">The hidden-to-hidden bias, (H_out), or null for none.</param>
        /// <returns>h', a new tensor (batch, hidden_size) of the input's dtype.</returns>
        public static Tensor RnnTanhCell(Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null) =>
            Cell(RecurrentMode.RnnTanh, input, hx, null, weightIh, weightHh, biasIh, biasHh)[0];

        /// <summary>
        /// One step of an Elman RNN with relu (<c>torch.rnn_relu_cell</c>): h' = relu(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh);
        /// the derivatives are those of <see cref="Rnn"/> for one step.
        /// </summary>
        /// <param name="input">One step, (N, H_in).</param>
        /// <param name="hx">The hidden state, (N, H_out).</param>
        /// <param name="weightIh">The input-to-hidden weights, (H_out, H_in).</param>
        /// <param name="weightHh">The hidden-to-hidden weights, (H_out, H_out).</param>
        /// <param name="biasIh">The input-to-hidden bias, (H_out), or null for none.</param>
        /// <param name="biasHh">The hidden-to-hidden bias, (H_out), or null for none.</param>
        /// <returns>h', a new tensor (batch, hidden_size) of the input's dtype.</returns>
        public static Tensor RnnReluCell(Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null) =>
            Cell(RecurrentMode.RnnRelu, input, hx, null, weightIh, weightHh, biasIh, biasHh)[0];

        /// <summary>
        /// One LSTM step (<c>torch.lstm_cell(input, (hx, cx), w_ih, w_hh, b_ih, b_hh)</c>): input (batch,
        /// input_size), hx and cx (batch, hidden_size); returns (h', c') by the equations and derivatives of
        /// <see cref="Lstm"/> for one step.
        /// </summary>
        /// <param name="input">One step, (N, H_in).</param>
        /// <param name="hx">The hidden state, (N, H_out).</param>
        /// <param name="cx">The cell state, (N, H_out).</param>
        /// <param name="weightIh">The input-to-hidden weights, (4·H_out, H_in).</param>
        /// <param name="weightHh">The hidden-to-hidden weights, (4·H_out, H_out).</param>
        /// <param name="biasIh">The input-to-hidden bias, (4·H_out), or null for none.</param>
        /// <param name="biasHh">The hidden-to-hidden bias, (4·H_out), or null for none.</param>
        /// <returns>H: h'; C: c'; new tensors (batch, hidden_size) of the input's dtype.</returns>
        public static (Tensor H, Tensor C) LstmCell(Tensor input, Tensor hx, Tensor cx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null)
        {
            ArgumentNullException.ThrowIfNull(cx);
            var o = Cell(RecurrentMode.Lstm, input, hx, cx, weightIh, weightHh, biasIh, biasHh);
            return (o[0], o[1]);
        }

        /// <summary>
        /// One GRU step (<c>torch.gru_cell(input, hx, w_ih, w_hh, b_ih, b_hh)</c>): input (batch, input_size),
        /// hx (batch, hidden_size); returns h' by the equations and derivatives of <see cref="Gru"/> for one step.
        /// </summary>
        /// <param name="input">One step, (N, H_in).</param>
        /// <param name="hx">The hidden state, (N, H_out).</param>
        /// <param name="weightIh">The input-to-hidden weights, (3·H_out, H_in).</param>
        /// <param name="weightHh">The hidden-to-hidden weights, (3·H_out, H_out).</param>
        /// <param name="biasIh">The input-to-hidden bias, (3·H_out), or null for none.</param>
        /// <param name="biasHh">The hidden-to-hidden bias, (3·H_out), or null for none.</param>
        /// <returns>h', a new tensor (batch, hidden_size) of the input's dtype.</returns>
        public static Tensor GruCell(Tensor input, Tensor hx, Tensor weightIh, Tensor weightHh, Tensor? biasIh = null, Tensor? biasHh = null) =>
            Cell(RecurrentMode.Gru, input, hx, null, weightIh, weightHh, biasIh, biasHh)[0];
    }

    /// <summary>The mode for PyTorch's <c>nonlinearity</c> argument, "tanh" or "relu".</summary>
    internal static RecurrentMode RnnMode(string op, string nonlinearity) => nonlinearity switch
    {
        "tanh" => RecurrentMode.RnnTanh,
        "relu" => RecurrentMode.RnnRelu,
        _ => throw new ArgumentException($"{op}: unknown nonlinearity '{nonlinearity}' (expected tanh or relu)"),
    };

    /// <summary>
    /// One recurrent layer over a time-major sequence, as the RNN modules run it: the outputs
    /// (output, h_n) or, for LSTM, (output, h_n, c_n) of one node. <paramref name="weights"/> holds
    /// weight_ih, weight_hh, bias_ih, bias_hh (a bias null for none) of the forward direction and, for
    /// a bidirectional layer, then those of the reverse direction (8 entries). One direction: h_n and
    /// c_n are (batch, hidden); two: output is (seq_len, batch, 2·hidden), the forward h_t then the
    /// reverse one, and the states are (2, batch, hidden), forward first, as are <paramref name="hx"/>
    /// and <paramref name="cx"/>. A null <paramref name="hx"/> (and <paramref name="cx"/>) starts from
    /// zeros without recording them as inputs, so a traced graph holds no constant shaped like the batch.
    /// </summary>
    internal static Tensor[] RecurrentLayerOutputs(RecurrentMode mode, Tensor input, Tensor? hx, Tensor? cx, Tensor?[] weights) =>
        RecurrentSequence(RecurrentDefinition.NameOf(mode, isCell: false), mode, isCell: false, input, hx, cx, weights);

    /// <summary>One step: the cell's input (batch, input_size) as a sequence of one step; outputs h' (and c').</summary>
    private static Tensor[] Cell(RecurrentMode mode, Tensor input, Tensor hx, Tensor? cx, Tensor weightIh, Tensor weightHh, Tensor? biasIh, Tensor? biasHh)
    {
        string op = RecurrentDefinition.NameOf(mode, isCell: true);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(hx);
        if (input.Rank != 2)
        {
            throw new ArgumentException($"{op}: expected input of shape (batch x input_size), got {Shapes.Format(input._shape)}");
        }

        return RecurrentSequence(op, mode, isCell: true, input.Unsqueeze(0), hx, cx, [weightIh, weightHh, biasIh, biasHh]);
    }

    private static Tensor[] RecurrentSequence(string op, RecurrentMode mode, bool isCell, Tensor input, Tensor? hx, Tensor? cx, Tensor?[] weights)
    {
        CheckRecurrentArguments(op, mode, input, hx, cx, weights);
        return input.DType == DType.Float32
            ? RecurrentSequence<float>(op, mode, isCell, input, hx, cx, weights)
            : RecurrentSequence<double>(op, mode, isCell, input, hx, cx, weights);
    }

    /// <summary>
    /// Runs one layer and records one node with the outputs output (seq_len, batch, directions·hidden)
    /// and h_T, then c_T for LSTM; a cell's outputs are h' and, for LSTM, c'. The reverse direction is
    /// the same kernel run on a time-reversed copy of the input (its h_t then sit at step seq_len − 1 − t
    /// of its own output), so its output and the gradients of its input are reversed back.
    /// </summary>
    private static Tensor[] RecurrentSequence<T>(string op, RecurrentMode mode, bool isCell, Tensor input, Tensor? hx, Tensor? cx, Tensor?[] weights)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int directions = weights.Length / 4;
        int steps = input._shape[0], batch = input._shape[1], features = input._shape[2], hidden = weights[1]!._shape[1];
        int block = batch * hidden, length = steps * block;
        bool lstm = mode == RecurrentMode.Lstm;
        var x = (T[])input._data;
        var xs = new T[directions][];
        var h0 = new T[directions][];
        var c0 = new T[]?[directions];
        var ys = new T[directions][];
        var layers = new RecurrentLayer<T>[directions];
        var cLast = lstm ? new T[directions * block] : [];

        // The layers keep what backward needs only when a node will be recorded.
        bool forBackward = Autograd.IsGradEnabled && (input.RequiresGrad || hx is { RequiresGrad: true } || cx is { RequiresGrad: true } || Array.Exists(weights, w => w is { RequiresGrad: true }));
        for (int d = 0; d < directions; d++)
        {
            // Each direction reads its own block of the (directions, batch, hidden) states; zeros when not given.
            T[] State(Tensor? state) => state is null ? new T[block] : directions == 1 ? (T[])state._data : ((T[])state._data)[(d * block)..((d + 1) * block)];
            xs[d] = d == 0 ? x : ReverseSteps(x, steps, batch * features);
            h0[d] = State(hx);
            c0[d] = lstm ? State(cx) : null;
            ys[d] = GC.AllocateUninitializedArray<T>(length); // every step's h is written
            layers[d] = new RecurrentLayer<T>(mode, steps, batch, features, hidden);
            layers[d].Forward(xs[d], h0[d], c0[d], Data<T>(weights[4 * d])!, Data<T>(weights[(4 * d) + 1])!, Data<T>(weights[(4 * d) + 2]), Data<T>(weights[(4 * d) + 3]), ys[d], lstm ? new ArraySegment<T>(cLast, d * block, block) : new ArraySegment<T>(cLast), forBackward);
        }

        var outputs = new List<Tensor>(3);
        if (isCell)
        {
            outputs.Add(new Tensor(ys[0], [batch, hidden]));
        }
        else if (directions == 1)
        {
            var hLast = new T[block];
            Array.Copy(ys[0], length - block, hLast, 0, block);
            outputs.Add(new Tensor(ys[0], [steps, batch, hidden]));
            outputs.Add(new Tensor(hLast, [batch, hidden]));
        }
        else
        {
            var y = new T[2 * length];
            var hLast = new T[2 * block];
            for (int d = 0; d < 2; d++)
            {
                ScatterDirection(ys[d], y, steps, batch, hidden, d);
                Array.Copy(ys[d], length - block, hLast, d * block, block);
            }

            outputs.Add(new Tensor(y, [steps, batch, 2 * hidden]));
            outputs.Add(new Tensor(hLast, [2, batch, hidden]));
        }

        if (lstm)
        {
            outputs.Add(new Tensor(cLast, directions == 1 ? [batch, hidden] : [2, batch, hidden]));
        }

        Tensor?[] all = [input, hx, cx, .. weights];
        Tensor[] inputs = [.. all.OfType<Tensor>()];
        var definition = RecurrentDefinition.For(op, hasState: hx is not null, hasBiasIh: weights[2] is not null, hasBiasHh: weights[3] is not null, bidirectional: directions == 2);
        Tensor[] result = [.. outputs];
        Tensor.Record(definition, result, inputs, g =>
        {
            if (Autograd.IsGradEnabled)
            {
                // The backward pass is recorded (createGraph): the layer recomputed with recorded ops and
                // differentiated (Ops/Recurrent.Derivatives.cs); the fused backward below is the ordinary path.
                return DecomposedBackward(mode, isCell, input, hx, cx, weights, inputs, g);
            }

            var grads = Array.ConvertAll(all, t => t is { RequiresGrad: true } ? Tensor.Empty(t._shape, t.DType) : null);
            var gxReverse = directions == 2 && grads[0] is not null ? new T[x.Length] : null;
            for (int d = 0; d < directions; d++)
            {
                var gOut = directions == 1 ? OutputGradient<T>(g, isCell, length, block) : DirectionGradient<T>(g, d, steps, batch, hidden);
                var gC = !lstm ? new ArraySegment<T>([]) : g[^1] is { } gc ? new ArraySegment<T>((T[])gc._data, d * block, block) : new ArraySegment<T>(new T[block]);

                // One direction writes the states' gradients in place; two write their blocks through copies.
                T[]? StateGradient(Tensor? grad) => grad is null ? null : directions == 1 ? (T[])grad._data : new T[block];
                T[]? WeightGradient(int i) => (T[]?)grads[3 + (4 * d) + i]?._data;
                var gh0 = StateGradient(grads[1]);
                var gc0 = StateGradient(grads[2]);
                layers[d].Backward(
                    gOut,
                    gC,
                    xs[d],
                    h0[d],
                    c0[d],
                    Data<T>(weights[4 * d])!,
                    Data<T>(weights[(4 * d) + 1])!,
                    ys[d],
                    d == 0 ? (T[]?)grads[0]?._data : gxReverse,
                    gh0,
                    gc0,
                    WeightGradient(0),
                    WeightGradient(1),
                    WeightGradient(2),
                    WeightGradient(3));
                if (directions == 2)
                {
                    gh0?.CopyTo((T[])grads[1]!._data, d * block);
                    gc0?.CopyTo((T[])grads[2]!._data, d * block);
                }
            }

            if (gxReverse is not null)
            {
                var gx = (T[])grads[0]!._data;
                int stepLength = batch * features;
                for (int t = 0; t < steps; t++)
                {
                    var row = gx.AsSpan(t * stepLength, stepLength);
                    System.Numerics.Tensors.TensorPrimitives.Add(row, gxReverse.AsSpan((steps - 1 - t) * stepLength, stepLength), row);
                }
            }

            return [.. grads.Where((_, i) => all[i] is not null)];
        });
        return result;
    }

    private static T[]? Data<T>(Tensor? t) => (T[]?)t?._data;

    /// <summary>
    /// dL/dh_t of every step of one direction: the output's gradient, plus h_T's (a separate output of
    /// a layer) at the last step; zeros where no gradient reached either.
    /// </summary>
    private static T[] OutputGradient<T>(Tensor?[] g, bool isCell, int length, int block)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (isCell)
        {
            return (T[]?)g[0]?._data ?? new T[length];
        }

        if (g[0] is { } gy && g[1] is null)
        {
            return (T[])gy._data;
        }

        var gOut = g[0] is { } gy0 ? (T[])gy0._data.Clone() : new T[length];
        if (g[1] is { } gh)
        {
            var last = gOut.AsSpan(length - block, block);
            System.Numerics.Tensors.TensorPrimitives.Add(last, (T[])gh._data, last);
        }

        return gOut;
    }

    /// <summary>
    /// dL/dh_t of direction <paramref name="d"/> of a bidirectional layer, in the order that direction
    /// ran: its half of the output's gradient (time-reversed for the reverse direction), plus its block
    /// of h_n's gradient at its last step.
    /// </summary>
    private static T[] DirectionGradient<T>(Tensor?[] g, int d, int steps, int batch, int hidden)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int block = batch * hidden, length = steps * block;
        var gOut = new T[length];
        if (g[0] is { } gy)
        {
            var source = (T[])gy._data;
            for (int t = 0; t < steps; t++)
            {
                int s = d == 0 ? t : steps - 1 - t;
                for (int b = 0; b < batch; b++)
                {
                    source.AsSpan((((t * batch) + b) * 2 * hidden) + (d * hidden), hidden).CopyTo(gOut.AsSpan(((s * batch) + b) * hidden, hidden));
                }
            }
        }

        if (g[1] is { } gh)
        {
            var last = gOut.AsSpan(length - block, block);
            System.Numerics.Tensors.TensorPrimitives.Add(last, ((T[])gh._data).AsSpan(d * block, block), last);
        }

        return gOut;
    }

    /// <summary>A copy of a time-major sequence with its steps (each <paramref name="stepLength"/> values) in reverse order.</summary>
    private static T[] ReverseSteps<T>(T[] x, int steps, int stepLength)
    {
        var reversed = new T[x.Length];
        for (int t = 0; t < steps; t++)
        {
            Array.Copy(x, t * stepLength, reversed, (steps - 1 - t) * stepLength, stepLength);
        }

        return reversed;
    }

    /// <summary>
    /// Writes direction <paramref name="d"/>'s h_t (steps, batch, hidden), in the order it ran, into
    /// its half of the (steps, batch, 2·hidden) output: the forward one at the same step, the reverse
    /// one at step steps − 1 − t.
    /// </summary>
    private static void ScatterDirection<T>(T[] directionOutput, T[] y, int steps, int batch, int hidden, int d)
    {
        for (int t = 0; t < steps; t++)
        {
            int s = d == 0 ? t : steps - 1 - t;
            for (int b = 0; b < batch; b++)
            {
                Array.Copy(directionOutput, ((s * batch) + b) * hidden, y, ((((t * batch) + b) * 2) + d) * hidden, hidden);
            }
        }
    }

    /// <summary>Checks shapes and dtypes, naming the sizes that disagree.</summary>
    private static void CheckRecurrentArguments(string op, RecurrentMode mode, Tensor input, Tensor? hx, Tensor? cx, Tensor?[] weights)
    {
        ArgumentNullException.ThrowIfNull(input);
        int directions = weights.Length / 4;
        for (int d = 0; d < directions; d++)
        {
            ArgumentNullException.ThrowIfNull(weights[4 * d], "weightIh");
            ArgumentNullException.ThrowIfNull(weights[(4 * d) + 1], "weightHh");
        }

        Tensor.RequireFloat(op, input);
        foreach (var t in (ReadOnlySpan<Tensor?>)[hx, cx, .. weights])
        {
            if (t is not null)
            {
                Tensor.RequireSameDType(op, input, t);
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
        int hidden = weights[1]!._shape.Length == 2 ? weights[1]!._shape[1] : 0;
        for (int d = 0; d < directions; d++)
        {
            string suffix = d == 0 ? "" : "_reverse";
            Tensor weightIh = weights[4 * d]!, weightHh = weights[(4 * d) + 1]!;
            if (weightHh.Rank != 2 || weightHh._shape[0] != gates * weightHh._shape[1] || weightHh._shape[1] != hidden)
            {
                string expected = d == 0 ? $"{gates}·hidden_size x hidden_size" : $"{gates * hidden} x {hidden}, as weight_hh";
                throw new ArgumentException($"{op}: weight_hh{suffix} must have shape ({expected}), got {Shapes.Format(weightHh._shape)}");
            }

            if (weightIh.Rank != 2 || weightIh._shape[0] != gates * hidden)
            {
                throw new ArgumentException($"{op}: weight_ih{suffix} must have shape ({gates * hidden} x input_size) for hidden_size {hidden}, got {Shapes.Format(weightIh._shape)}");
            }

            if (input._shape[2] != weightIh._shape[1])
            {
                throw new ArgumentException($"{op}: input feature size {input._shape[2]} does not match input_size {weightIh._shape[1]} (input of shape {Shapes.Format(input._shape)})");
            }

            foreach (var (name, index) in (ReadOnlySpan<(string, int)>)[("bias_ih", 2), ("bias_hh", 3)])
            {
                var bias = weights[(4 * d) + index];
                if (bias is not null && (bias.Rank != 1 || bias._shape[0] != gates * hidden))
                {
                    throw new ArgumentException($"{op}: {name}{suffix} must have shape ({gates * hidden}), got {Shapes.Format(bias._shape)}");
                }

                if ((bias is null) != (weights[index] is null))
                {
                    throw new ArgumentException($"{op}: {name} and {name}_reverse must both be given or both be null");
                }
            }
        }

        int batch = input._shape[1];
        foreach (var (name, state) in (ReadOnlySpan<(string, Tensor?)>)[("hx", hx), ("cx", cx)])
        {
            if (state is null)
            {
                continue;
            }

            if (directions == 1 && (state.Rank != 2 || state._shape[0] != batch || state._shape[1] != hidden))
            {
                throw new ArgumentException($"{op}: {name} must have shape (batch x hidden_size) = ({batch}x{hidden}), got {Shapes.Format(state._shape)}");
            }

            if (directions == 2 && (state.Rank != 3 || state._shape[0] != 2 || state._shape[1] != batch || state._shape[2] != hidden))
            {
                throw new ArgumentException($"{op}: {name} must have shape (2 x batch x hidden_size) = (2x{batch}x{hidden}) for a bidirectional layer, got {Shapes.Format(state._shape)}");
            }
        }

        if (mode == RecurrentMode.Lstm && (cx is null) != (hx is null))
        {
            throw new ArgumentException($"{op}: the LSTM needs both states hx and cx, or neither (zeros)");
        }
    }
}

/// <summary>
/// The definition of the fused recurrent ops: whole-sequence <see cref="RecurrentOps.Rnn"/> (<c>rnn_tanh</c>,
/// <c>rnn_relu</c>), <see cref="RecurrentOps.Lstm"/>, <see cref="RecurrentOps.Gru"/>, and their one-step cells
/// (<c>rnn_tanh_cell</c>, <c>rnn_relu_cell</c>, <c>lstm_cell</c>, <c>gru_cell</c>). Inputs in order: input,
/// hx and (LSTM) cx when given (an RNN module starting from zeros records none), weight_ih, weight_hh,
/// then bias_ih and bias_hh when given, and for a bidirectional layer then weight_ih, weight_hh, bias_ih,
/// bias_hh of the reverse direction. Outputs: output, h_n and (LSTM) c_n for a sequence; h' and
/// (LSTM) c' for a cell. One layer, one direction or both (<see cref="Bidirectional"/>: output
/// (seq_len, batch, 2·hidden), states (2, batch, hidden)).
/// </summary>
public sealed partial class RecurrentDefinition : OpDefinition, IGradCheckSamples
{
    private const string LstmFormula =
        "(i, f, g, o) = (σ, σ, tanh, σ)(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), c' = f·c + i·g, h' = o·tanh(c'); " +
        "backward through time with dc = ∂L/∂c' + ∂L/∂h'·o·(1 − tanh²c'), ∂L/∂c = dc·f";

    private const string GruFormula =
        "r = σ(…), z = σ(…), n = tanh(W_in x + b_in + r·(W_hn h + b_hn)), h' = (1 − z)·n + z·h; " +
        "backward through time: ∂pre_n = ∂L/∂h'·(1 − z)·(1 − n²), ∂pre_z = ∂L/∂h'·(h − n)·z(1 − z)";

    private const string BidirectionalFormula =
        "; bidirectional: the reverse direction runs the same cell from the last step to the first with its own weights, " +
        "output_t = [h_t forward, h_t reverse], and its backward runs from the first step to the last";

    /// <summary>ONNX LSTM gate j is PyTorch gate LstmOrder[j]: i, o, f, c(=g) from i, f, g, o.</summary>
    private static readonly long[] LstmOrder = [0, 3, 1, 2];

    /// <summary>ONNX GRU gate j is PyTorch gate GruOrder[j]: z, r, h(=n) from r, z, n.</summary>
    private static readonly long[] GruOrder = [1, 0, 2];

    private readonly RecurrentMode _mode;

    private RecurrentDefinition(string name, RecurrentMode mode, bool isCell, bool hasState, bool hasBiasIh, bool hasBiasHh, bool bidirectional)
        : base(name, FormulaOf(mode, isCell) + (bidirectional ? BidirectionalFormula : ""))
    {
        _mode = mode;
        IsCell = isCell;
        HasState = hasState;
        HasBiasIh = hasBiasIh;
        HasBiasHh = hasBiasHh;
        Bidirectional = bidirectional;
    }

    /// <summary>The cell kind as PyTorch's <c>RNNBase.mode</c> names it: RNN_TANH, RNN_RELU, LSTM or GRU.</summary>
    public string Mode => _mode switch
    {
        RecurrentMode.RnnTanh => "RNN_TANH",
        RecurrentMode.RnnRelu => "RNN_RELU",
        RecurrentMode.Lstm => "LSTM",
        _ => "GRU",
    };

    /// <summary>Whether this is a one-step cell (input (batch, input_size)) rather than a whole sequence.</summary>
    public bool IsCell { get; }

    /// <summary>Whether the initial states were given as inputs (false: they were zeros, not recorded).</summary>
    public bool HasState { get; }

    /// <summary>Whether bias_ih is an input.</summary>
    public bool HasBiasIh { get; }

    /// <summary>Whether bias_hh is an input.</summary>
    public bool HasBiasHh { get; }

    /// <summary>The number of stacked layers one node runs (PyTorch's <c>num_layers</c>): always 1.</summary>
    public int NumLayers => 1;

    /// <summary>
    /// Whether the sequence is also run backwards with a second set of weights (PyTorch's <c>bidirectional</c>),
    /// the output joining both directions' h_t on its last dim and the states stacked forward, reverse.
    /// </summary>
    public bool Bidirectional { get; }

    /// <summary>
    /// The inputs its backward is gradient-checked on: layers, bidirectional layers and cells on 3 steps,
    /// batch 2, input 3, hidden 2, weights in [−1, 1) so the gates are not saturated. Each row checks every output at
    /// once (output, h_n and c_n flattened and joined), so the gradients of all outputs reach the node together.
    /// </summary>
    public static IEnumerable<OpInfo> GradCheckSamples
    {
        get
        {
            static InputSpec[] Layer(int gates, bool bias = true) =>
            [
                OpRegistry.In([3, 2, 3]),
                OpRegistry.In([2, 2], -1, 1),
                .. gates == 4 ? (InputSpec[])[OpRegistry.In([2, 2], -1, 1)] : [],
                OpRegistry.In([gates * 2, 3], -1, 1),
                OpRegistry.In([gates * 2, 2], -1, 1),
                .. bias ? (InputSpec[])[OpRegistry.In([gates * 2], -1, 1), OpRegistry.In([gates * 2], -1, 1)] : [],
            ];

            static InputSpec[] Cell(int gates) => [OpRegistry.In([2, 3]), .. Layer(gates)[1..]];
            static Tensor Joined(params Tensor[] outputs) => Tensor.Concat([.. outputs.Select(o => o.Flatten())]);

            // Bidirectional: the states are (2, batch, hidden); the forward direction's four weights, then the reverse's.
            static InputSpec[] Bidirectional(int gates, bool state = true) =>
            [
                OpRegistry.In([3, 2, 3]),
                .. state ? (InputSpec[])[OpRegistry.In([2, 2, 2], -1, 1)] : [],
                .. state && gates == 4 ? (InputSpec[])[OpRegistry.In([2, 2, 2], -1, 1)] : [],
                .. Enumerable.Repeat(0, 2).SelectMany(_ => (InputSpec[])
                [
                    OpRegistry.In([gates * 2, 3], -1, 1),
                    OpRegistry.In([gates * 2, 2], -1, 1),
                    OpRegistry.In([gates * 2], -1, 1),
                    OpRegistry.In([gates * 2], -1, 1),
                ]),
            ];

            static Tensor[] RunBidirectional(RecurrentMode mode, Tensor[] x, bool state = true)
            {
                int states = !state ? 0 : mode == RecurrentMode.Lstm ? 2 : 1;
                return RecurrentOps.RecurrentLayerOutputs(mode, x[0], state ? x[1] : null, states == 2 ? x[2] : null, [.. x[(1 + states)..]]);
            }

            return
            [
                new("rnn_tanh", x => Joined([.. Tuple(Tensor.Rnn(x[0], x[1], x[2], x[3], x[4], x[5]))]), Layer(1)),
                new("rnn_relu", x => Joined([.. Tuple(Tensor.Rnn(x[0], x[1], x[2], x[3], x[4], x[5], "relu"))]), Layer(1)),
                new("rnn_h_only", x => Tensor.Rnn(x[0], x[1], x[2], x[3], x[4], x[5]).H * 2.0, Layer(1)),
                new("lstm", x => Joined([.. Tuple(Tensor.Lstm(x[0], x[1], x[2], x[3], x[4], x[5], x[6]))]), Layer(4)),
                new("lstm_no_bias", x => Joined([.. Tuple(Tensor.Lstm(x[0], x[1], x[2], x[3], x[4]))]), Layer(4, bias: false)),
                new("lstm_c_only", x => Tensor.Lstm(x[0], x[1], x[2], x[3], x[4], x[5], x[6]).C.Tanh(), Layer(4)),
                new("gru", x => Joined([.. Tuple(Tensor.Gru(x[0], x[1], x[2], x[3], x[4], x[5]))]), Layer(3)),
                new("gru_no_bias", x => Joined([.. Tuple(Tensor.Gru(x[0], x[1], x[2], x[3]))]), Layer(3, bias: false)),
                new("rnn_tanh_cell", x => Tensor.RnnTanhCell(x[0], x[1], x[2], x[3], x[4], x[5]), Cell(1)),
                new("rnn_relu_cell", x => Tensor.RnnReluCell(x[0], x[1], x[2], x[3], x[4], x[5]), Cell(1)),
                new("lstm_cell", x => Joined([.. Tuple(Tensor.LstmCell(x[0], x[1], x[2], x[3], x[4], x[5], x[6]))]), Cell(4)),
                new("lstm_cell_c_only", x => Tensor.LstmCell(x[0], x[1], x[2], x[3], x[4], x[5], x[6]).C * 3.0, Cell(4)),
                new("gru_cell", x => Tensor.GruCell(x[0], x[1], x[2], x[3], x[4], x[5]), Cell(3)),
                new("rnn_tanh_bidirectional", x => Joined(RunBidirectional(RecurrentMode.RnnTanh, x)), Bidirectional(1)),
                new("rnn_relu_bidirectional", x => Joined(RunBidirectional(RecurrentMode.RnnRelu, x)), Bidirectional(1)),
                new("lstm_bidirectional", x => Joined(RunBidirectional(RecurrentMode.Lstm, x)), Bidirectional(4)),
                new("lstm_bidirectional_zero_state", x => Joined(RunBidirectional(RecurrentMode.Lstm, x, state: false)), Bidirectional(4, state: false)),
                new("lstm_bidirectional_c_only", x => RunBidirectional(RecurrentMode.Lstm, x)[2].Tanh(), Bidirectional(4)),
                new("gru_bidirectional", x => Joined(RunBidirectional(RecurrentMode.Gru, x)), Bidirectional(3)),
                new("gru_bidirectional_h_only", x => RunBidirectional(RecurrentMode.Gru, x)[1] * 2.0, Bidirectional(3)),
                new("gru_bidirectional_output_only", x => RunBidirectional(RecurrentMode.Gru, x)[0].Tanh(), Bidirectional(3)),
            ];
        }
    }

    /// <summary>Both outputs of a layer (output, h_n) or of an LSTM cell (h', c').</summary>
    private static IEnumerable<Tensor> Tuple((Tensor First, Tensor Second) r) => [r.First, r.Second];

    /// <summary>The three outputs of an LSTM layer.</summary>
    private static IEnumerable<Tensor> Tuple((Tensor Output, Tensor H, Tensor C) r) => [r.Output, r.H, r.C];

    /// <summary>
    /// One ONNX RNN, LSTM or GRU node (hidden_size; GRU with linear_before_reset = 1, which is
    /// PyTorch's n = tanh(W_in x + b_in + r·(W_hn h + b_hn)); RNN with its activation), reading
    /// W = [weight_ih], R = [weight_hh], B = [bias_ih, bias_hh] (a missing bias as zeros) with a leading
    /// num_directions axis and the gate blocks reordered from PyTorch's to ONNX's (LSTM i,f,g,o →
    /// i,o,f,c; GRU r,z,n → z,r,h) by Reshape-Gather-Reshape in the file, so the weights stay under
    /// their state-dict names. One direction: Y (seq_len, 1, batch, hidden) and Y_h, Y_c (1, batch,
    /// hidden) lose their direction axis; a cell's outputs are Y_h and Y_c. Bidirectional: direction =
    /// "bidirectional", W, R and B stack the forward and the _reverse weights on the direction axis,
    /// Y (seq_len, 2, batch, hidden) becomes PyTorch's (seq_len, batch, 2·hidden) by Transpose and
    /// Reshape, and Y_h, Y_c (2, batch, hidden) are PyTorch's h_n, c_n as they are.
    /// </summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The names of the ONNX values holding the op's outputs, in its order: output, h_n and (LSTM) c_n for a layer; h' and (LSTM) c' for a cell.</returns>
    public override string[] LowerOutputsToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        int gates = RecurrentLayer<double>.GateCount(_mode);
        int directions = Bidirectional ? 2 : 1;
        bool lstm = _mode == RecurrentMode.Lstm;
        int next = 1;
        string? hx = HasState ? onnx.Input(next++) : null;
        string? cx = HasState && lstm ? onnx.Input(next++) : null;
        int hidden = onnx.InputShape(next + 1)[1];
        long[] order = _mode switch
        {
            RecurrentMode.Lstm => LstmOrder,
            RecurrentMode.Gru => GruOrder,
            _ => [0],
        };

        string Unsqueeze0(string value) => onnx.Node("Unsqueeze", [value, onnx.Int64s([0])]);
        string W(int index) => Gates(onnx, onnx.Input(index), order, hidden, onnx.InputShape(index)[1]);
        string Bias(bool has, ref int index) => has
            ? Gates(onnx, onnx.Input(index++), order, hidden, 0)
            : onnx.Constant(new float[gates * hidden], [gates * hidden]);
        string Directions(string[] values) => values.Length == 1 ? values[0] : onnx.Node("Concat", values, new OnnxAttribute("axis", 0L));

        // Per direction: weight_ih, weight_hh, then the biases that were given.
        var w = new string[directions];
        var r = new string[directions];
        var biases = new string[directions];
        for (int d = 0; d < directions; d++)
        {
            w[d] = W(next++);
            r[d] = W(next++);
            if (HasBiasIh || HasBiasHh)
            {
                string bIh = Bias(HasBiasIh, ref next), bHh = Bias(HasBiasHh, ref next);
                biases[d] = Unsqueeze0(onnx.Node("Concat", [bIh, bHh], new OnnxAttribute("axis", 0L)));
            }
        }

        // X, W, R, B, sequence_lens, initial_h, initial_c; an optional input left out before a given one is "".
        var named = new List<string> { onnx.Input(0), Directions(w), Directions(r) };
        string? b = HasBiasIh || HasBiasHh ? Directions(biases) : null;
        if (b is not null || hx is not null)
        {
            named.Add(b ?? "");
        }

        string State(string value) => Bidirectional ? value : Unsqueeze0(value);
        if (hx is not null)
        {
            named.AddRange(["", State(hx)]);
            if (cx is not null)
            {
                named.Add(State(cx));
            }
        }

        var attributes = new List<OnnxAttribute> { new("hidden_size", (long)hidden) };
        if (Bidirectional)
        {
            attributes.Add(new("direction", "bidirectional"));
        }

        string opType = "LSTM";
        switch (_mode)
        {
            case RecurrentMode.Gru:
                opType = "GRU";
                attributes.Add(new("linear_before_reset", 1L));
                break;
            case RecurrentMode.RnnTanh or RecurrentMode.RnnRelu:
                opType = "RNN";
                attributes.Add(new("activations", [.. Enumerable.Repeat(_mode == RecurrentMode.RnnRelu ? "Relu" : "Tanh", directions)]));
                break;
        }

        var outputs = onnx.Node(opType, named, lstm ? 3 : 2, [.. attributes]);
        string Squeeze(string value, long axis) => onnx.Node("Squeeze", [value, onnx.Int64s([axis])]);
        var result = new List<string>(3);
        if (!IsCell)
        {
            // (seq_len, 2, batch, hidden) → (seq_len, batch, 2, hidden) → (seq_len, batch, 2·hidden): a row's forward h_t, then its reverse one.
            result.Add(Bidirectional
                ? onnx.Node("Reshape", [onnx.Node("Transpose", [outputs[0]], new OnnxAttribute("perm", [0L, 2L, 1L, 3L])), onnx.Int64s([0, 0, -1])])
                : Squeeze(outputs[0], 1));
        }

        result.Add(Bidirectional ? outputs[1] : Squeeze(outputs[1], 0));
        if (lstm)
        {
            result.Add(Bidirectional ? outputs[2] : Squeeze(outputs[2], 0));
        }

        return [.. result];
    }

    /// <summary>The name of the op for <paramref name="mode"/>: rnn_tanh, lstm, gru_cell, …</summary>
    internal static string NameOf(RecurrentMode mode, bool isCell)
    {
        string name = mode switch
        {
            RecurrentMode.RnnTanh => "rnn_tanh",
            RecurrentMode.RnnRelu => "rnn_relu",
            RecurrentMode.Lstm => "lstm",
            _ => "gru",
        };
        return isCell ? name + "_cell" : name;
    }

    /// <summary>The definition of the op named <paramref name="name"/> with the inputs it was given.</summary>
    internal static RecurrentDefinition For(string name, bool hasState, bool hasBiasIh, bool hasBiasHh, bool bidirectional)
    {
        bool isCell = name.EndsWith("_cell", StringComparison.Ordinal);
        var mode = (isCell ? name[..^5] : name) switch
        {
            "rnn_tanh" => RecurrentMode.RnnTanh,
            "rnn_relu" => RecurrentMode.RnnRelu,
            "lstm" => RecurrentMode.Lstm,
            "gru" => RecurrentMode.Gru,
            _ => throw new ArgumentException($"no recurrent op named '{name}'", nameof(name)),
        };
        return new RecurrentDefinition(name, mode, isCell, hasState, hasBiasIh, hasBiasHh, bidirectional);
    }

    /// <inheritdoc/>
    protected override string FormatAttributes() => Bidirectional ? $"mode: {Mode}, bidirectional: true" : $"mode: {Mode}";

    private static string FormulaOf(RecurrentMode mode, bool isCell) => mode switch
    {
        RecurrentMode.Lstm => LstmFormula,
        RecurrentMode.Gru => GruFormula,
        RecurrentMode.RnnTanh => isCell
            ? "h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh); ∂L/∂pre = g·(1 − h'²), ∂L/∂h = ∂L/∂pre·W_hh"
            : "hₜ = tanh(xₜ·W_ihᵀ + b_ih + hₜ₋₁·W_hhᵀ + b_hh); backward through time: ∂L/∂preₜ = ∂L/∂hₜ·(1 − hₜ²), ∂L/∂hₜ₋₁ += ∂L/∂preₜ·W_hh",
        _ => isCell
            ? "h' = relu(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh); ∂L/∂pre = g·[h' > 0], ∂L/∂h = ∂L/∂pre·W_hh"
            : "hₜ = relu(xₜ·W_ihᵀ + b_ih + hₜ₋₁·W_hhᵀ + b_hh); backward through time: ∂L/∂preₜ = ∂L/∂hₜ·[hₜ > 0], ∂L/∂hₜ₋₁ += ∂L/∂preₜ·W_hh",
    };

    /// <summary>
    /// A (G·hidden, columns) weight, or with <paramref name="columns"/> 0 a (G·hidden) bias, with its gate
    /// blocks in ONNX's <paramref name="order"/>: a weight gets the leading num_directions axis, (1, G·hidden, columns).
    /// </summary>
    private static string Gates(IOnnxLowering onnx, string value, long[] order, int hidden, int columns)
    {
        long gates = order.Length;
        bool bias = columns == 0;
        if (gates > 1)
        {
            string blocks = onnx.Node("Reshape", [value, onnx.Int64s(bias ? [gates, hidden] : [gates, hidden, columns])]);
            string reordered = onnx.Node("Gather", [blocks, onnx.Int64s(order)], new OnnxAttribute("axis", 0L));
            return onnx.Node("Reshape", [reordered, onnx.Int64s(bias ? [gates * hidden] : [1, gates * hidden, columns])]);
        }

        return bias ? value : onnx.Node("Unsqueeze", [value, onnx.Int64s([0])]);
    }
}
