namespace Backprop.NN;

/// <summary>
/// One LSTM step (<c>torch.nn.LSTMCell(input_size, hidden_size, bias=True)</c>), gates i, f, g, o:
/// c' = f·c + i·g, h' = o·tanh(c'). See <see cref="RNNCellBase"/> and <see cref="RecurrentOps.LstmCell"/>.
/// </summary>
public sealed class LSTMCell : RNNCellBase
{
    /// <summary>Creates the cell, drawing its parameters from <paramref name="generator"/>.</summary>
    /// <param name="inputSize">The features of the input x (PyTorch's <c>input_size</c>).</param>
    /// <param name="hiddenSize">The features of the hidden state h and cell state c (PyTorch's <c>hidden_size</c>).</param>
    /// <param name="bias">Whether the cell learns the biases b_ih and b_hh (default true).</param>
    /// <param name="generator">The random source of the initial weights, or null for <see cref="Generator.Default"/>.</param>
    /// <param name="dtype">The parameters' element type (default <see cref="DType.Float32"/>).</param>
    public LSTMCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
        : base(4, inputSize, hiddenSize, bias, generator, dtype)
    {
    }

    /// <summary>h' from zero states.</summary>
    /// <param name="input">One step, (N, input_size) or (input_size) unbatched; the state starts at zeros.</param>
    /// <returns>h', a new tensor (N, hidden_size), or (hidden_size) unbatched.</returns>
    public override Tensor Forward(Tensor input) => Forward(input, null).H;

    /// <summary>(h', c') from (h, c), zeros when null (<c>h_1, c_1 = cell(input, (h_0, c_0))</c>).</summary>
    /// <param name="input">One step, (N, input_size) or (input_size) unbatched.</param>
    /// <param name="hx">The state (h, c), each (N, hidden_size) or (hidden_size); null for zeros.</param>
    /// <returns>H: h'; C: c'; new tensors (N, hidden_size), or (hidden_size) unbatched.</returns>
    public (Tensor H, Tensor C) Forward(Tensor input, (Tensor H, Tensor C)? hx)
    {
        var (x, batched) = PrepareInput(input);
        var h = PrepareState("hx", hx?.H, x, batched);
        var c = PrepareState("cx", hx?.C, x, batched);
        var (hNext, cNext) = Tensor.LstmCell(x, h, c, WeightIh, WeightHh, BiasIh, BiasHh);
        return (Unbatch(hNext, batched), Unbatch(cNext, batched));
    }
}
