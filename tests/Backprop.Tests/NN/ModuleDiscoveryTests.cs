using Backprop.NN;

namespace Backprop.Tests.NN;

public class ModuleDiscoveryTests
{
    private sealed class Block : Module
    {
        private readonly Linear _fc1 = new(3, 4, generator: new Generator(1));
        private readonly Tensor _scale = Tensor.Ones([4]).RequiresGrad_();
        private readonly List<Module> _heads = [new Linear(4, 2, generator: new Generator(2)), new ReLU(), new Linear(4, 1, bias: false, generator: new Generator(3))];

        [Buffer]
        public Tensor RunningMean { get; set; } = Tensor.Zeros(4);

        [Unregistered]
        private readonly Tensor _cache = Tensor.Zeros(1);

        private readonly int _notState = 7;

        public Tensor ScaleForTest => _scale;

        public int NotState => _notState + _cache.Numel;

        public override Tensor Forward(Tensor input) => _heads[0].Forward(_fc1.Forward(input) * _scale);
    }

    private sealed class Net : Module
    {
        public Net(Module shared)
        {
            Encoder = new Sequential(new Linear(2, 3, generator: new Generator(4)), new Tanh());
            Block = new Block();
            Tied = shared;
            Again = shared;
        }

        public Sequential Encoder { get; }

        public Block Block { get; }

        public Module Tied { get; }

        public Module Again { get; }

        public Module? Missing { get; set; }

        public override Tensor Forward(Tensor input) => Block.Forward(Encoder.Forward(input));
    }

    private sealed class Dynamic : Module
    {
        public Dynamic(int layers)
        {
            for (int l = 0; l < layers; l++)
            {
                RegisterParameter($"weight_ih_l{l}", Tensor.Ones([2, 2]));
                RegisterBuffer($"count_l{l}", Tensor.Zeros(1));
            }

            RegisterModule("proj", new Linear(2, 2));
            Weight = Tensor.Zeros(1);
        }

        public Tensor Weight { get; set; }

        public override Tensor Forward(Tensor input) => input;
    }

    [Fact]
    public void NestedSequentialGetsDottedNumericKeys()
    {
        var model = new Sequential(new Linear(4, 3), new ReLU(), new Sequential(new Linear(3, 2), new Sigmoid()));
        Assert.Equal(["0.weight", "0.bias", "2.0.weight", "2.0.bias"], model.NamedParameters().Select(p => p.Name));
        Assert.Equal(4, model.Parameters().Count());
        Assert.Equal((4 * 3) + 3 + (3 * 2) + 2, model.NumParameters());
        Assert.Equal(["", "0", "1", "2", "2.0", "2.1"], model.NamedModules().Select(m => m.Name));
        Assert.Equal(["0", "1", "2"], model.NamedChildren().Select(c => c.Name));
    }

    [Fact]
    public void CustomModuleDiscoversPrivateFieldsListsPropertiesAndBuffers()
    {
        var shared = new Linear(1, 1, generator: new Generator(5));
        var net = new Net(shared);
        string[] expected =
        [
            "encoder.0.weight", "encoder.0.bias",
            "block.scale", "block.fc1.weight", "block.fc1.bias",
            "block.heads.0.weight", "block.heads.0.bias", "block.heads.2.weight",
            "tied.weight", "tied.bias",
        ];
        Assert.Equal(expected, net.NamedParameters().Select(p => p.Name));
        Assert.Equal(["block.running_mean"], net.NamedBuffers().Select(b => b.Name));
        Assert.Same(net.Block.ScaleForTest, net.NamedParameters().Single(p => p.Name == "block.scale").Parameter);
        Assert.Equal(["encoder", "block", "tied"], net.NamedChildren().Select(c => c.Name));
        Assert.Equal(8, net.Block.NotState);
    }

    [Fact]
    public void SharedModuleIsListedOnceInParametersButUnderBothKeysInStateDict()
    {
        var shared = new Linear(1, 1);
        var net = new Net(shared);
        Assert.Single(net.Parameters(), p => ReferenceEquals(p, shared.Weight));
        var keys = net.StateDict().Keys.ToList();
        Assert.Contains("tied.weight", keys);
        Assert.Contains("again.weight", keys);
        // As PyTorch: each module's own parameters and buffers come before its children's.
        Assert.Equal(
            ["encoder.0.weight", "encoder.0.bias", "block.scale", "block.running_mean", "block.fc1.weight", "block.fc1.bias"],
            keys.Take(6));
    }

    [Fact]
    public void FieldValuesAreReadAtCallTime()
    {
        var linear = new Linear(2, 2);
        var replacement = Tensor.Ones([2, 2]).RequiresGrad_();
        linear.Weight = replacement;
        Assert.Same(replacement, linear.Parameters().First());
        linear.Bias = null;
        Assert.Equal(["weight"], linear.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void RegisteredNamesComeAfterFieldsAndOverrideThem()
    {
        var m = new Dynamic(2);
        Assert.Equal(["weight", "weight_ih_l0", "weight_ih_l1", "proj.weight", "proj.bias"], m.NamedParameters().Select(p => p.Name));
        Assert.Equal(["count_l0", "count_l1"], m.NamedBuffers().Select(p => p.Name));
        Assert.Equal(
            ["weight", "weight_ih_l0", "weight_ih_l1", "count_l0", "count_l1", "proj.weight", "proj.bias"],
            m.StateDict().Keys);
    }

    [Fact]
    public void ParametersWithoutRecurseListOnlyOwnTensors()
    {
        var m = new Dynamic(1);
        Assert.Equal(2, m.Parameters(recurse: false).Count());
        Assert.Equal(["net.weight", "net.weight_ih_l0"], m.NamedParameters("net", recurse: false).Select(p => p.Name));
    }

    [Theory]
    [InlineData("Weight", "weight")]
    [InlineData("RunningMean", "running_mean")]
    [InlineData("_bias", "bias")]
    [InlineData("_runningVar", "running_var")]
    [InlineData("<Weight>k__BackingField", "weight")]
    [InlineData("<RunningMean>k__BackingField", "running_mean")]
    [InlineData("WeightIhL0", "weight_ih_l0")]
    [InlineData("fc1", "fc1")]
    [InlineData("Fc2Out", "fc2_out")]
    [InlineData("HTTPLayer", "http_layer")]
    [InlineData("num_batches_tracked", "num_batches_tracked")]
    public void MemberNamesBecomeSnakeCase(string member, string key)
    {
        Assert.Equal(key, ModuleDiscovery.ToSnakeCase(member));
    }

    [Fact]
    public void TrainAndEvalPropagateToEveryDescendant()
    {
        var net = new Net(new Dropout());
        Assert.All(net.Modules(), m => Assert.True(m.IsTraining));
        Assert.Same(net, net.Eval());
        Assert.All(net.Modules(), m => Assert.False(m.IsTraining));
        Assert.False(net.Block.IsTraining);
        net.Train();
        Assert.All(net.Modules(), m => Assert.True(m.IsTraining));
        // net, encoder, encoder.0, encoder.1, block, fc1, heads.0..2 and the shared dropout once.
        Assert.Equal(10, net.Modules().Count());
    }

    [Fact]
    public void ZeroGradClearsEveryGradient()
    {
        var model = new Sequential(new Linear(3, 2), new ReLU(), new Linear(2, 1));
        F.MseLoss(model.Forward(Tensor.Ones(4, 3)), Tensor.Zeros(4, 1)).Backward();
        Assert.Contains(model.Parameters(), p => p.Grad is not null);
        model.ZeroGrad();
        Assert.All(model.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void ApplyVisitsChildrenBeforeParent()
    {
        var model = new Sequential(new Linear(1, 1), new Sequential(new ReLU()));
        var visited = new List<string>();
        model.Apply(m => visited.Add(m.GetType().Name));
        Assert.Equal(["Linear", "ReLU", "Sequential", "Sequential"], visited);
        model.Apply(m =>
        {
            if (m is Linear l)
            {
                Init.Constant(l.Weight, 0.5);
            }
        });
        Assert.Equal(0.5, ((Linear)model[0]).Weight.Item());
    }

    [Fact]
    public void SequentialSupportsAddIndexerAndEnumeration()
    {
        var seq = new Sequential { new Linear(2, 3), new ReLU() };
        seq.Add(new Linear(3, 1));
        Assert.Equal(3, seq.Count);
        Assert.IsType<ReLU>(seq[1]);
        Assert.IsType<Linear>(seq[-1]);
        Assert.Equal(["Linear", "ReLU", "Linear"], seq.Select(m => m.GetType().Name));
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], seq.NamedParameters().Select(p => p.Name));
        Assert.Equal([5, 1], seq.Forward(Tensor.Ones(5, 2)).Shape);
        Assert.Throws<ArgumentOutOfRangeException>(() => seq[3]);
    }

    [Fact]
    public void ModuleListHoldsChildrenWithoutForward()
    {
        var list = new ModuleList(new Linear(2, 2), new Linear(2, 2));
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias"], list.NamedParameters().Select(p => p.Name));
        Assert.Throws<InvalidOperationException>(() => list.Forward(Tensor.Ones(2)));
    }

    private sealed class Clash : Module
    {
        public Tensor? Weight { get; set; }

        private readonly Tensor? _weight = null;

        public override Tensor Forward(Tensor input) => _weight ?? input;
    }

    [Fact]
    public void TwoFieldsWithTheSameKeyAreRejectedNamingBoth()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new Clash().Parameters().ToList());
        Assert.Contains("'weight'", ex.Message);
        Assert.Contains("_weight", ex.Message);
    }
}
