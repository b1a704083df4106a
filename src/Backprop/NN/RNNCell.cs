namespace Backprop.NN;

/// <summary>
/// One Elman RNN step (<c>torch.nn.RNNCell(input_size, hidden_size, bias=True, nonlinearity='tanh')</c>):
/// h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) with act tanh or relu. See <see cref="RNNCellBase"/>.
/// </summary>
public sealed class RNNCell : RNNCellBase
{
    /// <summary>Creates the cell, drawing its parameters from <paramref name="generator"/>.</summary>
    /// <param name="inputSize">The features of the input x (PyTorch's <c>input_size</c>).</param>
    /// <param name="hiddenSize">The features of the hidden state h (PyTorch's <c>hidden_size</c>).</param>
    /// <param name="bias">Whether the cell learns the biases b_ih and b_hh (default true).</param>
    /// <param name="nonlinearity"><c>"tanh"</c> (default) or <c>"relu"</c>.</param>
    /// <param name="generator">The random source of the initial weights, or null for <see cref="Generator.Default"/>.</param>
    /// <param name="dtype">The parameters' element type (default <see cref="DType.Float32"/>).</param>
    public RNNCell(int inputSize, int hiddenSize, bool bias = true, string nonlinearity = "tanh", Generator? generator = null, DType dtype = DType.Float32)
        : base(1, inputSize, hiddenSize, bias, generator, dtype)
    {
        RecurrentOps.RnnMode("RNNCell", nonlinearity);
        Nonlinearity = nonlinearity;
    }

    /// <summary>"tanh" or "relu" (<c>nonlinearity</c>).</summary>
    public string Nonlinearity { get; }

    /// <summary>h' from a zero state.</summary>
    /// <param name="input">One step, (N, input_size) or (input_size) unbatched; the state starts at zeros.</param>
    /// <returns>h', a new tensor (N, hidden_size), or (hidden_size) unbatched.</returns>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) (<c>cell(input, hx)</c>).</summary>
    /// <param name="input">One step, (N, input_size) or (input_size) unbatched.</param>
    /// <param name="hx">The hidden state, (N, hidden_size) or (hidden_size); null for zeros.</param>
    /// <returns>h', a new tensor (N, hidden_size), or (hidden_size) unbatched.</returns>
    public Tensor Forward(Tensor input, Tensor? hx)
    {
        var (x, batched) = PrepareInput(input);
        var h = PrepareState("hx", hx, x, batched);
        var next = Nonlinearity == "relu"
            ? Tensor.RnnReluCell(x, h, WeightIh, WeightHh, BiasIh, BiasHh)
            : Tensor.RnnTanhCell(x, h, WeightIh, WeightHh, BiasIh, BiasHh);
        return Unbatch(next, batched);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => base.ExtraRepr() + (Nonlinearity == "tanh" ? "" : ", nonlinearity=" + Nonlinearity);
}
