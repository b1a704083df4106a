using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Backprop;

/// <summary>How to generate one input of a registry op.</summary>
/// <param name="Shape">The input's shape.</param>
/// <param name="Low">Lower bound of the uniform values (or of the indices).</param>
/// <param name="High">Upper bound of the uniform values (exclusive bound of the indices).</param>
/// <param name="IsIndex">An int64 index input, not differentiated.</param>
/// <param name="RequiresGrad">Whether the check differentiates with respect to this input.</param>
public sealed record InputSpec(int[] Shape, double Low = -2, double High = 2, bool IsIndex = false, bool RequiresGrad = true)
{
    /// <summary>An int64 input of indices uniform in [0, <paramref name="high"/>).</summary>
    /// <param name="shape">The input's shape.</param>
    /// <param name="high">The bound of the indices, not drawn.</param>
    /// <returns>The input's spec.</returns>
    public static InputSpec Index(int[] shape, int high) => new(shape, 0, high, IsIndex: true, RequiresGrad: false);

    /// <summary>A float input that is not differentiated (a target, a condition).</summary>
    /// <param name="shape">The input's shape.</param>
    /// <param name="low">The smallest value drawn (default -2).</param>
    /// <param name="high">The bound of the values drawn (default 2).</param>
    /// <returns>The input's spec.</returns>
    public static InputSpec Constant(int[] shape, double low = -2, double high = 2) => new(shape, low, high, RequiresGrad: false);

    /// <summary>Samples this input from <paramref name="generator"/>.</summary>
    /// <param name="dtype">The element type of a float input; index inputs are int64 always.</param>
    /// <param name="generator">The random source.</param>
    /// <returns>A new tensor of <see cref="Shape"/>: int64 indices, or values uniform in [<see cref="Low"/>, <see cref="High"/>) of dtype <paramref name="dtype"/> that require grad as <see cref="RequiresGrad"/> says.</returns>
    public Tensor Sample(DType dtype, Generator generator)
    {
        if (IsIndex)
        {
            return Tensor.RandInt((long)Low, (long)High, Shape, generator);
        }

        var u = Tensor.Rand(Shape, generator, dtype);
        var data = u.ToArray();
        for (int i = 0; i < data.Length; i++)
        {
            u.SetDouble(i, Low + ((High - Low) * data[i]));
        }

        return u.RequiresGrad_(RequiresGrad);
    }
}

/// <summary>One differentiable op with the inputs to check it on (as PyTorch's OpInfo).</summary>
/// <param name="Name">The op's name, e.g. <c>matmul</c> or <c>sum_dim</c>.</param>
/// <param name="Function">Computes the op from sampled inputs.</param>
/// <param name="Inputs">How to sample each input.</param>
public sealed record OpInfo(string Name, Func<Tensor[], Tensor> Function, params InputSpec[] Inputs)
{
    /// <summary>Samples the inputs (seeded, so every run checks the same point).</summary>
    /// <param name="dtype">The element type of the float inputs (default float64).</param>
    /// <param name="seed">The seed of the draw (default 0).</param>
    /// <returns>One new tensor per entry of <see cref="Inputs"/>, in order.</returns>
    public Tensor[] SampleInputs(DType dtype = DType.Float64, long seed = 0)
    {
        var generator = new Generator(seed);
        return Inputs.Select(s => s.Sample(dtype, generator)).ToArray();
    }

    /// <summary>Runs <see cref="GradCheck"/> on this op at its sampled inputs.</summary>
    /// <param name="seed">The seed of the sampled inputs (default 0).</param>
    /// <returns>The errors of each differentiated input, and whether each passed.</returns>
    public GradCheckResult Check(long seed = 0) => GradCheck.Check(Function, SampleInputs(DType.Float64, seed));

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>
/// Every differentiable op of the library with the inputs to gradient-check it on. One test theory
/// and <c>backprop gradcheck</c> run over it. An op gives its rows in its own file: its definition
/// implements <see cref="IGradCheckSamples"/> (Ops/Softplus.cs).
/// </summary>
public static partial class OpRegistry
{
    private static OpInfo[]? s_all;

    /// <summary>All registered ops (found by reflection over the library's op definitions).</summary>
    public static IReadOnlyList<OpInfo> All
    {
        [RequiresUnreferencedCode("The registry finds the op definitions by reflection; a trimmed app may have removed some of them.")]
        get => s_all ??= [.. FromDefinitions()];
    }

    /// <summary>A float input uniform in [<paramref name="low"/>, <paramref name="high"/>), differentiated.</summary>
    internal static InputSpec In(int[] shape, double low = -2, double high = 2) => new(shape, low, high);

    /// <summary>The samples of every op definition that gives its own (<see cref="IGradCheckSamples"/>), in type-name order.</summary>
    [RequiresUnreferencedCode("Finds the op definitions by reflection.")]
    private static IEnumerable<OpInfo> FromDefinitions() =>
        typeof(OpRegistry).Assembly.GetTypes()
            .Where(t => t.IsClass && typeof(IGradCheckSamples).IsAssignableFrom(t))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .SelectMany(t => (IEnumerable<OpInfo>)t.GetProperty(nameof(IGradCheckSamples.GradCheckSamples), BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!);

    /// <summary>The op named <paramref name="name"/>, or null.</summary>
    /// <param name="name">The op's name, e.g. <c>softmax</c>.</param>
    /// <returns>The registered op of that name, or null when there is none.</returns>
    [RequiresUnreferencedCode("The registry finds the op definitions by reflection; a trimmed app may have removed some of them.")]
    public static OpInfo? Find(string name) => All.FirstOrDefault(o => o.Name == name);
}
