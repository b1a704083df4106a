using Backprop.Samples;
using Backprop.Tests.Data;

namespace Backprop.Tests.Examples;

public class SampleArgsTests
{
    [Fact]
    public void AbsentArgumentsTakeTheDefaultAndValidOnesParse()
    {
        Assert.Equal(10, SampleArgs.Int([], 0, "EPOCHS", 10));
        Assert.Equal(3, SampleArgs.Int(["digits", "3"], 1, "EPOCHS", 10));
        Assert.Equal(0.6, SampleArgs.Positive(["400"], 1, "TEMPERATURE", 0.6));
        Assert.Equal(1.5, SampleArgs.Positive(["400", "1.5"], 1, "TEMPERATURE", 0.6));
    }

    [Theory]
    [InlineData("x")]
    [InlineData("0")]
    [InlineData("-2")]
    [InlineData("2.5")]
    [InlineData("99999999999")]
    public void ABadCountNamesTheArgumentAndTheValue(string value)
    {
        var ex = Assert.Throws<ArgumentException>(() => SampleArgs.Int([value], 0, "EPOCHS", 1));
        Assert.Equal($"EPOCHS must be a whole number of at least 1, got '{value}'", ex.Message);
    }

    [Theory]
    [InlineData("hot")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    public void ABadTemperatureNamesTheArgumentAndTheValue(string value)
    {
        var ex = Assert.Throws<ArgumentException>(() => SampleArgs.Positive(["10", value], 1, "TEMPERATURE", 0.6));
        Assert.Equal($"TEMPERATURE must be a positive number, got '{value}'", ex.Message);
    }

    [Fact]
    public void SamplesWriteUnderRunsSamplesTheirNameNotIntoTheFolderTheyRunIn()
    {
        using var folder = new TempFolder();
        string path = SampleArgs.OutputPath("FashionCnn", "fashion_cnn.safetensors", folder.Path);
        Assert.Equal(Path.Combine(folder.Path, "runs", "samples", "FashionCnn", "fashion_cnn.safetensors"), path);
        Assert.True(Directory.Exists(Path.GetDirectoryName(path)));
        Assert.Empty(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void AnOutputFolderThatCannotBeMadeIsNamed()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("runs"), "a file where the folder would go");
        var ex = Assert.Throws<IOException>(() => SampleArgs.OutputPath("RowLstm", "m.safetensors", folder.Path));
        Assert.StartsWith($"cannot create the output folder {Path.Combine(folder.Path, "runs", "samples", "RowLstm")}", ex.Message);
    }
}
