namespace Backprop.Tests.Autograd;

public class OpDefinitionTests
{
    public static TheoryData<string> OpNames()
    {
        var data = new TheoryData<string>();
        foreach (var op in OpRegistry.All)
        {
            data.Add(op.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(OpNames))]
    public void EveryRegistryOpRecordsNodesWithADefinition(string name)
    {
        var op = OpRegistry.Find(name)!;
        var output = op.Function(op.SampleInputs());
        Assert.NotNull(output.GradFn);

        var nodes = Nodes(output);
        Assert.NotEmpty(nodes);
        foreach (var node in nodes)
        {
            Assert.NotNull(node.Op);
            Assert.False(string.IsNullOrWhiteSpace(node.Op.Name), $"{name}: a node has an empty op name");
            Assert.False(string.IsNullOrWhiteSpace(node.Op.Formula), $"{name}: '{node.Op.Name}' has no formula");
            Assert.Equal(node.Op.Name, node.Name);
            Assert.StartsWith(node.Op.Name, node.Op.ToString(), StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// Every op definition in the library is exercised by some registry row, so every primitive op's
    /// backward is gradient-checked in float64: an op added without samples fails here, naming it.
    /// </summary>
    [Fact]
    public void EveryOpDefinitionIsGradientCheckedByTheRegistry()
    {
        var checkedTypes = OpRegistry.All
            .SelectMany(op => Nodes(op.Function(op.SampleInputs())))
            .Select(n => n.Op.GetType())
            .ToHashSet();
        var missing = typeof(OpDefinition).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(OpDefinition)) && !t.IsAbstract && !checkedTypes.Contains(t))
            .Select(t => t.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(missing.Count == 0, "op definitions no registry row records: " + string.Join(", ", missing));
    }

    [Fact]
    public void SoftmaxRecordsItsDim()
    {
        var x = Tensor.Ones([2, 3], DType.Float64, requiresGrad: true);

        var softmax = Assert.IsType<SoftmaxDefinition>(x.Softmax(1).GradFn!.Op);
        var logSoftmax = Assert.IsType<LogSoftmaxDefinition>(x.LogSoftmax(-1).GradFn!.Op);

        Assert.Equal(1, softmax.Dim);
        Assert.Equal("softmax(dim: 1)", softmax.ToString());
        Assert.Equal(-1, logSoftmax.Dim);
        Assert.Equal("log_softmax", logSoftmax.Name);
    }

    [Fact]
    public void Conv2dRecordsStridePaddingDilationAndGroups()
    {
        var x = Tensor.Ones([1, 4, 8, 8], DType.Float64, requiresGrad: true);
        var w = Tensor.Ones([6, 2, 3, 3], DType.Float64, requiresGrad: true);

        var conv = Assert.IsType<Conv2dDefinition>(Tensor.Conv2d(x, w, stride: 2, padding: (1, 0), groups: 2).GradFn!.Op);

        Assert.Equal(new Size2(2, 2), conv.Stride);
        Assert.Equal(new Size2(1, 0), conv.Padding);
        Assert.Equal(new Size2(1, 1), conv.Dilation);
        Assert.Equal(2, conv.Groups);
        Assert.Equal("conv2d(stride: 2, padding: (1, 0), dilation: 1, groups: 2)", conv.ToString());
    }

    [Fact]
    public void SumRecordsItsDimsAndKeepDim()
    {
        var x = Tensor.Ones([2, 3, 4], DType.Float64, requiresGrad: true);
        int[] dims = [0, 2];

        var along = Assert.IsType<SumDefinition>(x.Sum(dims, keepDim: true).GradFn!.Op);
        dims[0] = 1;
        var all = Assert.IsType<SumDefinition>(x.Sum().GradFn!.Op);

        Assert.Equal([0, 2], along.Dims!);
        Assert.True(along.KeepDim);
        Assert.Equal("sum(dim: [0, 2], keepDim: true)", along.ToString());
        Assert.Null(all.Dims);
        Assert.False(all.KeepDim);
        Assert.Same(all, x.Sum().GradFn!.Op);
    }

    [Fact]
    public void LeakyReluRecordsItsSlope()
    {
        var x = Tensor.Ones([3], DType.Float64, requiresGrad: true);

        var leaky = Assert.IsType<LeakyReluDefinition>(x.LeakyRelu(0.2).GradFn!.Op);

        Assert.Equal(0.2, leaky.NegativeSlope);
        Assert.Equal("leaky_relu(negativeSlope: 0.2)", leaky.ToString());
    }

    [Fact]
    public void ReshapesRecordTheirResolvedShapeUnderTheirOwnName()
    {
        var x = Tensor.Ones([2, 6], DType.Float64, requiresGrad: true);

        var reshape = Assert.IsType<ReshapeDefinition>(x.Reshape(3, -1).GradFn!.Op);
        var flatten = Assert.IsType<ReshapeDefinition>(x.Flatten().GradFn!.Op);

        Assert.Equal("reshape", reshape.Name);
        Assert.Equal([3, 4], reshape.Shape);
        Assert.Equal("flatten", flatten.Name);
        Assert.Equal([12], flatten.Shape);
    }

    [Fact]
    public void OtherOpsRecordTheirAttributes()
    {
        var x = Tensor.Ones([2, 3], DType.Float64, requiresGrad: true);

        Assert.Equal(3.0, Assert.IsType<PowDefinition>(x.Pow(3).GradFn!.Op).Exponent);
        var clamp = Assert.IsType<ClampDefinition>(x.Clamp(min: -1).GradFn!.Op);
        Assert.Equal(-1.0, clamp.Min);
        Assert.Null(clamp.Max);
        Assert.Equal(1, Assert.IsType<CatDefinition>(Tensor.Cat([x, x], dim: -1).GradFn!.Op).Dim);
        Assert.Equal([4, 2, 3], Assert.IsType<ExpandDefinition>(x.Expand(4, -1, -1).GradFn!.Op).Shape);
        Assert.Equal(0.5, Assert.IsType<DropoutDefinition>(Tensor.Dropout(x, 0.5, train: true, new Generator(0)).GradFn!.Op).P);
        var loss = Assert.IsType<MseLossDefinition>(Tensor.MseLoss(x, Tensor.Zeros([2, 3], DType.Float64), Reduction.Sum).GradFn!.Op);
        Assert.Equal(Reduction.Sum, loss.Reduction);
        Assert.Equal("mse_loss(reduction: sum)", loss.ToString());
        var layerNorm = Assert.IsType<LayerNormDefinition>(Tensor.LayerNorm(x, [3], eps: 1e-3).GradFn!.Op);
        Assert.Equal([3], layerNorm.NormalizedShape);
        Assert.Equal(1e-3, layerNorm.Eps);
    }

    [Fact]
    public void BatchNormRecordsItsModeAndRunningStatistics()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2, 3, 4, 5, 6 }, 3, 2).RequiresGrad_();
        var mean = Tensor.Zeros([2], DType.Float64);
        var variance = Tensor.Ones([2], DType.Float64);

        var bn = Assert.IsType<BatchNormDefinition>(Tensor.BatchNorm(x, mean, variance, training: true, momentum: 0.3, eps: 1e-4).GradFn!.Op);

        Assert.Same(mean, bn.RunningMean);
        Assert.Same(variance, bn.RunningVar);
        Assert.True(bn.Training);
        Assert.Equal(0.3, bn.Momentum);
        Assert.Equal(1e-4, bn.Eps);
    }

    [Fact]
    public void AttributeFreeOpsShareOneInstance()
    {
        var a = Tensor.Ones([2, 3], DType.Float64, requiresGrad: true);
        var b = Tensor.Ones([4, 3], DType.Float64, requiresGrad: true);

        Assert.Same(TanhDefinition.Instance, a.Tanh().GradFn!.Op);
        Assert.Same(a.Tanh().GradFn!.Op, b.Tanh().GradFn!.Op);
        Assert.Same(a.Relu().GradFn!.Op, b.Relu().GradFn!.Op);
        Assert.Same((a * a).GradFn!.Op, (b * b).GradFn!.Op);
        Assert.Same(Tensor.Linear(a, b).GradFn!.Op, Tensor.Linear(b, b).GradFn!.Op);
        Assert.IsType<LinearDefinition>(Tensor.Linear(a, b).GradFn!.Op);
        Assert.Equal("tanh", TanhDefinition.Instance.ToString());
        Assert.Same(
            Tensor.CrossEntropy(a, Tensor.FromArray(new long[] { 0, 2 }, 2)).GradFn!.Op,
            Tensor.CrossEntropy(b, Tensor.FromArray(new long[] { 0, 2, 1, 1 }, 4)).GradFn!.Op);
    }

    /// <summary>Every node reachable from <paramref name="output"/>, each once.</summary>
    private static List<Node> Nodes(Tensor output)
    {
        var nodes = new List<Node>();
        var seen = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Tensor>([output]);
        while (stack.TryPop(out var t))
        {
            if (t.GradFn is { } node && seen.Add(node))
            {
                nodes.Add(node);
                foreach (var input in node.Inputs)
                {
                    stack.Push(input);
                }
            }
        }

        return nodes;
    }
}
