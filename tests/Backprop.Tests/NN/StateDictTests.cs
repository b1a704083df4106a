using Backprop.NN;

namespace Backprop.Tests.NN;

public class StateDictTests
{
    private sealed class WithBuffer : Module
    {
        public Tensor Weight { get; set; } = Tensor.Rand([3], new Generator(9)).RequiresGrad_();

        [Buffer]
        public Tensor RunningMean { get; set; } = Tensor.Zeros(3);

        [Buffer]
        public Tensor NumBatchesTracked { get; set; } = Tensor.FromArray(new long[] { 0 });

        public override Tensor Forward(Tensor input) => input * Weight;
    }

    public static TheoryData<string> Layers() =>
    [
        "Linear", "LinearNoBias", "Linear64", "Sequential", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU",
        "Softmax", "LogSoftmax", "Flatten", "Dropout", "Identity", "ModuleList", "WithBuffer",
    ];

    private static Module Create(string name, long seed)
    {
        var g = new Generator(seed);
        return name switch
        {
            "Linear" => new Linear(5, 3, generator: g),
            "LinearNoBias" => new Linear(5, 3, bias: false, generator: g),
            "Linear64" => new Linear(5, 3, generator: g, dtype: DType.Float64),
            "Sequential" => new Sequential(new Linear(4, 3, generator: g), new ReLU(), new Sequential(new Linear(3, 2, generator: g))),
            "ReLU" => new ReLU(),
            "LeakyReLU" => new LeakyReLU(0.2),
            "Sigmoid" => new Sigmoid(),
            "Tanh" => new Tanh(),
            "GELU" => new GELU(),
            "Softmax" => new Softmax(1),
            "LogSoftmax" => new LogSoftmax(1),
            "Flatten" => new Flatten(),
            "Dropout" => new Dropout(0.3),
            "Identity" => new Identity(),
            "ModuleList" => new ModuleList(new Linear(2, 2, generator: g), new Linear(2, 1, generator: g)),
            "WithBuffer" => new WithBuffer { RunningMean = Tensor.Rand([3], g) },
            _ => throw new ArgumentException(name),
        };
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void StateDictRoundTripCopiesValuesInPlace(string layer)
    {
        var source = Create(layer, seed: 1);
        var target = Create(layer, seed: 2);
        var live = target.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        var before = target.Parameters().ToList();

        var result = target.LoadStateDict(source.StateDict());

        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        var expected = source.StateDict();
        var actual = target.StateDict();
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (key, value) in expected)
        {
            Assert.Equal(value.Shape, actual[key].Shape);
            Assert.Equal(value.DType, actual[key].DType);
            Assert.Equal(value.ToArray(), actual[key].ToArray());

            // Same storage as before the load: optimizers holding the old references see the new values.
            Assert.Same(live[key]._data, actual[key]._data);
        }

        Assert.Equal(before, target.Parameters());
        Assert.All(target.Parameters(), p => Assert.True(p.RequiresGrad));
    }

    [Fact]
    public void StateDictValuesShareStorageAndAreDetached()
    {
        var linear = new Linear(2, 2);
        var state = linear.StateDict();
        Assert.Equal(["weight", "bias"], state.Keys);
        Assert.Same(linear.Weight._data, state["weight"]._data);
        Assert.False(state["weight"].RequiresGrad);
        Assert.True(linear.Weight.RequiresGrad);
    }

    [Fact]
    public void BuffersAreIncludedAndLoadedWithDTypeConversion()
    {
        var m = new WithBuffer();
        Assert.Equal(["weight", "running_mean", "num_batches_tracked"], m.StateDict().Keys);
        Assert.DoesNotContain(m.Parameters(), p => ReferenceEquals(p, m.RunningMean));
        var state = new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.FromArray(new double[] { 1.5, 2.5, 3.5 }),
            ["running_mean"] = Tensor.FromArray(new long[] { 1, 2, 3 }, 3),
            ["num_batches_tracked"] = Tensor.FromArray(new float[] { 42 }, 1),
        };
        m.LoadStateDict(state);
        Assert.Equal(DType.Float32, m.Weight.DType);
        Assert.Equal([1.5, 2.5, 3.5], m.Weight.ToArray());
        Assert.Equal([1.0, 2, 3], m.RunningMean.ToArray());
        Assert.Equal([42L], m.NumBatchesTracked.ToArray<long>());
    }

    [Fact]
    public void StrictLoadListsAllMissingUnexpectedAndMismatchedKeysInOneMessage()
    {
        var model = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 10));
        var state = new Sequential(new Linear(784, 128), new ReLU(), new Linear(256, 10)).StateDict();
        state.Remove("2.bias");
        state.Remove("2.weight");
        state["3.weight"] = Tensor.Zeros(1);
        state["extra"] = Tensor.Zeros(1);
        var weightBefore = ((Linear)model[0]).Weight.ToArray();

        var ex = Assert.Throws<ArgumentException>(() => model.LoadStateDict(state));

        Assert.Contains("missing keys: 2.weight, 2.bias", ex.Message);
        Assert.Contains("unexpected keys: 3.weight, extra", ex.Message);
        Assert.Contains("0.weight: expected (256x784), got (128x784)", ex.Message);
        Assert.Contains("0.bias: expected (256), got (128)", ex.Message);
        Assert.Equal(weightBefore, ((Linear)model[0]).Weight.ToArray());
    }

    [Fact]
    public void NonStrictLoadReportsKeysAndLoadsTheRest()
    {
        var model = new Sequential(new Linear(3, 2), new Linear(2, 1));
        var donor = new Sequential(new Linear(3, 2));
        var state = donor.StateDict();
        state["9.weight"] = Tensor.Zeros(1);

        var result = model.LoadStateDict(state, strict: false);

        Assert.Equal(["1.weight", "1.bias"], result.MissingKeys);
        Assert.Equal(["9.weight"], result.UnexpectedKeys);
        Assert.Equal(((Linear)donor[0]).Weight.ToArray(), ((Linear)model[0]).Weight.ToArray());
    }

    [Fact]
    public void ShapeMismatchFailsEvenWhenNotStrict()
    {
        var model = new Linear(3, 2);
        var ex = Assert.Throws<ArgumentException>(() => model.LoadStateDict(new Linear(4, 2).StateDict(), strict: false));
        Assert.Equal("LoadStateDict for Linear: shape mismatch for weight: expected (2x3), got (2x4)", ex.Message);
    }

    [Fact]
    public void LoadingIntoAModelUnderTrainingKeepsOptimizerReferencesWorking()
    {
        var model = new Linear(2, 1);
        var held = model.Weight;
        var state = new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.FromArray(new float[] { 3, 4 }, 1, 2),
            ["bias"] = Tensor.FromArray(new float[] { 1 }, 1),
        };
        model.LoadStateDict(state);
        Assert.Same(held, model.Weight);
        Assert.Equal([3.0, 4], held.ToArray());
        var y = model.Forward(Tensor.FromArray(new float[] { 1, 2 }, 1, 2));
        Assert.Equal(12.0, y.Item());
    }
}
