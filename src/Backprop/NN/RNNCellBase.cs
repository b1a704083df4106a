using System.Globalization;

namespace Backprop.NN;

/// <summary>
/// What <see cref="RNNCell"/>, <see cref="LSTMCell"/> and <see cref="GRUCell"/> share (PyTorch's
/// <c>RNNCellBase</c>): one time step, with parameters <c>weight_ih</c> (G·hidden, input),
/// <c>weight_hh</c> (G·hidden, hidden), <c>bias_ih</c>, <c>bias_hh</c> (G·hidden), all initialized
/// U(−1/√hidden, 1/√hidden). Input is (batch, input_size) or (input_size) unbatched; the state is
/// (batch, hidden_size) or (hidden_size), zeros when not given.
/// </summary>
public abstract class RNNCellBase : Module
{
    private protected RNNCellBase(int gates, int inputSize, int hiddenSize, bool bias, Generator? generator, DType dtype)
    {
        string name = GetType().Name;
        if (inputSize < 1 || hiddenSize < 1)
        {
            throw new ArgumentException($"{name}: input_size and hidden_size must be positive, got {inputSize} and {hiddenSize}");
        }

        if (!dtype.IsFloatingPoint())
        {
            throw new ArgumentException($"{name}: dtype must be float32 or float64, got {dtype.Name()}");
        }

        InputSize = inputSize;
        HiddenSize = hiddenSize;
        Bias = bias;
        WeightIh = Tensor.Zeros([gates * hiddenSize, inputSize], dtype, requiresGrad: true);
        WeightHh = Tensor.Zeros([gates * hiddenSize, hiddenSize], dtype, requiresGrad: true);
        BiasIh = bias ? Tensor.Zeros([gates * hiddenSize], dtype, requiresGrad: true) : null;
        BiasHh = bias ? Tensor.Zeros([gates * hiddenSize], dtype, requiresGrad: true) : null;
        ResetParameters(generator);
    }

    /// <summary>Input-to-hidden weights, (G·hidden_size, input_size) (<c>weight_ih</c>).</summary>
    public Tensor WeightIh { get; set; }

    /// <summary>Hidden-to-hidden weights, (G·hidden_size, hidden_size) (<c>weight_hh</c>).</summary>
    public Tensor WeightHh { get; set; }

    /// <summary>Input-side bias, (G·hidden_size); null without bias (<c>bias_ih</c>).</summary>
    public Tensor? BiasIh { get; set; }

    /// <summary>Hidden-side bias, (G·hidden_size); null without bias (<c>bias_hh</c>).</summary>
    public Tensor? BiasHh { get; set; }

    /// <summary>Features of the input (<c>input_size</c>).</summary>
    public int InputSize { get; }

    /// <summary>Features of the hidden state (<c>hidden_size</c>).</summary>
    public int HiddenSize { get; }

    /// <summary>Whether the cell has biases (<c>bias</c>).</summary>
    public bool Bias { get; }

    /// <summary>Re-draws every parameter from U(−1/√hidden_size, 1/√hidden_size) (<c>reset_parameters</c>).</summary>
    /// <param name="generator">The random source, or null for <see cref="Generator.Default"/>.</param>
    public void ResetParameters(Generator? generator = null)
    {
        double bound = 1 / Math.Sqrt(HiddenSize);
        foreach (var p in Parameters(recurse: false))
        {
            Init.Uniform(p, -bound, bound, generator);
        }
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        string.Create(CultureInfo.InvariantCulture, $"{InputSize}, {HiddenSize}") + (Bias ? "" : ", bias=False");

    /// <summary>The input as (batch, input_size), checked, and whether it came batched.</summary>
    private protected (Tensor Input, bool Batched) PrepareInput(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        string name = GetType().Name;
        if (input.Rank is not (1 or 2))
        {
            throw new ArgumentException($"{name}: expected input of shape (batch x input_size) or (input_size), got {Shapes.Format(input._shape)}");
        }

        if (input._shape[^1] != InputSize)
        {
            throw new ArgumentException($"{name}: input feature size {input._shape[^1]} does not match input_size {InputSize} (input of shape {Shapes.Format(input._shape)})");
        }

        return input.Rank == 2 ? (input, true) : (input.Unsqueeze(0), false);
    }

    /// <summary>A state as (batch, hidden_size): zeros when null, else checked against the input's batch.</summary>
    private protected Tensor PrepareState(string stateName, Tensor? state, Tensor input, bool batched)
    {
        int batch = input._shape[0];
        if (state is null)
        {
            return Tensor.Zeros([batch, HiddenSize], input.DType);
        }

        int[] expected = batched ? [batch, HiddenSize] : [HiddenSize];
        if (!state._shape.AsSpan().SequenceEqual(expected))
        {
            throw new ArgumentException($"{GetType().Name}: {stateName} must have shape {Shapes.Format(expected)} ({(batched ? "batch x " : "")}hidden_size), got {Shapes.Format(state._shape)}");
        }

        return batched ? state : state.Unsqueeze(0);
    }

    /// <summary>Drops the batch dim again for an unbatched call.</summary>
    private protected static Tensor Unbatch(Tensor state, bool batched) => batched ? state : state.Squeeze(0);
}
