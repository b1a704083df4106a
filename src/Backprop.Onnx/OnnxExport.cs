using Backprop.NN;
using Backprop.Onnx.Proto;
using Backprop.Serialization;
using Google.Protobuf;

namespace Backprop.Onnx;

/// <summary>
/// Writes a model as a standard ONNX file (<c>torch.onnx.export(model, example, f, opset_version=17,
/// dynamic_axes={'input': {0: 'batch'}, 'output': {0: 'batch'}})</c>): one graph whose initializers
/// are the parameters under their state-dict names, readable by ONNX Runtime and any other ONNX
/// consumer. The inference behaviour is exported (Dropout is the identity).
/// </summary>
public static class OnnxExport
{
    /// <summary>The opset written unless <see cref="OnnxExportOptions.Opset"/> says otherwise.</summary>
    public const int DefaultOpset = 17;

    /// <summary>The lowest opset the exporter writes.</summary>
    public const int MinOpset = 17;

    /// <summary>The highest opset the exporter writes.</summary>
    public const int MaxOpset = 21;

    /// <summary>
    /// Exports <paramref name="model"/> for inputs of shape <paramref name="inputShape"/> (batch
    /// dimension first; it is dynamic in the file unless <see cref="OnnxExportOptions.DynamicBatch"/> is
    /// false) to <paramref name="path"/>, written atomically: a reader or a crash never sees half a file.
    /// </summary>
    /// <param name="model">The model exported, whose Forward is traced.</param>
    /// <param name="path">The .onnx file written.</param>
    /// <param name="inputShape">The input's shape, batch dim first.</param>
    /// <param name="options">Export settings (opset, names, input scaling), or null for the defaults.</param>
    /// <exception cref="NotSupportedException">A module or dtype the exporter does not support; the message names it.</exception>
    /// <exception cref="ArgumentException">An input shape the model cannot take; the message names the layer and the shapes.</exception>
    public static void Save(Module model, string path, int[] inputShape, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var proto = ToModelProto(model, inputShape, options ?? new OnnxExportOptions());
        AtomicFile.Write(path, stream => proto.WriteTo(stream));
    }

    /// <summary>The ONNX file <see cref="Save"/> would write, as bytes (for an in-memory session).</summary>
    /// <param name="model">The model exported, whose Forward is traced.</param>
    /// <param name="inputShape">The input's shape, batch dim first.</param>
    /// <param name="options">Export settings (opset, names, input scaling), or null for the defaults.</param>
    /// <returns>The serialized ONNX model.</returns>
    public static byte[] ToBytes(Module model, int[] inputShape, OnnxExportOptions? options = null) =>
        ToModelProto(model, inputShape, options ?? new OnnxExportOptions()).ToByteArray();

    internal static ModelProto ToModelProto(Module model, int[] inputShape, OnnxExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputShape);
        ArgumentNullException.ThrowIfNull(options);
        Validate(inputShape, options);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX export: raw tensor data is little-endian and this machine is not");
        }

        var graph = new OnnxGraphBuilder(options.Opset);
        string inputName = graph.UniqueName(options.InputName);
        var input = new OnnxValue(inputName, (int[])inputShape.Clone());
        if (options.InputScale != 1)
        {
            string divisor = graph.AddConstant("input_scale", [(float)options.InputScale]);
            input = input with { Name = graph.AddNode("Div", "scale_input", [inputName, divisor]) };
        }

        var output = ModuleTracer.Trace(graph, model, input, options.DynamicBatch);

        // The node computing the output is renamed to the requested output name; a model that adds
        // no node (an empty Sequential) gets an Identity, so input and output are distinct values.
        string outputName = graph.UniqueName(options.OutputName);
        if (graph.Graph.Node.Count == 0 || graph.Graph.Node[^1].Output[0] != output.Name)
        {
            graph.Graph.Node.Add(new NodeProto { OpType = "Identity", Name = outputName, Input = { output.Name }, Output = { outputName } });
        }
        else
        {
            graph.Graph.Node[^1].Output[0] = outputName;
        }

        bool dynamic = options.DynamicBatch && inputShape.Length >= 2 && output.Rank >= 1;
        graph.Graph.Name = options.GraphName;
        graph.Graph.Input.Add(OnnxGraphBuilder.FloatValueInfo(inputName, inputShape, dynamic ? "batch" : null));
        graph.Graph.Output.Add(OnnxGraphBuilder.FloatValueInfo(outputName, output.Shape, dynamic ? "batch" : null));

        var modelProto = new ModelProto
        {
            IrVersion = IrVersion(options.Opset),
            ProducerName = "Backprop",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString(3) ?? "0",
            Graph = graph.Graph,
            OpsetImport = { new OperatorSetIdProto { Domain = "", Version = options.Opset } },
        };
        if (options.DocString is { } doc)
        {
            modelProto.DocString = doc;
        }

        foreach (var (key, value) in options.Metadata ?? new Dictionary<string, string>())
        {
            modelProto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return modelProto;
    }

    /// <summary>The IR version that introduced each opset (onnx/docs/Versioning.md): readers check the pair.</summary>
    private static long IrVersion(int opset) => opset switch
    {
        <= 18 => 8,
        <= 20 => 9,
        _ => 10,
    };

    private static void Validate(int[] inputShape, OnnxExportOptions options)
    {
        if (options.Opset is < MinOpset or > MaxOpset)
        {
            throw new ArgumentException($"ONNX export: opset {options.Opset} is not supported (use {MinOpset} to {MaxOpset})");
        }

        if (inputShape.Length == 0 || inputShape.Any(d => d <= 0))
        {
            throw new ArgumentException($"ONNX export: the input shape must have at least one dimension, all positive, got ({string.Join(", ", inputShape)})");
        }

        if (!double.IsFinite(options.InputScale) || options.InputScale <= 0)
        {
            throw new ArgumentException($"ONNX export: the input scale must be a positive finite number, got {options.InputScale}");
        }

        if (string.IsNullOrEmpty(options.InputName) || string.IsNullOrEmpty(options.OutputName))
        {
            throw new ArgumentException("ONNX export: the input and output names must not be empty");
        }
    }
}
