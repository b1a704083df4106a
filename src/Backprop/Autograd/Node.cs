namespace Backprop;

/// <summary>
/// Maps the gradient of an op's output (the upstream gradient dL/dout) to the gradient of each
/// input (dL/dinput_i = dL/dout · dout/dinput_i). A null entry means "no gradient for this input".
/// Gradients may have the broadcast shape of the output: the engine reduces them to each input's shape.
/// </summary>
public delegate Tensor?[] BackwardFunction(Tensor gradOutput);

/// <summary>
/// One recorded op in the computational graph (PyTorch's <c>grad_fn</c>): the op's definition (its
/// name, formula and attributes), the tensors it consumed and the function that back-propagates through it.
/// </summary>
public sealed class Node
{
    private Tensor[] _inputs;
    private BackwardFunction? _backward;
    private ReusingBackwardFunction? _reusingBackward;

    internal Node(OpDefinition op, Tensor[] inputs, BackwardFunction backward)
        : this(op, inputs) => _backward = backward;

    internal Node(OpDefinition op, Tensor[] inputs, ReusingBackwardFunction backward)
        : this(op, inputs) => _reusingBackward = backward;

    private Node(OpDefinition op, Tensor[] inputs)
    {
        Op = op;
        _inputs = inputs;
        if (AnomalyMode.IsEnabled)
        {
            AnomalyMode.OnNodeCreated(this);
        }
    }

    /// <summary>
    /// The definition of the op that made this node, holding the attributes its forward was called
    /// with; match on its type (<c>node.Op is LinearDefinition</c>), not on <see cref="Name"/>.
    /// </summary>
    public OpDefinition Op { get; }

    /// <summary>The op's name, e.g. <c>mul</c> or <c>matmul</c> (<see cref="OpDefinition.Name"/>).</summary>
    public string Name => Op.Name;

    /// <summary>The op's inputs (empty once the graph has been freed by a backward pass).</summary>
    public IReadOnlyList<Tensor> Inputs => _inputs;

    /// <summary>True once a backward pass without <c>retainGraph</c> has freed this node's saved tensors.</summary>
    public bool IsReleased => _backward is null && _reusingBackward is null;

    internal Tensor[] InputArray => _inputs;

    internal Tensor?[] Apply(Tensor gradOutput, BackwardContext context)
    {
        if (_reusingBackward is { } reusing)
        {
            return reusing(gradOutput, context);
        }

        var backward = _backward ?? throw new InvalidOperationException(
            $"Backward: the graph through '{Name}' was freed by an earlier Backward(); pass retainGraph: true to back-propagate through it more than once");
        return backward(gradOutput);
    }

    internal void Release()
    {
        _backward = null;
        _reusingBackward = null;
        _inputs = [];
    }
}
