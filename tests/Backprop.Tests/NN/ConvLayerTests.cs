using Backprop.NN;

namespace Backprop.Tests.NN;

public class ConvLayerTests
{
    [Fact]
    public void LayersPrintLikePyTorch()
    {
        Assert.Equal("Conv2d(1, 16, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))", new Conv2d(1, 16, 5, padding: 2).ToString());
        Assert.Equal(
            "Conv2d(16, 32, kernel_size=(3, 5), stride=(2, 1), dilation=(2, 2), groups=4, bias=False)",
            new Conv2d(16, 32, (3, 5), stride: (2, 1), dilation: 2, groups: 4, bias: false).ToString());
        Assert.Equal("Conv1d(4, 8, kernel_size=(3,), stride=(2,), padding=(1,))", new Conv1d(4, 8, 3, stride: 2, padding: 1).ToString());
        Assert.Equal("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)", new MaxPool2d(2).ToString());
        Assert.Equal("MaxPool2d(kernel_size=(3, 2), stride=1, padding=1, dilation=1, ceil_mode=True)", new MaxPool2d((3, 2), stride: 1, padding: 1, ceilMode: true).ToString());
        Assert.Equal("AvgPool2d(kernel_size=3, stride=2, padding=1)", new AvgPool2d(3, stride: 2, padding: 1).ToString());
        Assert.Equal("AdaptiveAvgPool2d(output_size=(5, 7))", new AdaptiveAvgPool2d((5, 7)).ToString());
        Assert.Equal("AdaptiveAvgPool2d(output_size=1)", new AdaptiveAvgPool2d(1).ToString());
        Assert.Equal("Unflatten(dim=1, unflattened_size=(1, 28, 28))", new Unflatten(1, [1, 28, 28]).ToString());
    }

    [Fact]
    public void ConvParametersHavePyTorchNamesAndShapes()
    {
        var conv = new Conv2d(4, 6, (3, 2), groups: 2);
        var state = conv.StateDict();
        Assert.Equal(["weight", "bias"], state.Keys);
        Assert.Equal([6, 2, 3, 2], state["weight"].Shape);
        Assert.Equal([6], state["bias"].Shape);
        Assert.Equal(["weight"], new Conv1d(3, 5, 4, bias: false).StateDict().Keys);
        Assert.Equal([5, 3, 4], new Conv1d(3, 5, 4).Weight.Shape);
        Assert.Empty(new MaxPool2d(2).StateDict());
    }

    [Fact]
    public void InitializationIsUniformWithinOneOverSqrtFanIn()
    {
        // fan_in = in_channels/groups · kH · kW = 8/2 · 3 · 3 = 36, bound 1/6.
        var conv = new Conv2d(8, 16, 3, groups: 2, generator: new Generator(1));
        double bound = 1.0 / 6;
        var w = conv.Weight.ToArray();
        var b = conv.Bias!.ToArray();
        Assert.All(w, v => Assert.InRange(Math.Abs(v), 0, bound));
        Assert.All(b, v => Assert.InRange(Math.Abs(v), 0, bound));
        Assert.True(w.Max() > 0.9 * bound && w.Min() < -0.9 * bound, "weights should fill the interval");
        Assert.Equal(w, new Conv2d(8, 16, 3, groups: 2, generator: new Generator(1)).Weight.ToArray());
    }

    [Fact]
    public void ForwardIsTheFunctionalOpWithTheLayersSettings()
    {
        var conv = new Conv2d(2, 3, 3, stride: 2, padding: 1, dilation: (1, 2), generator: new Generator(2), dtype: DType.Float64);
        var x = Tensor.Randn([2, 2, 7, 8], new Generator(3), DType.Float64);
        Assert.Equal(F.Conv2d(x, conv.Weight, conv.Bias, 2, 1, (1, 2)).ToArray(), conv.Forward(x).ToArray());
        var conv1 = new Conv1d(2, 4, 3, padding: 1, generator: new Generator(4), dtype: DType.Float64);
        var s = Tensor.Randn([3, 2, 9], new Generator(5), DType.Float64);
        Assert.Equal([3, 4, 9], conv1.Forward(s).Shape);
    }

    [Fact]
    public void StateDictRoundTripReproducesTheOutput()
    {
        var a = new Conv2d(3, 4, 3, padding: 1, generator: new Generator(6));
        var b = new Conv2d(3, 4, 3, padding: 1, generator: new Generator(7));
        var x = Tensor.Randn([2, 3, 5, 5], new Generator(8));
        Assert.NotEqual(a.Forward(x).ToArray(), b.Forward(x).ToArray());
        b.LoadStateDict(a.StateDict());
        Assert.Equal(a.Forward(x).ToArray(), b.Forward(x).ToArray());
    }

    [Fact]
    public void GradCheckPassesThroughTheLayers()
    {
        var conv = new Conv2d(2, 3, 3, padding: 1, generator: new Generator(9), dtype: DType.Float64);
        var x = Tensor.Randn([2, 2, 4, 5], new Generator(10), DType.Float64, requiresGrad: true);
        var model = new Sequential(conv, new Tanh(), new MaxPool2d(2), new AvgPool2d(2, stride: 1, padding: 1), new AdaptiveAvgPool2d(2));
        var result = GradCheck.Check(t => model.Forward(t[0]), x, conv.Weight, conv.Bias!);
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void BadLayerArgumentsNameTheirValues()
    {
        Assert.Contains("groups=3 must divide both in_channels=4 and out_channels=6", Assert.Throws<ArgumentException>(() => new Conv2d(4, 6, 3, groups: 3)).Message);
        Assert.Contains("in_channels=0", Assert.Throws<ArgumentException>(() => new Conv1d(0, 6, 3)).Message);
        Assert.Contains("kernel_size must be positive, got (0, 3)", Assert.Throws<ArgumentException>(() => new Conv2d(1, 1, (0, 3))).Message);
        Assert.Contains("stride must be at least 1", Assert.Throws<ArgumentException>(() => new MaxPool2d(2, stride: 0)).Message);
        Assert.Contains("output size must be positive", Assert.Throws<ArgumentException>(() => new AdaptiveAvgPool2d(0)).Message);
        Assert.Contains("(1, 0, 28)", Assert.Throws<ArgumentException>(() => new Unflatten(1, [1, 0, 28])).Message);
    }

    [Fact]
    public void ChannelMismatchAtForwardNamesTheSizes()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Conv2d(3, 8, 3).Forward(Tensor.Zeros(2, 1, 28, 28)));
        Assert.Contains("has 1 channels", ex.Message);
        Assert.Contains("expects 3", ex.Message);
    }

    [Fact]
    public void UnflattenSplitsOneDimension()
    {
        var x = Tensor.Arange(24).Reshape(2, 12);
        Assert.Equal([2, 1, 3, 4], new Unflatten(1, [1, 3, 4]).Forward(x).Shape);
        Assert.Equal([2, 2, 6], new Unflatten(-1, [2, -1]).Forward(x).Shape);
        Assert.Equal(x.ToArray(), new Unflatten(1, [3, 4]).Forward(x).ToArray());
        var ex = Assert.Throws<ArgumentException>(() => new Unflatten(1, [5, 5]).Forward(x));
        Assert.Contains("(2x12) has size 12, which cannot be split into (5, 5)", ex.Message);
    }

    [Fact]
    public void SmallCnnTrainsOnRandomImages()
    {
        // A batch of 16 random 8x8 images with random labels: the CNN must be able to fit it.
        var g = new Generator(11);
        var model = new Sequential(
            new Unflatten(1, [1, 8, 8]), new Conv2d(1, 4, 3, padding: 1, generator: g), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(64, 4, generator: g));
        var x = Tensor.Randn([16, 64], g);
        var y = Tensor.RandInt(0, 4, [16], g);
        var opt = new Backprop.Optim.Adam(model.Parameters(), lr: 0.02);
        double first = 0, last = 0;
        for (int step = 0; step < 60; step++)
        {
            opt.ZeroGrad();
            var loss = F.CrossEntropy(model.Forward(x), y);
            loss.Backward();
            opt.Step();
            last = loss.Item();
            first = step == 0 ? last : first;
        }

        Assert.True(last < first * 0.3, $"loss {first} -> {last}");
    }
}
