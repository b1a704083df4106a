using System.Globalization;

namespace Backprop;

/// <summary>
/// What a graph node records about the op that made it (the op contract's "definition"): its name,
/// the formula that teaching tools print, and, in a sealed subclass beside the op, the attributes
/// its forward was called with (softmax's dim, conv2d's stride, …), read-only and named as PyTorch
/// names the arguments. Code that must know the op (gradient health, graph drawing) matches on the
/// type (<c>node.Op is LinearDefinition</c>), never on the name; ONNX export asks the definition
/// itself (<see cref="LowerToOnnx"/>). An op without attributes records one shared instance, so
/// recording allocates nothing for it.
/// </summary>
public abstract class OpDefinition
{
    /// <summary>Creates a definition named <paramref name="name"/> with the teaching <paramref name="formula"/>.</summary>
    /// <param name="name">The op's name as it appears in <c>grad_fn</c>, e.g. <c>softmax</c>.</param>
    /// <param name="formula">The forward and its derivative in plain text, e.g. <c>y = tanh(x); ∂y/∂x = 1 − y²</c>.</param>
    protected OpDefinition(string name, string formula)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(formula);
        Name = name;
        Formula = formula;
    }

    /// <summary>The op's name, e.g. <c>mul</c> or <c>softmax</c> (PyTorch's <c>grad_fn</c> name without "Backward").</summary>
    public string Name { get; }

    /// <summary>The forward and its derivative as plain text for teaching tools, e.g. <c>y = tanh(x); ∂y/∂x = 1 − y²</c>.</summary>
    public string Formula { get; }

    /// <summary>
    /// True when the op's backward is itself made of recorded ops, so that
    /// <see cref="Autograd.Grad(Tensor, IReadOnlyList{Tensor}, Tensor?, bool, BackwardVersion, bool)"/> with
    /// <c>createGraph: true</c> can record it and the gradient can be differentiated again (double
    /// backward, Hessians). False by default: the engine refuses to create a graph through such an op
    /// and names it. An op that says true has a second-order gradient check (<see cref="GradCheck.GradGradCheck(Func{Tensor[], Tensor}, Tensor[])"/>)
    /// over its registry rows.
    /// </summary>
    public virtual bool SupportsDoubleBackward => false;

    /// <summary>
    /// The op's forward derivative, its Jacobian-vector product: the output's tangent
    /// ẏ = Σᵢ ∂y/∂xᵢ·ẋᵢ from the inputs' tangents, for forward-mode AD (<see cref="ForwardAD"/>). It
    /// runs with tangents off, so its own ops carry none. The default has none (null), and forward mode
    /// refuses the op naming it.
    /// </summary>
    /// <param name="inputs">The op's inputs, as it recorded them.</param>
    /// <param name="output">The op's output, its primal value.</param>
    /// <param name="tangents">One tangent per input, of that input's shape; null where the input carries none (a zero tangent); at least one is not null.</param>
    /// <returns>The output's tangent, of the output's shape or broadcasting to it; null when the op has no forward derivative.</returns>
    public virtual Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) => null;

    /// <summary>
    /// The forward derivative of an op with several outputs (an LSTM layer's output, h_n and c_n): one
    /// tangent per output from the inputs' tangents, as <see cref="ForwardDerivative"/> gives one. It runs
    /// with tangents off. The default has none (null), and forward mode refuses the op naming it.
    /// </summary>
    /// <param name="inputs">The op's inputs, as it recorded them.</param>
    /// <param name="outputs">The op's outputs, their primal values, in the op's order.</param>
    /// <param name="tangents">One tangent per input, of that input's shape; null where the input carries none (a zero tangent); at least one is not null.</param>
    /// <returns>One tangent per output (null for a zero tangent), each of its output's shape or broadcasting to it; null when the op has no forward derivative.</returns>
    public virtual Tensor?[]? ForwardDerivatives(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor?> tangents) => null;

    /// <summary>The sum of the tangent terms that are not null (a null term is a zero tangent), for <see cref="ForwardDerivative"/>.</summary>
    /// <param name="terms">The terms, each null or broadcasting with the others.</param>
    /// <returns>Their sum; null when every term is null.</returns>
    protected static Tensor? SumOfTerms(params Tensor?[] terms) => SumOfTangents(terms);

    /// <summary><see cref="SumOfTerms"/> for the op families' helpers.</summary>
    internal static Tensor? SumOfTangents(params Tensor?[] terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        Tensor? sum = null;
        foreach (var term in terms)
        {
            if (term is not null)
            {
                sum = sum is null ? term : sum + term;
            }
        }

        return sum;
    }

    /// <summary>The name followed by the attributes, e.g. <c>softmax(dim: 1)</c>; just the name for an op without any.</summary>
    /// <returns>The op as text, e.g. <c>softmax(dim: 1)</c> or <c>relu</c>.</returns>
    public override string ToString()
    {
        string attributes = FormatAttributes();
        return attributes.Length == 0 ? Name : $"{Name}({attributes})";
    }

    /// <summary>
    /// Appends the ONNX nodes that compute this op to the file being exported and returns the name of
    /// the value holding its output (the op contract's ONNX lowering, as plain data: op types, input
    /// order, attributes). <paramref name="onnx"/> gives the node's input value names and traced shapes.
    /// The default refuses, naming the op: an op without a lowering cannot be exported.
    /// </summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    /// <exception cref="NotSupportedException">The op has no ONNX lowering, or not for these attributes; the message names it.</exception>
    public virtual string LowerToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        throw new NotSupportedException($"the op {this} has no ONNX lowering");
    }

    /// <summary>
    /// Appends the ONNX nodes of an op with several outputs (an LSTM layer's output, h_n and c_n) and
    /// returns the value name of each output in the order the op returns them. The default is the
    /// one output of <see cref="LowerToOnnx"/>, so only ops with several outputs override this.
    /// </summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The names of the ONNX values holding the op's outputs, in the op's order.</returns>
    /// <exception cref="NotSupportedException">The op has no ONNX lowering; the message names it.</exception>
    public virtual string[] LowerOutputsToOnnx(IOnnxLowering onnx) => [LowerToOnnx(onnx)];

    /// <summary>
    /// Lowers to one ONNX node <paramref name="opType"/> taking the recorded inputs in their order
    /// (add → Add(a, b), relu → Relu(x), cat → Concat(x₁, x₂, …)), for <see cref="LowerToOnnx"/>.
    /// </summary>
    /// <param name="onnx">The export in progress, whose recorded inputs become the node's inputs.</param>
    /// <param name="opType">The ONNX operator, e.g. <c>Relu</c> or <c>Concat</c>.</param>
    /// <param name="attributes">The node's attributes, e.g. Concat's <c>axis</c>; none by default.</param>
    /// <returns>The name of the node's output value.</returns>
    protected static string LowerAs(IOnnxLowering onnx, string opType, params OnnxAttribute[] attributes)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        var inputs = new string[onnx.InputCount];
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = onnx.Input(i);
        }

        return onnx.Node(opType, inputs, attributes);
    }

    /// <summary><paramref name="dim"/> made non-negative for a tensor of rank <paramref name="rank"/>, as ONNX axes are written here.</summary>
    /// <param name="dim">A dim as the op recorded it, possibly negative.</param>
    /// <param name="rank">The rank of the tensor it indexes.</param>
    /// <returns>The axis, from 0 to <paramref name="rank"/> − 1.</returns>
    protected static long Axis(int dim, int rank) => dim < 0 ? dim + rank : dim;

    /// <summary>The attributes as <c>name: value</c> pairs separated by ", ", or empty for an op without any.</summary>
    /// <returns>The attributes' text, e.g. <c>dim: 1, keepDim: true</c>; empty here.</returns>
    protected virtual string FormatAttributes() => string.Empty;

    /// <summary>A list of sizes or dims as <c>[2, 3]</c>, for <see cref="FormatAttributes"/>.</summary>
    /// <param name="values">The sizes or dims, or null for "all".</param>
    /// <returns>The text, e.g. <c>[2, 3]</c>.</returns>
    protected static string FormatList(IReadOnlyList<int>? values) =>
        values is null ? "all" : $"[{string.Join(", ", values)}]";

    /// <summary>A number in invariant culture, shortest round-trip form, for <see cref="FormatAttributes"/>.</summary>
    /// <param name="value">The number written.</param>
    /// <returns>The text, e.g. <c>0.01</c>.</returns>
    protected static string FormatNumber(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>
/// A definition whose one attribute is the dim it works along (softmax, log_softmax, gather,
/// index_select, cat): the sealed subclass says which op, this holds the dim.
/// </summary>
public abstract class DimOpDefinition : OpDefinition
{
    /// <summary>Creates a definition named <paramref name="name"/> working along <paramref name="dim"/>.</summary>
    /// <param name="name">The op's name.</param>
    /// <param name="formula">The forward and its derivative in plain text.</param>
    /// <param name="dim">The dim, as the op's documentation of <see cref="Dim"/> says (given, or made non-negative).</param>
    protected DimOpDefinition(string name, string formula, int dim)
        : base(name, formula) => Dim = dim;

    /// <summary>The dim the op works along (PyTorch's <c>dim</c>).</summary>
    public int Dim { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"dim: {Dim}";
}

/// <summary>A reduction along one dim that may keep it with size 1 (max, min).</summary>
public abstract class DimReductionDefinition : DimOpDefinition
{
    /// <summary>Creates a definition named <paramref name="name"/> reducing <paramref name="dim"/>.</summary>
    /// <param name="name">The op's name.</param>
    /// <param name="formula">The forward and its derivative in plain text.</param>
    /// <param name="dim">The dim reduced over, as given (may be negative).</param>
    /// <param name="keepDim">Whether the reduced dim is kept with size 1.</param>
    protected DimReductionDefinition(string name, string formula, int dim, bool keepDim)
        : base(name, formula, dim) => KeepDim = keepDim;

    /// <summary>Whether the reduced dim is kept with size 1 (PyTorch's <c>keepdim</c>).</summary>
    public bool KeepDim { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"dim: {Dim}, keepDim: {(KeepDim ? "true" : "false")}";

    /// <summary>
    /// Lowers the values to the ONNX reduction <paramref name="opType"/> (ReduceMax, ReduceMin) over
    /// the one axis, keepdims as recorded; the axes are an input from opset 18, an attribute before.
    /// </summary>
    /// <param name="onnx">The export in progress, whose one recorded input is reduced.</param>
    /// <param name="opType">The ONNX reduction, <c>ReduceMax</c> or <c>ReduceMin</c>.</param>
    /// <returns>The name of the ONNX value holding the reduced values.</returns>
    protected string LowerAsReduction(IOnnxLowering onnx, string opType)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        int rank = onnx.InputShape(0).Length;
        if (rank == 0)
        {
            return LowerAs(onnx, "Identity");
        }

        var keepDims = new OnnxAttribute("keepdims", KeepDim ? 1 : 0);
        long[] axes = [Axis(Dim, rank)];
        return onnx.Opset >= 18
            ? onnx.Node(opType, [onnx.Input(0), onnx.Int64s(axes)], keepDims)
            : onnx.Node(opType, [onnx.Input(0)], keepDims, new OnnxAttribute("axes", axes));
    }
}
