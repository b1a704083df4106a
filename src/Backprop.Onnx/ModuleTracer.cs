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
/// Every model is exported this way, the library's layers and a user's own module with a hand-written
/// Forward alike: what the file holds is what the ops recorded, each lowered by its own definition.
/// A second Forward, on another sample (twice the batch when the batch is dynamic), must record the
/// same ops and the same constants: a constant computed from the input outside the graph (a
/// comparison, an argmax, a tensor shaped like the batch) or control flow on the input's values would
/// otherwise be frozen into the file at the traced values, so it is refused instead.
/// </summary>
internal sealed class ModuleTracer
{
    private readonly OnnxGraphBuilder _graph;
    private readonly Module _module;
    private readonly Dictionary<Tensor, string> _stateNames = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Tensor, string> _values = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Node, string[]> _multiOutputs = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Tensor, bool[]> _batchDims = new(ReferenceEqualityComparer.Instance);
    private int _constants;

    private ModuleTracer(OnnxGraphBuilder graph, Module module)
    {
        _graph = graph;
        _module = module;
    }

    /// <summary>
    /// Appends the nodes computing <paramref name="module"/>(<paramref name="x"/>), traced from one
    /// Forward.
    /// </summary>
    /// <param name="graph">The graph to append to.</param>
    /// <param name="module">The module whose Forward is traced.</param>
    /// <param name="x">The module's input value.</param>
    /// <param name="dynamicBatch">Whether dim 0 of the input is the batch, which the file leaves free (then the check trace uses another batch size).</param>
    public static OnnxValue Trace(OnnxGraphBuilder graph, Module module, OnnxValue x, bool dynamicBatch) =>
        new ModuleTracer(graph, module).Run(x, dynamicBatch);

    private OnnxValue Run(OnnxValue x, bool dynamicBatch)
    {
        if (_module.NamedModules().FirstOrDefault(m => m.Module is FrozenModule) is ({ } frozenName, { } frozen))
        {
            throw new ArgumentException(
                $"ONNX export: module '{(frozenName.Length == 0 ? Where() : frozenName)}' is frozen (Module.Freeze: a {frozen}): it records no graph to trace; export the module it was frozen from");
        }

        foreach (var (name, parameter) in _module.NamedParameters())
        {
            string key = name;
            OnnxGraphBuilder.RequireFloat32(key, parameter);
            _stateNames.TryAdd(parameter, key);
        }

        foreach (var (name, buffer) in _module.NamedBuffers())
        {
            _stateNames.TryAdd(buffer, name);
        }

        var sample = Tensor.Randn(x.Shape, seed: 0).RequiresGrad_();
        Tensor output;
        try
        {
            output = Forward(sample);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new ArgumentException(
                $"ONNX export: module '{Where()}' (a {_module.GetType().Name}) cannot run on an input of shape ({string.Join(", ", x.Shape)}): {e.Message}", e);
        }

        if (output.DType != DType.Float32)
        {
            throw new NotSupportedException(
                $"ONNX export: module '{Where()}' (a {_module.GetType().Name}) returns a {output.DType.Name()} tensor; only float32 outputs can be exported");
        }

        _values[sample] = x.Name;
        var order = TopologicalOrder(output);
        // Twice the batch: a model that splits or reshapes the batch by a factor still runs on it.
        int[] checkShape = dynamicBatch && x.Rank >= 2 ? [x.Shape[0] * 2, .. x.Shape[1..]] : x.Shape;
        var again = TraceAgain(order, checkShape);

        // The dims that change with the batch size: those whose sizes differ between the two traces.
        for (int i = 0; i < order.Count; i++)
        {
            _batchDims[order[i]] = [.. order[i].Shape.Select((size, d) => again[i].Shape.Length != order[i].Shape.Length || again[i].Shape[d] != size)];
        }

        foreach (var tensor in order)
        {
            _values[tensor] = tensor.GradFn is { } node ? Lower(node, tensor) : Leaf(tensor);
        }

        RequireSameConstants(order, again, sample);
        return new(_values[output], output.Shape);
    }

    /// <summary>
    /// Traces Forward again on another sample of <paramref name="shape"/> and refuses the export unless
    /// it records the same ops in the same order. Returns the second trace's tensors, one for each of
    /// <paramref name="order"/>.
    /// </summary>
    private List<Tensor> TraceAgain(List<Tensor> order, int[] shape)
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
        }

        return again;
    }

    /// <summary>
    /// Refuses the export unless the second trace made the same constants (values and shapes) as the
    /// first: one computed from the input outside the graph would be frozen into the file.
    /// </summary>
    private void RequireSameConstants(List<Tensor> order, List<Tensor> again, Tensor sample)
    {
        for (int i = 0; i < order.Count; i++)
        {
            var (first, second) = (order[i], again[i]);
            bool constant = first.GradFn is null && !ReferenceEquals(first, sample) && !_stateNames.ContainsKey(first);
            if (constant && !SameConstant(first, second))
            {
                var consumer = order.Skip(i + 1).FirstOrDefault(t => t.GradFn?.Inputs.Any(input => ReferenceEquals(input, first)) == true)?.GradFn;
                string site = consumer is not null && AnomalyMode.CreationSite(consumer) is { } where ? $" (at {where})" : "";
                throw new NotSupportedException(
                    $"ONNX export: module '{Where()}' (a {_module.GetType().Name}) makes a constant of shape ({string.Join(", ", first.Shape)}) for {consumer?.Op.ToString() ?? "the output"}{site} " +
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
            using (AnomalyMode.RecordCreationSites())
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

        string constant = _graph.AddInitializer($"const_{_constants}", tensor);
        _constants++;
        return constant;
    }

    /// <summary>
    /// The value name of <paramref name="output"/>: its node's lowering, run once per node (an op with
    /// several outputs is lowered when the first of them is reached, and the others take their names).
    /// </summary>
    private string Lower(Node node, Tensor output)
    {
        if (node.OutputCount > 1 && _multiOutputs.TryGetValue(node, out var known))
        {
            return known[output.OutputNr];
        }

        var lowering = new NodeLowering(this, node, output);
        string[] names;
        try
        {
            names = node.Op.LowerOutputsToOnnx(lowering);
        }
        catch (NotSupportedException e)
        {
            string site = AnomalyMode.CreationSite(node) is { } where ? $"created at {where}" : $"recorded by the Forward of module '{Where()}', a {_module.GetType().Name}";
            throw new NotSupportedException($"ONNX export: {e.Message} ({site})", e);
        }

        if (names.Length != node.OutputCount)
        {
            throw new InvalidOperationException($"ONNX export: the lowering of {node.Op} returned {names.Length} values for {node.OutputCount} outputs");
        }

        if (node.OutputCount > 1)
        {
            _multiOutputs[node] = names;
        }

        return names[output.OutputNr];
    }

    /// <summary>The traced module as messages name it: the model itself.</summary>
    private static string Where() => "(root)";

    /// <summary>One node's view of the export: its inputs' value names and shapes, and the graph to append to.</summary>
    private sealed class NodeLowering(ModuleTracer tracer, Node node, Tensor output) : IOnnxLowering
    {
        public int Opset => tracer._graph.Opset;

        public int InputCount => node.Inputs.Count;

        public int[] OutputShape => output.Shape;

        public string Input(int index) => tracer._values[node.Inputs[index]];

        public int[] InputShape(int index) => node.Inputs[index].Shape;

        public bool[] InputBatchDims(int index) => tracer._batchDims.GetValueOrDefault(node.Inputs[index]) ?? new bool[node.Inputs[index].Rank];

        public bool[] OutputBatchDims => tracer._batchDims[output];

        public string Node(string opType, IReadOnlyList<string> inputs, params OnnxAttribute[] attributes) =>
            tracer._graph.AddNode(opType, opType, inputs, [.. attributes.Select(OnnxGraphBuilder.Attribute)]);

        public string[] Node(string opType, IReadOnlyList<string> inputs, int outputCount, params OnnxAttribute[] attributes) =>
            tracer._graph.AddNode(
                opType,
                opType,
                inputs,
                [.. Enumerable.Range(0, outputCount).Select(i => (string?)i.ToString(System.Globalization.CultureInfo.InvariantCulture))],
                [.. attributes.Select(OnnxGraphBuilder.Attribute)]);

        public string Constant(float[] values, int[] dims) => tracer._graph.AddConstant(node.Op.Name + "_const", values, dims);

        public string Int64s(long[] values) => tracer._graph.AddInt64Constant(node.Op.Name + "_ints", values);

        public string Tensor(Tensor value) => tracer.Leaf(value);
    }
}
