namespace Backprop;

/// <summary>The type of an <see cref="OnnxAttribute"/>'s value (ONNX's <c>AttributeProto.AttributeType</c>).</summary>
public enum OnnxAttributeKind
{
    /// <summary>A 64-bit integer (<c>INT</c>).</summary>
    Int,

    /// <summary>A 32-bit float (<c>FLOAT</c>).</summary>
    Float,

    /// <summary>A UTF-8 string (<c>STRING</c>).</summary>
    String,

    /// <summary>A list of 64-bit integers (<c>INTS</c>).</summary>
    Ints,

    /// <summary>A list of UTF-8 strings (<c>STRINGS</c>).</summary>
    Strings,
}

/// <summary>
/// One attribute of an ONNX node as plain data, e.g. <c>new OnnxAttribute("axis", 1)</c> or
/// <c>new OnnxAttribute("perm", [1, 0])</c>; the exporter turns it into the file's attribute.
/// </summary>
public sealed record OnnxAttribute
{
    /// <summary>An integer attribute (<c>axis</c>, <c>transB</c>, <c>keepdims</c>, …).</summary>
    public OnnxAttribute(string name, long value)
        : this(name, OnnxAttributeKind.Int, value)
    {
    }

    /// <summary>A float attribute (<c>alpha</c>, <c>epsilon</c>, …).</summary>
    public OnnxAttribute(string name, float value)
        : this(name, OnnxAttributeKind.Float, value)
    {
    }

    /// <summary>A string attribute (<c>approximate</c>, <c>auto_pad</c>, …).</summary>
    public OnnxAttribute(string name, string value)
        : this(name, OnnxAttributeKind.String, value)
    {
        ArgumentNullException.ThrowIfNull(value);
    }

    /// <summary>An integer list attribute (<c>perm</c>, <c>pads</c>, <c>kernel_shape</c>, …); the values are copied.</summary>
    public OnnxAttribute(string name, long[] values)
        : this(name, OnnxAttributeKind.Ints, (long[])(values ?? throw new ArgumentNullException(nameof(values))).Clone())
    {
    }

    /// <summary>A string list attribute (the RNN op's <c>activations</c>); the values are copied.</summary>
    public OnnxAttribute(string name, string[] values)
        : this(name, OnnxAttributeKind.Strings, (string[])(values ?? throw new ArgumentNullException(nameof(values))).Clone())
    {
    }

    private OnnxAttribute(string name, OnnxAttributeKind kind, object value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Kind = kind;
        Value = value;
    }

    /// <summary>The attribute's name as the ONNX operator defines it.</summary>
    public string Name { get; }

    /// <summary>Which of the constructors made it, so which type <see cref="Value"/> has.</summary>
    public OnnxAttributeKind Kind { get; }

    /// <summary>The value: a <see cref="long"/>, <see cref="float"/>, <see cref="string"/>, <see cref="long"/>[] or <see cref="string"/>[], as <see cref="Kind"/> says.</summary>
    public object Value { get; }
}
