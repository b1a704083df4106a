using Backprop.NN;

namespace Backprop.Onnx;

/// <summary>
/// Exports a module by tracing: runs its Forward once, in evaluation mode and with grad recording on,
/// on a sample input of the traced shape, then walks the recorded graph from the output in
/// topological order and lets each node's <see cref="OpDefinition.LowerToOnnx"/> append its ONNX
/// nodes. Leaves become the graph's values: the sample input is the module's input value, the
/// module's parameters and buffers are initializers under their state-dict names, and any other
/// leaf (a constant made inside Forward, such as the 2 of <c>2 * x</c>) an initializer <c>const_N</c>.
/// This is how a user's own module with a hand-written Forward is exported.
/// </summary>
internal sealed class ModuleTracer
{
    private readonly OnnxGraphBuilder _graph;
    private readonly Module _module;
    private readonly string _path;
    private readonly Dictionary<Tensor, string> _stateNames = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Tensor, string> _values = new(ReferenceEqualityComparer.Instance);
    private int _constants;

    private ModuleTracer(OnnxGraphBuilder graph, Module module, string path)
    {
        _graph = graph;
        _module = module;
        _path = path;
    }

    /// <summary>
    /// Appends the nodes computing <paramref name="module"/>(<paramref name="x"/>), traced from one
    /// Forward; <paramref name="path"/> is the module's dotted state-dict prefix ("" for the model).
    /// </summary>
    public static OnnxValue Trace(OnnxGraphBuilder graph, Module module, OnnxValue x, string path) =>
        new ModuleTracer(graph, module, path).Run(x);

    private OnnxValue Run(OnnxValue x)
    {
        foreach (var (name, parameter) in _module.NamedParameters())
        {
            string key = Child(name);
            OnnxGraphBuilder.RequireFloat32(key, parameter);
            _stateNames.TryAdd(parameter, key);
        }

        foreach (var (name, buffer) in _module.NamedBuffers())
        {
            _stateNames.TryAdd(buffer, Child(name));
        }

        var sample = Tensor.Randn(x.Shape, seed: 0).RequiresGrad_();
        var output = Forward(sample);
        if (output.DType != DType.Float32)
        {
            throw new NotSupportedException(
                $"ONNX export: module '{Where()}' (a {_module.GetType().Name}) returns a {output.DType.Name()} tensor; only float32 outputs can be exported");
        }

        _values[sample] = x.Name;
        foreach (var tensor in TopologicalOrder(output))
        {
            _values[tensor] = tensor.GradFn is { } node ? Lower(node, tensor) : Leaf(tensor);
        }

        return new(_values[output], output.Shape);
    }

    /// <summary>Runs Forward once in evaluation mode with grad recording on, then restores every module's mode.</summary>
    private Tensor Forward(Tensor sample)
    {
        var modes = _module.Modules().Select(m => (Module: m, m.IsTraining)).ToList();
        _module.Eval();
        try
        {
            using (Autograd.EnableGrad())
            {
                return _module.Forward(sample);
            }
        }
        finally
        {
            // Pre-order: each Train sets a whole subtree, and the descendants that follow set their own.
            foreach (var (module, training) in modes)
            {
                module.Train(training);
            }
        }
    }

    /// <summary>Every tensor the output depends on through recorded ops, each after its inputs (an iterative post-order walk).</summary>
    private static List<Tensor> TopologicalOrder(Tensor output)
    {
        var order = new List<Tensor>();
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance) { output };
        var stack = new Stack<(Tensor Tensor, int Next)>();
        stack.Push((output, 0));
        while (stack.Count > 0)
        {
            var (tensor, next) = stack.Pop();
            var inputs = tensor.GradFn?.Inputs ?? [];
            if (next < inputs.Count)
            {
                stack.Push((tensor, next + 1));
                if (seen.Add(inputs[next]))
                {
                    stack.Push((inputs[next], 0));
                }
            }
            else
            {
                order.Add(tensor);
            }
        }

        return order;
    }

    /// <summary>A leaf: the sample input (named already), a parameter or buffer under its state-dict key, or a constant.</summary>
    private string Leaf(Tensor tensor)
    {
        if (_values.TryGetValue(tensor, out var name))
        {
            return name;
        }

        if (_stateNames.TryGetValue(tensor, out var key))
        {
            return _graph.AddInitializer(key, tensor);
        }

        string constant = _graph.AddInitializer(NodeName($"const_{_constants}"), tensor);
        _constants++;
        return constant;
    }

    private string Lower(Node node, Tensor output)
    {
        var lowering = new NodeLowering(this, node, output);
        try
        {
            return node.Op.LowerToOnnx(lowering);
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException(
                $"ONNX export: {e.Message} (recorded by the Forward of module '{Where()}', a {_module.GetType().Name})", e);
        }
    }

    private string Child(string name) => _path.Length == 0 ? name : _path + "." + name;

    private string NodeName(string op) => _path.Length == 0 ? op : _path + "." + op;

    private string Where() => _path.Length == 0 ? "(root)" : _path;

    /// <summary>One node's view of the export: its inputs' value names and shapes, and the graph to append to.</summary>
    private sealed class NodeLowering(ModuleTracer tracer, Node node, Tensor output) : IOnnxLowering
    {
        public int Opset => tracer._graph.Opset;

        public int InputCount => node.Inputs.Count;

        public int[] OutputShape => output.Shape;

        public string Input(int index) => tracer._values[node.Inputs[index]];

        public int[] InputShape(int index) => node.Inputs[index].Shape;

        public string Node(string opType, IReadOnlyList<string> inputs, params OnnxAttribute[] attributes) =>
            tracer._graph.AddNode(opType, tracer.NodeName(opType), inputs, [.. attributes.Select(OnnxGraphBuilder.Attribute)]);

        public string[] Node(string opType, IReadOnlyList<string> inputs, int outputCount, params OnnxAttribute[] attributes) =>
            tracer._graph.AddNode(
                opType,
                tracer.NodeName(opType),
                inputs,
                [.. Enumerable.Range(0, outputCount).Select(i => (string?)i.ToString(System.Globalization.CultureInfo.InvariantCulture))],
                [.. attributes.Select(OnnxGraphBuilder.Attribute)]);

        public string Constant(float[] values, int[] dims) => tracer._graph.AddConstant(tracer.NodeName(node.Op.Name + "_const"), values, dims);

        public string Int64s(long[] values) => tracer._graph.AddInt64Constant(tracer.NodeName(node.Op.Name + "_ints"), values);

        public string Tensor(Tensor value) => tracer.Leaf(value);
    }
}
