namespace Backprop.NN;

/// <summary>
/// One GRU step (<c>torch.nn.GRUCell(input_size, hidden_size, bias=True)</c>), gates r, z, n:
/// n = tanh(W_in x + b_in + r·(W_hn h + b_hn)), h' = (1 − z)·n + z·h. See <see cref="RNNCellBase"/> and
/// <see cref="RecurrentOps.GruCell"/>.
/// </summary>
public sealed class GRUCell : RNNCellBase
{
    /// <summary>Creates the cell, drawing its parameters from <paramref name="generator"/>.</summary>
    /// <param name="inputSize">The features of the input x (PyTorch's <c>input_size</c>).</param>
    /// <param name="hiddenSize">The features of the hidden state h (PyTorch's <c>hidden_size</c>).</param>
    /// <param name="bias">Whether the cell learns the biases b_ih and b_hh (default true).</param>
    /// <param name="generator">The random source of the initial weights, or null for <see cref="Generator.Default"/>.</param>
    /// <param name="dtype">The parameters' element type (default <see cref="DType.Float32"/>).</param>
    public GRUCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
        : base(3, inputSize, hiddenSize, bias, generator, dtype)
    {
    }

    /// <summary>h' from a zero state.</summary>
    /// <param name="input">One step, (N, input_size) or (input_size) unbatched; the state starts at zeros.</param>
    /// <returns>h', a new tensor (N, hidden_size), or (hidden_size) unbatched.</returns>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>h' from <paramref name="hx"/>, zeros when null (<c>cell(input, hx)</c>).</summary>
    /// <param name="input">One step, (N, input_size) or (input_size) unbatched.</param>
    /// <param name="hx">The hidden state, (N, hidden_size) or (hidden_size); null for zeros.</param>
    /// <returns>h', a new tensor (N, hidden_size), or (hidden_size) unbatched.</returns>
    public Tensor Forward(Tensor input, Tensor? hx)
    {
        var (x, batched) = PrepareInput(input);
        var h = PrepareState("hx", hx, x, batched);
        return Unbatch(Tensor.GruCell(x, h, WeightIh, WeightHh, BiasIh, BiasHh), batched);
    }
}
