using Backprop.NN;

namespace Backprop.Tests.NN;

public class ModelSpecTests
{
    [Theory]
    [InlineData("784-256-128-10:relu")]
    [InlineData("64-512-256-10:tanh:dropout=0.2")]
    [InlineData("2-1")]
    [InlineData("cnn:784-10")]
    [InlineData("cnn:64-10")]
    [InlineData("cnn:256-3")]
    public void NumParametersCountsWhatBuildCreates(string text)
    {
        var spec = ModelSpec.Parse(text);
        Assert.Equal(spec.Build().NumParameters(), spec.NumParameters);
    }

    [Fact]
    public void NumParametersSaturatesInsteadOfOverflowing()
    {
        var spec = ModelSpec.Parse("2000000000-2000000000-2000000000-2000000000-2000000000");
        Assert.Equal(long.MaxValue, spec.NumParameters);
    }
}
