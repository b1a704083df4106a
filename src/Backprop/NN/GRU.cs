using Backprop.Kernels;

namespace Backprop.NN;

/// <summary>
/// A multi-layer gated recurrent unit network (<c>torch.nn.GRU(input_size, hidden_size, num_layers=1,
/// bias=True, batch_first=False, dropout=0.0, bidirectional=False)</c>), gates in PyTorch's order r, z, n:
/// r, z = σ(…), n = tanh(W_in x + b_in + r·(W_hn h + b_hn)), h' = (1 − z)·n + z·h.
/// See <see cref="RNNBase"/> for shapes, parameter names and initialization, and <see cref="RecurrentOps.Gru"/>
/// for the derivatives.
/// </summary>
public sealed class GRU : RNNBase
{
    /// <summary>Creates the layers; weights from <paramref name="generator"/>, inter-layer dropout masks from <paramref name="dropoutGenerator"/>.</summary>
    /// <param name="inputSize">The features of each input step (PyTorch's <c>input_size</c>).</param>
    /// <param name="hiddenSize">The features of the hidden state h (PyTorch's <c>hidden_size</c>).</param>
    /// <param name="numLayers">How many recurrent layers are stacked, each reading the previous one's output (default 1).</param>
    /// <param name="bias">Whether the layers learn the biases b_ih and b_hh (default true).</param>
    /// <param name="batchFirst">Whether input and output are (N, L, H) rather than (L, N, H) (PyTorch's <c>batch_first</c>, default false).</param>
    /// <param name="dropout">The probability of zeroing each output of every layer but the last while training (default 0).</param>
    /// <param name="bidirectional">Whether each layer also runs the sequence backwards with weights of its own (<c>_reverse</c>), doubling the output's features (PyTorch's <c>bidirectional</c>, default false).</param>
    /// <param name="generator">The random source of the initial weights, or null for <see cref="Generator.Default"/>.</param>
    /// <param name="dropoutGenerator">The random source of the dropout masks, or null for <see cref="Generator.Default"/>.</param>
    /// <param name="dtype">The parameters' element type (default <see cref="DType.Float32"/>).</param>
    public GRU(
        int inputSize,
        int hiddenSize,
        int numLayers = 1,
        bool bias = true,
        bool batchFirst = false,
        double dropout = 0,
        bool bidirectional = false,
        Generator? generator = null,
        Generator? dropoutGenerator = null,
        DType dtype = DType.Float32)
        : base(RecurrentMode.Gru, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, generator, dropoutGenerator, dtype)
    {
    }

    /// <summary>
    /// Runs the sequence from <paramref name="hx"/> (D·num_layers, batch, hidden_size) with D = 2 when bidirectional, else 1, zeros when null
    /// (<c>output, h_n = gru(input, hx)</c>).
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
