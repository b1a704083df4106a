namespace Backprop;

/// <summary>
/// How the backward pass gathers the gradient of a node that feeds several consumers
/// (docs/design.md §1.2). Both give identical numbers.
/// </summary>
public enum BackwardVersion
{
    /// <summary>
    /// "Version B": visit nodes in reverse topological order and add
    /// (dy/du_i)(du_i/dv_j) into the gradient of each input v_j as soon as u_i is visited.
    /// </summary>
    Accumulate,

    /// <summary>
    /// "Version A": when node v is visited, compute dy/dv = Σ_i dy/du_i · du_i/dv over all its
    /// consumers u_i at once.
    /// </summary>
    SumOverConsumers,
}

/// <summary>
/// Receives a node's complete gradient during the backward walk. <paramref name="owned"/> is true
/// when no other tensor can see the gradient's storage, so the receiver may keep it without a copy.
/// Returns true if it kept <paramref name="gradient"/> itself (the engine then leaves its storage alone).
/// </summary>
internal delegate bool GradientSink(Tensor tensor, Tensor gradient, bool owned);

/// <summary>
/// The reverse-mode engine: grad-mode scopes (<c>torch.no_grad</c>), and the backward walk that
/// applies the chain rule over the recorded graph in reverse topological order.
/// </summary>
public static partial class Autograd
{
    [ThreadStatic]
    private static bool t_gradDisabled;

    /// <summary>True unless inside <see cref="NoGrad"/> (<c>torch.is_grad_enabled()</c>).</summary>
    public static bool IsGradEnabled => !t_gradDisabled;

    /// <summary>
    /// Disables graph recording until the returned scope is disposed:
    /// <c>using (Autograd.NoGrad()) { ... }</c> (<c>with torch.no_grad():</c>).
    /// </summary>
    /// <returns>A scope whose <see cref="IDisposable.Dispose"/> restores the previous grad mode.</returns>
    public static IDisposable NoGrad() => new GradModeScope(enabled: false);

    /// <summary>Re-enables graph recording inside a <see cref="NoGrad"/> scope (<c>torch.enable_grad()</c>).</summary>
    /// <returns>A scope whose <see cref="IDisposable.Dispose"/> restores the previous grad mode.</returns>
    public static IDisposable EnableGrad() => new GradModeScope(enabled: true);

    /// <summary>
    /// Computes d<paramref name="output"/>/d<paramref name="inputs"/> without touching any
    /// <see cref="Tensor.Grad"/> (<c>torch.autograd.grad</c>). An input the output does not depend on
    /// gets null. With <paramref name="createGraph"/> the backward pass is itself recorded, so the
    /// gradients can be differentiated again (<c>create_graph=True</c>): gradient penalties, Hessians.
    /// </summary>
    /// <param name="output">The tensor to differentiate; a scalar unless <paramref name="gradOutput"/> is given.</param>
    /// <param name="inputs">The tensors to differentiate with respect to (leaves or intermediate).</param>
    /// <param name="gradOutput">The upstream gradient dL/doutput, of output's shape; defaults to 1 for a scalar.</param>
    /// <param name="retainGraph">Keep the graph so it can be back-propagated again (always kept with <paramref name="createGraph"/>).</param>
    /// <param name="version">How gradients of nodes with several consumers are gathered.</param>
    /// <param name="createGraph">Record the backward pass as a graph, so the returned gradients require grad
    /// (where they depend on a tensor that does) and can be back-propagated through; every op on the way must
    /// have a differentiable backward (<see cref="OpDefinition.SupportsDoubleBackward"/>), or the call is refused naming it.</param>
    /// <returns>One gradient per input, of the input's shape, in the order given; null for an input the output does not depend on.</returns>
    /// <exception cref="NotSupportedException"><paramref name="createGraph"/> is true and an op on the way has no differentiable backward.</exception>
    public static Tensor?[] Grad(
        Tensor output,
        IReadOnlyList<Tensor> inputs,
        Tensor? gradOutput = null,
        bool retainGraph = false,
        BackwardVersion version = BackwardVersion.Accumulate,
        bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(inputs);
        var wanted = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < inputs.Count; i++)
        {
            if (!inputs[i].RequiresGrad)
            {
                throw new ArgumentException($"Grad: input {i} does not require grad");
            }

            wanted.TryAdd(inputs[i], i);
        }

        var result = new Tensor?[inputs.Count];
        Run(output, gradOutput, retainGraph || createGraph, version, createGraph, (t, g, _) =>
        {
            if (!wanted.ContainsKey(t))
            {
                return false;
            }

            for (int i = 0; i < inputs.Count; i++)
            {
                if (ReferenceEquals(inputs[i], t))
                {
                    result[i] = g;
                }
            }

            return true;
        });
        return result;
    }

    /// <summary>
    /// The gradients of several outputs at once (<c>torch.autograd.grad(outputs, inputs, grad_outputs)</c>):
    /// Σₖ J_kᵀ·v_k for each input, where J_k is the Jacobian of output k and v_k its upstream gradient.
    /// </summary>
    /// <param name="outputs">The tensors to differentiate; each a scalar unless its upstream gradient is given.</param>
    /// <param name="inputs">The tensors to differentiate with respect to.</param>
    /// <param name="gradOutputs">One upstream gradient per output (null entries, or null for all, mean 1 for a scalar output).</param>
    /// <param name="retainGraph">Keep the graph so it can be back-propagated again (always kept with <paramref name="createGraph"/>).</param>
    /// <param name="createGraph">Record the backward pass so the gradients can be differentiated again.</param>
    /// <returns>One gradient per input, of the input's shape, in the order given; null for an input no output depends on.</returns>
    public static Tensor?[] Grad(
        IReadOnlyList<Tensor> outputs,
        IReadOnlyList<Tensor> inputs,
        IReadOnlyList<Tensor?>? gradOutputs = null,
        bool retainGraph = false,
        bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        if (outputs.Count == 0)
        {
            throw new ArgumentException("Grad: no outputs given", nameof(outputs));
        }

        if (gradOutputs is not null && gradOutputs.Count != outputs.Count)
        {
            throw new ArgumentException($"Grad: {outputs.Count} outputs but {gradOutputs.Count} upstream gradients", nameof(gradOutputs));
        }

        if (outputs.Count == 1)
        {
            return Grad(outputs[0], inputs, gradOutputs?[0], retainGraph, BackwardVersion.Accumulate, createGraph);
        }

        // Σₖ ⟨outputₖ, vₖ⟩ has exactly the gradient Σₖ J_kᵀ·vₖ: one backward pass over all outputs.
        Tensor? total = null;
        using (EnableGrad())
        {
            for (int k = 0; k < outputs.Count; k++)
            {
                var output = outputs[k];
                if (!output.RequiresGrad)
                {
                    continue;
                }

                var v = CheckSeed(output, gradOutputs?[k]);
                var term = (output * v).Sum();
                total = total is null ? term : total + term;
            }
        }

        if (total is null)
        {
            throw new InvalidOperationException("Grad: no output requires grad (no tensor it was computed from has RequiresGrad = true)");
        }

        return Grad(total, inputs, null, retainGraph, BackwardVersion.Accumulate, createGraph);
    }

    /// <summary>
    /// The recorded gradient of Σₖ ⟨outputsₖ, gradOutputsₖ⟩ in each of <paramref name="inputs"/> (a
    /// null upstream gradient leaves its output out), walking only the graph above the inputs: what
    /// they were computed from is not visited. An op whose backward is a recorded recomputation (the
    /// recurrent layers) calls it from inside the recorded backward pass.
    /// </summary>
    /// <param name="outputs">The recomputed outputs, made of recorded ops from <paramref name="inputs"/>.</param>
    /// <param name="gradOutputs">One upstream gradient per output, or null for none.</param>
    /// <param name="inputs">The tensors differentiated with respect to, where the walk stops.</param>
    /// <returns>One gradient per input, null where none reached it; recorded, so it can be differentiated again.</returns>
    internal static Tensor?[] GradAbove(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor?> gradOutputs, IReadOnlyList<Tensor> inputs)
    {
        var result = new Tensor?[inputs.Count];
        Tensor? total = null;
        using (EnableGrad())
        {
            for (int k = 0; k < outputs.Count; k++)
            {
                if (outputs[k].RequiresGrad && gradOutputs[k] is { } g)
                {
                    var term = (outputs[k] * g).Sum();
                    total = total is null ? term : total + term;
                }
            }
        }

        if (total is null || !total.RequiresGrad)
        {
            return result;
        }

        // The upstream gradients are where the walk stops too: the graph below them (the recorded
        // backward pass so far, the forward pass) is none of this recomputation's business.
        var stopAt = new HashSet<Tensor>(inputs, ReferenceEqualityComparer.Instance);
        foreach (var g in gradOutputs)
        {
            if (g is not null)
            {
                stopAt.Add(g);
            }
        }

        Run(total, null, retainGraph: true, BackwardVersion.Accumulate, createGraph: true, (t, g, _) =>
        {
            for (int i = 0; i < inputs.Count; i++)
            {
                if (ReferenceEquals(inputs[i], t))
                {
                    result[i] = g;
                    break;
                }
            }

            return true;
        }, stopAt);
        return result;
    }

    /// <summary>
    /// The backward walk. Seeds d(root)/d(root) with <paramref name="seed"/> (1 for a scalar), then
    /// visits every node that requires grad in reverse topological order, calling
    /// <paramref name="onGradient"/> with each node's complete gradient before propagating it to
    /// the node's inputs.
    /// </summary>
    internal static void Run(Tensor root, Tensor? seed, bool retainGraph, BackwardVersion version, GradientSink onGradient) =>
        Run(root, seed, retainGraph, version, createGraph: false, onGradient);

    /// <summary>
    /// <see cref="Run(Tensor, Tensor?, bool, BackwardVersion, GradientSink)"/>, recording the backward
    /// pass itself when <paramref name="createGraph"/> is true: grad mode stays on, no gradient's storage
    /// is reused, and each node's backward runs only if its op says it is differentiable.
    /// </summary>
    internal static void Run(Tensor root, Tensor? seed, bool retainGraph, BackwardVersion version, bool createGraph, GradientSink onGradient) =>
        Run(root, seed, retainGraph, version, createGraph, onGradient, stopAt: null);

    /// <summary>
    /// <see cref="Run(Tensor, Tensor?, bool, BackwardVersion, bool, GradientSink)"/> over the part of the graph
    /// above <paramref name="stopAt"/>: those tensors receive their gradients, but the walk goes no further
    /// down (their own ops' backwards are not run). Accumulate order only.
    /// </summary>
    private static void Run(Tensor root, Tensor? seed, bool retainGraph, BackwardVersion version, bool createGraph, GradientSink onGradient, HashSet<Tensor>? stopAt)
    {
        if (!root.RequiresGrad)
        {
            throw new InvalidOperationException(
                "Backward: the tensor does not require grad (no tensor it was computed from has RequiresGrad = true)");
        }

        bool seedIsOwn = seed is null;
        seed = CheckSeed(root, seed);
        var order = TopologicalOrder(root, allInputs: false, stopAt);
        using var gradMode = createGraph ? EnableGrad() : NoGrad();
        if (version == BackwardVersion.Accumulate)
        {
            RunAccumulate(root, seed, seedIsOwn && !createGraph, order, retainGraph, onGradient, stopAt);
        }
        else
        {
            RunSumOverConsumers(root, seed, order, retainGraph, onGradient);
        }
    }

    /// <summary>
    /// Every tensor that requires grad and that <paramref name="root"/> depends on, inputs before
    /// the ops that consume them. Iterative depth-first post-order: no recursion, so a chain of a
    /// million ops cannot overflow the stack, and each node is visited once (linear time).
    /// </summary>
    /// <param name="root">The output whose graph is walked.</param>
    /// <returns>A new list of those tensors, <paramref name="root"/> last.</returns>
    public static List<Tensor> TopologicalOrder(Tensor root) => TopologicalOrder(root, allInputs: false);

    /// <summary>
    /// <see cref="TopologicalOrder(Tensor)"/>, or with <paramref name="allInputs"/> every tensor the
    /// recorded graph reaches, constants and data included (what graph drawing and ONNX tracing need).
    /// </summary>
    internal static List<Tensor> TopologicalOrder(Tensor root, bool allInputs) => TopologicalOrder(root, allInputs, stopAt: null);

    /// <summary><see cref="TopologicalOrder(Tensor, bool)"/> that does not descend below the tensors of <paramref name="stopAt"/> (null: none).</summary>
    private static List<Tensor> TopologicalOrder(Tensor root, bool allInputs, HashSet<Tensor>? stopAt)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance) { root };
        var stack = new Stack<(Tensor Tensor, int NextInput)>();
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            var (tensor, next) = stack.Pop();
            var inputs = stopAt is not null && stopAt.Contains(tensor) ? [] : tensor.GradFn?.InputArray ?? [];
            while (next < inputs.Length && !((allInputs || inputs[next].RequiresGrad) && visited.Add(inputs[next])))
            {
                next++;
            }

            if (next < inputs.Length)
            {
                stack.Push((tensor, next + 1));
                stack.Push((inputs[next], 0));
            }
            else
            {
                order.Add(tensor);
            }
        }

        return order;
    }

    private static void RunAccumulate(Tensor root, Tensor seed, bool seedIsOwn, List<Tensor> order, bool retainGraph, GradientSink onGradient, HashSet<Tensor>? stopAt)
    {
        var pending = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance) { [root] = seed };
        var context = new BackwardContext();
        var gathers = OutputGathers(order, stopAt);

        // Storage that more than one tensor may see: a gradient passed through unchanged (add, views),
        // the same gradient returned for two inputs, or the caller's seed. Every other gradient is a
        // fresh array only the engine holds, which a leaf may keep without copying.
        var shared = new HashSet<Array>(ReferenceEqualityComparer.Instance);
        if (!seedIsOwn)
        {
            shared.Add(seed._data);
        }

        for (int k = order.Count - 1; k >= 0; k--)
        {
            var t = order[k];
            bool has = pending.Remove(t, out var grad);
            if (stopAt is not null && stopAt.Contains(t))
            {
                // A tensor the walk stops at gets its gradient; what lies below it is not visited.
                if (has)
                {
                    onGradient(t, grad!, false);
                }

                continue;
            }

            if (gathers is not null && t.GradFn is { OutputCount: > 1 } multi)
            {
                // An op with several outputs runs its backward once, when the last of its outputs in
                // this walk has its gradient (every output comes after the op's inputs in the order).
                var gather = gathers[multi];
                if (has)
                {
                    onGradient(t, grad!, !shared.Contains(grad!._data));
                    gather.Add(t, grad!);
                }

                if (gather.Done())
                {
                    var multiGrads = LocalGradients(multi, gather.Gradients);
                    for (int o = 0; o < gather.Outputs.Length; o++)
                    {
                        if (gather.Outputs[o] is { } output)
                        {
                            MarkShared(shared, output, gather.Gradients[o]!, multi.InputArray, multiGrads);
                        }
                    }

                    Propagate(multi, multiGrads, pending, retainGraph);
                }

                continue;
            }

            if (!has)
            {
                continue;
            }

            bool owned = !shared.Contains(grad!._data);
            bool kept = onGradient(t, grad!, owned);
            if (t.GradFn is not { } node)
            {
                continue;
            }

            // A gradient only the engine holds, which nobody kept, is read by this node alone and then
            // dropped: the node's backward may write its input gradient over it (context.TakeReusable).
            // Never while the backward pass is recorded (createGraph): the recorded graph reads it again.
            context.Offer(owned && !kept && !AnomalyMode.IsEnabled && !IsGradEnabled ? grad : null);
            Tensor?[] inputGrads;
            bool taken;
            try
            {
                inputGrads = LocalGradients(node, grad!, context);
                taken = context.Taken;
            }
            finally
            {
                context.Offer(null);
            }

            MarkShared(shared, t, taken ? null : grad!, node.InputArray, inputGrads);
            Propagate(node, inputGrads, pending, retainGraph);
        }
    }

    /// <summary>Adds a node's input gradients to what its inputs have pending, then frees the node unless the graph is retained.</summary>
    private static void Propagate(Node node, Tensor?[] inputGrads, Dictionary<Tensor, Tensor> pending, bool retainGraph)
    {
        for (int i = 0; i < inputGrads.Length; i++)
        {
            if (inputGrads[i] is { } g)
            {
                var input = node.InputArray[i];
                pending[input] = pending.TryGetValue(input, out var acc) ? acc + g : g;
            }
        }

        if (!retainGraph)
        {
            node.Release();
        }
    }

    /// <summary>
    /// For each node with several outputs in <paramref name="order"/>, a place to gather its outputs'
    /// gradients until all of its outputs in the order have been visited; null when there is none.
    /// </summary>
    private static Dictionary<Node, OutputGather>? OutputGathers(List<Tensor> order, HashSet<Tensor>? stopAt = null)
    {
        Dictionary<Node, OutputGather>? gathers = null;
        foreach (var t in order)
        {
            if (t.GradFn is { OutputCount: > 1 } node && !(stopAt is not null && stopAt.Contains(t)))
            {
                gathers ??= new(ReferenceEqualityComparer.Instance);
                if (!gathers.TryGetValue(node, out var gather))
                {
                    gathers[node] = gather = new OutputGather(node.OutputCount);
                }

                gather.Expect();
            }
        }

        return gathers;
    }

    /// <summary>The gradients of one multi-output node's outputs, gathered during the backward walk.</summary>
    private sealed class OutputGather(int outputCount)
    {
        private int _remaining;

        public Tensor?[] Outputs { get; } = new Tensor?[outputCount];

        public Tensor?[] Gradients { get; } = new Tensor?[outputCount];

        public void Expect() => _remaining++;

        public void Add(Tensor output, Tensor gradient)
        {
            Outputs[output.OutputNr] = output;
            Gradients[output.OutputNr] = gradient;
        }

        /// <summary>Counts one visited output; true when it was the last and at least one gradient arrived.</summary>
        public bool Done() => --_remaining == 0 && Array.Exists(Gradients, g => g is not null);
    }

    /// <summary>
    /// Adds to <paramref name="shared"/> the storage of every input gradient that aliases the
    /// upstream gradient, the node's output or inputs, or another input gradient of the same node.
    /// <paramref name="upstream"/> is null when the node took it for reuse: it wrote its input gradient
    /// over storage only the engine held, which stays so.
    /// </summary>
    private static void MarkShared(HashSet<Array> shared, Tensor output, Tensor? upstream, Tensor[] inputs, Tensor?[] grads)
    {
        for (int i = 0; i < grads.Length; i++)
        {
            if (grads[i] is not { } g)
            {
                continue;
            }

            var data = g._data;
            bool aliased = (upstream is not null && ReferenceEquals(data, upstream._data)) || ReferenceEquals(data, output._data);
            for (int j = 0; j < inputs.Length && !aliased; j++)
            {
                aliased = ReferenceEquals(data, inputs[j]._data) || (j != i && ReferenceEquals(data, grads[j]?._data));
            }

            if (aliased)
            {
                shared.Add(data);
            }
        }
    }

    private static void RunSumOverConsumers(Tensor root, Tensor seed, List<Tensor> order, bool retainGraph, GradientSink onGradient)
    {
        // consumers[v] lists the nodes that take v as an input, in the order they will be visited.
        var consumers = new Dictionary<Tensor, List<Node>>(ReferenceEqualityComparer.Instance);
        var seen = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        for (int k = order.Count - 1; k >= 0; k--)
        {
            if (order[k].GradFn is { } node && seen.Add(node))
            {
                foreach (var input in node.InputArray.Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>())
                {
                    if (input.RequiresGrad)
                    {
                        if (!consumers.TryGetValue(input, out var list))
                        {
                            consumers[input] = list = [];
                        }

                        list.Add(node);
                    }
                }
            }
        }

        // edgeGradients[u][j] = dy/du · du/d(input j of u), kept until every input of u has been visited.
        var edgeGradients = new Dictionary<Node, Tensor?[]>(ReferenceEqualityComparer.Instance);
        var gathers = OutputGathers(order);
        for (int k = order.Count - 1; k >= 0; k--)
        {
            var v = order[k];
            Tensor? grad = ReferenceEquals(v, root) ? seed : null;
            foreach (var u in consumers.GetValueOrDefault(v) ?? [])
            {
                var inputsOfU = u.InputArray;
                if (!edgeGradients.TryGetValue(u, out var terms))
                {
                    continue;
                }

                for (int j = 0; j < inputsOfU.Length; j++)
                {
                    if (ReferenceEquals(inputsOfU[j], v) && terms[j] is { } term)
                    {
                        grad = grad is null ? term : grad + term;
                    }
                }
            }

            if (gathers is not null && v.GradFn is { OutputCount: > 1 } multi)
            {
                var gather = gathers[multi];
                if (grad is not null)
                {
                    onGradient(v, grad, false);
                    gather.Add(v, grad);
                }

                if (gather.Done())
                {
                    edgeGradients[multi] = LocalGradients(multi, gather.Gradients);
                }

                continue;
            }

            if (grad is null)
            {
                continue;
            }

            onGradient(v, grad, false);
            if (v.GradFn is { } node)
            {
                edgeGradients[node] = LocalGradients(node, grad, BackwardContext.NoReuse);
            }
        }

        if (!retainGraph)
        {
            foreach (var node in seen)
            {
                node.Release();
            }
        }
    }

    /// <summary>
    /// Applies one node's backward function and reduces each returned gradient to its input's
    /// shape: the single place where broadcasting is undone, so no op's backward deals with it.
    /// </summary>
    private static Tensor?[] LocalGradients(Node node, Tensor gradOutput, BackwardContext context)
    {
        RequireDifferentiableBackward(node);
        var grads = AnomalyMode.IsEnabled ? AnomalyMode.ApplyChecked(node, [gradOutput]) : node.Apply(gradOutput, context);
        CheckRecorded(node, gradOutput.RequiresGrad, grads);
        return ToInputShapes(node, grads);
    }

    /// <summary><see cref="LocalGradients(Node, Tensor, BackwardContext)"/> for a node with several outputs.</summary>
    private static Tensor?[] LocalGradients(Node node, Tensor?[] gradOutputs)
    {
        RequireDifferentiableBackward(node);
        var grads = AnomalyMode.IsEnabled ? AnomalyMode.ApplyChecked(node, gradOutputs) : node.Apply(gradOutputs);
        CheckRecorded(node, Array.Exists(gradOutputs, g => g is { RequiresGrad: true }), grads);
        return ToInputShapes(node, grads);
    }

    /// <summary>While the backward pass is recorded (grad mode on inside it), refuses an op whose backward is not made of recorded ops.</summary>
    private static void RequireDifferentiableBackward(Node node)
    {
        if (IsGradEnabled && !node.Op.SupportsDoubleBackward)
        {
            string which = node.Op is FunctionDefinition ? $"the user-defined Function '{node.Op}'" : $"'{node.Op}'";
            throw new NotSupportedException(
                $"Grad(createGraph: true): the backward of {which} is not differentiable yet (it is computed outside the graph), so a gradient through it cannot be differentiated again; compute this part without createGraph");
        }
    }

    /// <summary>
    /// While the backward pass is recorded, a gradient computed from an upstream gradient that requires
    /// grad must require grad too; one that does not was computed outside the graph (an op that says it
    /// is differentiable but is not), and would silently give zero second derivatives.
    /// </summary>
    private static void CheckRecorded(Node node, bool upstreamRequiresGrad, Tensor?[] grads)
    {
        if (!IsGradEnabled || !upstreamRequiresGrad)
        {
            return;
        }

        for (int i = 0; i < grads.Length; i++)
        {
            if (grads[i] is { RequiresGrad: false } && i < node.InputArray.Length && node.InputArray[i].RequiresGrad)
            {
                throw new InvalidOperationException(
                    $"Grad(createGraph: true): the backward of '{node.Op}' returned a gradient for input {i} outside the graph although its op says its backward is differentiable");
            }
        }
    }

    private static Tensor?[] ToInputShapes(Node node, Tensor?[] grads)
    {
        var inputs = node.InputArray;
        if (grads.Length != inputs.Length)
        {
            throw new InvalidOperationException($"{node.Name}: backward returned {grads.Length} gradients for {inputs.Length} inputs");
        }

        for (int i = 0; i < grads.Length; i++)
        {
            if (grads[i] is not { } g || !inputs[i].RequiresGrad)
            {
                grads[i] = null;
                continue;
            }

            if (g.DType != inputs[i].DType)
            {
                throw new InvalidOperationException($"{node.Name}: backward produced a {g.DType.Name()} gradient for a {inputs[i].DType.Name()} input");
            }

            // Recorded while the backward pass is (createGraph), a plain kernel otherwise.
            grads[i] = IsGradEnabled ? g.SumToSize(inputs[i]._shape) : Broadcasting.SumToShape(node.Name, g, inputs[i]._shape);
        }

        return grads;
    }

    private static Tensor CheckSeed(Tensor root, Tensor? seed)
    {
        if (seed is null)
        {
            if (root.Numel != 1)
            {
                throw new InvalidOperationException(
                    $"Backward: the output has shape {Shapes.Format(root._shape)}; a non-scalar output needs an explicit upstream gradient of that shape");
            }

            return Tensor.Full(root._shape, 1.0, root.DType);
        }

        if (!seed._shape.AsSpan().SequenceEqual(root._shape))
        {
            throw new ArgumentException(
                $"Backward: upstream gradient has shape {Shapes.Format(seed._shape)} but the output has shape {Shapes.Format(root._shape)}");
        }

        Tensor.RequireSameDType("Backward", root, seed);
        return seed;
    }

    private sealed class GradModeScope : IDisposable
    {
        private readonly bool _previousDisabled;
        private bool _disposed;

        public GradModeScope(bool enabled)
        {
            _previousDisabled = t_gradDisabled;
            t_gradDisabled = !enabled;
        }

        public void Dispose()
        {
            if (!_disposed)
            {
                t_gradDisabled = _previousDisabled;
                _disposed = true;
            }
        }
    }
}
