using System.Numerics;

namespace Backprop.Optim;

/// <summary>
/// One optimizer's element-wise update, written once on <see cref="Vector{T}"/> lanes: the parameter
/// <c>p</c>, its gradient <c>g</c>, and up to three state buffers (unused ones are scratch).
/// <see cref="UpdateKernel"/> runs it over whole tensors in a single fused pass.
/// </summary>
internal interface IUpdateRule<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Updates <paramref name="p"/> and the state lanes in place from the gradient lanes <paramref name="g"/>.</summary>
    /// <remarks>
    /// Implementations are marked <c>AggressiveInlining</c>: inlined into <see cref="UpdateKernel"/>'s loop
    /// the rule's constants stay in registers; as a call per vector, Adam over the 235K parameters of
    /// the benchmark MLP took 0.87 ms per step instead of 0.21 ms.
    /// </remarks>
    void Apply(ref Vector<T> p, Vector<T> g, ref Vector<T> s0, ref Vector<T> s1, ref Vector<T> s2);
}
