using System.Runtime.InteropServices;
using Backprop.Onnx.Proto;
using Google.Protobuf;

namespace Backprop.Onnx;

/// <summary>
/// A value flowing through the exported graph: its ONNX name and its shape for the example input
/// the export was traced with (the batch dimension may be declared dynamic in the file).
/// </summary>
internal readonly record struct OnnxValue(string Name, int[] Shape)
{
    public int Rank => Shape.Length;

    public string FormatShape() => "(" + string.Join(", ", Shape) + ")";
}

/// <summary>
/// Appends nodes and initializers to an ONNX graph, keeping every value name unique. Knows ONNX,
/// not modules: <see cref="ModuleTracer"/> lowers the ops a module records into them.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<Tensor, string> _initializers = new(ReferenceEqualityComparer.Instance);

    public OnnxGraphBuilder(int opset)
    {
        Opset = opset;
    }

    /// <summary>The ai.onnx opset the nodes are written for.</summary>
    public int Opset { get; }

    public GraphProto Graph { get; } = new();

    /// <summary>Reserves <paramref name="hint"/>, or <c>hint_1</c>, <c>hint_2</c>, … if it is taken.</summary>
    public string UniqueName(string hint)
    {
        string name = hint;
        for (int i = 1; !_names.Add(name); i++)
        {
            name = $"{hint}_{i}";
        }

        return name;
    }

    /// <summary>
    /// Stores a float32 parameter as an initializer named <paramref name="name"/> (its state-dict key)
    /// and returns the name; the same tensor reached twice (a shared module) is stored once.
    /// </summary>
    public string AddInitializer(string name, Tensor tensor)
    {
        if (_initializers.TryGetValue(tensor, out var existing))
        {
            return existing;
        }

        string unique;
        if (tensor.DType == DType.Int64)
        {
            // An index tensor made inside a traced Forward (the indices of a gather).
            unique = UniqueName(name);
            Graph.Initializer.Add(Int64Tensor(unique, tensor.ToArray<long>(), tensor.Shape));
        }
        else
        {
            RequireFloat32(name, tensor);
            unique = UniqueName(name);
            Graph.Initializer.Add(FloatTensor(unique, tensor.ToArray<float>(), tensor.Shape));
        }

        _initializers[tensor] = unique;
        return unique;
    }

    /// <summary>Throws naming the parameter unless it is float32: the file stores float32 only.</summary>
    public static void RequireFloat32(string name, Tensor tensor)
    {
        if (tensor.DType != DType.Float32)
        {
            throw new NotSupportedException($"ONNX export: parameter '{name}' is {tensor.DType.Name()}; only float32 models can be exported");
        }
    }

    /// <summary>A float32 constant initializer (a scalar when <paramref name="dims"/> is empty).</summary>
    public string AddConstant(string hint, float[] values, params int[] dims)
    {
        string name = UniqueName(hint);
        Graph.Initializer.Add(FloatTensor(name, values, dims));
        return name;
    }

    /// <summary>A 1-D int64 constant initializer, for shape and axes inputs.</summary>
    public string AddInt64Constant(string hint, long[] values)
    {
        string name = UniqueName(hint);
        Graph.Initializer.Add(Int64Tensor(name, values, [values.Length]));
        return name;
    }

    /// <summary>
    /// Appends a node of the default (ai.onnx) domain computing <paramref name="opType"/> of
    /// <paramref name="inputs"/>, named <paramref name="nodeName"/>; returns its single output's name.
    /// </summary>
    public string AddNode(string opType, string nodeName, IEnumerable<string> inputs, params AttributeProto[] attributes)
    {
        string name = UniqueName(nodeName);
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(name);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return name;
    }

    /// <summary>
    /// Appends a node with several outputs, named <c>nodeName_output</c> for each name in
    /// <paramref name="outputs"/>, or left out ("", as ONNX marks an optional output nobody reads)
    /// where that name is null; returns the output names in order ("" for those left out).
    /// </summary>
    public string[] AddNode(string opType, string nodeName, IEnumerable<string> inputs, string?[] outputs, params AttributeProto[] attributes)
    {
        string name = UniqueName(nodeName);
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        string[] names = [.. outputs.Select(o => o is null ? "" : UniqueName(name + "_" + o))];
        node.Output.AddRange(names);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return names;
    }

    /// <summary>The file's form of an attribute an op definition's lowering wrote as plain data.</summary>
    public static AttributeProto Attribute(OnnxAttribute attribute) => attribute.Kind switch
    {
        OnnxAttributeKind.Int => Attribute(attribute.Name, (long)attribute.Value),
        OnnxAttributeKind.Float => Attribute(attribute.Name, (float)attribute.Value),
        OnnxAttributeKind.String => Attribute(attribute.Name, (string)attribute.Value),
        OnnxAttributeKind.Ints => Attribute(attribute.Name, (long[])attribute.Value),
        OnnxAttributeKind.Strings => Attribute(attribute.Name, (string[])attribute.Value),
        _ => throw new ArgumentOutOfRangeException(nameof(attribute), attribute.Kind, "unknown ONNX attribute kind"),
    };

    public static AttributeProto Attribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Attribute(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Attribute(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Attribute(string name, long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto Attribute(string name, string[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        attribute.Strings.AddRange(values.Select(ByteString.CopyFromUtf8));
        return attribute;
    }

    /// <summary>
    /// A graph input or output of element type float32; dimension 0 is named <paramref name="batchName"/>
    /// (any size at run time) when it is not null.
    /// </summary>
    public static ValueInfoProto FloatValueInfo(string name, int[] shape, string? batchName)
    {
        var tensorShape = new TensorShapeProto();
        for (int i = 0; i < shape.Length; i++)
        {
            tensorShape.Dim.Add(i == 0 && batchName is not null
                ? new TensorShapeProto.Types.Dimension { DimParam = batchName }
                : new TensorShapeProto.Types.Dimension { DimValue = shape[i] });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto
            {
                TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = tensorShape },
            },
        };
    }

    private static TensorProto Int64Tensor(string name, long[] values, int[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.AddRange(dims.Select(d => (long)d));
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        return tensor;
    }

    private static TensorProto FloatTensor(string name, float[] values, int[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims.Select(d => (long)d));

        // raw_data is little-endian by the spec; every platform .NET runs this library on is little-endian.
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan()));
        return tensor;
    }
}
