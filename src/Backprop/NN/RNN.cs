using Backprop.Kernels;

namespace Backprop.NN;

/// <summary>
/// A multi-layer Elman RNN (<c>torch.nn.RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh',
/// bias=True, batch_first=False, dropout=0.0, bidirectional=False)</c>): h_t = act(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh)
/// with act tanh or relu. See <see cref="RNNBase"/> for shapes, parameter names and initialization.
/// </summary>
public sealed class RNN : RNNBase
{
    /// <summary>Creates the layers; weights from <paramref name="generator"/>, inter-layer dropout masks from <paramref name="dropoutGenerator"/>.</summary>
    /// <param name="inputSize">The features of each input step (PyTorch's <c>input_size</c>).</param>
    /// <param name="hiddenSize">The features of the hidden state h (PyTorch's <c>hidden_size</c>).</param>
    /// <param name="numLayers">How many recurrent layers are stacked, each reading the previous one's output (default 1).</param>
    /// <param name="nonlinearity"><c>"tanh"</c> (default) or <c>"relu"</c>.</param>
    /// <param name="bias">Whether the layers learn the biases b_ih and b_hh (default true).</param>
    /// <param name="batchFirst">Whether input and output are (N, L, H) rather than (L, N, H) (PyTorch's <c>batch_first</c>, default false).</param>
    /// <param name="dropout">The probability of zeroing each output of every layer but the last while training (default 0).</param>
    /// <param name="bidirectional">Whether each layer also runs the sequence backwards with weights of its own (<c>_reverse</c>), doubling the output's features (PyTorch's <c>bidirectional</c>, default false).</param>
    /// <param name="generator">The random source of the initial weights, or null for <see cref="Generator.Default"/>.</param>
    /// <param name="dropoutGenerator">The random source of the dropout masks, or null for <see cref="Generator.Default"/>.</param>
    /// <param name="dtype">The parameters' element type (default <see cref="DType.Float32"/>).</param>
    public RNN(
        int inputSize,
        int hiddenSize,
        int numLayers = 1,
        string nonlinearity = "tanh",
        bool bias = true,
        bool batchFirst = false,
        double dropout = 0,
        bool bidirectional = false,
        Generator? generator = null,
        Generator? dropoutGenerator = null,
        DType dtype = DType.Float32)
        : base(RecurrentOps.RnnMode("RNN", nonlinearity), inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator, dropoutGenerator, dtype)
    {
        Nonlinearity = nonlinearity;
    }

    /// <summary>"tanh" or "relu" (<c>nonlinearity</c>).</summary>
    public string Nonlinearity { get; }

    /// <summary>
    /// Runs the sequence from <paramref name="hx"/> (D·num_layers, batch, hidden_size) with D = 2 when bidirectional, else 1, zeros when null
    /// (<c>output, h_n = rnn(input, hx)</c>); h_n holds every layer's last hidden state.
    /// </summary>
    /// <param name="input">The sequence: (L, N, H_in), (N, L, H_in) with <c>batchFirst</c>, or (L, H_in) unbatched.</param>
    /// <param name="hx">The initial hidden state (D·num_layers, N, H_out), or (D·num_layers, H_out) unbatched; null for zeros.</param>
    /// <returns>Output: the last layer's h_t for every step, (L, N, D·hidden_size) ((N, L, D·hidden_size) with batch_first, (L, D·hidden_size) unbatched), D = 2 when bidirectional, else 1; H: h_n, (D·num_layers, N, hidden_size) ((D·num_layers, hidden_size) unbatched).</returns>
    public (Tensor Output, Tensor H) Forward(Tensor input, Tensor? hx)
    {
        var (output, h, _) = Run(input, hx, null);
        return (output, h);
    }
}
