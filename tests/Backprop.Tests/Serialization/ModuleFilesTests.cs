using Backprop.NN;
using Backprop.Serialization;
using Xunit;

namespace Backprop.Tests.Serialization;

public class ModuleFilesTests
{
    private static Sequential Model(long seed) =>
        new(new Linear(4, 8, generator: new Generator(seed)), new BatchNorm1d(8), new ReLU(), new Linear(8, 3, generator: new Generator(seed + 1)));

    [Fact]
    public void SaveThenLoadGivesTheSamePredictions()
    {
        using var dir = new TempFolder();
        string path = dir.File("model.safetensors");
        var model = Model(1);
        model.Forward(Tensor.Randn([16, 4], seed: 3));  // moves the running statistics off their start
        model.Eval();
        model.Save(path, new Dictionary<string, string> { ["note"] = "test" });

        var loaded = Model(7);
        var result = loaded.LoadStateDict(path);
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        loaded.Eval();
        var x = Tensor.Randn([5, 4], seed: 9);
        Assert.Equal(model.Forward(x).ToArray<float>(), loaded.Forward(x).ToArray<float>());
        Assert.Equal("test", SafeTensors.Inspect(path).Metadata["note"]);
        Assert.Equal(model.StateDict().Keys, SafeTensors.Inspect(path).Tensors.Select(t => t.Name).OrderBy(n => model.StateDict().Keys.ToList().IndexOf(n)));
    }

    [Fact]
    public void SafeTensorsSaveTakesSafetensorsArgumentOrderToo()
    {
        using var dir = new TempFolder();
        string path = dir.File("t.safetensors");
        var tensors = new Dictionary<string, Tensor> { ["w"] = Tensor.FromArray(new float[] { 1, 2, 3 }) };
        SafeTensors.Save(tensors, path);
        Assert.Equal([1f, 2f, 3f], SafeTensors.Load(path)["w"].ToArray<float>());
    }

    [Fact]
    public void AStrictLoadOfAnotherModelNamesTheKeys()
    {
        using var dir = new TempFolder();
        string path = dir.File("small.safetensors");
        new Linear(4, 3).Save(path);
        var ex = Assert.ThrowsAny<ArgumentException>(() => Model(1).LoadStateDict(path));
        Assert.Contains("weight", ex.Message);

        var relaxed = new Sequential(new Linear(4, 3)).LoadStateDict(path, strict: false);
        Assert.Contains("0.weight", relaxed.MissingKeys);
        Assert.Contains("weight", relaxed.UnexpectedKeys);

        Assert.Throws<FileNotFoundException>(() => Model(1).LoadStateDict(dir.File("missing.safetensors")));
    }
}
