using Backprop.NN;
using Backprop.Onnx;
using Backprop.Onnx.Proto;

namespace Backprop.Tests.Onnx;

/// <summary>Convolutions with padding "same" and each padding_mode, and F.Pad, exported and run in ONNX Runtime.</summary>
public sealed class OnnxPaddingTests
{
    private const double Tolerance = 1e-4;

    public static TheoryData<string, Func<Module>, int[]> Models()
    {
        var g = new Generator(7);
        return new TheoryData<string, Func<Module>, int[]>
        {
            { "conv2d same, odd kernel and dilation", () => new Conv2d(3, 4, 3, padding: "same", dilation: 2, generator: g), [1, 3, 7, 6] },
            { "conv2d same, even kernel (a Pad node for the odd total)", () => new Conv2d(3, 4, (4, 2), padding: "same", generator: g), [1, 3, 7, 6] },
            { "conv2d valid", () => new Conv2d(3, 4, 3, padding: "valid", generator: g), [1, 3, 7, 6] },
            { "conv2d reflect", () => new Conv2d(3, 4, 3, padding: (1, 2), paddingMode: PaddingMode.Reflect, generator: g), [1, 3, 7, 6] },
            { "conv2d same replicate, even kernel", () => new Conv2d(3, 4, (2, 4), padding: "same", paddingMode: PaddingMode.Replicate, generator: g), [1, 3, 7, 6] },
            { "conv2d circular, stride and dilation", () => new Conv2d(3, 4, 3, stride: 2, padding: (2, 1), dilation: (1, 2), paddingMode: PaddingMode.Circular, generator: g), [1, 3, 7, 6] },
            { "conv1d same, even kernel", () => new Conv1d(3, 5, 4, padding: "same", generator: g), [1, 3, 11] },
            { "conv1d same reflect, dilation", () => new Conv1d(3, 5, 4, padding: "same", dilation: 2, paddingMode: PaddingMode.Reflect, generator: g), [1, 3, 11] },
            { "conv1d circular", () => new Conv1d(3, 5, 3, padding: 2, paddingMode: PaddingMode.Circular, generator: g), [1, 3, 11] },
            { "conv1d replicate", () => new Conv1d(3, 5, 3, padding: 1, paddingMode: PaddingMode.Replicate, generator: g), [1, 3, 11] },
            { "F.Pad each mode, negative pads and a value", () => new Pads(), [1, 2, 6, 7] },
        };
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void OnnxRuntimeMatchesTheLibraryAtAnotherBatch(string name, Func<Module> create, int[] traceShape)
    {
        // Traced at batch 1, run at batch 3: the Pad, Slice and Concat nodes keep the batch dynamic.
        int[] runShape = [3, .. traceShape[1..]];
        OnnxRuntimeRunner.AssertMatchesForward(create(), traceShape, Tensor.Randn(runShape, seed: name.Length) * 2, Tolerance);
    }

    [Theory]
    [InlineData(17)]
    [InlineData(18)]
    [InlineData(21)]
    public void EveryOpsetMatches(int opset)
    {
        var model = new Sequential(
            new Conv2d(2, 3, (4, 3), padding: "same", generator: new Generator(1)),
            new Conv2d(3, 3, 3, padding: 1, paddingMode: PaddingMode.Circular, generator: new Generator(2)),
            new Conv2d(3, 2, 3, padding: "same", paddingMode: PaddingMode.Reflect, generator: new Generator(3)));
        byte[] onnx = OnnxExport.ToBytes(model, [1, 2, 5, 6], new OnnxExportOptions { Opset = opset });
        var x = Tensor.Randn([2, 2, 5, 6], seed: opset);
        model.Eval();
        Tensor expected;
        using (Backprop.Autograd.NoGrad())
        {
            expected = model.Forward(x);
        }

        var (actual, _) = OnnxRuntimeRunner.Run(onnx, x);
        Assert.True(OnnxRuntimeRunner.MaxAbsDifference(expected.ToArray<float>(), actual) <= Tolerance);
    }

    [Fact]
    public void PaddingModesLowerToPadAndCircularToSliceAndConcat()
    {
        var g = new Generator(4);
        var model = new Sequential(
            new Conv2d(1, 1, 3, padding: 1, paddingMode: PaddingMode.Reflect, generator: g),
            new Conv2d(1, 1, 3, padding: 1, paddingMode: PaddingMode.Replicate, generator: g),
            new Conv2d(1, 1, 3, padding: 1, paddingMode: PaddingMode.Circular, generator: g),
            new Conv2d(1, 1, 2, padding: "same", generator: g));
        var graph = ModelProto.Parser.ParseFrom(OnnxExport.ToBytes(model, [1, 1, 5, 5])).Graph;
        var pads = graph.Node.Where(n => n.OpType == "Pad").Select(n => n.Attribute.Single(a => a.Name == "mode").S.ToStringUtf8());
        Assert.Equal(["reflect", "edge", "constant"], pads);
        Assert.Equal(4, graph.Node.Count(n => n.OpType == "Conv"));
        Assert.Equal(2, graph.Node.Count(n => n.OpType == "Concat"));
        // The padding is all in the Pad and Concat nodes: every Conv pads nothing.
        Assert.All(graph.Node.Where(n => n.OpType == "Conv"), n => Assert.Equal([0L, 0, 0, 0], n.Attribute.Single(a => a.Name == "pads").Ints));
    }

    /// <summary>F.Pad in every mode, with negative pads and a constant value, between two small convolutions.</summary>
    private sealed class Pads : Module
    {
        public Conv2d Conv { get; } = new(2, 2, 3, generator: new Generator(5));

        public override Tensor Forward(Tensor input)
        {
            var x = F.Pad(input, [-1, 2, 1, -2], PadMode.Circular);
            x = F.Pad(x, [-5, 2, 0, 0], PadMode.Reflect); // reads past what the crop keeps, as PyTorch
            x = F.Pad(x, [2, 0, 0, 1], PadMode.Replicate);
            x = F.Pad(x, [1, -1, 0, 2], value: 0.25);
            return Conv.Forward(F.Pad(x, [1, 1, 1, 1], PadMode.Reflect));
        }
    }
}
