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
    public void AnUnsupportedModuleIsNamedWithItsPath()
    {
        var model = new Sequential(new Linear(3, 4), new Sequential(new ReLU(), new Unsupported()));
        var ex = Assert.Throws<NotSupportedException>(() => OnnxExport.ToBytes(model, [1, 3]));
        Assert.Equal(
            $"ONNX export: module '1.1' is a Unsupported, which cannot be exported yet (supported: {ModuleExporterSupported})",
            ex.Message);

        var root = Assert.Throws<NotSupportedException>(() => OnnxExport.ToBytes(new Unsupported(), [1, 3]));
        Assert.Contains("module '(root)' is a Unsupported", root.Message);
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
        Assert.Equal("ONNX export: '2' is Linear(5, 2) but its input has shape (1, 4)", ex.Message);
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
        Assert.Equal("ONNX export: '' Softmax dim 2 is out of range for an input of shape (1, 3)", ex.Message);
    }

    private const string ModuleExporterSupported = ModuleExporter.Supported;

    private static Tensor Forward(Module model, Tensor x)
    {
        model.Eval();
        using (Backprop.Autograd.NoGrad())
        {
            return model.Forward(x);
        }
    }

    private sealed class Unsupported : Module
    {
        public override Tensor Forward(Tensor input) => input;
    }
}
