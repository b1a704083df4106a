namespace Backprop.NN;

/// <summary>
/// Parameter initializers (<c>torch.nn.init</c>). Each fills its tensor in place, outside the graph,
/// and returns it; random ones draw from the given generator (or <see cref="Generator.Default"/>).
/// Fans follow PyTorch: for a weight of shape (out, in, k₁, …), receptive = k₁·…,
/// fan_in = in·receptive and fan_out = out·receptive.
/// </summary>
public static class Init
{
    /// <summary>
    /// The recommended gain for a nonlinearity (<c>nn.init.calculate_gain(nonlinearity, param)</c>):
    /// linear, conv and sigmoid 1; tanh 5/3; relu √2; leaky_relu √(2 / (1 + a²)) with a =
    /// <paramref name="param"/> (default 0.01); selu 3/4.
    /// </summary>
    /// <param name="nonlinearity">The activation that follows the layer.</param>
    /// <param name="param">leaky_relu's negative slope, or null for 0.01; ignored by the others.</param>
    /// <returns>The gain, a positive number.</returns>
    public static double CalculateGain(Nonlinearity nonlinearity, double? param = null) => nonlinearity switch
    {
        Nonlinearity.Linear or Nonlinearity.Conv1d or Nonlinearity.Conv2d or Nonlinearity.Conv3d or Nonlinearity.Sigmoid => 1.0,
        Nonlinearity.Tanh => 5.0 / 3.0,
        Nonlinearity.Relu => Math.Sqrt(2.0),
        Nonlinearity.LeakyRelu => Math.Sqrt(2.0 / (1 + ((param ?? 0.01) * (param ?? 0.01)))),
        Nonlinearity.Selu => 3.0 / 4.0,
        _ => throw new ArgumentOutOfRangeException(nameof(nonlinearity), nonlinearity, "unsupported nonlinearity"),
    };

    /// <summary>
    /// (fan_in, fan_out) of a weight of rank ≥ 2: (size(1)·r, size(0)·r) with r the product of the
    /// remaining dimensions (<c>nn.init._calculate_fan_in_and_fan_out</c>).
    /// </summary>
    /// <param name="tensor">A weight of rank ≥ 2: (fan_out, fan_in, kernel…).</param>
    /// <returns>FanIn = size(1)·r, FanOut = size(0)·r, with r the product of the dims after the first two.</returns>
    public static (int FanIn, int FanOut) CalculateFanInAndFanOut(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Rank < 2)
        {
            throw new ArgumentException($"fan in and fan out cannot be computed for a tensor of shape {Shapes.Format(tensor._shape)}: it needs at least 2 dimensions");
        }

        int receptive = 1;
        for (int d = 2; d < tensor.Rank; d++)
        {
            receptive *= tensor._shape[d];
        }

        return (tensor._shape[1] * receptive, tensor._shape[0] * receptive);
    }

    /// <summary>Fills with U(<paramref name="a"/>, <paramref name="b"/>) (<c>nn.init.uniform_(tensor, a=0, b=1)</c>).</summary>
    /// <param name="tensor">The tensor filled in place, outside the graph.</param>
    /// <param name="a">The lower bound (default 0).</param>
    /// <param name="b">The upper bound (default 1).</param>
    /// <param name="generator">The random source, or null for <see cref="Generator.Default"/>.</param>
    /// <returns><paramref name="tensor"/>, now filled.</returns>
    public static Tensor Uniform(Tensor tensor, double a = 0, double b = 1, Generator? generator = null)
    {
        RequireFloat("Uniform", tensor);
        generator ??= Generator.Default;
        for (int i = 0; i < tensor.Numel; i++)
        {
            tensor.SetDouble(i, a + ((b - a) * generator.NextDouble()));
        }

        return tensor;
    }

    /// <summary>Fills with N(<paramref name="mean"/>, <paramref name="std"/>²) (<c>nn.init.normal_(tensor, mean=0, std=1)</c>).</summary>
    /// <param name="tensor">The tensor filled in place, outside the graph.</param>
    /// <param name="mean">The mean (default 0).</param>
    /// <param name="std">The standard deviation (default 1).</param>
    /// <param name="generator">The random source, or null for <see cref="Generator.Default"/>.</param>
    /// <returns><paramref name="tensor"/>, now filled.</returns>
    public static Tensor Normal(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
    {
        RequireFloat("Normal", tensor);
        generator ??= Generator.Default;
        for (int i = 0; i < tensor.Numel; i++)
        {
            tensor.SetDouble(i, mean + (std * generator.NextNormal()));
        }

        return tensor;
    }

    /// <summary>Fills with <paramref name="value"/> (<c>nn.init.constant_(tensor, val)</c>).</summary>
    /// <param name="tensor">The tensor filled in place, outside the graph.</param>
    /// <param name="value">The value of every element.</param>
    /// <returns><paramref name="tensor"/>, now filled.</returns>
    public static Tensor Constant(Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        for (int i = 0; i < tensor.Numel; i++)
        {
            tensor.SetDouble(i, value);
        }

        return tensor;
    }

    /// <summary>Fills with 0 (<c>nn.init.zeros_(tensor)</c>).</summary>
    /// <param name="tensor">The tensor filled in place, outside the graph.</param>
    /// <returns><paramref name="tensor"/>, now filled.</returns>
    public static Tensor Zeros(Tensor tensor) => Constant(tensor, 0);

    /// <summary>Fills with 1 (<c>nn.init.ones_(tensor)</c>).</summary>
    /// <param name="tensor">The tensor filled in place, outside the graph.</param>
    /// <returns><paramref name="tensor"/>, now filled.</returns>
    public static Tensor Ones(Tensor tensor) => Constant(tensor, 1);

    /// <summary>
    /// Glorot uniform (<c>nn.init.xavier_uniform_(tensor, gain=1)</c>): U(−a, a) with
    /// a = gain·√(6 / (fan_in + fan_out)), i.e. std = gain·√(2 / (fan_in + fan_out)).
    /// </summary>
    /// <param name="tensor">The tensor filled in place, at least rank 2: (fan_out, fan_in, …).</param>
    /// <param name="gain">The scaling factor, e.g. <see cref="CalculateGain"/> of the activation (default 1).</param>
    /// <param name="generator">The random source, or null for <see cref="Generator.Default"/>.</param>
    /// <returns><paramref name="tensor"/>, now filled.</returns>
    public static Tensor XavierUniform(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = CalculateFanInAndFanOut(tensor);
        double bound = Math.Sqrt(3.0) * gain * Math.Sqrt(2.0 / (fanIn + fanOut));
        return Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>Glorot normal (<c>nn.init.xavier_normal_(tensor, gain=1)</c>): N(0, std²) with std = gain·√(2 / (fan_in + fan_out)).</summary>
    /// <param name="tensor">The tensor filled in place, at least rank 2: (fan_out, fan_in, …).</param>
    /// <param name="gain">The scaling factor, e.g. <see cref="CalculateGain"/> of the activation (default 1).</param>
    /// <param name="generator">The random source, or null for <see cref="Generator.Default"/>.</param>
    /// <returns><paramref name="tensor"/>, now filled.</returns>
    public static Tensor XavierNormal(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = CalculateFanInAndFanOut(tensor);
        return Normal(tensor, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)), generator);
    }

    /// <summary>
    /// He uniform (<c>nn.init.kaiming_uniform_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu')</c>):
    /// U(−b, b) with b = √3·gain/√fan and gain = <see cref="CalculateGain"/>(nonlinearity, a).
    /// With a = √5 (Linear's default) b = 1/√fan_in.
    /// </summary>
    /// <param name="tensor">The tensor filled in place, at least rank 2: (fan_out, fan_in, …).</param>
    /// <param name="a">The negative slope of the leaky ReLU that follows (default 0).</param>
    /// <param name="mode">Whether the variance is kept in the forward pass (fan_in, default) or the backward pass (fan_out).</param>
    /// <param name="nonlinearity">The activation the gain is computed for (default leaky ReLU).</param>
    /// <param name="generator">The random source, or null for <see cref="Generator.Default"/>.</param>
    /// <returns><paramref name="tensor"/>, now filled.</returns>
    public static Tensor KaimingUniform(
        Tensor tensor,
        double a = 0,
        FanMode mode = FanMode.FanIn,
        Nonlinearity nonlinearity = Nonlinearity.LeakyRelu,
        Generator? generator = null)
    {
        double bound = Math.Sqrt(3.0) * KaimingStd(tensor, a, mode, nonlinearity);
        return Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>
    /// He normal (<c>nn.init.kaiming_normal_(tensor, a=0, mode='fan_in', nonlinearity='leaky_relu')</c>):
    /// N(0, std²) with std = gain/√fan.
    /// </summary>
    /// <param name="tensor">The tensor filled in place, at least rank 2: (fan_out, fan_in, …).</param>
    /// <param name="a">The negative slope of the leaky ReLU that follows (default 0).</param>
    /// <param name="mode">Whether the variance is kept in the forward pass (fan_in, default) or the backward pass (fan_out).</param>
    /// <param name="nonlinearity">The activation the gain is computed for (default leaky ReLU).</param>
    /// <param name="generator">The random source, or null for <see cref="Generator.Default"/>.</param>
    /// <returns><paramref name="tensor"/>, now filled.</returns>
    public static Tensor KaimingNormal(
        Tensor tensor,
        double a = 0,
        FanMode mode = FanMode.FanIn,
        Nonlinearity nonlinearity = Nonlinearity.LeakyRelu,
        Generator? generator = null)
    {
        return Normal(tensor, 0, KaimingStd(tensor, a, mode, nonlinearity), generator);
    }

    private static double KaimingStd(Tensor tensor, double a, FanMode mode, Nonlinearity nonlinearity)
    {
        var (fanIn, fanOut) = CalculateFanInAndFanOut(tensor);
        int fan = mode == FanMode.FanIn ? fanIn : fanOut;
        if (fan == 0)
        {
            throw new ArgumentException($"Kaiming initialization of a tensor of shape {Shapes.Format(tensor._shape)}: the fan is zero");
        }

        return CalculateGain(nonlinearity, a) / Math.Sqrt(fan);
    }

    private static void RequireFloat(string op, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!tensor.DType.IsFloatingPoint())
        {
            throw new ArgumentException($"Init.{op}: expected a float32 or float64 tensor, got {tensor.DType.Name()}");
        }
    }
}
