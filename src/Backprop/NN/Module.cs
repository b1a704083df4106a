using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Backprop.NN;

/// <summary>
/// Base class of every layer and model (<c>torch.nn.Module</c>). A subclass declares its state as
/// ordinary fields or auto-properties and is discovered without a registration call:
/// a <see cref="Tensor"/> is a parameter (a buffer when marked <see cref="BufferAttribute"/>),
/// a <see cref="Module"/> is a child, and a list of modules (<c>Module[]</c>, <c>List&lt;Module&gt;</c>,
/// <c>IReadOnlyList&lt;Linear&gt;</c>, …) holds children named <c>name.0</c>, <c>name.1</c>, ….
/// Keys are the member names in PyTorch's snake_case (<c>RunningMean</c> → <c>running_mean</c>,
/// <c>_bias</c> → <c>bias</c>), joined by dots along the tree (<c>layers.0.weight</c>). Null members
/// are skipped; members marked <see cref="UnregisteredAttribute"/> are ignored.
/// </summary>
[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.NonPublicFields)]
public abstract partial class Module
{
    private readonly List<(string Name, MemberKind Kind, object? Value)> _registered = [];

    /// <summary>True in training mode (the default), false in evaluation mode (<c>module.training</c>).</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Computes the module's output for <paramref name="input"/> (<c>module.forward(input)</c>).</summary>
    /// <param name="input">The module's input, in the shape the module documents.</param>
    /// <returns>The output tensor; its shape and meaning are the module's (see each module's <c>Forward</c>).</returns>
    public abstract Tensor Forward(Tensor input);

    /// <summary>
    /// The parameters of this module and, when <paramref name="recurse"/> is true, of all its
    /// descendants, each tensor once even if shared (<c>module.parameters()</c>).
    /// </summary>
    /// <param name="recurse">Whether the parameters of all descendants are included (default true).</param>
    /// <returns>The parameter tensors themselves (not copies), in <see cref="NamedParameters"/>' order, enumerated lazily.</returns>
    public IEnumerable<Tensor> Parameters(bool recurse = true) => NamedParameters(recurse: recurse).Select(p => p.Parameter);

    /// <summary>
    /// The parameters with their dotted keys (<c>layers.0.weight</c>), in registration order, module
    /// by module in pre-order, each tensor once (<c>module.named_parameters(prefix, recurse)</c>).
    /// </summary>
    /// <param name="prefix">Put before every name with a dot, e.g. <c>encoder</c> gives <c>encoder.weight</c> (default none).</param>
    /// <param name="recurse">Whether the parameters of all descendants are included (default true).</param>
    /// <returns>(dotted key, the parameter tensor itself) pairs, enumerated lazily.</returns>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(string prefix = "", bool recurse = true) =>
        NamedTensors(MemberKind.Parameter, prefix, recurse, removeDuplicate: true);

    /// <summary>The buffers (non-trainable state such as running statistics) of this module and its descendants (<c>module.buffers()</c>).</summary>
    /// <param name="recurse">Whether the buffers of all descendants are included (default true).</param>
    /// <returns>The buffer tensors themselves (not copies), enumerated lazily.</returns>
    public IEnumerable<Tensor> Buffers(bool recurse = true) => NamedBuffers(recurse: recurse).Select(b => b.Buffer);

    /// <summary>The buffers with their dotted keys, each tensor once (<c>module.named_buffers(prefix, recurse)</c>).</summary>
    /// <param name="prefix">Put before every name with a dot (default none).</param>
    /// <param name="recurse">Whether the buffers of all descendants are included (default true).</param>
    /// <returns>(dotted key, the buffer tensor itself) pairs, enumerated lazily.</returns>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "", bool recurse = true) =>
        NamedTensors(MemberKind.Buffer, prefix, recurse, removeDuplicate: true);

    /// <summary>The direct children, each once (<c>module.children()</c>).</summary>
    /// <returns>The child modules, in registration order, enumerated lazily.</returns>
    public IEnumerable<Module> Children() => NamedChildren().Select(c => c.Module);

    /// <summary>The direct children with their keys, each once (<c>module.named_children()</c>).</summary>
    /// <returns>(key, child module) pairs, in registration order, enumerated lazily.</returns>
    public IEnumerable<(string Name, Module Module)> NamedChildren()
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        foreach (var (name, kind, value) in LocalMembers())
        {
            if (kind == MemberKind.Child && value is Module child && seen.Add(child))
            {
                yield return (name, child);
            }
        }
    }

    /// <summary>This module and all its descendants in pre-order, each once (<c>module.modules()</c>).</summary>
    /// <returns>This module first, then its descendants, enumerated lazily.</returns>
    public IEnumerable<Module> Modules() => NamedModules().Select(m => m.Module);

    /// <summary>
    /// This module (key <paramref name="prefix"/>, empty by default) and all its descendants with dotted
    /// keys, in pre-order, each once (<c>module.named_modules()</c>).
    /// </summary>
    /// <param name="prefix">The name of this module, and put before every descendant's name with a dot (default empty).</param>
    /// <returns>(dotted key, module) pairs, this module first, enumerated lazily.</returns>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "") => WalkModules(prefix, removeDuplicate: true);

    /// <summary>Sets training mode on this module and every descendant and returns this module (<c>module.train(mode)</c>).</summary>
    /// <param name="mode">True for training mode, false for evaluation (default true).</param>
    /// <returns>This module, for chaining.</returns>
    public Module Train(bool mode = true)
    {
        foreach (var module in Modules())
        {
            module.IsTraining = mode;
        }

        return this;
    }

    /// <summary>Sets evaluation mode, <c>Train(false)</c>: dropout becomes the identity (<c>module.eval()</c>).</summary>
    /// <returns>This module, for chaining.</returns>
    public Module Eval() => Train(false);

    /// <summary>Sets every parameter's <see cref="Tensor.Grad"/> to null (<c>module.zero_grad(set_to_none=True)</c>).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters())
        {
            p.Grad = null;
        }
    }

    /// <summary>
    /// Calls <paramref name="fn"/> on every descendant, then on this module, and returns this module
    /// (<c>module.apply(fn)</c>), e.g. to re-initialize every Linear.
    /// </summary>
    /// <param name="fn">The action called on each module.</param>
    /// <returns>This module, for chaining.</returns>
    public Module Apply(Action<Module> fn)
    {
        ArgumentNullException.ThrowIfNull(fn);
        foreach (var child in Children())
        {
            child.Apply(fn);
        }

        fn(this);
        return this;
    }

    /// <summary>The number of parameter elements, Σ numel(p), each shared tensor counted once; only those with <see cref="Tensor.RequiresGrad"/> when <paramref name="onlyTrainable"/>.</summary>
    /// <param name="onlyTrainable">Whether only the parameters that require grad are counted (default false: all).</param>
    /// <returns>The total element count.</returns>
    public long NumParameters(bool onlyTrainable = false) =>
        Parameters().Where(p => !onlyTrainable || p.RequiresGrad).Sum(p => (long)p.Numel);

    /// <summary>
    /// The module's state: for each module in pre-order, its parameters then its buffers, keyed by
    /// dotted path (<c>module.state_dict()</c>). Values are detached tensors that share storage with the
    /// module's, as in PyTorch: copy them if the module will keep training while you hold them.
    /// A tensor shared between two places appears under both keys.
    /// </summary>
    /// <returns>A new dictionary from dotted key to detached tensor, in that order.</returns>
    public Dictionary<string, Tensor> StateDict()
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, tensor) in StateEntries())
        {
            state[key] = tensor.Detach();
        }

        return state;
    }

    /// <summary>
    /// Copies <paramref name="state"/> into this module's existing parameter and buffer tensors, in place,
    /// so optimizers that hold references keep working; values are converted to each tensor's dtype
    /// (<c>module.load_state_dict(state_dict, strict)</c>). Nothing is written unless every check passes.
    /// When <paramref name="strict"/>, missing and unexpected keys are errors; a shape mismatch is always
    /// an error. One <see cref="ArgumentException"/> lists every problem, e.g.
    /// <c>shape mismatch for layers.0.weight: expected (256x784), got (128x784)</c>.
    /// </summary>
    /// <param name="state">The tensors by key, as <see cref="StateDict"/> names them; copied into the module's.</param>
    /// <param name="strict">Whether a missing or unexpected key is an error (default true, as PyTorch); false reports them in the result.</param>
    /// <returns>The keys that were missing or unexpected (both empty after a strict load).</returns>
    public LoadStateDictResult LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var own = StateEntries();
        var ownKeys = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        var mismatches = new List<string>();
        foreach (var (key, tensor) in own)
        {
            ownKeys.Add(key);
            if (!state.TryGetValue(key, out var source))
            {
                missing.Add(key);
            }
            else if (source is null)
            {
                mismatches.Add($"{key}: expected {Shapes.Format(tensor._shape)}, got null");
            }
            else if (!source._shape.AsSpan().SequenceEqual(tensor._shape))
            {
                mismatches.Add($"{key}: expected {Shapes.Format(tensor._shape)}, got {Shapes.Format(source._shape)}");
            }
        }

        var unexpected = state.Keys.Where(k => !ownKeys.Contains(k)).ToList();
        var problems = new List<string>();
        if (strict && missing.Count > 0)
        {
            problems.Add($"missing keys: {string.Join(", ", missing)}");
        }

        if (strict && unexpected.Count > 0)
        {
            problems.Add($"unexpected keys: {string.Join(", ", unexpected)}");
        }

        problems.AddRange(mismatches.Select(m => "shape mismatch for " + m));
        if (problems.Count > 0)
        {
            throw new ArgumentException($"LoadStateDict for {TypeName}: {string.Join("; ", problems)}");
        }

        foreach (var (key, tensor) in own)
        {
            if (state.TryGetValue(key, out var source))
            {
                CopyInto(source, tensor);
            }
        }

        return new LoadStateDictResult(missing, unexpected);
    }

    /// <summary>
    /// The module tree in PyTorch's format: <c>Name(extra)</c> for a leaf, and for a container one
    /// line per child, <c>(key): child</c>, indented by two spaces (<c>repr(module)</c>).
    /// </summary>
    /// <returns>The text, one line per module, e.g. <c>Linear(in_features=2, out_features=3, bias=True)</c> for a leaf.</returns>
    public override string ToString()
    {
        string extra = ExtraRepr();
        var extraLines = extra.Length == 0 ? [] : extra.Split('\n');
        // Every child key, shared modules included, as PyTorch's repr walks _modules without de-duplication.
        var childLines = LocalMembers()
            .Where(m => m.Kind == MemberKind.Child)
            .Select(m => $"({m.Name}): {IndentContinuationLines(m.Value!.ToString()!)}")
            .ToList();
        var sb = new StringBuilder(TypeName).Append('(');
        if (extraLines.Length == 1 && childLines.Count == 0)
        {
            sb.Append(extraLines[0]);
        }
        else if (extraLines.Length + childLines.Count > 0)
        {
            sb.Append("\n  ").AppendJoin("\n  ", extraLines.Concat(childLines)).Append('\n');
        }

        return sb.Append(')').ToString();
    }

    /// <summary>The module's settings shown inside its parentheses by <see cref="ToString"/> (<c>module.extra_repr()</c>).</summary>
    /// <returns>The settings' text, e.g. <c>in_features=2, out_features=3, bias=True</c>; empty here.</returns>
    protected virtual string ExtraRepr() => string.Empty;

    /// <summary>
    /// Registers a parameter under a name computed at run time, such as LSTM's <c>weight_ih_l0</c>
    /// (<c>module.register_parameter(name, param)</c>); null registers nothing visible (as <c>bias=None</c>).
    /// A registered name takes precedence over a discovered field of the same key.
    /// </summary>
    /// <param name="name">The key, without dots, unique among this module's members.</param>
    /// <param name="parameter">The parameter, or null for an absent one.</param>
    protected void RegisterParameter(string name, Tensor? parameter) => Register(name, MemberKind.Parameter, parameter);

    /// <summary>Registers a buffer under a run-time name (<c>module.register_buffer(name, tensor)</c>); it is saved in the state dict but not trained.</summary>
    /// <param name="name">The key, without dots, unique among this module's members.</param>
    /// <param name="buffer">The buffer, or null for an absent one.</param>
    protected void RegisterBuffer(string name, Tensor? buffer) => Register(name, MemberKind.Buffer, buffer);

    /// <summary>Registers a child module under a run-time name (<c>module.add_module(name, module)</c>).</summary>
    /// <param name="name">The key, without dots, unique among this module's members.</param>
    /// <param name="module">The child, or null for an absent one.</param>
    protected void RegisterModule(string name, Module? module) => Register(name, MemberKind.Child, module);

    private string TypeName
    {
        get
        {
            string name = GetType().Name;
            int tick = name.IndexOf('`');
            return tick < 0 ? name : name[..tick];
        }
    }

    private void Register(string name, MemberKind kind, object? value)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
        {
            throw new ArgumentException($"{TypeName}: cannot register a {kind.ToString().ToLowerInvariant()} named '{name}': names must be non-empty and contain no '.'");
        }

        if (value == this)
        {
            throw new ArgumentException($"{TypeName}: a module cannot be its own child ('{name}')");
        }

        int index = _registered.FindIndex(r => r.Name == name);
        if (index >= 0 && _registered[index].Kind != kind)
        {
            throw new ArgumentException($"{TypeName}: '{name}' is already registered as a {_registered[index].Kind.ToString().ToLowerInvariant()}");
        }

        if (index >= 0)
        {
            _registered[index] = (name, kind, value);
        }
        else
        {
            _registered.Add((name, kind, value));
        }
    }

    /// <summary>This module's own state-holding members with their current values, in order; registered names override fields.</summary>
    private List<(string Name, MemberKind Kind, object? Value)> LocalMembers()
    {
        var members = new List<(string Name, MemberKind Kind, object? Value)>();
        foreach (var field in ModuleDiscovery.FieldsOf(GetType()))
        {
            var value = field.Field.GetValue(this);
            if (value is null)
            {
                continue;
            }

            if (!field.IsList)
            {
                members.Add((field.Name, field.Kind, value));
                continue;
            }

            int i = 0;
            foreach (var item in ModuleDiscovery.Items(value))
            {
                members.Add(($"{field.Name}.{i++}", field.Kind, item));
            }
        }

        foreach (var registered in _registered)
        {
            int index = members.FindIndex(m => m.Name == registered.Name);
            if (index >= 0)
            {
                members[index] = registered;
            }
            else
            {
                members.Add(registered);
            }
        }

        members.RemoveAll(m => m.Value is null || ReferenceEquals(m.Value, this));
        return members;
    }

    private IEnumerable<(string Name, Module Module)> WalkModules(string prefix, bool removeDuplicate)
    {
        // Iterative pre-order; the ancestor check stops a module that (indirectly) contains itself.
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(string Name, Module Module, int Depth)>();
        var path = new List<Module>();
        stack.Push((prefix, this, 0));
        while (stack.Count > 0)
        {
            var (name, module, depth) = stack.Pop();
            path.RemoveRange(depth, path.Count - depth);
            if (path.Contains(module, ReferenceEqualityComparer.Instance) || (removeDuplicate && !seen.Add(module)))
            {
                continue;
            }

            path.Add(module);
            yield return (name, module);
            var children = module.LocalMembers().Where(m => m.Kind == MemberKind.Child).ToList();
            for (int i = children.Count - 1; i >= 0; i--)
            {
                stack.Push((Join(name, children[i].Name), (Module)children[i].Value!, depth + 1));
            }
        }
    }

    private IEnumerable<(string Name, Tensor Tensor)> NamedTensors(MemberKind kind, string prefix, bool recurse, bool removeDuplicate)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var modules = recurse ? WalkModules(prefix, removeDuplicate) : [(prefix, this)];
        foreach (var (modulePrefix, module) in modules)
        {
            foreach (var (name, memberKind, value) in module.LocalMembers())
            {
                if (memberKind == kind && value is Tensor t && (!removeDuplicate || seen.Add(t)))
                {
                    yield return (Join(modulePrefix, name), t);
                }
            }
        }
    }

    /// <summary>Every state-dict entry with the live tensor (not detached): per module, parameters then buffers, duplicates kept.</summary>
    private List<(string Key, Tensor Tensor)> StateEntries()
    {
        var entries = new List<(string Key, Tensor Tensor)>();
        foreach (var (prefix, module) in WalkModules(string.Empty, removeDuplicate: false))
        {
            var members = module.LocalMembers();
            foreach (var kind in (ReadOnlySpan<MemberKind>)[MemberKind.Parameter, MemberKind.Buffer])
            {
                foreach (var (name, memberKind, value) in members)
                {
                    if (memberKind == kind && value is Tensor t)
                    {
                        entries.Add((Join(prefix, name), t));
                    }
                }
            }
        }

        return entries;
    }

    private static void CopyInto(Tensor source, Tensor destination)
    {
        if (ReferenceEquals(source._data, destination._data))
        {
            return;
        }

        if (source.DType == destination.DType)
        {
            Array.Copy(source._data, destination._data, source.Numel);
            return;
        }

        for (int i = 0; i < source.Numel; i++)
        {
            destination.SetDouble(i, source.GetDouble(i));
        }
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    private static string IndentContinuationLines(string text) => text.Replace("\n", "\n  ", StringComparison.Ordinal);
}
