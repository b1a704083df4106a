using Backprop.Optim;

namespace Backprop.Tests.Optim;

public class OptimizerArgumentTests
{
    private static Tensor[] Params() => [Tensor.Zeros([2, 2], requiresGrad: true)];

    [Fact]
    public void NegativeLearningRateIsRejected()
    {
        Assert.Equal("SGD: lr must be a finite number ≥ 0, got -0.1", Assert.Throws<ArgumentException>(() => new SGD(Params(), lr: -0.1)).Message);
        Assert.Contains("lr must be", Assert.Throws<ArgumentException>(() => new Adam(Params(), lr: double.NaN)).Message);
        var opt = new RMSprop(Params());
        Assert.Contains("RMSprop: lr must be", Assert.Throws<ArgumentException>(() => opt.Lr = -1).Message);
        Assert.Equal(0.01, opt.Lr);
    }

    [Fact]
    public void BetasOutsideTheUnitIntervalAreRejected()
    {
        Assert.Equal("Adam: betas[0] must be in [0, 1), got 1", Assert.Throws<ArgumentException>(() => new Adam(Params(), betas: (1.0, 0.999))).Message);
        Assert.Equal("AdamW: betas[1] must be in [0, 1), got -0.1", Assert.Throws<ArgumentException>(() => new AdamW(Params(), betas: (0.9, -0.1))).Message);
        Assert.Contains("eps must be", Assert.Throws<ArgumentException>(() => new Adam(Params(), eps: -1e-8)).Message);
        Assert.Contains("weight_decay must be", Assert.Throws<ArgumentException>(() => new AdamW(Params(), weightDecay: -1)).Message);
    }

    [Fact]
    public void NesterovNeedsMomentumAndNoDampening()
    {
        Assert.Contains("nesterov momentum requires momentum > 0 and dampening = 0", Assert.Throws<ArgumentException>(() => new SGD(Params(), lr: 0.1, nesterov: true)).Message);
        Assert.Contains("dampening 0.5", Assert.Throws<ArgumentException>(() => new SGD(Params(), lr: 0.1, momentum: 0.9, dampening: 0.5, nesterov: true)).Message);
        Assert.Contains("momentum must be", Assert.Throws<ArgumentException>(() => new RMSprop(Params(), momentum: -0.9)).Message);
        Assert.Contains("alpha must be", Assert.Throws<ArgumentException>(() => new RMSprop(Params(), alpha: -1)).Message);
    }

    [Fact]
    public void ParameterListIsValidated()
    {
        Assert.Contains("the parameter list is empty", Assert.Throws<ArgumentException>(() => new Adam([])).Message);
        Assert.Contains("parameter 1 (shape (3)) does not require grad", Assert.Throws<ArgumentException>(() => new SGD([Params()[0], Tensor.Zeros(3)], lr: 0.1)).Message);
        var leaf = Tensor.Zeros([2], requiresGrad: true);
        Assert.Contains("parameter 0 (shape (2)) is not a leaf tensor", Assert.Throws<ArgumentException>(() => new SGD([leaf * 2.0], lr: 0.1)).Message);
        Assert.Contains("parameter 1 is the same tensor as parameter 0", Assert.Throws<ArgumentException>(() => new SGD([leaf, leaf], lr: 0.1)).Message);
    }

    [Fact]
    public void ParametersAreMaterializedOnce()
    {
        int enumerations = 0;
        IEnumerable<Tensor> Lazy()
        {
            enumerations++;
            yield return Tensor.Zeros([1], requiresGrad: true);
        }

        var opt = new Adam(Lazy());
        Assert.Single(opt.Parameters);
        Assert.Equal(1, enumerations);
    }

    [Fact]
    public void GradientOfTheWrongShapeOrDTypeIsNamed()
    {
        var p = Tensor.Zeros([2, 2], requiresGrad: true);
        var opt = new SGD([p], lr: 0.1);
        p.Grad = Tensor.Zeros([4]);
        Assert.Equal(
            "SGD.Step: parameter 0 is float32 (2x2) but its gradient is float32 (4)",
            Assert.Throws<InvalidOperationException>(opt.Step).Message);
        p.Grad = Tensor.Zeros([2, 2], DType.Float64);
        Assert.Contains("its gradient is float64 (2x2)", Assert.Throws<InvalidOperationException>(opt.Step).Message);
    }
}
