using Backprop.NN;

namespace Backprop.Tests.NN;

public class LayerTests
{
    private static readonly Tensor s_x = Tensor.FromArray(new double[,] { { -2, -0.5, 0, 1.5 }, { 3, -1, 0.25, -4 } });

    public static TheoryData<string> Activations() => ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "LogSoftmax"];

    private static (Module Module, Func<Tensor, Tensor> Op) Pair(string name) => name switch
    {
        "ReLU" => (new ReLU(), F.Relu),
        "LeakyReLU" => (new LeakyReLU(0.1), x => F.LeakyRelu(x, 0.1)),
        "Sigmoid" => (new Sigmoid(), F.Sigmoid),
        "Tanh" => (new Tanh(), F.Tanh),
        "GELU" => (new GELU(), F.Gelu),
        "Softmax" => (new Softmax(1), x => F.Softmax(x, 1)),
        "LogSoftmax" => (new LogSoftmax(1), x => F.LogSoftmax(x, 1)),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Activations))]
    public void ActivationModulesMatchFunctionalAndHaveNoState(string name)
    {
        var (module, op) = Pair(name);
        Assert.Equal(op(s_x).ToArray(), module.Forward(s_x).ToArray());
        Assert.Empty(module.StateDict());
        var x = Tensor.Randn([3, 4], new Generator(1), DType.Float64, requiresGrad: true);
        Assert.True(GradCheck.Check(t => module.Forward(t[0]), x).Passed);
    }

    [Fact]
    public void ActivationValuesByHand()
    {
        Assert.Equal([0, 0, 0, 1.5, 3, 0, 0.25, 0], new ReLU().Forward(s_x).ToArray());
        NNAssert.Close([-0.2, -0.05, 0, 1.5, 3, -0.1, 0.25, -0.4], new LeakyReLU(0.1).Forward(s_x).ToArray(), 1e-15);
        Assert.Equal(1 / (1 + Math.Exp(2)), new Sigmoid().Forward(s_x).ToArray()[0], 1e-15);
        Assert.Equal(Math.Tanh(-0.5), new Tanh().Forward(s_x).ToArray()[1], 1e-15);
        var softmax = new Softmax(1).Forward(s_x);
        NNAssert.Close([1.0, 1.0], softmax.Sum(1).ToArray(), 1e-12);
        NNAssert.Close(softmax.Log().ToArray(), new LogSoftmax(1).Forward(s_x).ToArray(), 1e-12);
    }

    [Fact]
    public void FlattenKeepsTheBatchDimension()
    {
        var x = Tensor.Zeros(2, 3, 4, 5);
        Assert.Equal([2, 60], new Flatten().Forward(x).Shape);
        Assert.Equal([2, 12, 5], new Flatten(1, 2).Forward(x).Shape);
        Assert.Equal([120], F.Flatten(x).Shape);
    }

    [Fact]
    public void LossModulesMatchTheOpsForEachReduction()
    {
        var logits = Tensor.FromArray(new double[,] { { 2, -1, 0.5 }, { 0.1, 0.2, 3 } });
        var labels = Tensor.FromArray(new long[] { 0, 2 }, 2);
        var probs = Tensor.FromArray(new double[] { 0.9, 0.2 });
        var bits = Tensor.FromArray(new double[] { 1, 0 });
        foreach (var r in new[] { Reduction.Mean, Reduction.Sum, Reduction.None })
        {
            Assert.Equal(Tensor.CrossEntropy(logits, labels, r).ToArray(), new CrossEntropyLoss(r).Forward(logits, labels).ToArray());
            Assert.Equal(Tensor.NllLoss(logits.LogSoftmax(1), labels, r).ToArray(), new NLLLoss(r).Forward(logits.LogSoftmax(1), labels).ToArray());
            Assert.Equal(Tensor.MseLoss(probs, bits, r).ToArray(), new MSELoss(r).Forward(probs, bits).ToArray());
            Assert.Equal(Tensor.BinaryCrossEntropy(probs, bits, r).ToArray(), new BCELoss(r).Forward(probs, bits).ToArray());
            Assert.Equal(Tensor.BinaryCrossEntropyWithLogits(probs, bits, r).ToArray(), new BCEWithLogitsLoss(r).Forward(probs, bits).ToArray());
        }

        // −log softmax by hand for row 0, label 0.
        double row0 = -(2 - Math.Log(Math.Exp(2) + Math.Exp(-1) + Math.Exp(0.5)));
        Assert.Equal(row0, new CrossEntropyLoss(Reduction.None).Forward(logits, labels).ToArray()[0], 1e-12);
        Assert.Equal(-(Math.Log(0.9) + Math.Log(0.8)) / 2, new BCELoss().Forward(probs, bits).Item(), 1e-12);
        Assert.Equal(Reduction.Mean, new MSELoss().Reduction);
    }

    [Fact]
    public void OneHotEncodesLabels()
    {
        var labels = Tensor.FromArray(new long[] { 2, 0, 1 }, 3);
        var oneHot = F.OneHot(labels, 4);
        Assert.Equal(DType.Int64, oneHot.DType);
        Assert.Equal([3, 4], oneHot.Shape);
        Assert.Equal([0L, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0], oneHot.ToArray<long>());
        Assert.Equal([3, 3], F.OneHot(labels).Shape);
        Assert.Equal(DType.Float32, F.OneHot(labels, 3, DType.Float32).DType);
        var ex = Assert.Throws<ArgumentException>(() => F.OneHot(labels, 2));
        Assert.Contains("label 2 at index 0", ex.Message);
    }
}
