using System.Numerics;

namespace Backprop.Optim;

/// <summary>
/// The updates one <see cref="Optimizer.Step"/> will make: each optimizer's <c>Update</c> adds its
/// parameter's element-wise update here while it prepares the step's constants and state, and
/// <see cref="Run"/> applies them all as one loop over the threads, so that small parameters do not
/// each run on one thread while the others wait. Nothing is applied until every parameter is
/// prepared, so an error while preparing leaves every parameter as it was.
/// </summary>
internal sealed class UpdatePlan
{
    private readonly List<UpdateKernel.IJob> _jobs = [];

    /// <summary>How many parameter updates the plan holds.</summary>
    public int Count => _jobs.Count;

    /// <summary>
    /// Plans <paramref name="rule"/> over every element of the parameter <paramref name="p"/>, its
    /// gradient <paramref name="g"/> and the state buffers the rule uses (null for the others).
    /// </summary>
    public void Add<T, TRule>(in TRule rule, T[] p, T[] g, T[]? s0, T[]? s1, T[]? s2)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TRule : struct, IUpdateRule<T> =>
        _jobs.Add(new UpdateKernel.Job<T, TRule>(rule, p, g, s0, s1, s2));

    /// <summary>Applies every planned update (updates that share a buffer one after another).</summary>
    public void Run() => UpdateKernel.RunJobs(_jobs);
}
