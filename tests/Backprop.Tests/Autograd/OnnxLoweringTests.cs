using System.Globalization;

namespace Backprop.Tests.Autograd;

/// <summary>
/// The ONNX lowering of op definitions as plain data, checked without protobuf or ONNX Runtime: a
/// recording <see cref="IOnnxLowering"/> writes each node as text, e.g. <c>Reshape(x, [0, 3, 4])</c>.
/// </summary>
public class OnnxLoweringTests
{
    public static TheoryData<string> OpNames() => OpDefinitionTests.OpNames();

    [Theory]
    [MemberData(nameof(OpNames))]
    public void EveryRegistryOpLowersOrIsRefusedByName(string name)
    {
        var op = OpRegistry.Find(name)!;
        var output = op.Function(op.SampleInputs());
        foreach (var (node, tensor) in Nodes(output))
        {
            var onnx = new RecordingLowering(node, tensor);
            try
            {
                string value = node.Op.LowerToOnnx(onnx);
                Assert.False(string.IsNullOrEmpty(value), $"{name}: '{node.Op}' returned no value name");
            }
            catch (NotSupportedException e)
            {
                Assert.Contains(node.Op.ToString(), e.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void AnOpWithoutALoweringIsRefusedNamingIt()
    {
        var x = Tensor.Ones([2, 3], requiresGrad: true);
        var loss = Tensor.Dropout(x, 0.5, train: true);
        var ex = Assert.Throws<NotSupportedException>(() => Lower(loss));
        Assert.Equal("the op dropout(p: 0.5) has no ONNX lowering", ex.Message);
    }

    [Fact]
    public void ReshapesKeepTheBatchDynamic()
    {
        var x = Tensor.Ones([2, 12], requiresGrad: true);
        Assert.Equal(["Reshape(in0, [0, 3, 4])"], Lower(x.View(-1, 3, 4)));
        Assert.Equal(["Reshape(in0, [0, 1, 12])"], Lower(x.Unsqueeze(1)));

        var y = Tensor.Ones([2, 3, 4], requiresGrad: true);
        Assert.Equal(["Reshape(in0, [-1, 4])"], Lower(y.Flatten(0, 1)));
        Assert.Equal(["Reshape(in0, [0, 12])"], Lower(y.Flatten(1)));
        Assert.Equal(["Reshape(in0, [-1])"], Lower(y.Flatten()));
    }

    [Fact]
    public void ExpandWritesOneWhereTheInputHasTheDim()
    {
        var x = Tensor.Ones([2, 1, 4], requiresGrad: true);
        Assert.Equal(["Expand(in0, [1, 3, 1])"], Lower(x.Expand(-1, 3, 4)));
        Assert.Equal(["Expand(in0, [5, 1, 3, 1])"], Lower(x.Expand(5, 2, 3, 4)));
    }

    [Fact]
    public void LinearIsGemmForTwoDimsElseMatMulAndAdd()
    {
        var w = Tensor.Ones([5, 3], requiresGrad: true);
        var b = Tensor.Ones([5], requiresGrad: true);
        Assert.Equal(["Gemm(in0, in1, in2; transB=1)"], Lower(Tensor.Linear(Tensor.Ones([2, 3], requiresGrad: true), w, b)));
        Assert.Equal(
            ["Transpose(in1; perm=[1, 0])", "MatMul(in0, v0)", "Add(v1, in2)"],
            Lower(Tensor.Linear(Tensor.Ones([2, 4, 3], requiresGrad: true), w, b)));
        Assert.Equal(["Gemm(in0, in1; transB=1)"], Lower(Tensor.Linear(Tensor.Ones([2, 3], requiresGrad: true), w)));
    }

    [Fact]
    public void ReductionsWriteNonNegativeSortedAxes()
    {
        var x = Tensor.Ones([2, 3, 4], requiresGrad: true);
        Assert.Equal(["ReduceSum(in0, [1, 2]; keepdims=1)"], Lower(x.Sum([-1, 1], keepDim: true)));
        Assert.Equal(["ReduceSum(in0; keepdims=0)"], Lower(x.Sum()));
        Assert.Equal(["ReduceMax(in0; keepdims=0, axes=[2])"], Lower(x.Max(-1).Values, opset: 17));
        Assert.Equal(["ReduceMax(in0, [2]; keepdims=0)"], Lower(x.Max(-1).Values, opset: 18));
    }

    [Fact]
    public void ScalarsAndBoundsAreScalarConstants()
    {
        var x = Tensor.Ones([2, 3], requiresGrad: true);
        Assert.Equal(["Pow(in0, const[]{3})"], Lower(x.Pow(3)));
        Assert.Equal(["Clip(in0, const[]{-1}, const[]{2})"], Lower(x.Clamp(-1, 2)));
        Assert.Equal(["Clip(in0, , const[]{2})"], Lower(x.Clamp(max: 2)));
        Assert.Equal(["Clip(in0, const[]{-1})"], Lower(x.Clamp(min: -1)));
        Assert.Equal(["LeakyRelu(in0; alpha=0.2)"], Lower(x.LeakyRelu(0.2)));
        Assert.Equal(["Softmax(in0; axis=1)"], Lower(x.Softmax(-1)));
    }

    [Fact]
    public void GeluIsTheOpFromOpset20AndItsFormulaBefore()
    {
        var x = Tensor.Ones([2, 3], requiresGrad: true);
        Assert.Equal(["Gelu(in0; approximate=none)"], Lower(x.Gelu(), opset: 20));
        Assert.Equal(
            ["Div(in0, const[]{1.4142135})", "Erf(v0)", "Add(v1, const[]{1})", "Mul(in0, v2)", "Mul(v3, const[]{0.5})"],
            Lower(x.Gelu(), opset: 17));
    }

    [Fact]
    public void NormalizationsKnowWhichAffineInputIsWhich()
    {
        var x = Tensor.Ones([2, 3], requiresGrad: true);
        var affine = Tensor.Ones([3], requiresGrad: true);
        Assert.Equal(["LayerNormalization(in0, in1, in2; axis=-1, epsilon=1E-05)"], Lower(Tensor.LayerNorm(x, [3], affine, affine)));
        Assert.Equal(["LayerNormalization(in0, const[3]{1,1,1}, in1; axis=-1, epsilon=1E-05)"], Lower(Tensor.LayerNorm(x, [3], bias: affine)));
        Assert.Equal(["LayerNormalization(in0, in1; axis=-1, epsilon=1E-05)"], Lower(Tensor.LayerNorm(x, [3], weight: affine)));

        var mean = Tensor.Zeros([3]);
        var variance = Tensor.Ones([3]);
        Assert.Equal(
            ["BatchNormalization(in0, const[3]{1,1,1}, in1, tensor, tensor; epsilon=0.001)"],
            Lower(Tensor.BatchNorm(x, mean, variance, bias: affine, eps: 1e-3)));
        var training = Assert.Throws<NotSupportedException>(() => Lower(Tensor.BatchNorm(x, mean, variance, training: true)));
        Assert.StartsWith("the op batch_norm(training: true", training.Message);
    }

    /// <summary>The nodes <paramref name="output"/>'s own node appends, as text.</summary>
    private static List<string> Lower(Tensor output, int opset = 17)
    {
        var onnx = new RecordingLowering(output.GradFn!, output, opset);
        output.GradFn!.Op.LowerToOnnx(onnx);
        return onnx.Nodes;
    }

    private static List<(Node Node, Tensor Output)> Nodes(Tensor output)
    {
        var nodes = new List<(Node, Tensor)>();
        var seen = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Tensor>([output]);
        while (stack.TryPop(out var t))
        {
            if (t.GradFn is { } node && seen.Add(node))
            {
                nodes.Add((node, t));
                foreach (var input in node.Inputs)
                {
                    stack.Push(input);
                }
            }
        }

        return nodes;
    }

    /// <summary>Names inputs in0, in1, …, node outputs v0, v1, …, and writes each node as <c>Op(inputs; attributes)</c>.</summary>
    private sealed class RecordingLowering(Node node, Tensor output, int opset = 17) : IOnnxLowering
    {
        public List<string> Nodes { get; } = [];

        public int Opset => opset;

        public int InputCount => node.Inputs.Count;

        public int[] OutputShape => output.Shape;

        public string Input(int index) => "in" + index.ToString(CultureInfo.InvariantCulture);

        public int[] InputShape(int index) => node.Inputs[index].Shape;

        /// <summary>As when a module is traced with a dynamic batch: dim 0 of every value is the batch.</summary>
        public bool[] InputBatchDims(int index) => [.. node.Inputs[index].Shape.Select((_, d) => d == 0)];

        public bool[] OutputBatchDims => [.. output.Shape.Select((_, d) => d == 0)];

        public string Node(string opType, IReadOnlyList<string> inputs, params OnnxAttribute[] attributes)
        {
            string attributeText = attributes.Length == 0 ? "" : "; " + string.Join(", ", attributes.Select(Format));
            Nodes.Add($"{opType}({string.Join(", ", inputs)}{attributeText})");
            return "v" + (Nodes.Count - 1).ToString(CultureInfo.InvariantCulture);
        }

        public string[] Node(string opType, IReadOnlyList<string> inputs, int outputCount, params OnnxAttribute[] attributes)
        {
            string first = Node(opType, inputs, attributes);
            return [.. Enumerable.Range(0, outputCount).Select(i => $"{first}.{i}")];
        }

        public string Constant(float[] values, int[] dims) =>
            $"const[{string.Join(",", dims)}]{{{string.Join(",", values.Select(v => v.ToString(CultureInfo.InvariantCulture)))}}}";

        public string Int64s(long[] values) => $"[{string.Join(", ", values)}]";

        public string Tensor(Tensor value) => "tensor";

        private static string Format(OnnxAttribute a) => a.Kind switch
        {
            OnnxAttributeKind.Ints => $"{a.Name}=[{string.Join(", ", (long[])a.Value)}]",
            OnnxAttributeKind.Float => $"{a.Name}={((float)a.Value).ToString(CultureInfo.InvariantCulture)}",
            _ => $"{a.Name}={a.Value}",
        };
    }
}
