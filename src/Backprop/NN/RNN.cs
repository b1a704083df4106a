using Backprop.Kernels;

namespace Backprop.NN;

/// <summary>
/// A multi-layer Elman RNN (<c>torch.nn.RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh',
/// bias=True, batch_first=False, dropout=0.0)</c>): h_t = act(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh)
/// with act tanh or relu. See <see cref="RNNBase"/> for shapes, parameter names and initialization.
/// </summary>
public sealed class RNN : RNNBase
{
    /// <summary>Creates the layers; weights from <paramref name="generator"/>, inter-layer dropout masks from <paramref name="dropoutGenerator"/>.</summary>
    public RNN(
        int inputSize,
        int hiddenSize,
        int numLayers = 1,
        string nonlinearity = "tanh",
        bool bias = true,
        bool batchFirst = false,
        double dropout = 0,
        Generator? generator = null,
        Generator? dropoutGenerator = null,
        DType dtype = DType.Float32)
        : base(RecurrentOps.RnnMode("RNN", nonlinearity), inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, generator, dropoutGenerator, dtype)
    {
        Nonlinearity = nonlinearity;
    }

    /// <summary>"tanh" or "relu" (<c>nonlinearity</c>).</summary>
    public string Nonlinearity { get; }

    /// <summary>
    /// Runs the sequence from <paramref name="hx"/> (num_layers, batch, hidden_size), zeros when null
    /// (<c>output, h_n = rnn(input, hx)</c>); h_n holds every layer's last hidden state.
    /// </summary>
    public (Tensor Output, Tensor H) Forward(Tensor input, Tensor? hx)
    {
        var (output, h, _) = Run(input, hx, null);
        return (output, h);
    }
}
