using System.Globalization;
using System.Text;
using Backprop.NN;

namespace Backprop.Diagnostics;

/// <summary>
/// A model's layers with their output shapes and parameter counts, the totals and memory estimates,
/// as torchinfo's <c>summary(model, input_size)</c> reports them: <see cref="Of"/> runs one forward
/// pass on zeros of the given shape (in evaluation mode, under <see cref="Autograd.NoGrad"/>, so
/// nothing is recorded and no running statistic moves) and records every module's output with a
/// forward hook; <see cref="ToString"/> is the table. A module is seen only when it is run through
/// <see cref="Module.Call"/>, as the built-in containers and models do; one run by a direct
/// <see cref="Module.Forward"/> shows <c>--</c> as its output shape but still counts its parameters.
/// </summary>
public sealed class ModelSummary
{
    private ModelSummary(int[] inputShape, int[] outputShape, DType dtype, IReadOnlyList<LayerSummary> layers, Module model)
    {
        InputShape = inputShape;
        OutputShape = outputShape;
        DType = dtype;
        Layers = layers;
        var parameters = model.Parameters().ToList();
        TotalParameters = parameters.Sum(p => (long)p.Numel);
        TrainableParameters = parameters.Where(p => p.RequiresGrad).Sum(p => (long)p.Numel);
        var buffers = model.Buffers().ToList();
        BufferElements = buffers.Sum(b => (long)b.Numel);
        ParameterBytes = parameters.Sum(p => (long)p.Numel * p.DType.ElementSize()) + buffers.Sum(b => (long)b.Numel * b.DType.ElementSize());
        InputBytes = Shapes.Numel(inputShape) * (long)dtype.ElementSize();
        ForwardActivationBytes = layers.Where(l => l.IsLeaf).Sum(l => l.OutputBytes);
    }

    /// <summary>The input shape the pass ran on, batch dimension included.</summary>
    public IReadOnlyList<int> InputShape { get; }

    /// <summary>The model's output shape for that input.</summary>
    public IReadOnlyList<int> OutputShape { get; }

    /// <summary>The element type of the input: the model's first parameter's (float32 for a model without parameters).</summary>
    public DType DType { get; }

    /// <summary>Every module in pre-order (<see cref="Module.NamedModules"/>), the model first.</summary>
    public IReadOnlyList<LayerSummary> Layers { get; }

    /// <summary>The parameter elements of the whole model, each shared tensor once (<see cref="Module.NumParameters"/>).</summary>
    public long TotalParameters { get; }

    /// <summary>The parameter elements that require grad.</summary>
    public long TrainableParameters { get; }

    /// <summary>The parameter elements that do not require grad (frozen).</summary>
    public long NonTrainableParameters => TotalParameters - TrainableParameters;

    /// <summary>The buffer elements of the whole model (not parameters: running statistics and the like).</summary>
    public long BufferElements { get; }

    /// <summary>The bytes of the input tensor.</summary>
    public long InputBytes { get; }

    /// <summary>The bytes of the parameters and buffers.</summary>
    public long ParameterBytes { get; }

    /// <summary>
    /// The bytes of every leaf module's outputs in the pass (torchinfo's forward pass size without its
    /// factor 2): what a training step keeps for the backward pass, about as much again being its gradients.
    /// </summary>
    public long ForwardActivationBytes { get; }

    /// <summary>Input, activations and parameters together: a lower bound of a forward pass's memory.</summary>
    public long TotalBytes => InputBytes + ForwardActivationBytes + ParameterBytes;

    /// <summary>Runs <paramref name="model"/> once on zeros of <paramref name="inputShape"/> and summarizes it (torchinfo's <c>summary(model, input_size)</c>).</summary>
    /// <param name="model">The model; its training mode, gradients and running statistics are left as they were.</param>
    /// <param name="inputShape">The input's shape, batch dimension included, e.g. <c>1, 784</c>.</param>
    /// <returns>The summary; its <see cref="ToString"/> is the table.</returns>
    /// <exception cref="ArgumentException">The shape is empty or has a size below 1, or the model's forward refuses an input of that shape (its message included).</exception>
    public static ModelSummary Of(Module model, params int[] inputShape)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Length == 0 || Array.Exists(inputShape, d => d < 1))
        {
            throw new ArgumentException($"ModelSummary: the input shape must have at least one dimension, each at least 1, got ({string.Join(", ", inputShape)})", nameof(inputShape));
        }

        var shape = (int[])inputShape.Clone();
        var dtype = model.Parameters().FirstOrDefault()?.DType ?? DType.Float32;
        var modules = model.NamedModules().ToList();
        var outputs = modules.Select(_ => new List<Tensor>()).ToList();
        var modes = modules.Select(m => m.Module.IsTraining).ToList();
        var handles = new List<RemovableHandle>();
        Tensor output;
        try
        {
            for (int i = 0; i < modules.Count; i++)
            {
                var seen = outputs[i];
                handles.Add(modules[i].Module.RegisterForwardHook((_, _, o) => seen.Add(o)));
            }

            model.Eval();
            using (Autograd.NoGrad())
            {
                output = model.Call(Tensor.Zeros(shape, dtype));
            }
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new ArgumentException($"ModelSummary: the model's forward failed on an input of shape ({string.Join(", ", shape)}): {ex.Message}", nameof(inputShape), ex);
        }
        finally
        {
            handles.ForEach(h => h.Remove());

            // Pre-order: a module's Train sets its subtree, then each descendant restores its own.
            for (int i = 0; i < modules.Count; i++)
            {
                modules[i].Module.Train(modes[i]);
            }
        }

        var depths = new Dictionary<string, int>(StringComparer.Ordinal);
        var layers = new List<LayerSummary>(modules.Count);
        for (int i = 0; i < modules.Count; i++)
        {
            var (name, module) = modules[i];

            // The parent is the nearest module before this one whose key prefixes this one's.
            string? parent = i == 0 ? null : depths.Keys.Where(k => k.Length == 0 || name.StartsWith(k + ".", StringComparison.Ordinal)).MaxBy(k => k.Length);
            int depth = parent is null ? 0 : depths[parent] + 1;
            depths[name] = depth;
            var own = module.Parameters(recurse: false).ToList();
            var calls = outputs[i];
            layers.Add(new LayerSummary(
                name,
                TypeNameOf(module),
                depth,
                calls.Count == 0 ? null : calls[0].Shape,
                calls.Count,
                own.Sum(p => (long)p.Numel),
                own.Where(p => p.RequiresGrad).Sum(p => (long)p.Numel),
                module.Buffers(recurse: false).Sum(b => (long)b.Numel),
                calls.Sum(o => (long)o.Numel * o.DType.ElementSize()))
            {
                IsLeaf = !module.Children().Any(),
                Key = parent is null ? name : parent.Length == 0 ? name : name[(parent.Length + 1)..],
            });
        }

        return new ModelSummary(shape, output.Shape, dtype, layers, model);
    }

    /// <summary>
    /// The table: one row per module, indented by depth, with its output shape (<c>--</c> if the pass
    /// did not call it) and its own parameter count (<c>--</c> for a module without parameters of its
    /// own), then the totals and the memory estimates in megabytes (10⁶ bytes, as torchinfo).
    /// </summary>
    /// <returns>The table's text, lines separated by <c>\n</c>.</returns>
    public override string ToString()
    {
        var rows = Layers.Select(l => (
            Layer: new string(' ', 2 * l.Depth) + (l.Depth == 0 ? l.TypeName : $"{l.Key}: {l.TypeName}"),
            Shape: l.OutputShape is null ? "--" : "[" + string.Join(", ", l.OutputShape) + "]" + (l.Calls > 1 ? $" ×{l.Calls}" : ""),
            Params: l.Parameters == 0 ? "--" : Count(l.Parameters) + (l.TrainableParameters < l.Parameters ? " (frozen)" : ""))).ToList();
        const string LayerTitle = "Layer (type)", ShapeTitle = "Output shape", ParamTitle = "Param #";
        int w1 = Math.Max(LayerTitle.Length, rows.Max(r => r.Layer.Length)) + 2;
        int w2 = Math.Max(ShapeTitle.Length, rows.Max(r => r.Shape.Length)) + 2;
        int w3 = Math.Max(ParamTitle.Length, rows.Max(r => r.Params.Length));
        string rule = new('=', w1 + w2 + w3), thin = new('-', w1 + w2 + w3);
        var sb = new StringBuilder();
        sb.Append(rule).Append('\n');
        sb.Append(LayerTitle.PadRight(w1)).Append(ShapeTitle.PadRight(w2)).Append(ParamTitle.PadLeft(w3)).Append('\n');
        sb.Append(rule).Append('\n');
        foreach (var (layer, shape, parameters) in rows)
        {
            sb.Append(layer.PadRight(w1)).Append(shape.PadRight(w2)).Append(parameters.PadLeft(w3)).Append('\n');
        }

        sb.Append(rule).Append('\n');
        sb.Append("Total params: ").Append(Count(TotalParameters)).Append('\n');
        sb.Append("Trainable params: ").Append(Count(TrainableParameters)).Append('\n');
        sb.Append("Non-trainable params: ").Append(Count(NonTrainableParameters)).Append('\n');
        sb.Append("Buffer elements: ").Append(Count(BufferElements)).Append('\n');
        sb.Append(thin).Append('\n');
        sb.Append(CultureInfo.InvariantCulture, $"Input size ({string.Join(", ", InputShape)}, {DType.ToString().ToLowerInvariant()}) (MB): {Megabytes(InputBytes)}\n");
        sb.Append("Forward activations (MB): ").Append(Megabytes(ForwardActivationBytes)).Append('\n');
        sb.Append("Params and buffers (MB): ").Append(Megabytes(ParameterBytes)).Append('\n');
        sb.Append("Estimated total (MB): ").Append(Megabytes(TotalBytes)).Append('\n');
        sb.Append(rule);
        return sb.ToString();
    }

    private static string TypeNameOf(Module module)
    {
        string name = module.GetType().Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick < 0 ? name : name[..tick];
    }

    private static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Megabytes(long bytes) => (bytes / 1e6).ToString("F2", CultureInfo.InvariantCulture);
}
