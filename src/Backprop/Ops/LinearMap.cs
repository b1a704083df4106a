namespace Backprop;

// A linear map as an op: an op whose backward, with its indices or windows fixed, is a linear map of the
// upstream gradient records that map's transpose as this op (when the backward pass is recorded), and
// the transpose's backward is the map again, so the derivatives close at any order.
/// <summary>
/// A linear map given by its kernel and its adjoint's (a pooling with its windows fixed, a gather with its
/// indices fixed, a pad with its border maps fixed): recorded with its transpose as its backward, so it
/// differentiates to any order and its forward derivative is itself. The op families build their maps
/// in their own files and list their rows there; the rows here are the poolings'.
/// </summary>
public sealed class LinearMapDefinition : OpDefinition, IGradCheckSamples
{
    private readonly Func<Tensor, Tensor> _apply;
    private readonly Func<Tensor, Tensor> _adjoint;
    private LinearMapDefinition? _transposed;

    internal LinearMapDefinition(string name, string formula, Func<Tensor, Tensor> apply, Func<Tensor, Tensor> adjoint)
        : base(name, formula)
    {
        _apply = apply;
        _adjoint = adjoint;
    }

    /// <summary>The transposed map (the backward of this one), named with a <c>_backward</c> suffix, or without it for the transpose of a transpose.</summary>
    public LinearMapDefinition Transposed => _transposed ??= new LinearMapDefinition(
        Name.EndsWith("_backward", StringComparison.Ordinal) ? Name[..^"_backward".Length] : Name + "_backward",
        $"the transpose of: {Formula}",
        _adjoint,
        _apply) { _transposed = this };

    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        ApplyRecorded(tangents[0]!);

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("avg_pool2d_windows_backward", x => PoolingOps.ApplyLinearMap(PoolingOps.SampleAvgPoolMap().Transposed, x[0]), OpRegistry.In([1, 2, 3, 4])),
        new("max_pool2d_positions", x => PoolingOps.ApplyLinearMap(PoolingOps.SampleMaxPoolMap(), x[0]), OpRegistry.In([1, 1, 4, 5])),
        new("max_pool2d_positions_backward", x => PoolingOps.ApplyLinearMap(PoolingOps.SampleMaxPoolMap().Transposed, x[0]), OpRegistry.In([1, 1, 3, 4])),
    ];

    /// <summary>Computes the map (not recorded).</summary>
    internal Tensor Apply(Tensor x) => _apply(x);

    /// <summary>Applies the map to <paramref name="x"/> and records it: its backward is the transposed map, recorded the same way.</summary>
    internal Tensor ApplyRecorded(Tensor x)
    {
        var y = _apply(x);
        return Tensor.Record(this, y, [x], g => [Transposed.ApplyRecorded(g)]);
    }
}
