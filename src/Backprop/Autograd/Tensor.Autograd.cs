namespace Backprop;

public sealed partial class Tensor
{
    private bool _requiresGrad;
    private bool _retainsGrad;
    private Tensor? _tangent;
    private long _tangentLevel;

    /// <summary>
    /// Whether operations on this tensor are recorded so gradients can flow back to it
    /// (<c>tensor.requires_grad</c>). Settable only on leaves; only floating-point tensors can require grad.
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (GradFn is not null)
            {
                throw new InvalidOperationException("RequiresGrad can only be changed on leaf tensors; use Detach() to get a leaf");
            }

            if (value && !DType.IsFloatingPoint())
            {
                throw new InvalidOperationException($"RequiresGrad: only float32 and float64 tensors can require gradients, not {DType.Name()}");
            }

            _requiresGrad = value;
        }
    }

    /// <summary>
    /// dL/d(this tensor), filled by <see cref="Backward"/> for leaves (and for tensors that called
    /// <see cref="RetainGrad"/>); gradients accumulate across backward passes until reset (<c>tensor.grad</c>).
    /// </summary>
    public Tensor? Grad { get; set; }

    /// <summary>The op that produced this tensor, or null for a leaf (<c>tensor.grad_fn</c>).</summary>
    public Node? GradFn { get; private set; }

    /// <summary>
    /// Which of <see cref="GradFn"/>'s outputs this tensor is (<c>tensor.output_nr</c>): 0 unless the op
    /// returned several tensors, as an LSTM layer returns output, h_n and c_n (1 for h_n, 2 for c_n).
    /// </summary>
    public int OutputNr { get; private set; }

    /// <summary>True if this tensor was not produced by a recorded op (<c>tensor.is_leaf</c>).</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>Makes <see cref="Backward"/> fill <see cref="Grad"/> for this non-leaf too (<c>tensor.retain_grad()</c>).</summary>
    /// <returns>This tensor, for chaining.</returns>
    public Tensor RetainGrad()
    {
        if (!RequiresGrad)
        {
            throw new InvalidOperationException("RetainGrad: the tensor does not require grad");
        }

        _retainsGrad = true;
        return this;
    }

    /// <summary>Resets the accumulated gradient to null (as <c>tensor.grad = None</c>).</summary>
    public void ZeroGrad() => Grad = null;

    /// <summary>
    /// Back-propagates from this tensor: seeds dL/dL = 1 (or <paramref name="gradient"/> for a
    /// non-scalar output), walks the graph in reverse topological order and adds dL/dleaf into each
    /// leaf's <see cref="Grad"/> (<c>tensor.backward()</c>). The graph is freed afterwards unless
    /// <paramref name="retainGraph"/> is true.
    /// </summary>
    /// <param name="gradient">dL/d(this tensor), this tensor's shape; null for a scalar, seeded with 1.</param>
    /// <param name="retainGraph">Whether the graph is kept for another backward pass (PyTorch's <c>retain_graph</c>, default false).</param>
    /// <param name="version">How gradients flow through the graph; the default adds each node's contribution as it is visited.</param>
    /// <param name="createGraph">Record the backward pass, so each <see cref="Grad"/> is itself a node of a graph and can be
    /// back-propagated through (PyTorch's <c>create_graph</c>; the graph is then kept). Every op on the way must have a
    /// differentiable backward (<see cref="OpDefinition.SupportsDoubleBackward"/>).</param>
    public void Backward(Tensor? gradient = null, bool retainGraph = false, BackwardVersion version = BackwardVersion.Accumulate, bool createGraph = false)
    {
        if (createGraph)
        {
            Autograd.Run(this, gradient, retainGraph: true, version, createGraph: true, static (t, g, _) =>
            {
                if (!t.IsLeaf && !t._retainsGrad)
                {
                    return false;
                }

                // The recorded gradient is kept as it is (a copy would cut it from its graph).
                t.Grad = t.Grad is null ? g : t.Grad + g;
                if (t.IsLeaf)
                {
                    t.RunPostAccumulateGradHooks();
                }

                return true;
            });
            return;
        }

        Autograd.Run(this, gradient, retainGraph, version, static (t, g, owned) =>
        {
            if (!t.IsLeaf && !t._retainsGrad)
            {
                return false;
            }

            // Grad may later be modified in place (gradient clipping), so storage another tensor can
            // see (add passes its gradient through to both inputs) is copied; a gradient only the
            // engine holds is kept as it is.
            bool keep = t.Grad is null && owned;
            t.Grad = t.Grad is null ? (owned ? g : g.Clone()) : t.Grad + g;
            if (t.IsLeaf)
            {
                t.RunPostAccumulateGradHooks();
            }

            return keep;
        });
    }

    /// <summary>The forward-mode tangent this tensor carries in dual level <paramref name="level"/>, or null (<see cref="ForwardAD"/>).</summary>
    internal Tensor? TangentAt(long level) => _tangentLevel == level ? _tangent : null;

    /// <summary>Attaches a forward-mode tangent for dual level <paramref name="level"/>.</summary>
    internal void SetTangent(Tensor tangent, long level)
    {
        _tangent = tangent;
        _tangentLevel = level;
    }

    /// <summary>A tensor sharing this one's storage, cut from the graph (<c>tensor.detach()</c>).</summary>
    /// <returns>A new tensor of the same shape and dtype over the same storage, a leaf that does not require grad.</returns>
    public Tensor Detach() => new(_data, _shape);

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor (<c>tensor.requires_grad_()</c>).</summary>
    /// <param name="requiresGrad">The new value (default true).</param>
    /// <returns>This tensor, for chaining.</returns>
    public Tensor RequiresGrad_(bool requiresGrad = true)
    {
        RequiresGrad = requiresGrad;
        return this;
    }

    /// <summary>
    /// The op contract's recording step: if grad mode is on and any input requires grad, attach a
    /// graph node to <paramref name="output"/> holding the op's definition, the inputs and the
    /// backward function.
    /// </summary>
    internal static Tensor Record(OpDefinition op, Tensor output, Tensor[] inputs, BackwardFunction backward) =>
        Record(op, output, inputs, backward, null);

    /// <summary>
    /// <see cref="Record(OpDefinition, Tensor, Tensor[], BackwardFunction)"/> for an op whose backward
    /// may write an input gradient over its upstream gradient when the engine's <see cref="BackwardContext"/> allows it.
    /// </summary>
    internal static Tensor Record(OpDefinition op, Tensor output, Tensor[] inputs, ReusingBackwardFunction backward) =>
        Record(op, output, inputs, null, backward);

    /// <summary>
    /// The recording step for an op with several outputs: one node for all of them, each output
    /// knowing its place (<see cref="OutputNr"/>), and one backward function that receives the
    /// gradients of all outputs at once (null for an output nothing flowed into).
    /// </summary>
    internal static void Record(OpDefinition op, Tensor[] outputs, Tensor[] inputs, MultiOutputBackwardFunction backward)
    {
        if (AnomalyMode.IsEnabled)
        {
            foreach (var output in outputs)
            {
                AnomalyMode.CheckForward(op, output, inputs);
            }
        }

        if (ForwardAD.IsActive)
        {
            ForwardAD.PropagateSeveral(op, outputs, inputs);
        }

        if (!Autograd.IsGradEnabled || !Array.Exists(inputs, input => input.RequiresGrad))
        {
            return;
        }

        var node = new Node(op, inputs, backward, Array.ConvertAll(outputs, output => output._shape));
        for (int i = 0; i < outputs.Length; i++)
        {
            outputs[i].GradFn = node;
            outputs[i].OutputNr = i;
            outputs[i]._requiresGrad = true;
        }
    }

    private static Tensor Record(OpDefinition op, Tensor output, Tensor[] inputs, BackwardFunction? backward, ReusingBackwardFunction? reusing)
    {
        if (AnomalyMode.IsEnabled)
        {
            AnomalyMode.CheckForward(op, output, inputs);
        }

        if (ForwardAD.IsActive)
        {
            ForwardAD.Propagate(op, output, inputs);
        }

        if (!Autograd.IsGradEnabled)
        {
            return output;
        }

        foreach (var input in inputs)
        {
            if (input.RequiresGrad)
            {
                output.GradFn = reusing is null ? new Node(op, inputs, backward!) : new Node(op, inputs, reusing);
                output._requiresGrad = true;
                break;
            }
        }

        return output;
    }
}
