namespace Backprop.NN;

/// <summary>
/// What <see cref="Conv1d"/> and <see cref="Conv2d"/> share (PyTorch's <c>_ConvNd</c>): the weight
/// (C_out, C_in/groups, kernel…) and bias (C_out) parameters, the channel counts and groups, and their
/// initialization W ~ kaiming_uniform(a = √5) = U(−1/√fan_in, 1/√fan_in), b ~ U(−1/√fan_in, 1/√fan_in)
/// with fan_in = C_in/groups·Π kernel. The window sizes, whose type depends on the dimension, stay in
/// each layer.
/// </summary>
public abstract class ConvBase : Module
{
    // PyTorch's _reversed_padding_repeated_twice: (before, after) per dim, the last dim first, as F.Pad takes it.
    private readonly int[] _reversedPadding;

    /// <summary>
    /// Checks the arguments (naming the layer by its type), then creates the parameters with
    /// <paramref name="kernelShape"/> as the trailing weight dims and initializes them from
    /// <paramref name="generator"/> (weight first, then bias).
    /// </summary>
    private protected ConvBase(
        int inChannels,
        int outChannels,
        Size2 kernelSize,
        Size2 stride,
        Padding padding,
        Size2 dilation,
        int groups,
        bool bias,
        PaddingMode paddingMode,
        int[] kernelShape,
        Generator? generator,
        DType dtype)
    {
        string layer = GetType().Name;
        ConvArguments.Validate(layer, inChannels, outChannels, groups, dtype);
        ConvArguments.ValidateWindow(layer, kernelSize, stride, padding, dilation, kernelShape.Length);
        ConvArguments.ValidatePaddingMode(layer, paddingMode);
        InChannels = inChannels;
        OutChannels = outChannels;
        Groups = groups;
        PaddingMode = paddingMode;
        _reversedPadding = ConvArguments.ReversedPaddingRepeatedTwice(padding, kernelShape, dilation);
        Weight = Tensor.Zeros([outChannels, inChannels / groups, .. kernelShape], dtype, requiresGrad: true);
        Bias = bias ? Tensor.Zeros([outChannels], dtype, requiresGrad: true) : null;
        ResetParameters(generator);
    }

    /// <summary>The kernels W of shape (out_channels, in_channels/groups, kernel…) (<c>conv.weight</c>).</summary>
    public Tensor Weight { get; set; }

    /// <summary>The bias b of shape (out_channels), or null when created with <c>bias: false</c> (<c>conv.bias</c>).</summary>
    public Tensor? Bias { get; set; }

    /// <summary>Channels of the input (<c>in_channels</c>).</summary>
    public int InChannels { get; }

    /// <summary>Channels of the output (<c>out_channels</c>).</summary>
    public int OutChannels { get; }

    /// <summary>Channel groups convolved independently (<c>groups</c>).</summary>
    public int Groups { get; }

    /// <summary>
    /// How the padding is filled (<c>padding_mode</c>): zeros inside the convolution, or the input padded
    /// by <see cref="F.Pad"/> in this mode before a convolution without padding.
    /// </summary>
    public PaddingMode PaddingMode { get; }

    /// <summary>Re-draws the parameters as PyTorch's <c>reset_parameters</c> (see the class summary).</summary>
    /// <param name="generator">The random source, or null for <see cref="Generator.Default"/>.</param>
    public void ResetParameters(Generator? generator = null) => ConvArguments.ResetParameters(Weight, Bias, generator);

    /// <summary>The input padded in <see cref="PaddingMode"/> (not zeros) by the layer's padding, as the convolution that follows has none.</summary>
    /// <param name="input">The layer's input, batched or not.</param>
    /// <returns>The padded input.</returns>
    internal Tensor PadInput(Tensor input) => F.Pad(input, _reversedPadding, PaddingMode switch
    {
        PaddingMode.Reflect => PadMode.Reflect,
        PaddingMode.Replicate => PadMode.Replicate,
        _ => PadMode.Circular,
    });
}
