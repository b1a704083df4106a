using Backprop.Kernels;

namespace Backprop.NN;

/// <summary>
/// A multi-layer gated recurrent unit network (<c>torch.nn.GRU(input_size, hidden_size, num_layers=1,
/// bias=True, batch_first=False, dropout=0.0)</c>), gates in PyTorch's order r, z, n:
/// r, z = σ(…), n = tanh(W_in x + b_in + r·(W_hn h + b_hn)), h' = (1 − z)·n + z·h.
/// See <see cref="RNNBase"/> for shapes, parameter names and initialization, and <see cref="RecurrentOps.Gru"/>
/// for the derivatives.
/// </summary>
public sealed class GRU : RNNBase
{
    /// <summary>Creates the layers; weights from <paramref name="generator"/>, inter-layer dropout masks from <paramref name="dropoutGenerator"/>.</summary>
    public GRU(
        int inputSize,
        int hiddenSize,
        int numLayers = 1,
        bool bias = true,
        bool batchFirst = false,
        double dropout = 0,
        Generator? generator = null,
        Generator? dropoutGenerator = null,
        DType dtype = DType.Float32)
        : base(RecurrentMode.Gru, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, generator, dropoutGenerator, dtype)
    {
    }

    /// <summary>
    /// Runs the sequence from <paramref name="hx"/> (num_layers, batch, hidden_size), zeros when null
    /// (<c>output, h_n = gru(input, hx)</c>).
    /// </summary>
    public (Tensor Output, Tensor H) Forward(Tensor input, Tensor? hx)
    {
        var (output, h, _) = Run(input, hx, null);
        return (output, h);
    }
}
