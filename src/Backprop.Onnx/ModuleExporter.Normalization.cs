using Backprop.NN;
using static Backprop.Onnx.OnnxGraphBuilder;

namespace Backprop.Onnx;

/// <summary>
/// Normalization layers. BatchNorm is exported as it computes in evaluation, from its running
/// statistics (BatchNormalization, training_mode 0); a layer left in training mode normalizes with
/// each batch's own statistics instead, so it is refused rather than silently exported as something else.
/// </summary>
internal sealed partial class ModuleExporter
{
    /// <summary>
    /// BatchNorm1d/2d in evaluation → BatchNormalization(x, γ, β, running_mean, running_var, epsilon):
    /// y = (x − running_mean)/√(running_var + eps)·γ + β per channel (dim 1); γ = 1 and β = 0 when not affine.
    /// </summary>
    private OnnxValue BatchNorm(BatchNormBase norm, OnnxValue x, string path)
    {
        bool rankFits = norm is BatchNorm2d ? x.Rank == 4 : x.Rank is 2 or 3;
        if (!rankFits || x.Shape[1] != norm.NumFeatures)
        {
            string expected = norm is BatchNorm2d ? $"(N, {norm.NumFeatures}, H, W)" : $"(N, {norm.NumFeatures}) or (N, {norm.NumFeatures}, L)";
            throw new ArgumentException($"ONNX export: '{Where(path)}' is {norm} and takes input {expected}, but its input has shape {x.FormatShape()}");
        }

        if (norm.IsTraining)
        {
            throw new NotSupportedException(
                $"ONNX export: '{Where(path)}' is {norm} in training mode, where it normalizes each batch with that batch's statistics; " +
                "call model.Eval() before exporting, so the file normalizes with the running statistics as evaluation does");
        }

        if (norm.RunningMean is not { } mean || norm.RunningVar is not { } variance)
        {
            throw new NotSupportedException(
                $"ONNX export: '{Where(path)}' is {norm}, which keeps no running statistics and so normalizes with each batch's statistics even in evaluation; ONNX BatchNormalization needs a fixed mean and variance");
        }

        int channels = norm.NumFeatures;
        string scale = norm.Weight is { } w ? graph.AddInitializer(Child(path, "weight"), w) : graph.AddConstant(NodeName(path, "weight"), Filled(channels, 1f), channels);
        string shift = norm.Bias is { } b ? graph.AddInitializer(Child(path, "bias"), b) : graph.AddConstant(NodeName(path, "bias"), Filled(channels, 0f), channels);
        string y = graph.AddNode(
            "BatchNormalization",
            NodeName(path, "BatchNormalization"),
            [x.Name, scale, shift, graph.AddInitializer(Child(path, "running_mean"), mean), graph.AddInitializer(Child(path, "running_var"), variance)],
            Attribute("epsilon", (float)norm.Eps));
        return new(y, x.Shape);
    }

    /// <summary>
    /// LayerNorm → LayerNormalization (opset 17) over the trailing normalized_shape dims (axis = −len):
    /// y = (x − μ)/√(σ² + eps)·weight + bias per sample; weight = 1 (and no bias) without elementwise affine.
    /// </summary>
    private OnnxValue LayerNorm(LayerNorm norm, OnnxValue x, string path)
    {
        int[] normalized = norm.NormalizedShape;
        if (x.Rank < normalized.Length || !x.Shape.AsSpan(x.Rank - normalized.Length).SequenceEqual(normalized))
        {
            throw new ArgumentException(
                $"ONNX export: '{Where(path)}' is {norm} and normalizes trailing dims ({string.Join(", ", normalized)}), but its input has shape {x.FormatShape()}");
        }

        int count = normalized.Aggregate(1, (a, d) => a * d);
        string scale = norm.Weight is { } w ? graph.AddInitializer(Child(path, "weight"), w) : graph.AddConstant(NodeName(path, "weight"), Filled(count, 1f), normalized);
        string[] inputs = norm.Bias is { } b ? [x.Name, scale, graph.AddInitializer(Child(path, "bias"), b)] : [x.Name, scale];
        string y = graph.AddNode(
            "LayerNormalization",
            NodeName(path, "LayerNormalization"),
            inputs,
            Attribute("axis", (long)-normalized.Length),
            Attribute("epsilon", (float)norm.Eps));
        return new(y, x.Shape);
    }

    private static float[] Filled(int count, float value)
    {
        var values = new float[count];
        Array.Fill(values, value);
        return values;
    }
}
