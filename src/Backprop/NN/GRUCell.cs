namespace Backprop.NN;

/// <summary>
/// One GRU step (<c>torch.nn.GRUCell(input_size, hidden_size, bias=True)</c>), gates r, z, n:
/// n = tanh(W_in x + b_in + r·(W_hn h + b_hn)), h' = (1 − z)·n + z·h. See <see cref="RNNCellBase"/> and
/// <see cref="RecurrentOps.GruCell"/>.
/// </summary>
public sealed class GRUCell : RNNCellBase
{
    /// <summary>Creates the cell, drawing its parameters from <paramref name="generator"/>.</summary>
    public GRUCell(int inputSize, int hiddenSize, bool bias = true, Generator? generator = null, DType dtype = DType.Float32)
        : base(3, inputSize, hiddenSize, bias, generator, dtype)
    {
    }

    /// <summary>h' from a zero state.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>h' from <paramref name="hx"/>, zeros when null (<c>cell(input, hx)</c>).</summary>
    public Tensor Forward(Tensor input, Tensor? hx)
    {
        var (x, batched) = PrepareInput(input);
        var h = PrepareState("hx", hx, x, batched);
        return Unbatch(Tensor.GruCell(x, h, WeightIh, WeightHh, BiasIh, BiasHh), batched);
    }
}
