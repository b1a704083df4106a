namespace Backprop;

/// <summary>
/// Maps the gradient of an op's output (the upstream gradient dL/dout) to the gradient of each
/// input (dL/dinput_i = dL/dout · dout/dinput_i). A null entry means "no gradient for this input".
/// Gradients may have the broadcast shape of the output: the engine reduces them to each input's shape.
/// </summary>
/// <param name="gradOutput">dL/d(output), the output's shape.</param>
/// <returns>One gradient per input of the op, in the order they were recorded; null for an input that gets none.</returns>
public delegate Tensor?[] BackwardFunction(Tensor gradOutput);

/// <summary>
/// The backward function of an op with several outputs (an LSTM layer's output, h_n and c_n): maps the
/// gradient of each output, in the order the op returned them, to the gradient of each input. An
/// output that nothing back-propagated into gets null, which the function reads as zeros.
/// </summary>
internal delegate Tensor?[] MultiOutputBackwardFunction(Tensor?[] gradOutputs);

/// <summary>
/// One recorded op in the computational graph (PyTorch's <c>grad_fn</c>): the op's definition (its
/// name, formula and attributes), the tensors it consumed and the function that back-propagates through it.
/// </summary>
public sealed class Node
{
    private Tensor[] _inputs;
    private BackwardFunction? _backward;
    private ReusingBackwardFunction? _reusingBackward;
    private MultiOutputBackwardFunction? _multiBackward;
    private readonly int[][]? _outputShapes;

    internal Node(OpDefinition op, Tensor[] inputs, BackwardFunction backward)
        : this(op, inputs) => _backward = backward;

    internal Node(OpDefinition op, Tensor[] inputs, ReusingBackwardFunction backward)
        : this(op, inputs) => _reusingBackward = backward;

    internal Node(OpDefinition op, Tensor[] inputs, MultiOutputBackwardFunction backward, int[][] outputShapes)
        : this(op, inputs)
    {
        _multiBackward = backward;
        _outputShapes = outputShapes;
    }

    private Node(OpDefinition op, Tensor[] inputs)
    {
        Op = op;
        _inputs = inputs;
        if (AnomalyMode.IsRecordingSites)
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

    /// <summary>
    /// How many tensors the op returned (PyTorch's number of outputs of a <c>grad_fn</c>): 1 for most
    /// ops, 3 for an LSTM layer (output, h_n, c_n). Each output's <see cref="Tensor.OutputNr"/> says which it is.
    /// </summary>
    public int OutputCount => _outputShapes?.Length ?? 1;

    /// <summary>The op's inputs (empty once the graph has been freed by a backward pass).</summary>
    public IReadOnlyList<Tensor> Inputs => _inputs;

    /// <summary>True once a backward pass without <c>retainGraph</c> has freed this node's saved tensors.</summary>
    public bool IsReleased => _backward is null && _reusingBackward is null && _multiBackward is null;

    internal Tensor[] InputArray => _inputs;

    /// <summary>The shape output <paramref name="index"/> had when the op ran (for a node with several outputs).</summary>
    internal int[] OutputShape(int index) => _outputShapes?[index] ?? throw new InvalidOperationException($"{Name}: the node has one output");

    internal Tensor?[] Apply(Tensor gradOutput, BackwardContext context)
    {
        if (_reusingBackward is { } reusing)
        {
            return reusing(gradOutput, context);
        }

        if (_multiBackward is { } multi)
        {
            // An op of the several-outputs kind that returned one (an RNN cell's h').
            return multi([gradOutput]);
        }

        var backward = _backward ?? throw Freed();
        return backward(gradOutput);
    }

    /// <summary>Applies the backward function of a node with several outputs to the gradients of all of them.</summary>
    internal Tensor?[] Apply(Tensor?[] gradOutputs)
    {
        var backward = _multiBackward ?? throw Freed();
        return backward(gradOutputs);
    }

    internal void Release()
    {
        _backward = null;
        _reusingBackward = null;
        _multiBackward = null;
        _inputs = [];
    }

    private InvalidOperationException Freed() => new(
        $"Backward: the graph through '{Name}' was freed by an earlier Backward(); pass retainGraph: true to back-propagate through it more than once");
}
