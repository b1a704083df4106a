using Backprop.Cli.Training;

namespace Backprop.Tests.Cli;

public class ModelDescriptionTests
{
    [Theory]
    [InlineData("784-256-128-10:relu")]
    [InlineData("cnn:784-10")]
    [InlineData("lstm-784-128-10")]
    [InlineData("lstm-64-20-3")]
    public void NumParametersCountsWhatBuildCreates(string text)
    {
        var description = ModelDescription.Parse(text);
        Assert.Equal(description.Build().NumParameters(), description.NumParameters);
        Assert.NotEmpty(description.Layers);
    }
}
