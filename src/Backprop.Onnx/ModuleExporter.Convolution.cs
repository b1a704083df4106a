using Backprop.Kernels;
using Backprop.NN;
using static Backprop.Onnx.OnnxGraphBuilder;

namespace Backprop.Onnx;

/// <summary>
/// Convolution and pooling layers. ONNX writes padding as [begin of each spatial axis…, end of each…],
/// so PyTorch's symmetric (pH, pW) becomes pads = [pH, pW, pH, pW]. These ops need the batch axis:
/// an unbatched (C, H, W) input is refused by name rather than exported with a wrong dynamic axis.
/// </summary>
internal sealed partial class ModuleExporter
{
    /// <summary>Conv2d → Conv(x, weight[, bias]) with kernel_shape, strides, pads, dilations and group.</summary>
    private OnnxValue Conv2d(Conv2d conv, OnnxValue x, string path)
    {
        RequireBatched(conv, x, path, 4, conv.InChannels);
        int outH = Window2d.OutputSize(x.Shape[2], conv.KernelSize.Height, conv.Stride.Height, conv.Padding.Height, conv.Dilation.Height);
        int outW = Window2d.OutputSize(x.Shape[3], conv.KernelSize.Width, conv.Stride.Width, conv.Padding.Width, conv.Dilation.Width);
        RequireOutput(conv, x, path, outH, outW);
        return Conv(
            x,
            path,
            conv.Weight,
            conv.Bias,
            [x.Shape[0], conv.OutChannels, outH, outW],
            Attribute("kernel_shape", [conv.KernelSize.Height, conv.KernelSize.Width]),
            Attribute("strides", [conv.Stride.Height, conv.Stride.Width]),
            Attribute("pads", Pads(conv.Padding)),
            Attribute("dilations", [conv.Dilation.Height, conv.Dilation.Width]),
            Attribute("group", (long)conv.Groups));
    }

    /// <summary>Conv1d → the same Conv op with one spatial axis: (N, C, L) input, 1-D attributes.</summary>
    private OnnxValue Conv1d(Conv1d conv, OnnxValue x, string path)
    {
        RequireBatched(conv, x, path, 3, conv.InChannels);
        int outL = Window2d.OutputSize(x.Shape[2], conv.KernelSize, conv.Stride, conv.Padding, conv.Dilation);
        RequireOutput(conv, x, path, outL);
        return Conv(
            x,
            path,
            conv.Weight,
            conv.Bias,
            [x.Shape[0], conv.OutChannels, outL],
            Attribute("kernel_shape", [(long)conv.KernelSize]),
            Attribute("strides", [(long)conv.Stride]),
            Attribute("pads", [(long)conv.Padding, conv.Padding]),
            Attribute("dilations", [(long)conv.Dilation]),
            Attribute("group", (long)conv.Groups));
    }

    /// <summary>
    /// MaxPool2d → MaxPool with the same window; padding never wins a max in either, and ceil_mode keeps
    /// a last partial window unless it would start in the padding (PyTorch's rule, which ONNX Runtime follows).
    /// </summary>
    private OnnxValue MaxPool2d(MaxPool2d pool, OnnxValue x, string path)
    {
        RequireBatched(pool, x, path, 4, channels: null);
        int outH = Window2d.OutputSize(x.Shape[2], pool.KernelSize.Height, pool.Stride.Height, pool.Padding.Height, pool.Dilation.Height, pool.CeilMode);
        int outW = Window2d.OutputSize(x.Shape[3], pool.KernelSize.Width, pool.Stride.Width, pool.Padding.Width, pool.Dilation.Width, pool.CeilMode);
        RequireOutput(pool, x, path, outH, outW);
        string y = graph.AddNode(
            "MaxPool",
            NodeName(path, "MaxPool"),
            [x.Name],
            Attribute("kernel_shape", [pool.KernelSize.Height, pool.KernelSize.Width]),
            Attribute("strides", [pool.Stride.Height, pool.Stride.Width]),
            Attribute("pads", Pads(pool.Padding)),
            Attribute("dilations", [pool.Dilation.Height, pool.Dilation.Width]),
            Attribute("ceil_mode", pool.CeilMode ? 1L : 0L));
        return new(y, [x.Shape[0], x.Shape[1], outH, outW]);
    }

    /// <summary>
    /// AvgPool2d → AveragePool. count_include_pad means the same in both: the divisor counts the zero
    /// padding (but not the part of a ceil_mode window beyond it) or only the taps inside the input.
    /// </summary>
    private OnnxValue AvgPool2d(AvgPool2d pool, OnnxValue x, string path)
    {
        RequireBatched(pool, x, path, 4, channels: null);
        int outH = Window2d.OutputSize(x.Shape[2], pool.KernelSize.Height, pool.Stride.Height, pool.Padding.Height, 1, pool.CeilMode);
        int outW = Window2d.OutputSize(x.Shape[3], pool.KernelSize.Width, pool.Stride.Width, pool.Padding.Width, 1, pool.CeilMode);
        RequireOutput(pool, x, path, outH, outW);
        return AveragePool(
            x,
            path,
            [x.Shape[0], x.Shape[1], outH, outW],
            Attribute("kernel_shape", [pool.KernelSize.Height, pool.KernelSize.Width]),
            Attribute("strides", [pool.Stride.Height, pool.Stride.Width]),
            Attribute("pads", Pads(pool.Padding)),
            Attribute("ceil_mode", pool.CeilMode ? 1L : 0L),
            Attribute("count_include_pad", pool.CountIncludePad ? 1L : 0L));
    }

    /// <summary>
    /// AdaptiveAvgPool2d has no ONNX op. Output 1×1 is GlobalAveragePool. Otherwise its windows
    /// [⌊i·H/OH⌋, ⌈(i+1)·H/OH⌉) are those of an AveragePool with kernel = stride = H/OH exactly when OH
    /// divides H (and OW divides W); the traced input size decides, and any other size is refused.
    /// </summary>
    private OnnxValue AdaptiveAvgPool2d(AdaptiveAvgPool2d pool, OnnxValue x, string path)
    {
        RequireBatched(pool, x, path, 4, channels: null);
        var (outH, outW) = (pool.OutputSize.Height, pool.OutputSize.Width);
        int[] shape = [x.Shape[0], x.Shape[1], outH, outW];
        if (outH == 1 && outW == 1)
        {
            return new(graph.AddNode("GlobalAveragePool", NodeName(path, "GlobalAveragePool"), [x.Name]), shape);
        }

        int height = x.Shape[2], width = x.Shape[3];
        if (height % outH != 0 || width % outW != 0)
        {
            throw new NotSupportedException(
                $"ONNX export: '{Where(path)}' is {pool} and its input {x.FormatShape()} has {height}x{width} planes, which {outH}x{outW} does not divide: " +
                "ONNX has no adaptive pooling, and its uneven windows match no AveragePool (export for an input size that divides evenly, or use output size 1)");
        }

        long kernelH = height / outH, kernelW = width / outW;
        return AveragePool(
            x,
            path,
            shape,
            Attribute("kernel_shape", [kernelH, kernelW]),
            Attribute("strides", [kernelH, kernelW]));
    }

    private OnnxValue Conv(OnnxValue x, string path, Tensor weight, Tensor? bias, int[] shape, params Backprop.Onnx.Proto.AttributeProto[] attributes)
    {
        string w = graph.AddInitializer(Child(path, "weight"), weight);
        string[] inputs = bias is null ? [x.Name, w] : [x.Name, w, graph.AddInitializer(Child(path, "bias"), bias)];
        return new(graph.AddNode("Conv", NodeName(path, "Conv"), inputs, attributes), shape);
    }

    private OnnxValue AveragePool(OnnxValue x, string path, int[] shape, params Backprop.Onnx.Proto.AttributeProto[] attributes) =>
        new(graph.AddNode("AveragePool", NodeName(path, "AveragePool"), [x.Name], attributes), shape);

    /// <summary>ONNX pads for PyTorch's symmetric padding: [top, left, bottom, right].</summary>
    private static long[] Pads(Size2 padding) => [padding.Height, padding.Width, padding.Height, padding.Width];

    /// <summary>The input must be (N, C, spatial…) of <paramref name="rank"/> dims with <paramref name="channels"/> channels when given.</summary>
    private static void RequireBatched(Module module, OnnxValue x, string path, int rank, int? channels)
    {
        if (x.Rank == rank && (channels is not int c || x.Shape[1] == c))
        {
            return;
        }

        string spatial = rank == 4 ? "H, W" : "L";
        string expected = channels is int ch ? $"(N, {ch}, {spatial})" : $"(N, C, {spatial})";
        string unbatched = x.Rank == rank - 1 ? " (the batch dimension is needed: export for a batch of one)" : "";
        throw new ArgumentException($"ONNX export: '{Where(path)}' is {module} and takes input {expected}, but its input has shape {x.FormatShape()}{unbatched}");
    }

    /// <summary>A window that does not fit the (padded) input leaves an empty output: refused with the sizes.</summary>
    private static void RequireOutput(Module module, OnnxValue x, string path, params int[] outputSize)
    {
        if (outputSize.All(s => s >= 1))
        {
            return;
        }

        throw new ArgumentException(
            $"ONNX export: '{Where(path)}' is {module} and its input {x.FormatShape()} is too small for the window: the output would be {string.Join("x", outputSize)}");
    }
}
