using System.Globalization;

namespace Backprop.NN;

/// <summary>What <see cref="Conv1d"/> and <see cref="Conv2d"/> share: argument checks, initialization and the printed form.</summary>
internal static class ConvArguments
{
    public static void Validate(string layer, int inChannels, int outChannels, int groups, DType dtype)
    {
        if (inChannels < 1 || outChannels < 1)
        {
            throw new ArgumentException($"{layer}: channel counts must be positive, got in_channels={inChannels}, out_channels={outChannels}");
        }

        if (groups < 1)
        {
            throw new ArgumentException($"{layer}: groups must be at least 1, got {groups}");
        }

        if (inChannels % groups != 0 || outChannels % groups != 0)
        {
            throw new ArgumentException($"{layer}: groups={groups} must divide both in_channels={inChannels} and out_channels={outChannels}");
        }

        if (!dtype.IsFloatingPoint())
        {
            throw new ArgumentException($"{layer}: dtype must be float32 or float64, got {dtype.Name()}");
        }
    }

    public static void ValidateWindow(string layer, Size2 kernelSize, Size2 stride, Padding padding, Size2 dilation, int dims = 2)
    {
        if (kernelSize.Height < 1 || kernelSize.Width < 1)
        {
            throw new ArgumentException($"{layer}: kernel_size must be positive, got {kernelSize}");
        }

        if (stride.Height < 1 || stride.Width < 1)
        {
            throw new ArgumentException($"{layer}: stride must be at least 1, got {stride}");
        }

        if (padding.IsSame && stride != 1)
        {
            throw new ArgumentException($"{layer}: padding='same' is not supported for strided convolutions (stride={stride.ToCompactString()}): the output would not keep the input's size; use stride 1, or give the padding as numbers");
        }

        if (!padding.IsSame && (padding.Size.Height < 0 || padding.Size.Width < 0))
        {
            throw new ArgumentException($"{layer}: padding must be non-negative, got {padding}");
        }

        if (dims == 1 && !padding.IsSame && padding.Size.Height != padding.Size.Width)
        {
            throw new ArgumentException($"{layer}: padding must be one int (zeros at both ends), \"same\" or \"valid\", got the pair {padding}");
        }

        if (dilation.Height < 1 || dilation.Width < 1)
        {
            throw new ArgumentException($"{layer}: dilation must be at least 1, got {dilation}");
        }
    }

    public static void ValidatePaddingMode(string layer, PaddingMode paddingMode)
    {
        if (!Enum.IsDefined(paddingMode))
        {
            throw new ArgumentException($"{layer}: padding_mode must be zeros, reflect, replicate or circular, got {paddingMode}");
        }
    }

    /// <summary>
    /// PyTorch's <c>_reversed_padding_repeated_twice</c>: (before, after) per dim, the last dim first, as
    /// <see cref="F.Pad"/> takes it; for "same", dilation·(kernel − 1) split with the odd one after.
    /// </summary>
    public static int[] ReversedPaddingRepeatedTwice(Padding padding, int[] kernel, Size2 dilation)
    {
        int dims = kernel.Length;
        var pads = new int[2 * dims];
        for (int i = 0; i < dims; i++)
        {
            bool width = i == dims - 1;
            int before, after;
            if (padding.IsSame)
            {
                int total = (width ? dilation.Width : dilation.Height) * (kernel[i] - 1);
                before = total / 2;
                after = total - before;
            }
            else
            {
                before = after = width ? padding.Size.Width : padding.Size.Height;
            }

            pads[2 * (dims - 1 - i)] = before;
            pads[(2 * (dims - 1 - i)) + 1] = after;
        }

        return pads;
    }

    /// <summary>PyTorch's <c>_ConvNd.reset_parameters</c>: W ~ kaiming_uniform(a = √5), b ~ U(−1/√fan_in, 1/√fan_in).</summary>
    public static void ResetParameters(Tensor weight, Tensor? bias, Generator? generator)
    {
        Init.KaimingUniform(weight, a: Math.Sqrt(5), generator: generator);
        if (bias is not null)
        {
            var (fanIn, _) = Init.CalculateFanInAndFanOut(weight);
            double bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
            Init.Uniform(bias, -bound, bound, generator);
        }
    }

    /// <summary>
    /// PyTorch's <c>_ConvNd.extra_repr</c>: padding and dilation only when not the default, groups when
    /// not 1, bias=False when absent, padding_mode when not zeros.
    /// </summary>
    public static string Repr(int inChannels, int outChannels, string kernelSize, string stride, string? padding, string? dilation, int groups, bool bias, PaddingMode paddingMode)
    {
        var s = string.Create(CultureInfo.InvariantCulture, $"{inChannels}, {outChannels}, kernel_size={kernelSize}, stride={stride}");
        if (padding is not null)
        {
            s += $", padding={padding}";
        }

        if (dilation is not null)
        {
            s += $", dilation={dilation}";
        }

        if (groups != 1)
        {
            s += string.Create(CultureInfo.InvariantCulture, $", groups={groups}");
        }

        if (!bias)
        {
            s += ", bias=False";
        }

        return paddingMode == PaddingMode.Zeros ? s : s + $", padding_mode={paddingMode.ToString().ToLowerInvariant()}";
    }

    /// <summary>The padding as PyTorch's repr prints it, or null for none given as numbers: same, valid, or <paramref name="numbers"/> of its size.</summary>
    public static string? ReprPadding(Padding padding, Func<Size2, string> numbers) =>
        padding.IsSame || padding.IsValid ? padding.ToString() : padding.Size == 0 ? null : numbers(padding.Size);
}
