namespace Backprop.NN;

/// <summary>
/// One LSTM step (<c>torch.nn.LSTMCell(input_size, hidden_size, bias=True)</c>), gates i, f, g, o:
/// c' = f·c + i·g, h' = o·tanh(c'). See <see cref="RNNCellBase"/> and <see cref="RecurrentOps.LstmCell"/>.
/// </summary>
public sealed class LSTMCell : RNNCellBase
{
    /// <summary>Creates the cell, drawing its parameters from <paramref name="generator"/>.</summary>
    public LSTMCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
        : base(4, inputSize, hiddenSize, bias, generator, dtype)
    {
    }

    /// <summary>h' from zero states.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null).H;

    /// <summary>(h', c') from (h, c), zeros when null (<c>h_1, c_1 = cell(input, (h_0, c_0))</c>).</summary>
    public (Tensor H, Tensor C) Forward(Tensor input, (Tensor H, Tensor C)? hx)
    {
        var (x, batched) = PrepareInput(input);
        var h = PrepareState("hx", hx?.H, x, batched);
        var c = PrepareState("cx", hx?.C, x, batched);
        var (hNext, cNext) = Tensor.LstmCell(x, h, c, WeightIh, WeightHh, BiasIh, BiasHh);
        return (Unbatch(hNext, batched), Unbatch(cNext, batched));
    }
}
