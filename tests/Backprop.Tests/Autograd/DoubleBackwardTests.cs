namespace Backprop.Tests.Autograd;

/// <summary>
/// Double backward (<c>Backprop.Autograd.Grad(..., createGraph: true)</c>): the backward pass recorded as a
/// graph and differentiated again, checked over the op registry with a second-order gradcheck.
/// </summary>
public class DoubleBackwardTests
{
    public static TheoryData<string> OpNames() => GradCheckRegistryTests.OpNames();

    /// <summary>
    /// Every registry op either passes the second-order check (when every op its row records says its
    /// backward is differentiable) or is refused naming an op that does not.
    /// </summary>
    [Theory]
    [MemberData(nameof(OpNames))]
    public void EveryRegisteredOpPassesGradGradCheckOrIsRefusedByName(string name)
    {
        var op = OpRegistry.Find(name)!;
        var inputs = op.SampleInputs();
        var unsupported = RecordedOps(op.Function(inputs)).Where(d => !d.SupportsDoubleBackward).Select(d => d.Name).ToHashSet();
        if (unsupported.Count == 0)
        {
            // A float32 round trip cannot resolve the 1e-6 perturbation of an upstream gradient of
            // size 1 (as its first-order row samples small inputs): its upstream gradient is small too.
            var v = name == "to_float32_and_back" ? Tensor.Randn(op.Function(inputs).Shape, 0, DType.Float64) * 0.002 : null;
            var result = GradCheck.GradGradCheck(op.Function, inputs, v, GradCheck.DefaultEps, GradCheck.DefaultAtol, GradCheck.DefaultRtol);
            Assert.NotEmpty(result.Inputs);
            Assert.True(result.Passed, $"{name}:\n{result}");
        }
        else
        {
            var error = Assert.Throws<NotSupportedException>(() => GradCheck.GradGradCheck(op.Function, inputs));
            Assert.Contains("is not differentiable yet", error.Message);
            Assert.Contains(unsupported, n => error.Message.Contains($"'{n}", StringComparison.Ordinal));
        }
    }

    /// <summary>The ops the issue's uses need (MLP losses' Hessians, gradient penalties) are all differentiable twice.</summary>
    [Fact]
    public void TheCoreOpsHaveADifferentiableBackward()
    {
        string[] core =
        [
            "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu",
            "softmax", "log_softmax", "sum", "sum_dim", "mean", "mean_dim", "matmul", "matmul_batched", "linear",
            "reshape", "transpose", "permute", "cat", "select", "where", "mse_loss",
        ];
        foreach (var name in core)
        {
            var op = OpRegistry.Find(name) ?? throw new InvalidOperationException($"no registry row {name}");
            var unsupported = RecordedOps(op.Function(op.SampleInputs())).Where(d => !d.SupportsDoubleBackward).Select(d => d.Name);
            Assert.True(!unsupported.Any(), $"{name}: {string.Join(", ", unsupported)}");
        }
    }

    /// <summary>
    /// The ops docs/autograd.md §6 says have no differentiable backward are the only ones the registry's rows
    /// record: GELU's derivative (a third derivative of GELU) and a user-defined Function.
    /// </summary>
    [Fact]
    public void OnlyGeluSlopeAndUserFunctionsLackADifferentiableBackward()
    {
        var refused = OpRegistry.All
            .SelectMany(op => RecordedOps(op.Function(op.SampleInputs())))
            .Where(d => !d.SupportsDoubleBackward)
            .Select(d => d is FunctionDefinition ? "Function" : d.Name)
            .ToHashSet();
        Assert.Equal(["Function", "gelu_slope"], refused.Order());
    }

    [Fact]
    public void TheSecondDerivativeOfACubeIsSixX()
    {
        var x = Tensor.FromArray(new[] { -1.5, 0.5, 2.0 }).RequiresGrad_();
        var y = (x * x * x).Sum();
        var dx = Backprop.Autograd.Grad(y, [x], createGraph: true)[0]!;
        Assert.True(dx.RequiresGrad);
        Assert.Equal(new[] { 6.75, 0.75, 12.0 }, dx.ToArray());
        var d2x = Backprop.Autograd.Grad(dx.Sum(), [x])[0]!;
        Assert.Equal(new[] { -9.0, 3.0, 12.0 }, d2x.ToArray());
    }

    [Fact]
    public void BackwardWithCreateGraphLeavesARecordedGradInTheLeaves()
    {
        // L = Σ x³: x.Grad = 3x² as a graph; back-propagating Σ x.Grad gives 6x into a second leaf's view.
        var x = Tensor.FromArray(new[] { 1.0, -2.0 }).RequiresGrad_();
        (x * x * x).Sum().Backward(createGraph: true);
        var first = x.Grad!;
        Assert.True(first.RequiresGrad);
        Assert.Equal(new[] { 3.0, 12.0 }, first.ToArray());
        x.ZeroGrad();
        first.Sum().Backward();
        Assert.Equal(new[] { 6.0, -12.0 }, x.Grad!.ToArray());
    }

    [Fact]
    public void WithoutCreateGraphTheGradientIsAConstant()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2.0 }).RequiresGrad_();
        var dx = Backprop.Autograd.Grad((x * x).Sum(), [x])[0]!;
        Assert.False(dx.RequiresGrad);
        Assert.Null(dx.GradFn);
    }

    [Fact]
    public void AUserDefinedFunctionIsRefusedByName()
    {
        // A Function's Backward runs outside the graph (as PyTorch's without once_differentiable's
        // counterpart): a recorded backward pass through it is refused, naming it.
        var x = Tensor.Randn([3, 4], 1, DType.Float64, requiresGrad: true);
        var y = new Cube().Apply(x.Tanh()).Sum();
        var error = Assert.Throws<NotSupportedException>(() => Backprop.Autograd.Grad(y, [x], createGraph: true));
        Assert.Contains("'cube'", error.Message);
        Assert.Contains("createGraph", error.Message);
        Assert.Contains("user-defined Function", error.Message);

        // The same graph back-propagates once as before: 3·tanh²(x)·(1 − tanh²(x)).
        var grads = Backprop.Autograd.Grad(y, [x]);
        var t = x.Tanh().ToArray();
        var g = grads[0]!.ToArray();
        for (int i = 0; i < t.Length; i++)
        {
            Assert.Equal(3 * t[i] * t[i] * (1 - (t[i] * t[i])), g[i], 1e-12);
        }
    }

    /// <summary>
    /// A WGAN-GP gradient penalty through a convolutional critic, (‖∇ₓD(x)‖ − 1)² averaged over the batch,
    /// differentiated in the critic's weights: PyTorch 1.13's float64 values.
    /// </summary>
    [Fact]
    public void AGradientPenaltyThroughAConvolutionMatchesPyTorch()
    {
        var x = Tensor.FromArray(Enumerable.Range(0, 100).Select(i => ((i % 7) - 3) / 4.0).ToArray(), [2, 2, 5, 5]).RequiresGrad_();
        var w = Tensor.FromArray(Enumerable.Range(0, 54).Select(i => ((i % 5) - 2) / 5.0).ToArray(), [3, 2, 3, 3]).RequiresGrad_();
        var b = Tensor.FromArray(new[] { 0.1, -0.2, 0.05 }).RequiresGrad_();
        var v = Tensor.FromArray(new[] { 0.5, -1.0, 1.5 });
        var d = (Backprop.NN.F.Conv2d(x, w, b, stride: 2, padding: 1).Tanh().Sum([2, 3]) * v).Sum(1);
        var gx = Backprop.Autograd.Grad(d.Sum(), [x], createGraph: true)[0]!;
        var penalty = (gx.Reshape(2, -1).Pow(2).Sum(1).Sqrt() - 1.0).Pow(2).Mean();
        Assert.Equal(8.011424978987758, penalty.Item(), 1e-12);
        var grads = Backprop.Autograd.Grad(penalty, [w, b]);
        double[] expectedW =
        [
            0.8406087599975481, 0.8404728710679065, 0.7494783218184373, 0.38375201532384995, -1.5229865582441737, 0.9767399008664638, 0.614318318325568, 0.021314832877609047, 0.5156713673349473,
            -1.5507804836188992, -3.2100816972466726, -1.4214267377975063, 0.8523099337940353, 3.336115511271195, 0.24088708615593324, -1.3822101595005374, -2.831592431333327, -1.3013645755200547,
            -2.2898640855037913, -1.4348190679549038, -1.189716064433336, -1.3608842582295213, 2.447103673135988, -1.8902236894964908, -1.4022728002853357, -0.46249544049635904, -1.3795730241041877,
            3.685726369883376, 6.20953770580257, 2.5694473953503203, -0.6884023019344776, -6.657013453481907, -0.6242754435236963, 2.5823134367559293, 5.581085525868802, 3.3904849881481676,
            3.885222213349436, 2.3573565615782126, 1.7106241971950071, 2.4295362094700264, -3.722060213009293, 2.5642145702901504, 0.5000015709446171, 1.2608107992191444, 2.6900400984412656,
            -5.844887522889265, -10.270139985978766, -4.344298653523247, 0.6962680690903289, 10.003098852298681, 2.1722315138740522, -2.792814432296915, -9.74462908947498, -5.730845366382511,
        ];
        var actualW = grads[0]!.ToArray();
        for (int i = 0; i < expectedW.Length; i++)
        {
            Assert.True(Math.Abs(expectedW[i] - actualW[i]) <= 1e-10 * Math.Max(1, Math.Abs(expectedW[i])), $"dP/dw[{i}]: {actualW[i]:R} vs {expectedW[i]:R}");
        }

        var actualB = grads[1]!.ToArray();
        double[] expectedB = [0.4274246291820034, 1.7505811591732106, 0.6529714882151789];
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(expectedB[i], actualB[i], 1e-10);
        }
    }

    [Fact]
    public void AnOpThatClaimsADifferentiableBackwardButComputesItOutsideTheGraphIsCaught()
    {
        var x = Tensor.FromArray(new[] { 0.5, -1.0 }).RequiresGrad_();
        var y = Tensor.Record(ClaimingDefinition.Instance, Tensor.FromArray(new[] { 0.25, 1.0 }), [x], g => [Tensor.FromArray(new[] { 2 * 0.5 * g.ToArray()[0], 2 * -1.0 * g.ToArray()[1] })]);
        var v = Tensor.Ones([2], DType.Float64).RequiresGrad_();
        var error = Assert.Throws<InvalidOperationException>(() => Backprop.Autograd.Grad(y, [x], v, createGraph: true));
        Assert.Contains("'claiming'", error.Message);
        Assert.Contains("outside the graph", error.Message);
    }

    [Fact]
    public void GradOfSeveralOutputsSumsTheirVectorJacobianProducts()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2.0, 3.0 }).RequiresGrad_();
        var a = x * x;
        var b = x.Sum();
        var grads = Backprop.Autograd.Grad([a, b], [x], [Tensor.FromArray(new[] { 1.0, 0.5, -1.0 }), null]);

        // d/dx ⟨x², v⟩ = 2x·v, plus d/dx Σx = 1.
        Assert.Equal(new[] { 3.0, 3.0, -5.0 }, grads[0]!.ToArray());
    }

    [Fact]
    public void SumToSizeReducesBroadcastDimsAndIsTheAdjointOfBroadcastTo()
    {
        var g = Tensor.FromArray(new[] { 1.0, 2.0, 3.0, 4.0, 5.0, 6.0 }, [2, 3]);
        Assert.Equal(new[] { 5.0, 7.0, 9.0 }, g.SumToSize(1, 3).ToArray());
        Assert.Equal(new[] { 1, 3 }, g.SumToSize(1, 3).Shape);
        Assert.Equal(new[] { 6.0, 15.0 }, g.SumToSize(2, 1).ToArray());
        Assert.Equal(new[] { 5.0, 7.0, 9.0 }, g.SumToSize(3).ToArray());
        Assert.Equal(new[] { 21.0 }, g.SumToSize(1).ToArray());
        Assert.Same(g, g.SumToSize(2, 3));
        var error = Assert.Throws<ArgumentException>(() => g.SumToSize(4));
        Assert.Contains("sum_to_size", error.Message);
    }

    private static IEnumerable<OpDefinition> RecordedOps(Tensor output) =>
        output.RequiresGrad
            ? Backprop.Autograd.TopologicalOrder(output).Where(t => t.GradFn is not null).Select(t => t.GradFn!.Op).Distinct()
            : [];

    /// <summary>x³ as a user-defined Function, its backward computed outside the graph.</summary>
    internal sealed class Cube : Backprop.Autograd.Function
    {
        public override string Name => "cube";

        protected override Tensor Forward(Backprop.Autograd.FunctionContext ctx, Tensor[] inputs)
        {
            ctx.SaveForBackward(inputs[0]);
            return inputs[0] * inputs[0] * inputs[0];
        }

        protected override Tensor?[] Backward(Backprop.Autograd.FunctionContext ctx, Tensor gradOutput)
        {
            var x = ctx.SavedTensors[0].ToArray();
            var g = gradOutput.ToArray();
            return [Tensor.FromArray(x.Select((v, i) => 3 * v * v * g[i]).ToArray(), [.. ctx.SavedTensors[0].Shape])];
        }
    }

    private sealed class ClaimingDefinition : OpDefinition
    {
        private ClaimingDefinition()
            : base("claiming", "y = x²; computed outside the graph")
        {
        }

        public static ClaimingDefinition Instance { get; } = new();

        public override bool SupportsDoubleBackward => true;
    }
}
