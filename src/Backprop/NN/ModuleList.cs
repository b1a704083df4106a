using System.Collections;
using System.Globalization;

namespace Backprop.NN;

/// <summary>
/// A list of child modules keyed <c>0</c>, <c>1</c>, … with no forward of its own
/// (<c>torch.nn.ModuleList</c>); the owning module decides how to call them.
/// A plain <c>List&lt;Module&gt;</c> field works too; this type also appears in <see cref="Module.ToString"/> as one child.
/// </summary>
public sealed class ModuleList : Module, IReadOnlyList<Module>
{
    [Unregistered]
    private readonly List<Module> _modules = [];

    /// <summary>Creates the list from <paramref name="modules"/>, in order.</summary>
    /// <param name="modules">The modules, in order; registered as children <c>0</c>, <c>1</c>, ….</param>
    public ModuleList(params Module[] modules)
        : this((IEnumerable<Module>)modules)
    {
    }

    /// <summary>Creates the list from <paramref name="modules"/>, in order.</summary>
    /// <param name="modules">The modules, in order; registered as children <c>0</c>, <c>1</c>, ….</param>
    public ModuleList(IEnumerable<Module> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var module in modules)
        {
            Add(module);
        }
    }

    /// <summary>The number of modules (<c>len(list)</c>).</summary>
    public int Count => _modules.Count;

    /// <summary>Module <paramref name="index"/> (<c>list[i]</c>).</summary>
    public Module this[int index] => _modules[index];

    /// <summary>Appends <paramref name="module"/> under the next key (<c>list.append(module)</c>) and returns this list.</summary>
    /// <param name="module">The module appended, registered under the next index.</param>
    /// <returns>This list, for chaining.</returns>
    public ModuleList Add(Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        RegisterModule(_modules.Count.ToString(CultureInfo.InvariantCulture), module);
        _modules.Add(module);
        return this;
    }

    /// <summary>Always throws: a ModuleList only holds modules; call them from the owning module's Forward.</summary>
    /// <param name="input">Not used: the call fails, as a ModuleList has no forward of its own.</param>
    /// <returns>Never returns: always throws <see cref="InvalidOperationException"/>.</returns>
    public override Tensor Forward(Tensor input) =>
        throw new InvalidOperationException("ModuleList has no Forward: iterate over it and call each module from the owning module");

    /// <inheritdoc/>
    public IEnumerator<Module> GetEnumerator() => _modules.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
