using Backprop.Optim;
using Backprop.Serialization;

namespace Backprop.Tests.Optim;

public class StateDictTests
{
    public static TheoryData<string, DType> Configurations()
    {
        var data = new TheoryData<string, DType>();
        foreach (var name in new[] { "sgd", "sgd-nesterov", "adam", "adam-amsgrad", "adamw", "rmsprop", "rmsprop-centered-momentum" })
        {
            data.Add(name, DType.Float32);
            data.Add(name, DType.Float64);
        }

        return data;
    }

    private static Optimizer Make(string name, Tensor[] ps, double lr) => name switch
    {
        "sgd" => new SGD(ps, lr, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3),
        "sgd-nesterov" => new SGD(ps, lr, momentum: 0.9, nesterov: true),
        "adam" => new Adam(ps, lr, weightDecay: 1e-2),
        "adam-amsgrad" => new Adam(ps, lr, betas: (0.8, 0.9), amsgrad: true),
        "adamw" => new AdamW(ps, lr),
        "rmsprop" => new RMSprop(ps, lr),
        "rmsprop-centered-momentum" => new RMSprop(ps, lr, momentum: 0.5, centered: true, weightDecay: 0.1),
        _ => throw new ArgumentException(name),
    };

    private static Tensor[] MakeParameters(DType dtype, int seed) =>
        [Tensor.Randn([5, 3], seed, dtype).RequiresGrad_(), Tensor.Randn([3], seed + 1, dtype).RequiresGrad_(), Tensor.Randn([17], seed + 2, dtype).RequiresGrad_()];

    private static void TrainSteps(Optimizer opt, Tensor[] ps, int from, int count)
    {
        for (int t = from; t < from + count; t++)
        {
            foreach (var (p, k) in ps.Select((p, k) => (p, k)))
            {
                // Parameter 1 gets no gradient on odd steps, so per-parameter step counts differ.
                if (k == 1 && t % 2 == 1)
                {
                    p.Grad = null;
                    continue;
                }

                var grad = Tensor.Randn(p.Shape, 1000 + (t * 10) + k, p.DType);
                p.Grad = grad + (p.Detach() * 0.5);
            }

            opt.Step();
        }
    }

    private static Tensor[] CopyOf(Tensor[] ps) =>
        ps.Select(p => (p.DType == DType.Float32 ? Tensor.FromArray(p.ToArray<float>(), p.Shape) : Tensor.FromArray(p.ToArray<double>(), p.Shape)).RequiresGrad_()).ToArray();

    [Theory]
    [MemberData(nameof(Configurations))]
    public void RestoredOptimizerContinuesBitIdentically(string name, DType dtype)
    {
        var ps = MakeParameters(dtype, 7);
        var opt = Make(name, ps, lr: 0.01);
        TrainSteps(opt, ps, 0, 3);
        var saved = opt.StateDict();
        var savedParameters = CopyOf(ps);
        TrainSteps(opt, ps, 3, 4);

        // Constructed with another lr: LoadStateDict must restore it.
        var resumed = Make(name, savedParameters, lr: 0.5);
        resumed.LoadStateDict(saved);
        Assert.Equal(0.01, resumed.Lr);
        Assert.Equal(3, resumed.StepCount);
        TrainSteps(resumed, savedParameters, 3, 4);
        for (int k = 0; k < ps.Length; k++)
        {
            Assert.Equal(ps[k].ToArray(), savedParameters[k].ToArray());
        }

        Assert.Equal(opt.StateDict().Keys.Order(), resumed.StateDict().Keys.Order());
    }

    [Fact]
    public void StateDictHasPyTorchKeysAsCopies()
    {
        var ps = MakeParameters(DType.Float32, 3);
        var opt = new Adam(ps, lr: 0.002, amsgrad: true);
        TrainSteps(opt, ps, 0, 2);
        var dict = opt.StateDict();
        Assert.Equal(
            new[]
            {
                "amsgrad", "betas", "eps", "lr",
                "state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq", "state.0.step",
                "state.1.exp_avg", "state.1.exp_avg_sq", "state.1.max_exp_avg_sq", "state.1.step",
                "state.2.exp_avg", "state.2.exp_avg_sq", "state.2.max_exp_avg_sq", "state.2.step",
                "step_count", "weight_decay",
            },
            dict.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(0.002, dict["lr"].Item());
        Assert.Equal(DType.Float64, dict["lr"].DType);
        Assert.Equal(0, dict["lr"].Rank);
        Assert.Equal(new[] { 0.9, 0.999 }, dict["betas"].ToArray());
        Assert.Equal(1.0, dict["amsgrad"].Item());
        Assert.Equal(2.0, dict["step_count"].Item());
        Assert.Equal(2.0, dict["state.0.step"].Item());
        Assert.Equal(1.0, dict["state.1.step"].Item());
        Assert.Equal(new[] { 5, 3 }, dict["state.0.exp_avg"].Shape);
        Assert.Equal(DType.Float32, dict["state.0.exp_avg"].DType);

        // A copy: further steps do not change the snapshot.
        var before = dict["state.0.exp_avg"].ToArray();
        TrainSteps(opt, ps, 2, 1);
        Assert.Equal(before, dict["state.0.exp_avg"].ToArray());
        Assert.NotEqual(before, opt.StateDict()["state.0.exp_avg"].ToArray());
    }

    [Fact]
    public void SgdMomentumBufferKeyAndHyperparameters()
    {
        var p = Tensor.FromArray(new[] { 1.0, 2.0 }, 2).RequiresGrad_();
        var opt = new SGD([p], lr: 0.1, momentum: 0.9, nesterov: true);
        Assert.Equal(new[] { "dampening", "lr", "momentum", "nesterov", "step_count", "weight_decay" }, opt.StateDict().Keys.Order(StringComparer.Ordinal));
        p.Grad = Tensor.FromArray(new[] { 0.5, -1.0 }, 2);
        opt.Step();
        var dict = opt.StateDict();
        Assert.Equal(new[] { 0.5, -1.0 }, dict["state.0.momentum_buffer"].ToArray());
        Assert.Equal(1.0, dict["nesterov"].Item());
        Assert.Equal(0.9, dict["momentum"].Item());
    }

    [Fact]
    public void RoundTripThroughSafeTensorsIsExact()
    {
        var ps = MakeParameters(DType.Float32, 11);
        var opt = Make("adam-amsgrad", ps, lr: 0.01);
        TrainSteps(opt, ps, 0, 3);
        string path = Path.Combine(Path.GetTempPath(), $"optim-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(path, opt.StateDict());
            var savedParameters = CopyOf(ps);
            TrainSteps(opt, ps, 3, 3);
            var resumed = Make("adam-amsgrad", savedParameters, lr: 1);
            resumed.LoadStateDict(SafeTensors.Load(path));
            TrainSteps(resumed, savedParameters, 3, 3);
            for (int k = 0; k < ps.Length; k++)
            {
                Assert.Equal(ps[k].ToArray(), savedParameters[k].ToArray());
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadRejectsMissingAndUnexpectedKeys()
    {
        var ps = MakeParameters(DType.Float64, 1);
        var opt = new Adam(ps);
        TrainSteps(opt, ps, 0, 1);
        var dict = opt.StateDict();
        dict.Remove("eps");
        dict.Remove("state.2.exp_avg_sq");
        dict["state.0.bogus"] = Tensor.Zeros([5, 3], DType.Float64);
        dict["extra"] = Tensor.Scalar(1, DType.Float64);
        var target = new Adam(MakeParameters(DType.Float64, 1), lr: 0.5);
        var ex = Assert.Throws<ArgumentException>(() => target.LoadStateDict(dict));
        Assert.Contains("missing key 'eps'", ex.Message);
        Assert.Contains("unexpected key 'state.0.bogus'", ex.Message);
        Assert.Contains("unexpected key 'extra'", ex.Message);
        Assert.Equal(0.5, target.Lr);
    }

    [Fact]
    public void LoadRejectsIncompleteParameterState()
    {
        var ps = MakeParameters(DType.Float64, 1);
        var opt = new Adam(ps);
        TrainSteps(opt, ps, 0, 1);
        var dict = opt.StateDict();
        dict.Remove("state.2.exp_avg_sq");
        dict["lr"] = Tensor.Scalar(0.25, DType.Float64);
        var target = new Adam(MakeParameters(DType.Float64, 1), lr: 0.5);
        var ex = Assert.Throws<ArgumentException>(() => target.LoadStateDict(dict));
        Assert.Contains("missing key 'state.2.exp_avg_sq'", ex.Message);

        // Nothing changed: the hyperparameters were rolled back.
        Assert.Equal(0.5, target.Lr);
    }

    [Fact]
    public void LoadRejectsShapeDTypeAndIndexMismatches()
    {
        var ps = MakeParameters(DType.Float32, 1);
        var opt = new SGD(ps, lr: 0.1, momentum: 0.9);
        TrainSteps(opt, ps, 0, 1);
        var dict = opt.StateDict();
        dict["state.0.momentum_buffer"] = Tensor.Zeros([3, 5]);
        dict["state.1.momentum_buffer"] = Tensor.Zeros([3], DType.Float64);
        dict["state.9.momentum_buffer"] = Tensor.Zeros([3]);
        dict["lr"] = Tensor.Scalar(0.1);
        var ex = Assert.Throws<ArgumentException>(() => new SGD(MakeParameters(DType.Float32, 1), lr: 0.1, momentum: 0.9).LoadStateDict(dict));
        Assert.StartsWith("SGD.LoadStateDict: ", ex.Message);
        Assert.Contains("'state.0.momentum_buffer' is float32 (3x5), but parameter 0 needs float32 (5x3)", ex.Message);
        Assert.Contains("'state.1.momentum_buffer' is float64 (3), but parameter 1 needs float32 (3)", ex.Message);
        Assert.Contains("'state.9.momentum_buffer' is for parameter 9, but the optimizer has 3 parameters", ex.Message);
        Assert.Contains("'lr' is float32 (), expected float64 ()", ex.Message);
    }

    [Fact]
    public void LoadRejectsStateThatDoesNotFitTheHyperparameters()
    {
        var ps = MakeParameters(DType.Float64, 1);
        var opt = new Adam(ps);
        TrainSteps(opt, ps, 0, 1);
        var dict = opt.StateDict();
        dict["amsgrad"] = Tensor.Scalar(1, DType.Float64);
        var target = new Adam(MakeParameters(DType.Float64, 1));
        var ex = Assert.Throws<ArgumentException>(() => target.LoadStateDict(dict));
        Assert.Contains("missing key 'state.0.max_exp_avg_sq'", ex.Message);
        Assert.False(target.Amsgrad);

        dict["amsgrad"] = Tensor.Scalar(0, DType.Float64);
        dict["betas"] = Tensor.FromArray(new[] { 0.9, 1.5 }, 2);
        ex = Assert.Throws<ArgumentException>(() => target.LoadStateDict(dict));
        Assert.Contains("betas[1] must be in [0, 1), got 1.5", ex.Message);
        Assert.Equal((0.9, 0.999), target.Betas);
    }
}
