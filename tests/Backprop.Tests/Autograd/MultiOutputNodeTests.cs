using Xunit;

namespace Backprop.Tests.Autograd;

/// <summary>
/// An op with several outputs (an LSTM layer's output, h_n and c_n) records one node for all of
/// them, and the engine runs its backward once, with the gradients of every output that got one.
/// </summary>
public class MultiOutputNodeTests
{
    private static (Tensor X, Tensor H0, Tensor C0, Tensor WIh, Tensor WHh, Tensor BIh, Tensor BHh) Inputs()
    {
        var g = new Generator(7);
        Tensor Leaf(int[] shape) => (Tensor.Rand(shape, g, DType.Float64) - 0.5).Detach().RequiresGrad_();
        return (Leaf([4, 2, 3]), Leaf([2, 5]), Leaf([2, 5]), Leaf([20, 3]), Leaf([20, 5]), Leaf([20]), Leaf([20]));
    }

    [Fact]
    public void TheOutputsOfOneOpShareOneNodeAndKnowTheirPlace()
    {
        var (x, h0, c0, wIh, wHh, bIh, bHh) = Inputs();
        var (output, h, c) = Tensor.Lstm(x, h0, c0, wIh, wHh, bIh, bHh);
        Assert.Same(output.GradFn, h.GradFn);
        Assert.Same(output.GradFn, c.GradFn);
        Assert.Equal(3, output.GradFn!.OutputCount);
        Assert.Equal([0, 1, 2], new[] { output.OutputNr, h.OutputNr, c.OutputNr });
        Assert.IsType<RecurrentDefinition>(h.GradFn!.Op);

        // Ops with one output keep OutputNr 0 and OutputCount 1.
        var y = x.Tanh();
        Assert.Equal(0, y.OutputNr);
        Assert.Equal(1, y.GradFn!.OutputCount);
    }

    [Fact]
    public void HnIsTheLastStepOfTheOutputAndItsGradientAddsToThatStep()
    {
        var (x, h0, c0, wIh, wHh, bIh, bHh) = Inputs();
        var (output, h, _) = Tensor.Lstm(x, h0, c0, wIh, wHh, bIh, bHh);
        Assert.Equal(output.Select(0, -1).ToArray<double>(), h.ToArray<double>());

        // L = sum(h_n) through h_n alone equals L = sum(output[-1]) through the output alone.
        var viaH = Backprop.Autograd.Grad(h.Sum(), [x, wHh, h0]);
        var (output2, _, _) = Tensor.Lstm(x, h0, c0, wIh, wHh, bIh, bHh);
        var viaOutput = Backprop.Autograd.Grad(output2.Select(0, -1).Sum(), [x, wHh, h0]);
        for (int i = 0; i < viaH.Length; i++)
        {
            Assert.Equal(viaOutput[i]!.ToArray<double>(), viaH[i]!.ToArray<double>());
        }
    }

    [Fact]
    public void BothBackwardVersionsGiveTheSameGradientsThroughSeveralOutputs()
    {
        Tensor?[] Gradients(BackwardVersion version)
        {
            var (x, h0, c0, wIh, wHh, bIh, bHh) = Inputs();
            var (output, h, c) = Tensor.Lstm(x, h0, c0, wIh, wHh, bIh, bHh);

            // Every output used, one of them twice, and the layer's input also used directly.
            var loss = (output * output).Sum() + (h * c).Sum() + c.Tanh().Sum() + x.Sum();
            loss.Backward(version: version);
            return [x.Grad, h0.Grad, c0.Grad, wIh.Grad, wHh.Grad, bIh.Grad, bHh.Grad];
        }

        var accumulate = Gradients(BackwardVersion.Accumulate);
        var sum = Gradients(BackwardVersion.SumOverConsumers);
        for (int i = 0; i < accumulate.Length; i++)
        {
            Assert.NotNull(accumulate[i]);
            var a = accumulate[i]!.ToArray<double>();
            var b = sum[i]!.ToArray<double>();
            Assert.Equal(a.Length, b.Length);
            for (int k = 0; k < a.Length; k++)
            {
                Assert.Equal(a[k], b[k], 12);
            }
        }
    }

    [Fact]
    public void AnOutputNothingFlowsIntoCountsAsZero()
    {
        // Only c_n is used: the output and h_n get no gradient, and the backward reads them as zeros.
        var (x, h0, c0, wIh, wHh, bIh, bHh) = Inputs();
        var result = GradCheck.Check(inputs => Tensor.Lstm(inputs[0], inputs[1], inputs[2], inputs[3], inputs[4], inputs[5], inputs[6]).C.Sum(), [x, h0, c0, wIh, wHh, bIh, bHh]);
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void TheGraphIsFreedOnceAndCanBeRetained()
    {
        var (x, h0, c0, wIh, wHh, bIh, bHh) = Inputs();
        var (output, h, c) = Tensor.Lstm(x, h0, c0, wIh, wHh, bIh, bHh);
        var loss = output.Sum() + h.Sum() + c.Sum();
        loss.Backward(retainGraph: true);
        var first = wHh.Grad!.ToArray<double>();
        loss.Backward();
        var twice = wHh.Grad!.ToArray<double>();
        for (int i = 0; i < first.Length; i++)
        {
            Assert.Equal(2 * first[i], twice[i], 12);
        }

        Assert.True(h.GradFn!.IsReleased);
        var ex = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("freed by an earlier Backward()", ex.Message);
    }

    [Fact]
    public void AnomalyModeChecksTheBackwardOfAnOpWithSeveralOutputs()
    {
        var (x, h0, c0, wIh, wHh, bIh, bHh) = Inputs();
        using (Backprop.Autograd.DetectAnomaly())
        {
            var (_, h, c) = Tensor.Lstm(x, h0, c0, wIh, wHh, bIh, bHh);
            var seedH = Tensor.Full(h.Shape, double.NaN, DType.Float64);
            var ex = Assert.Throws<AnomalyException>(() => Backprop.Autograd.Grad(h + c, [wHh], seedH));
            Assert.Equal("add", ex.Op);
        }

        // With finite gradients the checked path gives the unchecked numbers.
        var (_, h1, c1) = Tensor.Lstm(x, h0, c0, wIh, wHh, bIh, bHh);
        var plain = Backprop.Autograd.Grad((h1 * c1).Sum(), [wIh])[0]!.ToArray<double>();
        using (Backprop.Autograd.DetectAnomaly())
        {
            var (_, h2, c2) = Tensor.Lstm(x, h0, c0, wIh, wHh, bIh, bHh);
            Assert.Equal(plain, Backprop.Autograd.Grad((h2 * c2).Sum(), [wIh])[0]!.ToArray<double>());
        }
    }

    [Fact]
    public void RnnModulesStartFromZerosWithoutRecordingThemAsInputs()
    {
        var lstm = new Backprop.NN.LSTM(3, 5, numLayers: 2, generator: new Generator(3), dtype: DType.Float64);
        var x = Tensor.Randn([4, 2, 3], seed: 2, dtype: DType.Float64);
        var (output, (h, c)) = lstm.Forward(x, null);
        var zeros = Tensor.Zeros([2, 2, 5], DType.Float64);
        var (expected, (hExpected, cExpected)) = lstm.Forward(x, (zeros, zeros));
        Assert.Equal(expected.ToArray<double>(), output.ToArray<double>());
        Assert.Equal(hExpected.ToArray<double>(), h.ToArray<double>());
        Assert.Equal(cExpected.ToArray<double>(), c.ToArray<double>());

        var layerOp = output.GradFn!.Inputs.Count == 0 ? null : FindLstm(output);
        Assert.NotNull(layerOp);
        Assert.False(((RecurrentDefinition)layerOp!.Op).HasState);
        Assert.Equal(5, layerOp.Inputs.Count);
    }

    private static Node? FindLstm(Tensor t) =>
        Backprop.Autograd.TopologicalOrder(t).Select(u => u.GradFn).FirstOrDefault(n => n?.Op is RecurrentDefinition);
}
