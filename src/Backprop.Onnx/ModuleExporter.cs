using Backprop.NN;
using static Backprop.Onnx.OnnxGraphBuilder;

namespace Backprop.Onnx;

/// <summary>
/// Turns modules into ONNX nodes, one method per module type, each taking the module's input value
/// and returning its output value. Inference behaviour is exported (as <c>torch.onnx.export</c>'s
/// default <c>training=TrainingMode.EVAL</c>): Dropout is the identity. A module of any other type
/// (a user's own, with a hand-written Forward) is exported by tracing its Forward (<see cref="ModuleTracer"/>).
/// Adding a layer = one method here (or in the partial file of its family: Convolution,
/// Normalization, Recurrent) + one arm in <see cref="Export"/> + one ONNX Runtime test.
/// </summary>
internal sealed partial class ModuleExporter(OnnxGraphBuilder graph, bool dynamicBatch = true)
{
    /// <summary>Appends the nodes computing <paramref name="module"/>(<paramref name="x"/>); <paramref name="path"/> is its dotted state-dict prefix.</summary>
    public OnnxValue Export(Module module, OnnxValue x, string path) => module switch
    {
        Sequential s => Sequential(s, x, path),
        Linear l => Linear(l, x, path),
        Conv2d c => Conv2d(c, x, path),
        Conv1d c => Conv1d(c, x, path),
        MaxPool2d p => MaxPool2d(p, x, path),
        AvgPool2d p => AvgPool2d(p, x, path),
        AdaptiveAvgPool2d p => AdaptiveAvgPool2d(p, x, path),
        BatchNormBase b => BatchNorm(b, x, path),
        LayerNorm l => LayerNorm(l, x, path),
        RNNBase r => Recurrent(r, x, path),
        ReLU => Elementwise("Relu", x, path),
        Sigmoid => Elementwise("Sigmoid", x, path),
        Tanh => Elementwise("Tanh", x, path),
        LeakyReLU l => Elementwise("LeakyRelu", x, path, Attribute("alpha", (float)l.NegativeSlope)),
        GELU => Gelu(x, path),
        Softmax s => AlongAxis("Softmax", s.Dim, x, path),
        LogSoftmax s => AlongAxis("LogSoftmax", s.Dim, x, path),
        Flatten f => Flatten(f, x, path),
        Unflatten u => Unflatten(u, x, path),
        Dropout or Identity => Elementwise("Identity", x, path),
        IRecurrentClassifier c => RecurrentClassifier(module, c, x, path),
        _ => ModuleTracer.Trace(graph, module, x, path, dynamicBatch),
    };

    internal static string Child(string path, string name) => path.Length == 0 ? name : path + "." + name;

    /// <summary>The module's state-dict path as messages show it: <c>(root)</c> for the model itself.</summary>
    internal static string Where(string path) => path.Length == 0 ? "(root)" : path;

    internal static string NodeName(string path, string op) => Child(path, op);

    /// <summary>Each child in order, named by its key (0, 1, …) so initializers carry the state-dict names.</summary>
    private OnnxValue Sequential(Sequential sequential, OnnxValue x, string path)
    {
        foreach (var (name, child) in sequential.NamedChildren())
        {
            x = Export(child, x, Child(path, name));
        }

        return x;
    }

    /// <summary>
    /// y = x·Wᵀ + b: one Gemm(x, W, b, transB=1) for a 2-D input, else MatMul(x, Transpose(W)) + b
    /// (MatMul broadcasts over the leading dimensions, as Linear does).
    /// </summary>
    private OnnxValue Linear(Linear linear, OnnxValue x, string path)
    {
        if (x.Rank == 0 || x.Shape[^1] != linear.InFeatures)
        {
            throw new ArgumentException($"ONNX export: '{Where(path)}' is Linear({linear.InFeatures}, {linear.OutFeatures}) but its input has shape {x.FormatShape()}");
        }

        string weight = graph.AddInitializer(Child(path, "weight"), linear.Weight);
        string? bias = linear.Bias is { } b ? graph.AddInitializer(Child(path, "bias"), b) : null;
        int[] shape = [.. x.Shape[..^1], linear.OutFeatures];
        if (x.Rank == 2)
        {
            string[] inputs = bias is null ? [x.Name, weight] : [x.Name, weight, bias];
            return new(graph.AddNode("Gemm", NodeName(path, "Gemm"), inputs, Attribute("transB", 1L)), shape);
        }

        string transposed = graph.AddNode("Transpose", NodeName(path, "weight_T"), [weight], Attribute("perm", [1L, 0L]));
        string y = graph.AddNode("MatMul", NodeName(path, "MatMul"), [x.Name, transposed]);
        return new(bias is null ? y : graph.AddNode("Add", NodeName(path, "Add"), [y, bias]), shape);
    }

    /// <summary>An op that keeps the shape: Relu, Sigmoid, Tanh, LeakyRelu, Identity.</summary>
    private OnnxValue Elementwise(string op, OnnxValue x, string path, params Backprop.Onnx.Proto.AttributeProto[] attributes) =>
        new(graph.AddNode(op, NodeName(path, op), [x.Name], attributes), x.Shape);

    /// <summary>
    /// Exact GELU, y = x·Φ(x) = x · ½(1 + erf(x/√2)): the Gelu op from opset 20, before that its
    /// definition written with Div, Erf, Add and two Muls.
    /// </summary>
    private OnnxValue Gelu(OnnxValue x, string path)
    {
        if (graph.Opset >= 20)
        {
            return Elementwise("Gelu", x, path, Attribute("approximate", "none"));
        }

        string sqrt2 = graph.AddConstant(NodeName(path, "sqrt2"), [MathF.Sqrt(2)]);
        string one = graph.AddConstant(NodeName(path, "one"), [1f]);
        string half = graph.AddConstant(NodeName(path, "half"), [0.5f]);
        string scaled = graph.AddNode("Div", NodeName(path, "Div"), [x.Name, sqrt2]);
        string erf = graph.AddNode("Erf", NodeName(path, "Erf"), [scaled]);
        string onePlus = graph.AddNode("Add", NodeName(path, "Add"), [erf, one]);
        string times = graph.AddNode("Mul", NodeName(path, "Mul"), [x.Name, onePlus]);
        return new(graph.AddNode("Mul", NodeName(path, "Mul"), [times, half]), x.Shape);
    }

    /// <summary>Softmax or LogSoftmax over one axis (opset 13+ semantics: along that axis only, as PyTorch's dim).</summary>
    private OnnxValue AlongAxis(string op, int dim, OnnxValue x, string path)
    {
        int axis = WrapDim(path, op, dim, x);
        return Elementwise(op, x, path, Attribute("axis", (long)axis));
    }

    /// <summary>
    /// Merges dims start..end: ONNX Flatten(axis=1) for the usual (N, …) → (N, rest); any other range
    /// as a Reshape whose target copies the leading dims (0) and infers the merged one (-1).
    /// </summary>
    private OnnxValue Flatten(Flatten flatten, OnnxValue x, string path)
    {
        if (x.Rank == 0)
        {
            return Elementwise("Identity", x, path);
        }

        int start = WrapDim(path, "Flatten start_dim", flatten.StartDim, x);
        int end = WrapDim(path, "Flatten end_dim", flatten.EndDim, x);
        if (start > end)
        {
            throw new ArgumentException($"ONNX export: '{Where(path)}' Flatten has start_dim {flatten.StartDim} after end_dim {flatten.EndDim} for an input of shape {x.FormatShape()}");
        }

        int merged = 1;
        for (int i = start; i <= end; i++)
        {
            merged *= x.Shape[i];
        }

        int[] shape = [.. x.Shape[..start], merged, .. x.Shape[(end + 1)..]];
        if (start == 1 && end == x.Rank - 1)
        {
            return new(graph.AddNode("Flatten", NodeName(path, "Flatten"), [x.Name], Attribute("axis", 1L)), shape);
        }

        // The batch dimension (0) may differ at run time: copy it (0) when it is kept, infer it (-1)
        // when it is merged; every other target dim is fixed.
        long[] target = new long[shape.Length];
        for (int i = 0; i < target.Length; i++)
        {
            target[i] = i < start ? 0 : i == start ? (start == 0 ? -1 : merged) : shape[i];
        }

        string targetName = graph.AddInt64Constant(NodeName(path, "shape"), target);
        return new(graph.AddNode("Reshape", NodeName(path, "Reshape"), [x.Name, targetName]), shape);
    }

    /// <summary>
    /// Splits one dim into <see cref="NN.Unflatten.UnflattenedSize"/> as a Reshape with a constant target.
    /// The batch dimension stays dynamic: it is copied (0) when another dim is split, and when dim 0
    /// itself is split the size given as −1 stays −1 (inferred from the batch at run time). Every other
    /// target dim is written out, a −1 resolved from the traced shape, since Reshape allows one −1.
    /// </summary>
    private OnnxValue Unflatten(Unflatten unflatten, OnnxValue x, string path)
    {
        if (x.Rank == 0)
        {
            throw new ArgumentException($"ONNX export: '{Where(path)}' Unflatten cannot split a scalar input");
        }

        int dim = WrapDim(path, "Unflatten", unflatten.Dim, x);
        int[] sizes = unflatten.UnflattenedSize;
        long known = sizes.Where(s => s != -1).Aggregate(1L, (a, s) => a * s);
        bool fits = sizes.Contains(-1) ? x.Shape[dim] % known == 0 : x.Shape[dim] == known;
        if (!fits)
        {
            throw new ArgumentException(
                $"ONNX export: '{Where(path)}' Unflatten cannot split dimension {unflatten.Dim} of size {x.Shape[dim]} (input shape {x.FormatShape()}) into ({string.Join(", ", sizes)})");
        }

        int[] resolved = [.. sizes.Select(s => s == -1 ? (int)(x.Shape[dim] / known) : s)];
        int[] shape = [.. x.Shape[..dim], .. resolved, .. x.Shape[(dim + 1)..]];
        long[] target = new long[shape.Length];
        for (int i = 0; i < target.Length; i++)
        {
            bool split = i >= dim && i < dim + sizes.Length;
            target[i] = i == 0 && dim > 0 ? 0 : split && dim == 0 && sizes[i] == -1 ? -1 : shape[i];
        }

        string targetName = graph.AddInt64Constant(NodeName(path, "shape"), target);
        return new(graph.AddNode("Reshape", NodeName(path, "Reshape"), [x.Name, targetName]), shape);
    }

    private static int WrapDim(string path, string what, int dim, OnnxValue x)
    {
        int wrapped = dim < 0 ? dim + x.Rank : dim;
        if (wrapped < 0 || wrapped >= x.Rank)
        {
            throw new ArgumentException($"ONNX export: '{Where(path)}' {what} dim {dim} is out of range for an input of shape {x.FormatShape()}");
        }

        return wrapped;
    }
}
