using Backprop.NN;
using Backprop.Onnx;
using Backprop.Onnx.Proto;
using Backprop.Tests.Serialization;

namespace Backprop.Tests.Onnx;

public sealed class OnnxExportTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    /// <summary>Every supported module, alone or in the stacks a user builds, with an input shape it takes.</summary>
    public static TheoryData<string, Func<Module>, int[]> Models()
    {
        var g = new Generator(42);
        return new TheoryData<string, Func<Module>, int[]>
        {
            { "linear", () => new Linear(7, 5, generator: g), [4, 7] },
            { "linear without bias", () => new Linear(7, 5, bias: false, generator: g), [4, 7] },
            { "linear on 3-D input (MatMul path)", () => new Linear(6, 3, generator: g), [2, 5, 6] },
            { "linear without bias on 3-D input", () => new Linear(6, 3, bias: false, generator: g), [2, 5, 6] },
            { "mlp relu", () => new Sequential(new Linear(10, 16, generator: g), new ReLU(), new Linear(16, 4, generator: g)), [8, 10] },
            { "sigmoid", () => new Sequential(new Linear(5, 9, generator: g), new Sigmoid()), [3, 5] },
            { "tanh", () => new Sequential(new Linear(5, 9, generator: g), new Tanh()), [3, 5] },
            { "leaky relu", () => new Sequential(new Linear(5, 9, generator: g), new LeakyReLU(0.2)), [3, 5] },
            { "gelu", () => new Sequential(new Linear(5, 9, generator: g), new GELU()), [3, 5] },
            { "softmax", () => new Sequential(new Linear(5, 6, generator: g), new Softmax(1)), [3, 5] },
            { "softmax dim -1 of 3-D", () => new Sequential(new Linear(5, 6, generator: g), new Softmax(-1)), [2, 3, 5] },
            { "softmax dim 1 of 3-D", () => new Softmax(1), [2, 3, 5] },
            { "log softmax", () => new Sequential(new Linear(5, 6, generator: g), new LogSoftmax(1)), [3, 5] },
            { "flatten", () => new Sequential(new Flatten(), new Linear(2 * 3 * 4, 5, generator: g)), [2, 2, 3, 4] },
            { "flatten 2..3", () => new Sequential(new Flatten(2, 3), new Linear(12, 5, generator: g)), [2, 2, 3, 4] },
            { "flatten 0..1", () => new Flatten(0, 1), [2, 3, 4] },
            { "flatten all", () => new Flatten(0, -1), [2, 3, 4] },
            { "dropout in training mode exports as identity", () => new Sequential(new Linear(6, 6, generator: g), new Dropout(0.5), new ReLU()), [4, 6] },
            { "identity", () => new Identity(), [3, 4] },
            { "empty sequential", () => new Sequential(), [3, 4] },
            { "nested sequential", () => new Sequential(new Sequential(new Linear(4, 8, generator: g), new Tanh()), new Sequential(new Linear(8, 2, generator: g))), [5, 4] },
            { "spec relu dropout", () => ModelSpec.Parse("64-32-16-10:relu:dropout=0.2").Build(g), [9, 64] },
            { "spec leaky_relu", () => ModelSpec.Parse("20-12-3:leaky_relu").Build(g), [9, 20] },
            { "spec gelu", () => ModelSpec.Parse("20-12-3:gelu").Build(g), [9, 20] },
            { "conv2d", () => new Conv2d(3, 4, 3, generator: g), [2, 3, 7, 6] },
            { "conv2d without bias", () => new Conv2d(3, 4, 3, bias: false, generator: g), [2, 3, 7, 6] },
            { "conv2d stride padding dilation", () => new Conv2d(3, 6, (3, 2), stride: (2, 1), padding: (1, 2), dilation: (2, 3), generator: g), [2, 3, 9, 8] },
            { "conv2d groups", () => new Conv2d(4, 6, 3, padding: 1, groups: 2, generator: g), [2, 4, 5, 5] },
            { "conv2d depthwise", () => new Conv2d(4, 4, 3, stride: 2, groups: 4, bias: false, generator: g), [3, 4, 8, 7] },
            { "conv2d 1x1", () => new Conv2d(5, 3, 1, generator: g), [2, 5, 4, 4] },
            { "conv1d", () => new Conv1d(3, 5, 3, generator: g), [2, 3, 11] },
            { "conv1d stride padding dilation groups no bias", () => new Conv1d(4, 6, 3, stride: 2, padding: 2, dilation: 2, groups: 2, bias: false, generator: g), [2, 4, 13] },
            { "maxpool2d", () => new MaxPool2d(2), [2, 3, 8, 6] },
            { "maxpool2d odd size drops the rest", () => new MaxPool2d(2), [2, 3, 7, 5] },
            { "maxpool2d stride padding", () => new MaxPool2d(3, stride: 2, padding: 1), [2, 3, 9, 8] },
            { "maxpool2d dilation", () => new MaxPool2d((3, 2), stride: 1, dilation: (2, 3)), [2, 2, 9, 9] },
            { "maxpool2d ceil mode", () => new MaxPool2d(2, ceilMode: true), [2, 3, 7, 5] },
            { "maxpool2d ceil mode stride padding", () => new MaxPool2d(3, stride: 2, padding: 1, ceilMode: true), [2, 3, 8, 10] },
            { "maxpool2d ceil mode last window would start in the padding", () => new MaxPool2d(2, stride: 2, padding: 1, ceilMode: true), [1, 2, 5, 7] },
            { "avgpool2d", () => new AvgPool2d(2), [2, 3, 8, 6] },
            { "avgpool2d padding counted", () => new AvgPool2d(3, stride: 2, padding: 1), [2, 3, 9, 8] },
            { "avgpool2d padding not counted", () => new AvgPool2d(3, stride: 2, padding: 1, countIncludePad: false), [2, 3, 9, 8] },
            { "avgpool2d ceil mode", () => new AvgPool2d(2, ceilMode: true), [2, 3, 7, 5] },
            { "avgpool2d ceil mode padding counted", () => new AvgPool2d(3, stride: 2, padding: 1, ceilMode: true), [2, 3, 8, 10] },
            { "avgpool2d ceil mode padding not counted", () => new AvgPool2d(3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false), [2, 3, 8, 10] },
            { "avgpool2d ceil mode last window would start in the padding", () => new AvgPool2d(2, stride: 2, padding: 1, ceilMode: true), [1, 2, 5, 7] },
            { "adaptive avgpool2d to 1x1 (global)", () => new AdaptiveAvgPool2d(1), [2, 3, 7, 5] },
            { "adaptive avgpool2d dividing evenly", () => new AdaptiveAvgPool2d((2, 3)), [2, 3, 8, 9] },
            { "adaptive avgpool2d to the input size", () => new AdaptiveAvgPool2d((4, 5)), [2, 3, 4, 5] },
            { "unflatten dim 1", () => new Unflatten(1, [2, 3, 4]), [5, 24] },
            { "unflatten dim 1 with -1", () => new Unflatten(1, [2, -1]), [5, 12, 3] },
            { "unflatten dim -1", () => new Unflatten(-1, [3, 2]), [2, 4, 6] },
            { "unflatten dim 0", () => new Unflatten(0, [2, -1]), [6, 5] },
            {
                "small cnn",
                () => new Sequential(
                    new Unflatten(1, [1, 12, 12]),
                    new Conv2d(1, 4, 3, padding: 1, generator: g),
                    new ReLU(),
                    new MaxPool2d(2),
                    new Conv2d(4, 8, 3, generator: g),
                    new Tanh(),
                    new AvgPool2d(2, ceilMode: true),
                    new AdaptiveAvgPool2d(1),
                    new Flatten(),
                    new Linear(8, 3, generator: g),
                    new LogSoftmax(1)),
                [4, 144]
            },
            { "batchnorm1d (N, C)", () => WithStatistics(new BatchNorm1d(6), [8, 6], g), [4, 6] },
            { "batchnorm1d (N, C, L)", () => WithStatistics(new BatchNorm1d(3, eps: 1e-3), [8, 3, 5], g), [4, 3, 5] },
            { "batchnorm1d without affine", () => WithStatistics(new BatchNorm1d(6, affine: false), [8, 6], g), [4, 6] },
            { "batchnorm2d", () => WithStatistics(new BatchNorm2d(3), [4, 3, 5, 6], g), [2, 3, 5, 6] },
            { "batchnorm2d momentum None", () => WithStatistics(new BatchNorm2d(3, momentum: null), [4, 3, 5, 6], g), [2, 3, 5, 6] },
            { "layernorm last dim", () => WithAffine(new LayerNorm(6), g), [4, 6] },
            { "layernorm last two dims of 3-D", () => WithAffine(new LayerNorm([3, 5], eps: 1e-3), g), [2, 3, 5] },
            { "layernorm without bias", () => WithAffine(new LayerNorm(6, bias: false), g), [2, 3, 6] },
            { "layernorm without affine", () => new LayerNorm([2, 3], elementwiseAffine: false), [2, 4, 2, 3] },
            { "lstm (seq, batch, features)", () => new LSTM(5, 7, generator: g), [6, 3, 5] },
            { "lstm batch_first", () => new LSTM(5, 7, batchFirst: true, generator: g), [3, 6, 5] },
            { "lstm 3 layers batch_first with dropout", () => new LSTM(4, 6, numLayers: 3, batchFirst: true, dropout: 0.5, generator: g), [2, 5, 4] },
            { "lstm without bias", () => new LSTM(4, 3, numLayers: 2, bias: false, generator: g), [5, 2, 4] },
            { "gru (seq, batch, features)", () => new GRU(5, 7, generator: g), [6, 3, 5] },
            { "gru 2 layers batch_first", () => new GRU(4, 6, numLayers: 2, batchFirst: true, generator: g), [3, 5, 4] },
            { "gru without bias", () => new GRU(4, 3, bias: false, batchFirst: true, generator: g), [2, 5, 4] },
            { "rnn tanh 2 layers", () => new RNN(4, 6, numLayers: 2, generator: g), [5, 2, 4] },
            { "rnn relu batch_first", () => new RNN(4, 6, nonlinearity: "relu", batchFirst: true, generator: g), [2, 5, 4] },
            {
                "lstm sequence then layernorm and linear",
                () => new Sequential(new Unflatten(1, [6, 4]), new LSTM(4, 8, batchFirst: true, generator: g), WithAffine(new LayerNorm(8), g), new Flatten(), new Linear(48, 3, generator: g)),
                [3, 24]
            },
            {
                "cnn with batchnorm",
                () => WithStatistics(
                    new Sequential(new Conv2d(2, 4, 3, padding: 1, bias: false, generator: g), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(36, 8, generator: g), new BatchNorm1d(8), new ReLU(), new Linear(8, 3, generator: g)),
                    [8, 2, 6, 6],
                    g),
                [3, 2, 6, 6]
            },
            { "spec cnn:64-10 (digits)", () => ModelSpec.Parse("cnn:64-10").Build(g), [5, 64] },
            { "spec cnn:784-10 (Fashion-MNIST)", () => ModelSpec.Parse("cnn:784-10").Build(g), [3, 784] },
        };
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void OnnxRuntimeMatchesTheLibrary(string name, Func<Module> create, int[] inputShape)
    {
        var model = create();
        byte[] onnx = OnnxExport.ToBytes(model, inputShape);
        model.Eval();
        var x = Tensor.Randn(inputShape, seed: name.Length) * 3;
        var expected = Forward(model, x);

        var (actual, shape) = OnnxRuntimeRunner.Run(onnx, x);
        Assert.Equal(expected.Shape, shape);
        double diff = OnnxRuntimeRunner.MaxAbsDifference(expected.ToArray<float>(), actual);
        output.WriteLine($"{name}: max |onnx - backprop| = {diff:G3} over {actual.Length} outputs");
        Assert.True(diff <= Tolerance, $"{name}: max |onnx - backprop| = {diff}");
    }

    [Theory]
    [InlineData(17)]
    [InlineData(18)]
    [InlineData(20)]
    [InlineData(21)]
    public void EveryOpsetMatches(int opset)
    {
        // Opset 20 and later write GELU as the Gelu op, earlier ones as its erf formula.
        var g = new Generator(3);
        var model = new Sequential(new Linear(6, 8, generator: g), new GELU(), new Flatten(), new Linear(8, 3, generator: g), new LogSoftmax(-1));
        byte[] onnx = OnnxExport.ToBytes(model, [5, 6], new OnnxExportOptions { Opset = opset });
        var x = Tensor.Randn([5, 6], seed: opset);
        var (actual, _) = OnnxRuntimeRunner.Run(onnx, x);
        Assert.True(OnnxRuntimeRunner.MaxAbsDifference(Forward(model, x).ToArray<float>(), actual) <= Tolerance);
        Assert.Equal(opset, ModelProto.Parser.ParseFrom(onnx).OpsetImport.Single().Version);

        // The pooling ops changed across these opsets (AveragePool gained dilations in 19); so may the others.
        var cnn = new Sequential(
            new Unflatten(1, [2, 9, 10]),
            new Conv2d(2, 4, 3, padding: 1, generator: g),
            new MaxPool2d(2, ceilMode: true),
            new AvgPool2d(3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false),
            new AdaptiveAvgPool2d((1, 3)),
            new Flatten());
        var image = Tensor.Randn([3, 180], seed: opset);
        var (pooled, _) = OnnxRuntimeRunner.Run(OnnxExport.ToBytes(cnn, [1, 180], new OnnxExportOptions { Opset = opset }), image);
        Assert.True(OnnxRuntimeRunner.MaxAbsDifference(Forward(cnn, image).ToArray<float>(), pooled) <= Tolerance);

        var sequence = WithStatistics(
            new Sequential(new Unflatten(1, [5, 4]), new GRU(4, 6, batchFirst: true, generator: g), new LSTM(6, 5, generator: g), new LayerNorm(5), new Flatten(), new BatchNorm1d(25)),
            [8, 20],
            g);
        var steps = Tensor.Randn([3, 20], seed: opset);
        var (normalized, _) = OnnxRuntimeRunner.Run(OnnxExport.ToBytes(sequence, [1, 20], new OnnxExportOptions { Opset = opset }), steps);
        Assert.True(OnnxRuntimeRunner.MaxAbsDifference(Forward(sequence, steps).ToArray<float>(), normalized) <= Tolerance);
    }

    [Fact]
    public void TheBatchDimensionIsDynamic()
    {
        var g = new Generator(5);
        var model = new Sequential(new Flatten(), new Linear(12, 4, generator: g), new Softmax(1));
        byte[] onnx = OnnxExport.ToBytes(model, [1, 3, 4]);
        foreach (int batch in new[] { 1, 2, 17 })
        {
            var x = Tensor.Randn([batch, 3, 4], seed: batch);
            var (actual, shape) = OnnxRuntimeRunner.Run(onnx, x);
            Assert.Equal([batch, 4], shape);
            Assert.True(OnnxRuntimeRunner.MaxAbsDifference(Forward(model, x).ToArray<float>(), actual) <= Tolerance);
        }

        var input = ModelProto.Parser.ParseFrom(onnx).Graph.Input.Single();
        Assert.Equal("batch", input.Type.TensorType.Shape.Dim[0].DimParam);
    }

    [Fact]
    public void AFixedBatchIsWrittenWhenAskedFor()
    {
        var model = new Linear(3, 2, generator: new Generator(1));
        var proto = ModelProto.Parser.ParseFrom(OnnxExport.ToBytes(model, [4, 3], new OnnxExportOptions { DynamicBatch = false }));
        Assert.Equal([4L, 3L], proto.Graph.Input.Single().Type.TensorType.Shape.Dim.Select(d => d.DimValue));
        Assert.Equal([4L, 2L], proto.Graph.Output.Single().Type.TensorType.Shape.Dim.Select(d => d.DimValue));
    }

    [Fact]
    public void TheFileIsStandardOnnxWithStateDictNames()
    {
        var g = new Generator(9);
        var model = new Sequential(new Linear(4, 3, generator: g), new ReLU(), new Linear(3, 2, generator: g));
        var proto = ModelProto.Parser.ParseFrom(OnnxExport.ToBytes(model, [1, 4], new OnnxExportOptions
        {
            DocString = "a test",
            Metadata = new Dictionary<string, string> { ["k"] = "v" },
        }));

        Assert.Equal(8, proto.IrVersion);
        Assert.Equal("", proto.OpsetImport.Single().Domain);
        Assert.Equal(17, proto.OpsetImport.Single().Version);
        Assert.Equal("Backprop", proto.ProducerName);
        Assert.Equal("a test", proto.DocString);
        Assert.Equal("v", proto.MetadataProps.Single(p => p.Key == "k").Value);
        Assert.Equal(["Gemm", "Relu", "Gemm"], proto.Graph.Node.Select(n => n.OpType));
        Assert.Equal("output", proto.Graph.Node[^1].Output.Single());
        Assert.Equal("input", proto.Graph.Input.Single().Name);
        Assert.Equal(
            model.StateDict().Keys.Order(StringComparer.Ordinal),
            proto.Graph.Initializer.Select(t => t.Name).Order(StringComparer.Ordinal));
        var weight = proto.Graph.Initializer.Single(t => t.Name == "0.weight");
        Assert.Equal([3L, 4L], weight.Dims);
        Assert.Equal(model.StateDict()["0.weight"].ToArray<float>(), System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(weight.RawData.Span).ToArray());
    }

    [Fact]
    public void SaveWritesTheFileAtomically()
    {
        using var dir = new TempFolder();
        string path = dir.File("model.onnx");
        File.WriteAllText(path, "previous content");
        var model = new Sequential(new Linear(3, 2, generator: new Generator(1)), new Tanh());
        OnnxExport.Save(model, path, [2, 3]);
        Assert.Equal(["model.onnx"], dir.Entries());
        var x = Tensor.Randn([2, 3], seed: 1);
        var (actual, _) = OnnxRuntimeRunner.Run(File.ReadAllBytes(path), x);
        Assert.True(OnnxRuntimeRunner.MaxAbsDifference(Forward(model, x).ToArray<float>(), actual) <= Tolerance);

        // A model that cannot be exported leaves the previous file as it was, and no temporary file.
        var bad = Assert.Throws<NotSupportedException>(() => OnnxExport.Save(new Sequential(new Linear(3, 2), new Unsupported()), path, [2, 3]));
        Assert.Contains("Unsupported", bad.Message);
        Assert.Equal(["model.onnx"], dir.Entries());
        Assert.True(OnnxRuntimeRunner.MaxAbsDifference(Forward(model, x).ToArray<float>(), OnnxRuntimeRunner.Run(File.ReadAllBytes(path), x).Values) <= Tolerance);
    }

    [Fact]
    public void AnOpWithoutALoweringIsNamedWithItsModulesPath()
    {
        var model = new Sequential(new Linear(3, 4), new Sequential(new ReLU(), new Unsupported()));
        var ex = Assert.Throws<NotSupportedException>(() => OnnxExport.ToBytes(model, [1, 3]));
        Assert.StartsWith("ONNX export: the op dropout(p: 0.5) has no ONNX lowering (created at OnnxExportTests.cs:", ex.Message);
        Assert.Contains("Unsupported.Forward", ex.Message);
        Assert.Contains("F.Dropout", ex.Message);
    }

    [Fact]
    public void Float64ModelsAreRefusedByName()
    {
        var model = new Sequential(new Linear(3, 2, dtype: DType.Float64));
        var ex = Assert.Throws<NotSupportedException>(() => OnnxExport.ToBytes(model, [1, 3]));
        Assert.Equal("ONNX export: parameter '0.weight' is float64; only float32 models can be exported", ex.Message);
    }

    [Fact]
    public void AnInputOfTheWrongWidthNamesTheLayerAndShapes()
    {
        var model = new Sequential(new Linear(3, 4), new ReLU(), new Linear(5, 2));
        var ex = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(model, [1, 3]));
        Assert.Equal(
            "ONNX export: module '(root)' (a Sequential) cannot run on an input of shape (1, 3): linear: input of shape (1x4) does not fit weight (2x5): the last dimension must be 5",
            ex.Message);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(22)]
    public void AnOpsetOutOfRangeIsRefused(int opset)
    {
        var ex = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(new Identity(), [1, 3], new OnnxExportOptions { Opset = opset }));
        Assert.Equal($"ONNX export: opset {opset} is not supported (use 17 to 21)", ex.Message);
    }

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 0, 3 })]
    [InlineData(new[] { 2, -1 })]
    public void ABadInputShapeIsRefused(int[] shape)
    {
        var ex = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(new Identity(), shape));
        Assert.StartsWith("ONNX export: the input shape must have at least one dimension, all positive", ex.Message);
    }

    [Fact]
    public void ASoftmaxDimOutOfRangeIsRefused()
    {
        var ex = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(new Softmax(2), [1, 3]));
        Assert.StartsWith(
            "ONNX export: module '(root)' (a Softmax) cannot run on an input of shape (1, 3): softmax: dim 2 is out of range for a tensor of rank 2",
            ex.Message);
    }

    [Fact]
    public void TheCnnRecipeIsConvAndPoolNodesAndTakesAnyBatch()
    {
        var model = ModelSpec.Parse("cnn:64-10").Build(new Generator(4));
        byte[] onnx = OnnxExport.ToBytes(model, [1, 64]);
        var proto = ModelProto.Parser.ParseFrom(onnx);
        Assert.Equal(
            ["Reshape", "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Reshape", "Gemm", "Relu", "Gemm"],
            proto.Graph.Node.Select(n => n.OpType));
        var conv = proto.Graph.Node[1];
        Assert.Equal([2L, 2L, 2L, 2L], conv.Attribute.Single(a => a.Name == "pads").Ints);
        Assert.Equal([5L, 5L], conv.Attribute.Single(a => a.Name == "kernel_shape").Ints);
        Assert.Equal(
            model.StateDict().Keys.Order(StringComparer.Ordinal),
            proto.Graph.Initializer.Where(t => t.DataType == (int)TensorProto.Types.DataType.Float).Select(t => t.Name).Order(StringComparer.Ordinal));

        foreach (int batch in new[] { 1, 3, 16 })
        {
            var x = Tensor.Rand([batch, 64], seed: batch);
            var (actual, shape) = OnnxRuntimeRunner.Run(onnx, x);
            Assert.Equal([batch, 10], shape);
            Assert.True(OnnxRuntimeRunner.MaxAbsDifference(Forward(model, x).ToArray<float>(), actual) <= Tolerance);
        }
    }

    [Fact]
    public void AConvolutionInputOfTheWrongShapeNamesTheLayerAndShapes()
    {
        var model = new Sequential(new Conv2d(3, 4, 3), new ReLU());
        var channels = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(model, [2, 2, 8, 8]));
        Assert.Equal(
            "ONNX export: module '(root)' (a Sequential) cannot run on an input of shape (2, 2, 8, 8): " +
            "conv2d: input (2x2x8x8) has 2 channels, but weight (4x3x3x3) with groups=1 expects 3 (weight.size(1)·groups)",
            channels.Message);

        // Unbatched (C, H, W): dim 0 would be the file's batch, which the convolution cannot take.
        var unbatched = Assert.Throws<NotSupportedException>(() => OnnxExport.ToBytes(model, [3, 8, 8]));
        Assert.StartsWith("ONNX export: module '(root)' (a Sequential) fails on a batch of 6 (conv2d: input (1x6x8x8) has 6 channels", unbatched.Message);
        Assert.EndsWith("export with DynamicBatch = false", unbatched.Message);

        var conv1d = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(new Conv1d(2, 2, 3), [1, 2, 4, 4]));
        Assert.EndsWith("): conv1d: expected input of shape (N, C, L) or (C, L), got (1x2x4x4)", conv1d.Message);

        var pool = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(new Sequential(new Flatten(), new MaxPool2d(2)), [1, 2, 4, 4]));
        Assert.EndsWith("): max_pool2d: expected input of shape (N, C, H, W) or (C, H, W), got (1x32)", pool.Message);
    }

    [Fact]
    public void AWindowLargerThanTheInputIsRefusedWithTheSizes()
    {
        var model = new Sequential(new Conv2d(1, 2, 5), new MaxPool2d(2));
        var conv = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(model, [1, 1, 4, 6]));
        Assert.Equal(
            "ONNX export: module '(root)' (a Sequential) cannot run on an input of shape (1, 1, 4, 6): " +
            "conv2d: the kernel (5x5, dilated 5x5) does not fit the padded input (4x6 from input (1x1x4x6) with padding (0, 0)): the output would be 0x2",
            conv.Message);

        var pool = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(model, [1, 1, 5, 6]));
        Assert.Contains("): max_pool2d: the kernel (2x2, dilated 2x2) does not fit the padded input (1x2 from input (1x2x1x2)", pool.Message);
        Assert.EndsWith("the output would be 0x1", pool.Message);
    }

    [Fact]
    public void AdaptivePoolingThatDoesNotDivideTheInputIsRefusedWithTheReason()
    {
        var model = new Sequential(new Conv2d(1, 2, 1), new AdaptiveAvgPool2d((3, 2)));
        var ex = Assert.Throws<NotSupportedException>(() => OnnxExport.ToBytes(model, [1, 1, 7, 6]));
        Assert.StartsWith(
            "ONNX export: the op adaptive_avg_pool2d(outputSize: (3, 2)) has 7x6 input planes, which 3x2 does not divide: " +
            "ONNX has no adaptive pooling, and its uneven windows match no AveragePool (export for an input size that divides evenly, or use output size 1)",
            ex.Message);
        // The frames after "via" are best effort: once hot, the JIT may inline a small method (F.AdaptiveAvgPool2d
        // into AdaptiveAvgPool2d.Forward), and an inlined method has no frame (seen once under load).
        Assert.Matches(@"\(via (Tensor|F)\.AdaptiveAvgPool2d( <- [\w.]+)*\)", ex.Message);

        // The same model exports for an input size that it divides.
        var x = Tensor.Randn([2, 1, 9, 6], seed: 1);
        var (actual, shape) = OnnxRuntimeRunner.Run(OnnxExport.ToBytes(model, [1, 1, 9, 6]), x);
        Assert.Equal([2, 2, 3, 2], shape);
        Assert.True(OnnxRuntimeRunner.MaxAbsDifference(Forward(model, x).ToArray<float>(), actual) <= Tolerance);
    }

    [Fact]
    public void AnUnflattenThatDoesNotFitIsRefused()
    {
        var ex = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(new Sequential(new Unflatten(1, [1, 8, 8])), [1, 60]));
        Assert.Equal(
            "ONNX export: module '(root)' (a Sequential) cannot run on an input of shape (1, 60): Unflatten: dimension 1 of input (1x60) has size 60, which cannot be split into (1, 8, 8)",
            ex.Message);
        var inferred = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(new Unflatten(-1, [7, -1]), [1, 60]));
        Assert.EndsWith("): Unflatten: dimension -1 of input (1x60) has size 60, which cannot be split into (7, -1)", inferred.Message);
    }

    [Theory]
    [InlineData("lstm", 1)]
    [InlineData("lstm", 2)]
    [InlineData("gru", 2)]
    [InlineData("rnn", 1)]
    public void ARecurrentClassifierExportsItsLastHiddenStateThroughTheHead(string kind, int layers)
    {
        var model = new RowClassifier(kind, rows: 6, hidden: 9, layers, classes: 4, new Generator(layers));
        byte[] onnx = OnnxExport.ToBytes(model, [1, 36]);
        foreach (int batch in new[] { 1, 5 })
        {
            var x = Tensor.Randn([batch, 36], seed: batch);
            var (actual, shape) = OnnxRuntimeRunner.Run(onnx, x);
            Assert.Equal([batch, 4], shape);
            double diff = OnnxRuntimeRunner.MaxAbsDifference(Forward(model, x).ToArray<float>(), actual);
            output.WriteLine($"{kind} x{layers} classifier, batch {batch}: max |onnx - backprop| = {diff:G3}");
            Assert.True(diff <= Tolerance, $"max |onnx - backprop| = {diff}");
        }

        var proto = ModelProto.Parser.ParseFrom(onnx);
        Assert.Equal(layers, proto.Graph.Node.Count(n => n.OpType == kind.ToUpperInvariant()));
        Assert.Contains(proto.Graph.Initializer, t => t.Name == "net.weight_ih_l0");
        Assert.Contains(proto.Graph.Initializer, t => t.Name == "fc.weight");
    }

    [Fact]
    public void LstmWeightsAreWrittenInOnnxGateOrder()
    {
        // PyTorch stacks the gates i, f, g, o; ONNX's LSTM reads i, o, f, c: the file keeps the weights
        // under their state-dict names in PyTorch's order and gathers blocks [0, 3, 1, 2] in the graph.
        var lstm = new LSTM(1, 1, generator: new Generator(1));
        new float[] { 0.1f, -0.7f, 0.4f, 0.9f }.CopyTo(lstm.AllWeights[0][0].F32, 0);
        new float[] { 0.2f, -0.3f, 0.5f, -0.1f }.CopyTo(lstm.AllWeights[0][2].F32, 0);
        new float[] { -0.6f, 0.3f, 0.2f, 0.8f }.CopyTo(lstm.AllWeights[0][3].F32, 0);
        byte[] onnx = OnnxExport.ToBytes(lstm, [2, 1, 1]);
        var proto = ModelProto.Parser.ParseFrom(onnx);
        float[] Values(string name) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(proto.Graph.Initializer.Single(t => t.Name == name).RawData.Span).ToArray();
        Assert.Equal([0.1f, -0.7f, 0.4f, 0.9f], Values("weight_ih_l0"));
        Assert.Equal([4L, 1L], proto.Graph.Initializer.Single(t => t.Name == "weight_ih_l0").Dims);
        Assert.Equal(3, proto.Graph.Node.Count(n => n.OpType == "Gather" && n.Input[0].StartsWith("Reshape", StringComparison.Ordinal)) - 1);

        var x = Tensor.Randn([5, 1, 1], seed: 4);
        var (actual, _) = OnnxRuntimeRunner.Run(onnx, x);
        Assert.True(OnnxRuntimeRunner.MaxAbsDifference(Forward(lstm, x).ToArray<float>(), actual) <= Tolerance);
    }

    [Fact]
    public void BatchNormInTrainingModeOrWithoutRunningStatisticsIsRefused()
    {
        // A model in training mode exports its evaluation behaviour (torch.onnx.export's default):
        // batch norm with the running statistics, and the model's modes are left as they were.
        var g = new Generator(4);
        var model = new Sequential(new Linear(3, 4, generator: g), new BatchNorm1d(4));
        model.Forward(Tensor.Randn([8, 3], seed: 2));
        byte[] onnx = OnnxExport.ToBytes(model, [2, 3]);
        Assert.True(model.IsTraining);
        var x = Tensor.Randn([5, 3], seed: 5);
        var (actual, _) = OnnxRuntimeRunner.Run(onnx, x);
        Assert.True(OnnxRuntimeRunner.MaxAbsDifference(Forward(model, x).ToArray<float>(), actual) <= Tolerance);

        var untracked = new Sequential(new BatchNorm2d(2, trackRunningStats: false));
        untracked.Eval();
        var ex = Assert.Throws<NotSupportedException>(() => OnnxExport.ToBytes(untracked, [2, 2, 3, 3]));
        Assert.StartsWith("ONNX export: the op batch_norm(training: true, momentum: 0.1, eps: 1E-05) normalizes each batch with that batch's statistics", ex.Message);
        Assert.Contains("(created at OnnxExportTests.cs:", ex.Message);

        var channels = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(new BatchNorm2d(3).Eval(), [2, 2, 3, 3]));
        Assert.Equal(
            "ONNX export: module '(root)' (a BatchNorm2d) cannot run on an input of shape (2, 2, 3, 3): BatchNorm2d: expected 3 channels in dim 1, got input of shape (2x2x3x3)",
            channels.Message);
    }

    [Fact]
    public void NormalizationAndRecurrentInputsOfTheWrongShapeAreRefused()
    {
        var layerNorm = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(new LayerNorm([3, 4]), [2, 4, 3]));
        Assert.Equal(
            "ONNX export: module '(root)' (a LayerNorm) cannot run on an input of shape (2, 4, 3): layer_norm: given normalized_shape (3x4), expected an input of shape (*, 3, 4), got (2x4x3)",
            layerNorm.Message);

        var width = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(new Sequential(new LSTM(5, 3, batchFirst: true)), [2, 4, 6]));
        Assert.Equal(
            "ONNX export: module '(root)' (a Sequential) cannot run on an input of shape (2, 4, 6): LSTM: input feature size 6 does not match input_size 5 (input of shape (2x4x6))",
            width.Message);
    }

    [Fact]
    public void AnUnbatchedRecurrentInputExportsWithItsSequenceLengthFree()
    {
        // (seq_len, input_size) with no batch: dim 0 is the sequence, which the file leaves free.
        var gru = new GRU(5, 3, generator: new Generator(2));
        byte[] onnx = OnnxExport.ToBytes(gru, [4, 5]);
        foreach (int steps in new[] { 4, 7 })
        {
            var x = Tensor.Randn([steps, 5], seed: steps);
            var (actual, shape) = OnnxRuntimeRunner.Run(onnx, x);
            Assert.Equal([steps, 3], shape);
            Assert.True(OnnxRuntimeRunner.MaxAbsDifference(Forward(gru, x).ToArray<float>(), actual) <= Tolerance);
        }
    }

    /// <summary>Gives a model's batch norms running statistics far from (0, 1) and non-trivial affine parameters, then puts it in evaluation.</summary>
    private static Module WithStatistics(Module model, int[] trainingShape, Generator g)
    {
        model.Train();
        using (Backprop.Autograd.NoGrad())
        {
            for (int step = 0; step < 3; step++)
            {
                model.Forward((Tensor.Randn(trainingShape, seed: step) * 2) + 1);
            }
        }

        foreach (var norm in model.Modules().OfType<BatchNormBase>().Where(n => n.Affine))
        {
            Init.Uniform(norm.Weight!, 0.5, 1.5, g);
            Init.Uniform(norm.Bias!, -0.5, 0.5, g);
        }

        return model.Eval();
    }

    private static Module WithAffine(LayerNorm norm, Generator g)
    {
        Init.Uniform(norm.Weight!, 0.5, 1.5, g);
        if (norm.Bias is not null)
        {
            Init.Uniform(norm.Bias, -0.5, 0.5, g);
        }

        return norm;
    }

    /// <summary>The CLI's lstm model in general form: rows of rows·rows pixels, one row per step, last hidden state to a Linear head.</summary>
    private sealed class RowClassifier : Module
    {
        public RowClassifier(string kind, int rows, int hidden, int layers, int classes, Generator g)
        {
            Rows = rows;
            Net = kind switch
            {
                "lstm" => new LSTM(rows, hidden, layers, batchFirst: true, generator: g),
                "gru" => new GRU(rows, hidden, layers, batchFirst: true, generator: g),
                _ => new RNN(rows, hidden, layers, batchFirst: true, generator: g),
            };
            Fc = new Linear(hidden, classes, generator: g);
        }

        public RNNBase Net { get; }

        public Linear Fc { get; }

        [Unregistered]
        public int Rows { get; }

        public override Tensor Forward(Tensor input)
        {
            var x = input.View(-1, Rows, Rows);
            var h = Net switch
            {
                LSTM lstm => lstm.Forward(x, null).State.H,
                GRU gru => gru.Forward(x, null).H,
                RNN rnn => rnn.Forward(x, null).H,
                _ => throw new InvalidOperationException(),
            };
            return Fc.Forward(h.Select(0, -1));
        }
    }

    private static Tensor Forward(Module model, Tensor x)
    {
        model.Eval();
        using (Backprop.Autograd.NoGrad())
        {
            return model.Forward(x);
        }
    }

    /// <summary>A module of a type the exporter does not know, so it is traced, whose Forward records an op without an ONNX lowering (dropout in training mode, which is random).</summary>
    private sealed class Unsupported : Module
    {
        public override Tensor Forward(Tensor input) => F.Dropout(input, 0.5, training: true);
    }
}
