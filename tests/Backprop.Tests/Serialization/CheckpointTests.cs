using Backprop.Serialization;

namespace Backprop.Tests.Serialization;

public sealed class CheckpointTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private static CheckpointData Sample(int epoch = 7)
    {
        var loader = new Generator(123);
        loader.NextUInt64();
        return new CheckpointData(
            Model: new Dictionary<string, Tensor>
            {
                ["layers.0.weight"] = Tensor.Randn([3, 2], seed: 1),
                ["layers.0.bias"] = Tensor.FromArray(new float[] { 0.1f, -0.2f, 0.3f }, 3),
            },
            Optimizer: new Dictionary<string, Tensor>
            {
                ["state.0.exp_avg"] = Tensor.Randn([3, 2], seed: 2, dtype: DType.Float64),
                ["state.0.step"] = Tensor.Scalar(42, DType.Int64),
            },
            Epoch: epoch,
            GeneratorStates: new Dictionary<string, ulong[]>
            {
                ["data_loader"] = loader.GetState(),
                ["dropout"] = [ulong.MaxValue, 0, 1, 0x8000_0000_0000_0000],
            },
            Metadata: new Dictionary<string, string> { ["spec"] = "2-3:relu", ["options"] = "{\"lr\":0.001}" });
    }

    [Fact]
    public void RoundTripIsBitExact()
    {
        string path = _dir.File("checkpoint.safetensors");
        var data = Sample();
        Checkpoint.Save(path, data);
        var back = Checkpoint.Load(path);

        Assert.Equal(7, back.Epoch);
        Assert.Equal(data.Model.Keys.Order(), back.Model.Keys.Order());
        Assert.Equal(data.Model["layers.0.weight"].ToArray<float>(), back.Model["layers.0.weight"].ToArray<float>());
        Assert.Equal(data.Model["layers.0.bias"].ToArray<float>(), back.Model["layers.0.bias"].ToArray<float>());
        Assert.Equal(DType.Float64, back.Optimizer["state.0.exp_avg"].DType);
        Assert.Equal(data.Optimizer["state.0.exp_avg"].ToArray<double>(), back.Optimizer["state.0.exp_avg"].ToArray<double>());
        Assert.Equal(42L, back.Optimizer["state.0.step"].ToArray<long>()[0]);
        Assert.Equal(0, back.Optimizer["state.0.step"].Rank);
        Assert.Equal(data.GeneratorStates["data_loader"], back.GeneratorStates["data_loader"]);
        Assert.Equal(new ulong[] { ulong.MaxValue, 0, 1, 0x8000_0000_0000_0000 }, back.GeneratorStates["dropout"]);
        Assert.Equal(data.Metadata, back.Metadata);

        // A restored generator continues the same sequence.
        var original = new Generator(123);
        original.NextUInt64();
        var restored = new Generator(0);
        restored.SetState(back.GeneratorStates["data_loader"]);
        Assert.Equal(original.NextUInt64(), restored.NextUInt64());
    }

    [Fact]
    public void IsAPlainSafetensorsFile()
    {
        string path = _dir.File("checkpoint.safetensors");
        Checkpoint.Save(path, Sample());
        var (tensors, metadata) = SafeTensors.LoadWithMetadata(path);
        Assert.Equal(new[] { "model.layers.0.bias", "model.layers.0.weight", "optimizer.state.0.exp_avg", "optimizer.state.0.step" }, tensors.Keys.Order());
        Assert.Equal(Checkpoint.FormatTag, metadata["format"]);
        Assert.Equal("7", metadata["epoch"]);
        Assert.Equal("18446744073709551615,0,1,9223372036854775808", metadata["generator.dropout"]);
        Assert.Equal("2-3:relu", metadata["meta.spec"]);
    }

    [Fact]
    public void EmptyOptimizerStateRoundTrips()
    {
        string path = _dir.File("sgd.ckpt");
        var data = Sample() with { Optimizer = [], GeneratorStates = [], Metadata = [] };
        Checkpoint.Save(path, data);
        var back = Checkpoint.Load(path);
        Assert.Empty(back.Optimizer);
        Assert.Empty(back.GeneratorStates);
        Assert.Equal(2, back.Model.Count);
    }

    [Fact]
    public void SavingAgainReplacesThePreviousCheckpoint()
    {
        string path = _dir.File("checkpoint.safetensors");
        Checkpoint.Save(path, Sample(epoch: 1));
        Checkpoint.Save(path, Sample(epoch: 2));
        Assert.Equal(2, Checkpoint.Load(path).Epoch);
        Assert.Equal(new[] { "checkpoint.safetensors" }, _dir.Entries());
    }

    [Fact]
    public void InvalidArgumentsFailBeforeTouchingThePreviousCheckpoint()
    {
        string path = _dir.File("checkpoint.safetensors");
        Checkpoint.Save(path, Sample(epoch: 3));
        var bad = Sample() with { GeneratorStates = new() { ["dropout"] = [1, 2, 3] } };
        Assert.Contains("generator state 'dropout' must have 4 words, got 3", Assert.Throws<ArgumentException>(() => Checkpoint.Save(path, bad)).Message);
        Assert.Contains("epoch must be non-negative", Assert.Throws<ArgumentException>(() => Checkpoint.Save(path, Sample(epoch: -1))).Message);
        Assert.Equal(3, Checkpoint.Load(path).Epoch);
    }

    [Fact]
    public void PlainModelFileIsNotACheckpoint()
    {
        string path = _dir.File("model.safetensors");
        SafeTensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Ones(2) });
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
        Assert.Equal($"{path}: invalid checkpoint: not a checkpoint: its metadata has no 'format' entry (a plain model file? load it with SafeTensors.Load)", ex.Message);
    }

    private InvalidDataException LoadFails(Dictionary<string, Tensor> tensors, Dictionary<string, string> changes, params string[] removed)
    {
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Checkpoint.FormatTag,
            ["epoch"] = "1",
            ["model_tensors"] = "1",
            ["optimizer_tensors"] = "1",
        };
        foreach (var (k, v) in changes)
        {
            metadata[k] = v;
        }

        foreach (string k in removed)
        {
            metadata.Remove(k);
        }

        string path = _dir.File("bad.ckpt");
        SafeTensors.Save(path, tensors, metadata);
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
        Assert.StartsWith(path + ": invalid checkpoint: ", ex.Message);
        return ex;
    }

    private static Dictionary<string, Tensor> Both() => new() { ["model.w"] = Tensor.Ones(1), ["optimizer.m"] = Tensor.Zeros(1) };

    [Fact]
    public void MissingSectionIsNamed()
    {
        var ex = LoadFails(new() { ["model.w"] = Tensor.Ones(1) }, []);
        Assert.Contains("the optimizer section should hold 1 tensors ('optimizer.<key>') but the section is missing", ex.Message);
        ex = LoadFails(new() { ["optimizer.m"] = Tensor.Ones(1) }, []);
        Assert.Contains("the model section should hold 1 tensors ('model.<key>') but the section is missing", ex.Message);
        ex = LoadFails(Both(), new() { ["model_tensors"] = "2" });
        Assert.Contains("the model section should hold 2 tensors ('model.<key>') but only 1 are present", ex.Message);
    }

    [Fact]
    public void BadMetadataIsNamed()
    {
        Assert.Contains("metadata entry 'epoch' is missing", LoadFails(Both(), [], "epoch").Message);
        Assert.Contains("metadata entry 'epoch' must be a non-negative integer, got '-3'", LoadFails(Both(), new() { ["epoch"] = "-3" }).Message);
        Assert.Contains("metadata entry 'epoch' must be a non-negative integer, got 'ten'", LoadFails(Both(), new() { ["epoch"] = "ten" }).Message);
        Assert.Contains("unsupported checkpoint format 'other.v9'", LoadFails(Both(), new() { ["format"] = "other.v9" }).Message);
        Assert.Contains("metadata entry 'generator.dropout' must be 4 comma-separated unsigned 64-bit integers, got '1,2,x,4'", LoadFails(Both(), new() { ["generator.dropout"] = "1,2,x,4" }).Message);
        Assert.Contains("metadata entry 'generator.dropout' must hold 4 generator state words, got 3", LoadFails(Both(), new() { ["generator.dropout"] = "1,2,3" }).Message);
        Assert.Contains("'generator.dropout' is the all-zero state", LoadFails(Both(), new() { ["generator.dropout"] = "0,0,0,0" }).Message);
    }

    [Fact]
    public void UnexpectedTensorIsNamed()
    {
        var tensors = Both();
        tensors["stray"] = Tensor.Ones(1);
        Assert.Contains("unexpected tensor 'stray'", LoadFails(tensors, []).Message);
    }

    [Fact]
    public void CorruptCheckpointFileIsInvalidData()
    {
        string path = _dir.File("checkpoint.safetensors");
        Checkpoint.Save(path, Sample());
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^4]);
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path));
        Assert.Contains("invalid safetensors file", ex.Message);
        Assert.Contains("truncated", ex.Message);
    }
}
