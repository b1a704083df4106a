using Backprop.Kernels;

namespace Backprop;

// The recurrent layers' derivatives of higher order. The fused kernel back-propagates through time by
// hand, outside the graph; when the backward pass is recorded (createGraph) or a forward derivative is
// asked for, the layer is recomputed from its saved inputs with recorded primitive ops, per time step,
// with the kernel's gate order and formulas (matmul, add, sigmoid, tanh, relu, mul), and that
// decomposition is differentiated instead: its gradients are made of recorded ops, so they differentiate
// again, and its tangents come from the primitives' forward derivatives. The ordinary backward and the
// forward pass keep the fused kernel.
public static partial class RecurrentOps
{
    /// <summary>
    /// The outputs of the layer (output, h_n, and c_n for LSTM; a cell's h' and c') recomputed with
    /// recorded primitive ops from the same inputs, in the fused op's order and shapes.
    /// </summary>
    /// <param name="mode">The cell kind.</param>
    /// <param name="isCell">Whether it is a one-step cell (the input is then the cell's input as one step).</param>
    /// <param name="input">The sequence, (seq_len, batch, input_size).</param>
    /// <param name="hx">The initial hidden state, or null for zeros.</param>
    /// <param name="cx">The initial cell state (LSTM), or null for zeros.</param>
    /// <param name="weights">weight_ih, weight_hh, bias_ih, bias_hh per direction (a bias null for none).</param>
    /// <returns>The outputs, as the fused op returns them.</returns>
    internal static Tensor[] DecomposedLayer(RecurrentMode mode, bool isCell, Tensor input, Tensor? hx, Tensor? cx, Tensor?[] weights)
    {
        int directions = weights.Length / 4;
        int steps = input.Shape[0], batch = input.Shape[1], hidden = weights[1]!.Shape[1];
        bool lstm = mode == RecurrentMode.Lstm;
        var outputs = new Tensor[directions];
        var hLast = new Tensor[directions];
        var cLast = new Tensor[directions];
        for (int d = 0; d < directions; d++)
        {
            Tensor State(Tensor? state) => state is null
                ? Tensor.Zeros([batch, hidden], input.DType)
                : directions == 1 ? state : state.Select(0, d);
            var (weightIh, weightHh, biasIh, biasHh) = (weights[4 * d]!, weights[(4 * d) + 1]!, weights[(4 * d) + 2], weights[(4 * d) + 3]);

            // The inputs' part of every step at once, as the kernel's one GEMM: (seq_len, batch, gates·hidden).
            var inputGates = input.Matmul(weightIh.Transpose(0, 1));
            if (biasIh is not null)
            {
                inputGates += biasIh;
            }

            var weightHhT = weightHh.Transpose(0, 1);
            var h = State(hx);
            var c = lstm ? State(cx) : null;
            var hs = new Tensor[steps];
            for (int k = 0; k < steps; k++)
            {
                int t = d == 0 ? k : steps - 1 - k;
                var xGates = inputGates.Select(0, t);
                var hGates = h.Matmul(weightHhT);
                if (biasHh is not null)
                {
                    hGates += biasHh;
                }

                (h, c) = Step(mode, xGates, hGates, h, c, hidden);
                hs[t] = h;
            }

            outputs[d] = Tensor.Stack(hs);
            hLast[d] = h;
            cLast[d] = c!;
        }

        var result = new List<Tensor>(3);
        if (isCell)
        {
            result.Add(hLast[0]);
        }
        else if (directions == 1)
        {
            result.Add(outputs[0]);
            result.Add(hLast[0]);
        }
        else
        {
            result.Add(Tensor.Concat(outputs, 2));
            result.Add(Tensor.Stack(hLast));
        }

        if (lstm)
        {
            result.Add(isCell || directions == 1 ? cLast[0] : Tensor.Stack(cLast));
        }

        return [.. result];
    }

    /// <summary>
    /// One time step as recorded ops from the gates' input part <paramref name="x"/> (x·W_ihᵀ + b_ih) and
    /// hidden part <paramref name="hg"/> (h·W_hhᵀ + b_hh), both (batch, gates·hidden), in PyTorch's gate order.
    /// </summary>
    private static (Tensor H, Tensor? C) Step(RecurrentMode mode, Tensor x, Tensor hg, Tensor h, Tensor? c, int hidden)
    {
        Tensor Gate(Tensor gates, int k) => gates.Narrow(1, k * hidden, hidden);
        switch (mode)
        {
            case RecurrentMode.RnnTanh:
                return ((x + hg).Tanh(), null);
            case RecurrentMode.RnnRelu:
                return ((x + hg).Relu(), null);
            case RecurrentMode.Lstm:
            {
                var gates = x + hg;
                var i = Gate(gates, 0).Sigmoid();
                var f = Gate(gates, 1).Sigmoid();
                var g = Gate(gates, 2).Tanh();
                var o = Gate(gates, 3).Sigmoid();
                var cNext = (f * c!) + (i * g);
                return (o * cNext.Tanh(), cNext);
            }

            default:
            {
                var r = (Gate(x, 0) + Gate(hg, 0)).Sigmoid();
                var z = (Gate(x, 1) + Gate(hg, 1)).Sigmoid();
                var n = (Gate(x, 2) + (r * Gate(hg, 2))).Tanh();
                return (((1.0 - z) * n) + (z * h), null);
            }
        }
    }

    /// <summary>
    /// The recorded backward of a recurrent node: the decomposition recomputed from the node's inputs and
    /// differentiated with its graph recorded, walking no further down than the inputs.
    /// </summary>
    private static Tensor?[] DecomposedBackward(RecurrentMode mode, bool isCell, Tensor input, Tensor? hx, Tensor? cx, Tensor?[] weights, Tensor[] nodeInputs, Tensor?[] gradOutputs)
    {
        var outputs = DecomposedLayer(mode, isCell, input, hx, cx, weights);
        return Autograd.GradAbove(outputs, gradOutputs, nodeInputs);
    }
}

/// <summary>The recurrent ops' derivatives of higher order (see Ops/Recurrent.Derivatives.cs).</summary>
public sealed partial class RecurrentDefinition
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <summary>
    /// The tangents of the outputs (output, h_n and c_n; a cell's h' and c'): the step-by-step decomposition
    /// run with the inputs' tangents, so each step's primitives carry them forward through time.
    /// </summary>
    /// <param name="inputs">The node's inputs in its order: input, the states when given, then each direction's weights and biases.</param>
    /// <param name="outputs">The fused op's outputs.</param>
    /// <param name="tangents">One tangent per input (null: zero).</param>
    /// <returns>One tangent per output.</returns>
    public override Tensor?[]? ForwardDerivatives(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor?> tangents) =>
        ForwardAD.CompositeJvp(x => Decompose(x), inputs, tangents);

    /// <summary>The decomposition of this op applied to inputs in the node's order.</summary>
    internal Tensor[] Decompose(IReadOnlyList<Tensor> inputs)
    {
        bool lstm = _mode == RecurrentMode.Lstm;
        int next = 1;
        var hx = HasState ? inputs[next++] : null;
        var cx = HasState && lstm ? inputs[next++] : null;
        int directions = Bidirectional ? 2 : 1;
        var weights = new Tensor?[4 * directions];
        for (int d = 0; d < directions; d++)
        {
            weights[4 * d] = inputs[next++];
            weights[(4 * d) + 1] = inputs[next++];
            weights[(4 * d) + 2] = HasBiasIh ? inputs[next++] : null;
            weights[(4 * d) + 3] = HasBiasHh ? inputs[next++] : null;
        }

        return RecurrentOps.DecomposedLayer(_mode, IsCell, inputs[0], hx, cx, weights);
    }
}
