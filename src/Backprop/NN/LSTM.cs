using Backprop.Kernels;

namespace Backprop.NN;

/// <summary>
/// A multi-layer long short-term memory network (<c>torch.nn.LSTM(input_size, hidden_size, num_layers=1,
/// bias=True, batch_first=False, dropout=0.0)</c>), gates in PyTorch's order i, f, g, o:
/// i, f, o = σ(…), g = tanh(W_ig x + b_ig + W_hg h + b_hg), c' = f·c + i·g, h' = o·tanh(c').
/// See <see cref="RNNBase"/> for shapes, parameter names and initialization, and <see cref="RecurrentOps.Lstm"/>
/// for the derivatives.
/// </summary>
public sealed class LSTM : RNNBase
{
    /// <summary>Creates the layers; weights from <paramref name="generator"/>, inter-layer dropout masks from <paramref name="dropoutGenerator"/>.</summary>
    public LSTM(
        int inputSize,
        int hiddenSize,
        int numLayers = 1,
        bool bias = true,
        bool batchFirst = false,
        double dropout = 0,
        Generator? generator = null,
        Generator? dropoutGenerator = null,
        DType dtype = DType.Float32)
        : base(RecurrentMode.Lstm, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, generator, dropoutGenerator, dtype)
    {
    }

    /// <summary>
    /// Runs the sequence from (h0, c0), each (num_layers, batch, hidden_size), zeros when null
    /// (<c>output, (h_n, c_n) = lstm(input, (h0, c0))</c>); h_n and c_n hold every layer's last states.
    /// </summary>
    public (Tensor Output, (Tensor H, Tensor C) State) Forward(Tensor input, (Tensor H, Tensor C)? hx)
    {
        var (output, h, c) = Run(input, hx?.H, hx?.C);
        return (output, (h, c!));
    }
}
