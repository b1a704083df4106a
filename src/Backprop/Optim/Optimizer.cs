using System.Numerics;
using System.Globalization;

namespace Backprop.Optim;

/// <summary>
/// Base class of the optimizers (as <c>torch.optim.Optimizer</c> with a single parameter group):
/// holds the parameters, the learning rate, and per-parameter state, and updates the parameters in
/// place from their <see cref="Tensor.Grad"/> on each <see cref="Step"/>.
/// </summary>
/// <remarks>
/// <see cref="StateDict"/> flattens everything needed to continue bit-identically into named tensors,
/// so a checkpoint written with safetensors restores an optimizer exactly: the hyperparameters
/// (<c>lr</c>, <c>weight_decay</c>, ...) and <c>step_count</c> as rank-0 float64 tensors (<c>betas</c>
/// as a float64 tensor of shape [2], flags as 0 or 1), and the state of parameter <c>i</c> as
/// <c>state.i.NAME</c> (<c>state.0.momentum_buffer</c>, <c>state.3.exp_avg</c>, <c>state.3.step</c>).
/// </remarks>
public abstract class Optimizer
{
    private const string LrKey = "lr";
    private const string StepCountKey = "step_count";
    private const string StatePrefix = "state.";

    private readonly List<Tensor> _parameters;
    private Dictionary<string, Tensor>?[] _state;
    private double _lr;
    private double? _initialLr;

    // The plan of the Step in progress: set only while Step calls Update.
    private UpdatePlan? _plan;

    /// <summary>
    /// Takes the parameters to optimize (<c>model.Parameters()</c>); each must be a distinct
    /// floating-point leaf tensor that requires grad.
    /// </summary>
    /// <param name="parameters">The tensors updated by <see cref="Step"/>, e.g. <c>model.Parameters()</c>; each once.</param>
    /// <param name="lr">The learning rate, ≥ 0.</param>
    protected Optimizer(IEnumerable<Tensor> parameters, double lr)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToList();
        if (_parameters.Count == 0)
        {
            throw new ArgumentException($"{Name}: the parameter list is empty; pass model.Parameters() of a model that has parameters");
        }

        var seen = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i] ?? throw new ArgumentException($"{Name}: parameter {i} is null");
            if (!p.RequiresGrad)
            {
                throw new ArgumentException($"{Name}: parameter {i} (shape {Shapes.Format(p._shape)}) does not require grad; set RequiresGrad = true or leave it out");
            }

            if (!p.IsLeaf)
            {
                throw new ArgumentException($"{Name}: parameter {i} (shape {Shapes.Format(p._shape)}) is not a leaf tensor (it was computed by '{p.GradFn!.Name}'); optimize the leaves it was computed from");
            }

            if (!seen.TryAdd(p, i))
            {
                throw new ArgumentException($"{Name}: parameter {i} is the same tensor as parameter {seen[p]}; pass each parameter once");
            }
        }

        _state = new Dictionary<string, Tensor>?[_parameters.Count];
        Lr = lr;
    }

    /// <summary>The parameters being optimized, in the order given (<c>optimizer.param_groups[0]['params']</c>).</summary>
    public IReadOnlyList<Tensor> Parameters => _parameters;

    /// <summary>
    /// The learning rate η (<c>optimizer.param_groups[0]['lr']</c>); learning-rate schedulers set it.
    /// Must be finite and non-negative.
    /// </summary>
    public double Lr
    {
        get => _lr;
        set
        {
            RequireNonNegative("lr", value);
            _lr = value;
        }
    }

    /// <summary>
    /// The learning rate before any schedule changed it (<c>param_group['initial_lr']</c>): set by the
    /// first <see cref="LRScheduler"/> attached to this optimizer, and the base rate of every schedule
    /// attached after it. Null until a schedule is attached. Not part of <see cref="StateDict"/>: each
    /// schedule's own state holds its base rate.
    /// </summary>
    public double? InitialLr
    {
        get => _initialLr;
        set
        {
            if (value is double v)
            {
                RequireNonNegative("initial_lr", v);
            }

            _initialLr = value;
        }
    }

    /// <summary>How many times <see cref="Step"/> has been called (restored by <see cref="LoadStateDict"/>).</summary>
    public int StepCount { get; private set; }

    /// <summary>The optimizer's name in error messages (the class name).</summary>
    protected string Name => GetType().Name;

    /// <summary>
    /// Performs one update of every parameter whose <see cref="Tensor.Grad"/> is not null, in place
    /// on the parameter's storage (<c>optimizer.step()</c>). Parameters without a gradient are
    /// skipped and their state is left untouched, as in PyTorch.
    /// </summary>
    public void Step()
    {
        // Every gradient is checked before anything changes, so a bad one leaves the parameters and
        // the state as they were.
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i];
            if (p.Grad is { } grad && (grad.DType != p.DType || !grad._shape.AsSpan().SequenceEqual(p._shape)))
            {
                throw new InvalidOperationException(
                    $"{Name}.Step: parameter {i} is {p.DType.Name()} {Shapes.Format(p._shape)} but its gradient is {grad.DType.Name()} {Shapes.Format(grad._shape)}");
            }
        }

        // The update writes into the parameter's storage directly and records nothing, so it never
        // enters an autograd graph (PyTorch's step runs under torch.no_grad()). Each parameter's
        // update is prepared in order into the step's plan, then all run together over the threads.
        var plan = new UpdatePlan();
        _plan = plan;
        try
        {
            for (int i = 0; i < _parameters.Count; i++)
            {
                var p = _parameters[i];
                if (p.Grad is not { } grad)
                {
                    continue;
                }

                var state = _state[i] ??= [];
                if (p.DType == DType.Float32)
                {
                    Update<float>(p, grad, state);
                }
                else
                {
                    Update<double>(p, grad, state);
                }
            }
        }
        finally
        {
            _plan = null;
        }

        plan.Run();
        StepCount++;
    }

    /// <summary>
    /// Resets every parameter's gradient to null (<c>optimizer.zero_grad()</c> with PyTorch's default
    /// <c>set_to_none=True</c>), so the next backward pass starts from nothing.
    /// </summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters)
        {
            p.Grad = null;
        }
    }

    /// <summary>
    /// A snapshot of the optimizer (<c>optimizer.state_dict()</c>): hyperparameters, <c>step_count</c>
    /// and per-parameter state <c>state.i.NAME</c>, as tensors with their own copies of the data.
    /// </summary>
    /// <returns>A new dictionary from key to tensor, detached from the optimizer's state.</returns>
    public Dictionary<string, Tensor> StateDict()
    {
        var dict = HyperparameterDict();
        for (int i = 0; i < _state.Length; i++)
        {
            if (_state[i] is { } state)
            {
                foreach (var (name, tensor) in state)
                {
                    dict[$"{StatePrefix}{i}.{name}"] = Copy(tensor);
                }
            }
        }

        return dict;
    }

    /// <summary>
    /// Restores a snapshot taken by <see cref="StateDict"/> (<c>optimizer.load_state_dict()</c>), after
    /// which steps continue bit-identically. The dictionary is validated completely before anything
    /// changes: a missing or unexpected key, or a shape or dtype that does not fit the parameters,
    /// is named in the <see cref="ArgumentException"/>.
    /// </summary>
    /// <param name="stateDict">A state dict from <see cref="StateDict"/> of an optimizer of the same kind over the same parameters.</param>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var errors = new List<string>();
        var expected = HyperparameterDict();
        foreach (var (key, current) in expected)
        {
            if (!stateDict.TryGetValue(key, out var t))
            {
                errors.Add($"missing key '{key}'");
            }
            else if (t.DType != DType.Float64 || !t._shape.AsSpan().SequenceEqual(current._shape))
            {
                errors.Add($"'{key}' is {t.DType.Name()} {Shapes.Format(t._shape)}, expected float64 {Shapes.Format(current._shape)}");
            }
        }

        var loaded = new Dictionary<string, Tensor>?[_parameters.Count];
        var allNames = AllStateNames;
        foreach (var (key, t) in stateDict)
        {
            if (expected.ContainsKey(key))
            {
                continue;
            }

            if (!TryParseStateKey(key, out int index, out string name) || !allNames.Contains(name))
            {
                errors.Add($"unexpected key '{key}'");
                continue;
            }

            if (index >= _parameters.Count)
            {
                errors.Add($"'{key}' is for parameter {index}, but the optimizer has {_parameters.Count} parameters");
                continue;
            }

            var p = _parameters[index];
            bool isStep = name == "step";
            var wantDType = isStep ? DType.Float64 : p.DType;
            var wantShape = isStep ? [] : p._shape;
            if (t.DType != wantDType || !t._shape.AsSpan().SequenceEqual(wantShape))
            {
                errors.Add($"'{key}' is {t.DType.Name()} {Shapes.Format(t._shape)}, but parameter {index} needs {wantDType.Name()} {Shapes.Format(wantShape)}");
                continue;
            }

            (loaded[index] ??= [])[name] = Copy(t);
        }

        ThrowIfAny(errors);

        // Hyperparameters decide which state each parameter must have (amsgrad adds
        // max_exp_avg_sq, momentum adds momentum_buffer), so apply them first and roll back if the
        // state does not fit them.
        var previous = HyperparameterDict();
        try
        {
            ApplyHyperparameters(stateDict);
        }
        catch (ArgumentException e)
        {
            ApplyHyperparameters(previous);
            throw new ArgumentException($"{Name}.LoadStateDict: {e.Message}", e);
        }

        var required = RequiredStateNames;
        for (int i = 0; i < loaded.Length; i++)
        {
            if (loaded[i] is not { } state)
            {
                continue;
            }

            foreach (string name in required.Where(n => !state.ContainsKey(n)))
            {
                errors.Add($"missing key '{StatePrefix}{i}.{name}'");
            }

            foreach (string name in state.Keys.Where(n => !required.Contains(n)))
            {
                errors.Add($"unexpected key '{StatePrefix}{i}.{name}' for these hyperparameters");
            }
        }

        double stepCount = stateDict[StepCountKey].F64[0];
        if (!(stepCount >= 0 && stepCount <= int.MaxValue && stepCount == Math.Floor(stepCount)))
        {
            errors.Add($"'{StepCountKey}' is {stepCount.ToString(CultureInfo.InvariantCulture)}, expected a non-negative integer");
        }

        if (errors.Count > 0)
        {
            ApplyHyperparameters(previous);
            ThrowIfAny(errors);
        }

        StepCount = (int)stepCount;
        _state = loaded;
    }

    /// <summary>
    /// Updates one parameter in place from its gradient. <paramref name="state"/> is this parameter's
    /// state (empty before its first update); entries are tensors named as in PyTorch's
    /// <c>optimizer.state[p]</c>. Implementations update the state's step counts and compute the
    /// step's constants here, then add the element-wise part to the step's <see cref="Plan"/>, which
    /// <see cref="Step"/> runs once every parameter is prepared.
    /// </summary>
    /// <param name="parameter">The parameter updated in place.</param>
    /// <param name="grad">Its gradient, the same shape and dtype.</param>
    /// <param name="state">The parameter's state, updated in place.</param>
    protected abstract void Update<T>(Tensor parameter, Tensor grad, Dictionary<string, Tensor> state)
        where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>The plan of the <see cref="Step"/> in progress, for <see cref="Update{T}"/> to add its parameter's update to.</summary>
    private protected UpdatePlan Plan =>
        _plan ?? throw new InvalidOperationException($"{Name}: updates are planned only inside Step");

    /// <summary>Adds the hyperparameters other than <c>lr</c> to <paramref name="dict"/>, as float64 tensors.</summary>
    /// <param name="dict">The state dict's hyperparameter section, added to.</param>
    protected abstract void GetHyperparameters(Dictionary<string, Tensor> dict);

    /// <summary>
    /// Sets the hyperparameters other than <c>lr</c> from <paramref name="dict"/>, whose keys and shapes
    /// are already validated; throws <see cref="ArgumentException"/> for a value out of range.
    /// </summary>
    /// <param name="dict">The state dict's hyperparameter section.</param>
    protected abstract void SetHyperparameters(IReadOnlyDictionary<string, Tensor> dict);

    /// <summary>The per-parameter state names the current hyperparameters use (e.g. <c>exp_avg</c>).</summary>
    protected abstract IReadOnlySet<string> RequiredStateNames { get; }

    /// <summary>Every per-parameter state name this optimizer may hold under any hyperparameters.</summary>
    protected abstract IReadOnlySet<string> AllStateNames { get; }

    /// <summary>A rank-0 float64 tensor holding <paramref name="value"/>, the form of a hyperparameter in a state dict.</summary>
    /// <param name="value">The hyperparameter's value.</param>
    /// <returns>A new rank-0 float64 tensor.</returns>
    protected static Tensor ScalarTensor(double value) => new(new[] { value }, []);

    /// <summary>
    /// The state buffer <paramref name="name"/>, created as zeros with the shape and dtype of
    /// <paramref name="parameter"/> on first use.
    /// </summary>
    /// <param name="state">The parameter's state.</param>
    /// <param name="name">The buffer's name, e.g. <c>exp_avg</c>.</param>
    /// <param name="parameter">The parameter whose shape and dtype a new buffer takes.</param>
    /// <returns>The buffer in <paramref name="state"/>, which updates change in place.</returns>
    protected static Tensor GetOrAddZeros(Dictionary<string, Tensor> state, string name, Tensor parameter)
    {
        if (!state.TryGetValue(name, out var t))
        {
            state[name] = t = Tensor.Zeros(parameter._shape, parameter.DType);
        }

        return t;
    }

    /// <summary>A copy of <paramref name="source"/> with its own storage and no graph.</summary>
    /// <param name="source">The tensor copied.</param>
    /// <returns>A new tensor of the source's shape and dtype.</returns>
    protected static Tensor Copy(Tensor source) => new((Array)source._data.Clone(), (int[])source._shape.Clone());

    /// <summary>Throws unless <paramref name="value"/> is finite and ≥ 0, naming the argument.</summary>
    /// <param name="argument">The argument's name, for the message.</param>
    /// <param name="value">The value checked.</param>
    protected void RequireNonNegative(string argument, double value)
    {
        if (!(value >= 0) || double.IsInfinity(value))
        {
            throw new ArgumentException($"{Name}: {argument} must be a finite number ≥ 0, got {value.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    /// <summary>Throws unless 0 ≤ <paramref name="value"/> &lt; 1, naming the argument.</summary>
    /// <param name="argument">The argument's name, for the message.</param>
    /// <param name="value">The value checked.</param>
    protected void RequireUnitInterval(string argument, double value)
    {
        if (!(value >= 0 && value < 1))
        {
            throw new ArgumentException($"{Name}: {argument} must be in [0, 1), got {value.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    /// <summary>Increments the per-parameter step counter <c>state["step"]</c> (created at 0) and returns the new count.</summary>
    /// <param name="state">The parameter's state.</param>
    /// <returns>The step count after the increment, from 1.</returns>
    protected static double IncrementStep(Dictionary<string, Tensor> state)
    {
        if (!state.TryGetValue("step", out var step))
        {
            state["step"] = step = ScalarTensor(0);
        }

        return ++step.F64[0];
    }

    private Dictionary<string, Tensor> HyperparameterDict()
    {
        var dict = new Dictionary<string, Tensor>
        {
            [LrKey] = ScalarTensor(_lr),
            [StepCountKey] = ScalarTensor(StepCount),
        };
        GetHyperparameters(dict);
        return dict;
    }

    private void ApplyHyperparameters(IReadOnlyDictionary<string, Tensor> dict)
    {
        Lr = dict[LrKey].F64[0];
        SetHyperparameters(dict);
    }

    private static bool TryParseStateKey(string key, out int index, out string name)
    {
        index = -1;
        name = "";
        if (!key.StartsWith(StatePrefix, StringComparison.Ordinal))
        {
            return false;
        }

        int dot = key.IndexOf('.', StatePrefix.Length);
        if (dot < 0 || !int.TryParse(key.AsSpan(StatePrefix.Length, dot - StatePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out index))
        {
            return false;
        }

        name = key[(dot + 1)..];
        return true;
    }

    private void ThrowIfAny(List<string> errors)
    {
        if (errors.Count > 0)
        {
            throw new ArgumentException($"{Name}.LoadStateDict: {string.Join("; ", errors)}");
        }
    }
}
