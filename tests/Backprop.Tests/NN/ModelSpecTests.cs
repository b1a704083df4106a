using Backprop.NN;

namespace Backprop.Tests.NN;

public class ModelSpecTests
{
    [Theory]
    [InlineData("784-256-128-10:relu")]
    [InlineData("64-512-256-10:tanh:dropout=0.2")]
    [InlineData("2-1:relu")]
    [InlineData("cnn:784-10")]
    [InlineData("cnn:64-10")]
    [InlineData("cnn:256-3")]
    [InlineData("cnn-bn:784-10")]
    [InlineData("cnn-bn:64-10")]
    [InlineData("64-32-16-10:relu:bn:dropout=0.1")]
    public void NumParametersCountsWhatBuildCreates(string text)
    {
        var spec = ModelSpec.Parse(text);
        var model = spec.Build();
        Assert.Equal(model.NumParameters(), spec.NumParameters);
        Assert.Equal(model.StateDict().Values.Sum(t => (long)t.Numel), spec.NumStateElements);
        Assert.Equal(text, spec.ToString());
    }

    [Fact]
    public void MlpMeansTheBatchNormRecipe()
    {
        var spec = ModelSpec.Parse("mlp", 784, 10);
        Assert.Equal("784-512-256-10:relu:bn:dropout=0.2", spec.ToString());
        Assert.Equal(
            "Sequential(\n" +
            "  (0): Linear(in_features=784, out_features=512, bias=True)\n" +
            "  (1): BatchNorm1d(512, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n" +
            "  (2): ReLU()\n" +
            "  (3): Dropout(p=0.2, inplace=False)\n" +
            "  (4): Linear(in_features=512, out_features=256, bias=True)\n" +
            "  (5): BatchNorm1d(256, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)\n" +
            "  (6): ReLU()\n" +
            "  (7): Dropout(p=0.2, inplace=False)\n" +
            "  (8): Linear(in_features=256, out_features=10, bias=True)\n" +
            ")",
            spec.Build().ToString());
    }

    [Fact]
    public void NumParametersSaturatesInsteadOfOverflowing()
    {
        var spec = ModelSpec.Parse("2000000000-2000000000-2000000000-2000000000-2000000000");
        Assert.Equal(long.MaxValue, spec.NumParameters);
    }
}
