using Backprop.NN;
using Backprop.Onnx;
using Xunit;

namespace Backprop.Tests.Autograd;

/// <summary>Autograd.Function: a user's op with a hand-written backward, as torch.autograd.Function.</summary>
public class CustomFunctionTests
{
    /// <summary>y = eˣ, saving the output.</summary>
    private sealed class MyExp : Backprop.Autograd.Function
    {
        public int BackwardCalls { get; private set; }

        protected override Tensor Forward(Backprop.Autograd.FunctionContext ctx, Tensor[] inputs)
        {
            var y = inputs[0].Exp();
            ctx.SaveForBackward(y);
            return y;
        }

        protected override Tensor?[] Backward(Backprop.Autograd.FunctionContext ctx, Tensor gradOutput)
        {
            BackwardCalls++;
            return [gradOutput * ctx.SavedTensors[0]];
        }
    }

    /// <summary>A clipped identity with a straight-through gradient: forward clamps to ±limit, backward passes g where |x| ≤ 2·limit.</summary>
    private sealed class StraightThroughClip(double limit) : Backprop.Autograd.Function
    {
        protected override Tensor Forward(Backprop.Autograd.FunctionContext ctx, Tensor[] inputs)
        {
            ctx.SaveForBackward(inputs[0]);
            ctx.Set("limit", limit);
            return inputs[0].Clamp(-limit, limit);
        }

        protected override Tensor?[] Backward(Backprop.Autograd.FunctionContext ctx, Tensor gradOutput)
        {
            double l = ctx.Get<double>("limit");
            var inside = ctx.SavedTensors[0].Abs().Le(2 * l);
            return [gradOutput * inside];
        }
    }

    /// <summary>out = a·w + b with the bias gradient left out when b does not need one.</summary>
    private sealed class ScaleShift : Backprop.Autograd.Function
    {
        public List<bool[]> Needs { get; } = [];

        protected override Tensor Forward(Backprop.Autograd.FunctionContext ctx, Tensor[] inputs)
        {
            ctx.SaveForBackward(inputs[0], inputs[1]);
            Needs.Add([ctx.NeedsInputGrad(0), ctx.NeedsInputGrad(1), ctx.NeedsInputGrad(2)]);
            return (inputs[0] * inputs[1]) + inputs[2];
        }

        protected override Tensor?[] Backward(Backprop.Autograd.FunctionContext ctx, Tensor gradOutput)
        {
            var (a, w) = (ctx.SavedTensors[0], ctx.SavedTensors[1]);
            return [gradOutput * w, (gradOutput * a).Sum(0), ctx.NeedsInputGrad(2) ? gradOutput.Sum(0) : null];
        }
    }

    private sealed class WrongCount : Backprop.Autograd.Function
    {
        protected override Tensor Forward(Backprop.Autograd.FunctionContext ctx, Tensor[] inputs) => inputs[0] * inputs[1];

        protected override Tensor?[] Backward(Backprop.Autograd.FunctionContext ctx, Tensor gradOutput) => [gradOutput];
    }

    private sealed class WrongShape : Backprop.Autograd.Function
    {
        protected override Tensor Forward(Backprop.Autograd.FunctionContext ctx, Tensor[] inputs) => inputs[0].Sum();

        protected override Tensor?[] Backward(Backprop.Autograd.FunctionContext ctx, Tensor gradOutput) => [gradOutput];
    }

    private sealed class Passthrough : Backprop.Autograd.Function
    {
        protected override Tensor Forward(Backprop.Autograd.FunctionContext ctx, Tensor[] inputs) => inputs[0];

        protected override Tensor?[] Backward(Backprop.Autograd.FunctionContext ctx, Tensor gradOutput) => [gradOutput * 3.0];
    }

    [Fact]
    public void AFunctionIsOneNodeWhoseBackwardGivesTheChainRule()
    {
        var x = Tensor.FromArray(new[] { 0.5, -1.0, 2.0 }, [3]).RequiresGrad_();
        var fn = new MyExp();
        var y = fn.Apply(x);
        Assert.Equal("MyExp", y.GradFn!.Name);
        Assert.IsType<FunctionDefinition>(y.GradFn.Op);
        Assert.Same(x, Assert.Single(y.GradFn.Inputs));

        (y * 2.0).Sum().Backward();
        Assert.Equal(1, fn.BackwardCalls);
        var expected = new[] { 2 * Math.Exp(0.5), 2 * Math.Exp(-1.0), 2 * Math.Exp(2.0) };
        var actual = x.Grad!.ToArray<double>();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-14 * expected[i]);
        }
    }

    [Fact]
    public void GradCheckPassesAndCatchesAWrongBackward()
    {
        var g = new Generator(5);
        var a = Tensor.Randn([4, 3], g, DType.Float64, requiresGrad: true);
        var w = Tensor.Randn([3], g, DType.Float64, requiresGrad: true);
        var b = Tensor.Randn([3], g, DType.Float64, requiresGrad: true);
        Assert.True(GradCheck.Check(x => new ScaleShift().Apply(x[0], x[1], x[2]), [a, w, b]).Passed);
        Assert.True(GradCheck.Check(x => new MyExp().Apply(x[0]).Tanh(), [a]).Passed);

        // The straight-through estimator is not the clamp's derivative: gradcheck must say so at a clipped element.
        var clipped = Tensor.FromArray(new[] { 0.3, 1.5, -0.1 }, [3]).RequiresGrad_();
        Assert.False(GradCheck.Check(x => new StraightThroughClip(1.0).Apply(x[0]) * new StraightThroughClip(1.0).Apply(x[0]), [clipped]).Passed);
    }

    [Fact]
    public void NeedsInputGradSaysWhichInputsGetAGradient()
    {
        var a = Tensor.Randn([2, 3], seed: 1, dtype: DType.Float64).RequiresGrad_();
        var w = Tensor.Randn([3], seed: 2, dtype: DType.Float64).RequiresGrad_();
        var b = Tensor.Randn([3], seed: 3, dtype: DType.Float64);
        var fn = new ScaleShift();
        fn.Apply(a, w, b).Sum().Backward();
        Assert.Equal([true, true, false], fn.Needs[0]);
        Assert.NotNull(w.Grad);
        Assert.Null(b.Grad);

        using (Backprop.Autograd.NoGrad())
        {
            var y = fn.Apply(a, w, b);
            Assert.Null(y.GradFn);
            Assert.Equal([false, false, false], fn.Needs[1]);
        }
    }

    [Fact]
    public void AWrongNumberOrShapeOfGradientsIsNamed()
    {
        var a = Tensor.Ones([2], DType.Float64, requiresGrad: true);
        var b = Tensor.Ones([2], DType.Float64, requiresGrad: true);
        var count = Assert.Throws<InvalidOperationException>(() => new WrongCount().Apply(a, b).Sum().Backward());
        Assert.Equal("WrongCount: Backward returned 1 gradients for 2 inputs", count.Message);

        var shape = Assert.Throws<InvalidOperationException>(() => new WrongShape().Apply(a).Backward());
        Assert.Equal("WrongShape: Backward returned a gradient of shape () for input 0 of shape (2)", shape.Message);
    }

    [Fact]
    public void ReturningAnInputGivesANewTensorAndLeavesTheInputALeaf()
    {
        var x = Tensor.Ones([3], DType.Float64, requiresGrad: true);
        var y = new Passthrough().Apply(x);
        Assert.NotSame(x, y);
        Assert.True(x.IsLeaf);
        y.Sum().Backward();
        Assert.Equal([3.0, 3.0, 3.0], x.Grad!.ToArray<double>());
    }

    [Fact]
    public void AModuleWithAFunctionTrainsAndIsRefusedByOnnxExportByName()
    {
        var model = new ClippedLinear(new Generator(2));
        var x = Tensor.Randn([16, 4], seed: 4);
        var target = Tensor.Randn([16, 2], seed: 5);
        var optimizer = new Backprop.Optim.SGD(model.Parameters(), lr: 0.1);
        double first = 0, last = 0;
        for (int step = 0; step < 20; step++)
        {
            optimizer.ZeroGrad();
            var loss = F.MseLoss(model.Forward(x), target);
            loss.Backward();
            optimizer.Step();
            last = loss.Item();
            first = step == 0 ? last : first;
        }

        Assert.True(last < first * 0.9, $"loss {first} -> {last}");
        var ex = Assert.Throws<NotSupportedException>(() => OnnxExport.ToBytes(model, [1, 4]));
        Assert.StartsWith("ONNX export: the op StraightThroughClip has no ONNX lowering (created at CustomFunctionTests.cs:", ex.Message);
    }

    private sealed class ClippedLinear(Generator g) : Module
    {
        public Linear Layer { get; } = new(4, 2, generator: g);

        public override Tensor Forward(Tensor input) => new StraightThroughClip(1.0).Apply(Layer.Forward(input));
    }
}
