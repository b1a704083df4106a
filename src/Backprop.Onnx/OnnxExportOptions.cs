namespace Backprop.Onnx;

/// <summary>Settings of <see cref="OnnxExport"/> (the keyword arguments of <c>torch.onnx.export</c>).</summary>
public sealed record OnnxExportOptions
{
    /// <summary>The ai.onnx opset version (<c>opset_version</c>), 17 to 21.</summary>
    public int Opset { get; init; } = OnnxExport.DefaultOpset;

    /// <summary>The graph input's name (<c>input_names=['input']</c>).</summary>
    public string InputName { get; init; } = "input";

    /// <summary>The graph output's name (<c>output_names=['output']</c>).</summary>
    public string OutputName { get; init; } = "output";

    /// <summary>
    /// Declares dimension 0 of the input and output as a symbolic <c>batch</c> dimension, so the file
    /// accepts any batch size (<c>dynamic_axes={'input': {0: 'batch'}, 'output': {0: 'batch'}}</c>).
    /// </summary>
    public bool DynamicBatch { get; init; } = true;

    /// <summary>
    /// What the file divides its input by before the model sees it (1: nothing), so a consumer feeds
    /// raw features (pixels 0..255, say) and the preprocessing travels inside the graph as one Div.
    /// </summary>
    public double InputScale { get; init; } = 1;

    /// <summary>The graph's name.</summary>
    public string GraphName { get; init; } = "backprop";

    /// <summary>A human-readable description stored in the model (<c>doc_string</c>).</summary>
    public string? DocString { get; init; }

    /// <summary>Key/value pairs stored in the model's <c>metadata_props</c>.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}
