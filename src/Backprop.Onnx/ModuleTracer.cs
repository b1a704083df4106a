using System.Runtime.InteropServices;
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
/// A second Forward, on another sample (one batch larger when the batch is dynamic), must record the
/// same ops and the same constants: a constant computed from the input outside the graph (a
/// comparison, an argmax, a tensor shaped like the batch) or control flow on the input's values would
/// otherwise be frozen into the file at the traced values, so it is refused instead.
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
    /// <param name="graph">The graph to append to.</param>
    /// <param name="module">The module whose Forward is traced.</param>
    /// <param name="x">The module's input value.</param>
    /// <param name="path">The module's state-dict prefix.</param>
    /// <param name="dynamicBatch">Whether dim 0 of the input is the batch, which the file leaves free (then the check trace uses another batch size).</param>
    public static OnnxValue Trace(OnnxGraphBuilder graph, Module module, OnnxValue x, string path, bool dynamicBatch) =>
        new ModuleTracer(graph, module, path).Run(x, dynamicBatch);

    private OnnxValue Run(OnnxValue x, bool dynamicBatch)
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
        var order = TopologicalOrder(output);
        foreach (var tensor in order)
        {
            _values[tensor] = tensor.GradFn is { } node ? Lower(node, tensor) : Leaf(tensor);
        }

        int[] checkShape = dynamicBatch && x.Rank >= 2 ? [x.Shape[0] + 1, .. x.Shape[1..]] : x.Shape;
        RequireSameGraph(order, sample, checkShape);
        return new(_values[output], output.Shape);
    }

    /// <summary>
    /// Traces Forward again on another sample of <paramref name="shape"/> and refuses the export unless
    /// it records the same ops in the same order, with the same constants (values and shapes).
    /// </summary>
    private void RequireSameGraph(List<Tensor> order, Tensor sample, int[] shape)
    {
        var other = Tensor.Randn(shape, seed: 1).RequiresGrad_();
        Tensor output;
        try
        {
            output = Forward(other);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new NotSupportedException(
                $"ONNX export: module '{Where()}' (a {_module.GetType().Name}) fails on a batch of {shape[0]} ({e.Message}), so the file cannot take any batch size; export with DynamicBatch = false", e);
        }

        var again = TopologicalOrder(output);
        for (int i = 0; i < Math.Max(order.Count, again.Count); i++)
        {
            var (first, second) = (i < order.Count ? order[i] : null, i < again.Count ? again[i] : null);
            if (first is null || second is null || first.GradFn?.Op.Name != second.GradFn?.Op.Name)
            {
                throw new NotSupportedException(
                    $"ONNX export: module '{Where()}' (a {_module.GetType().Name}) records different ops for another input " +
                    $"({Describe(second)} where the traced input recorded {Describe(first)}): control flow that depends on the input cannot be traced into a file");
            }

            bool constant = first.GradFn is null && !ReferenceEquals(first, sample) && !_stateNames.ContainsKey(first);
            if (constant && !SameConstant(first, second))
            {
                string consumer = order.Skip(i + 1).FirstOrDefault(t => t.GradFn?.Inputs.Any(input => ReferenceEquals(input, first)) == true)?.GradFn?.Op.ToString() ?? "the output";
                throw new NotSupportedException(
                    $"ONNX export: module '{Where()}' (a {_module.GetType().Name}) makes a constant of shape ({string.Join(", ", first.Shape)}) for {consumer} " +
                    "that changes with the input (computed from it outside the graph, e.g. by a comparison or argmax, or shaped like the batch); " +
                    "the file would freeze it at the traced values");
            }
        }
    }

    private static bool SameConstant(Tensor first, Tensor second) =>
        first.DType == second.DType && first.Shape.AsSpan().SequenceEqual(second.Shape) && first.DType switch
        {
            // Bit patterns, so that a NaN constant equals itself.
            DType.Float32 => MemoryMarshal.Cast<float, int>(first.ToArray<float>()).SequenceEqual(MemoryMarshal.Cast<float, int>(second.ToArray<float>())),
            DType.Float64 => MemoryMarshal.Cast<double, long>(first.ToArray<double>()).SequenceEqual(MemoryMarshal.Cast<double, long>(second.ToArray<double>())),
            DType.Int64 => first.ToArray<long>().AsSpan().SequenceEqual(second.ToArray<long>()),
            _ => false,
        };

    private static string Describe(Tensor? tensor) => tensor switch
    {
        null => "nothing",
        { GradFn: { } node } => node.Op.Name,
        _ => "a leaf",
    };

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

    /// <summary>Every tensor the output depends on through recorded ops, each after its inputs.</summary>
    private static List<Tensor> TopologicalOrder(Tensor output) => Autograd.TopologicalOrder(output, allInputs: true);

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

    private string Child(string name) => ModuleExporter.Child(_path, name);

    private string NodeName(string op) => ModuleExporter.NodeName(_path, op);

    private string Where() => ModuleExporter.Where(_path);

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
