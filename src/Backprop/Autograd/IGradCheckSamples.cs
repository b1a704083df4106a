namespace Backprop;

/// <summary>
/// Implemented by an op's definition to give the inputs its backward is gradient-checked on, in the
/// op's own file: <see cref="OpRegistry"/> finds every implementation, so a new op joins the registry,
/// <c>backprop gradcheck</c> and the registry's test theory without a row elsewhere.
/// </summary>
public interface IGradCheckSamples
{
    /// <summary>The op applied to sampled inputs, once per configuration worth checking.</summary>
    static abstract IEnumerable<OpInfo> GradCheckSamples { get; }
}
