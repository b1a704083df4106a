namespace Backprop.Diagnostics;

/// <summary>One row of a <see cref="ModelSummary"/>: a module of the model, where it sits in the tree, what it output and what it holds.</summary>
/// <param name="Name">The module's dotted key, as <see cref="NN.Module.NamedModules"/> gives it (empty for the model itself).</param>
/// <param name="TypeName">The module's class name, e.g. <c>Linear</c>.</param>
/// <param name="Depth">0 for the model, 1 for its children, and so on.</param>
/// <param name="OutputShape">The shape of the module's output in the summary's forward pass (its first call), or null when the pass did not call it through <see cref="NN.Module.Call"/>.</param>
/// <param name="Calls">How many times the pass called the module.</param>
/// <param name="Parameters">The elements of the module's own parameters (not its children's).</param>
/// <param name="TrainableParameters">Those of <paramref name="Parameters"/> that require grad.</param>
/// <param name="BufferElements">The elements of the module's own buffers (running statistics and the like).</param>
/// <param name="OutputBytes">The bytes of all the module's outputs in the pass.</param>
public sealed record LayerSummary(
    string Name,
    string TypeName,
    int Depth,
    int[]? OutputShape,
    int Calls,
    long Parameters,
    long TrainableParameters,
    long BufferElements,
    long OutputBytes)
{
    /// <summary>Whether the module has no children (its output counts toward the activation memory).</summary>
    public bool IsLeaf { get; init; }

    /// <summary>The module's key under its parent, e.g. <c>0</c> for <c>features.0</c> (the whole <see cref="Name"/> for the model and its children).</summary>
    public string Key { get; init; } = "";
}
