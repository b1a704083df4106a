namespace Backprop.NN;

/// <summary>
/// One Elman RNN step (<c>torch.nn.RNNCell(input_size, hidden_size, bias=True, nonlinearity='tanh')</c>):
/// h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) with act tanh or relu. See <see cref="RNNCellBase"/>.
/// </summary>
public sealed class RNNCell : RNNCellBase
{
    /// <summary>Creates the cell, drawing its parameters from <paramref name="generator"/>.</summary>
    public RNNCell(int inputSize, int hiddenSize, bool bias = true, string nonlinearity = "tanh", Generator? generator = null, DType dtype = DType.Float32)
        : base(1, inputSize, hiddenSize, bias, generator, dtype)
    {
        RecurrentOps.RnnMode("RNNCell", nonlinearity);
        Nonlinearity = nonlinearity;
    }

    /// <summary>"tanh" or "relu" (<c>nonlinearity</c>).</summary>
    public string Nonlinearity { get; }

    /// <summary>h' from a zero state.</summary>
    public override Tensor Forward(Tensor input) => Forward(input, null);

    /// <summary>h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) (<c>cell(input, hx)</c>).</summary>
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
