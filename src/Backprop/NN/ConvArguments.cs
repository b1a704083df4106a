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

    public static void ValidateWindow(string layer, Size2 kernelSize, Size2 stride, Size2 padding, Size2 dilation)
    {
        if (kernelSize.Height < 1 || kernelSize.Width < 1)
        {
            throw new ArgumentException($"{layer}: kernel_size must be positive, got {kernelSize}");
        }

        if (stride.Height < 1 || stride.Width < 1)
        {
            throw new ArgumentException($"{layer}: stride must be at least 1, got {stride}");
        }

        if (padding.Height < 0 || padding.Width < 0)
        {
            throw new ArgumentException($"{layer}: padding must be non-negative, got {padding}");
        }

        if (dilation.Height < 1 || dilation.Width < 1)
        {
            throw new ArgumentException($"{layer}: dilation must be at least 1, got {dilation}");
        }
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

    /// <summary>PyTorch's <c>_ConvNd.extra_repr</c>: padding and dilation only when not the default, groups when not 1, bias=False when absent.</summary>
    public static string Repr(int inChannels, int outChannels, string kernelSize, string stride, string? padding, string? dilation, int groups, bool bias)
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

        return bias ? s : s + ", bias=False";
    }
}
