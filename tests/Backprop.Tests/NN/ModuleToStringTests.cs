using Backprop.NN;

namespace Backprop.Tests.NN;

public class ModuleToStringTests
{
    private sealed class Net : Module
    {
        public Sequential Features { get; } = new(new Flatten(), new Linear(784, 256), new ReLU());

        public Linear Head { get; } = new(256, 10);

        public override Tensor Forward(Tensor input) => Head.Forward(Features.Forward(input));
    }

    [Fact]
    public void SequentialPrintsLikePyTorch()
    {
        var model = new Sequential(new Linear(784, 256), new ReLU(), new Dropout(0.2), new Linear(256, 10), new LogSoftmax(1));
        Assert.Equal(
            "Sequential(\n" +
            "  (0): Linear(in_features=784, out_features=256, bias=True)\n" +
            "  (1): ReLU()\n" +
            "  (2): Dropout(p=0.2, inplace=False)\n" +
            "  (3): Linear(in_features=256, out_features=10, bias=True)\n" +
            "  (4): LogSoftmax(dim=1)\n" +
            ")",
            model.ToString());
    }

    [Fact]
    public void NestedModulesAreIndented()
    {
        Assert.Equal(
            "Net(\n" +
            "  (features): Sequential(\n" +
            "    (0): Flatten(start_dim=1, end_dim=-1)\n" +
            "    (1): Linear(in_features=784, out_features=256, bias=True)\n" +
            "    (2): ReLU()\n" +
            "  )\n" +
            "  (head): Linear(in_features=256, out_features=10, bias=True)\n" +
            ")",
            new Net().ToString());
    }

    [Fact]
    public void LeafModulesShowTheirSettings()
    {
        Assert.Equal("LeakyReLU(negative_slope=0.01)", new LeakyReLU().ToString());
        Assert.Equal("GELU(approximate='none')", new GELU().ToString());
        Assert.Equal("Softmax(dim=-1)", new Softmax(-1).ToString());
        Assert.Equal("Sigmoid()", new Sigmoid().ToString());
        Assert.Equal("Tanh()", new Tanh().ToString());
        Assert.Equal("Identity()", new Identity().ToString());
        Assert.Equal("Sequential()", new Sequential().ToString());
        Assert.Equal("CrossEntropyLoss()", new CrossEntropyLoss().ToString());
        Assert.Equal("MSELoss(reduction='sum')", new MSELoss(Reduction.Sum).ToString());
    }
}
