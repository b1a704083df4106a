namespace Backprop.Tests.Autograd;

public class BackwardTests
{
    private static Tensor Leaf(params double[] values) => Tensor.FromArray(values).RequiresGrad_();

    [Fact]
    public void ScalarOutputSeedsOne()
    {
        var a = Leaf(2.0);
        var b = Leaf(-3.0);
        var c = Leaf(10.0);
        var f = (a * b + c).Sum();
        f.Backward();
        Assert.Equal(-3.0, a.Grad!.Item());
        Assert.Equal(2.0, b.Grad!.Item());
        Assert.Equal(1.0, c.Grad!.Item());
    }

    [Fact]
    public void GradientsAccumulateUntilZeroGrad()
    {
        var x = Leaf(3.0);
        (x * x).Sum().Backward();
        (x * x).Sum().Backward();
        Assert.Equal(12.0, x.Grad!.Item());
        x.ZeroGrad();
        Assert.Null(x.Grad);
        (x * x).Sum().Backward();
        Assert.Equal(6.0, x.Grad!.Item());
    }

    [Fact]
    public void NonScalarOutputNeedsUpstreamGradient()
    {
        var x = Leaf(1.0, 2.0);
        var y = x * 3.0;
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("(2)", ex.Message);
        Assert.Contains("upstream gradient", ex.Message);
        y.Backward(Tensor.FromArray(new[] { 1.0, 10.0 }));
        Assert.Equal(new[] { 3.0, 30.0 }, x.Grad!.ToArray());
    }

    [Fact]
    public void UpstreamGradientShapeAndDTypeAreChecked()
    {
        var x = Leaf(1.0, 2.0);
        var y = x * 3.0;
        var ex = Assert.Throws<ArgumentException>(() => y.Backward(Tensor.Ones([3], DType.Float64)));
        Assert.Contains("(3)", ex.Message);
        Assert.Contains("(2)", ex.Message);
        var ex2 = Assert.Throws<ArgumentException>(() => y.Backward(Tensor.Ones([2], DType.Float32)));
        Assert.Contains("float64", ex2.Message);
        Assert.Contains("float32", ex2.Message);
    }

    [Fact]
    public void BackwardOnTensorWithoutGradSaysSo()
    {
        var x = Tensor.FromArray(new[] { 1.0 });
        var ex = Assert.Throws<InvalidOperationException>(() => (x * 2.0).Sum().Backward());
        Assert.Contains("does not require grad", ex.Message);
    }

    [Fact]
    public void GraphIsFreedAfterBackwardUnlessRetained()
    {
        var x = Leaf(2.0);
        var y = (x * x).Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.Equal(8.0, x.Grad!.Item());
        var ex = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("retainGraph", ex.Message);
    }

    [Fact]
    public void NoGradRecordsNothingAndRestoresOnDispose()
    {
        var x = Leaf(2.0);
        using (Backprop.Autograd.NoGrad())
        {
            Assert.False(Backprop.Autograd.IsGradEnabled);
            var y = x * x;
            Assert.False(y.RequiresGrad);
            Assert.Null(y.GradFn);
            using (Backprop.Autograd.EnableGrad())
            {
                Assert.True((x * x).RequiresGrad);
            }

            Assert.False(Backprop.Autograd.IsGradEnabled);
        }

        Assert.True(Backprop.Autograd.IsGradEnabled);
        Assert.True((x * x).RequiresGrad);
    }

    [Fact]
    public void DetachCutsTheGraphAndSharesStorage()
    {
        var x = Leaf(2.0);
        var d = (x * 3.0).Detach();
        Assert.False(d.RequiresGrad);
        Assert.True(d.IsLeaf);
        var y = (x * d).Sum();
        y.Backward();
        Assert.Equal(6.0, x.Grad!.Item());
    }

    [Fact]
    public void RequiresGradCannotBeSetOnNonLeafOrInt64()
    {
        var x = Leaf(2.0);
        var y = x * 2.0;
        Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
        Assert.Throws<InvalidOperationException>(() => Tensor.FromArray(new long[] { 1 }).RequiresGrad = true);
    }

    [Fact]
    public void RetainGradKeepsIntermediateGradient()
    {
        var x = Leaf(3.0);
        var h = (x * 2.0).RetainGrad();
        (h * h).Sum().Backward();
        Assert.Equal(12.0, h.Grad!.Item());
        Assert.Equal(24.0, x.Grad!.Item());
    }

    [Fact]
    public void LeafGradientsNeverShareStorage()
    {
        // add passes its upstream gradient to both inputs, and a view passes it on unchanged: each
        // leaf must still get storage of its own, or clipping one gradient in place would change another.
        var a = Leaf(1.0, 2.0);
        var b = Leaf(3.0, 4.0);
        var h = (a + b).RetainGrad();
        var seed = Tensor.FromArray([1.0, 1.0]);
        h.View(2).Backward(seed);
        a.Grad!.F64[0] = 100;
        Assert.Equal([1.0, 1.0], b.Grad!.ToArray<double>());
        Assert.Equal([1.0, 1.0], h.Grad!.ToArray<double>());
        Assert.Equal([1.0, 1.0], seed.ToArray<double>());
        Assert.NotSame(a.Grad._data, b.Grad._data);
        Assert.NotSame(seed._data, h.Grad._data);
    }

    [Fact]
    public void CallersSeedIsNeverKeptAsALeafGradient()
    {
        var x = Leaf(1.0, 2.0);
        var seed = Tensor.FromArray([5.0, 6.0]);
        x.Backward(seed);
        x.Grad!.F64[0] = 0;
        Assert.Equal([5.0, 6.0], seed.ToArray<double>());
    }

    [Fact]
    public void BroadcastGradientsAreReducedToInputShape()
    {
        var w = Tensor.FromArray(new[] { 1.0, 2.0, 3.0, 4.0, 5.0, 6.0 }, 2, 3).RequiresGrad_();
        var b = Leaf(10.0, 20.0, 30.0);
        var s = Tensor.FromArray(new[] { 2.0 }).RequiresGrad_();
        (((w + b) * s).Sum()).Backward();
        Assert.Equal(new[] { 3 }, b.Grad!.Shape);
        Assert.Equal(new[] { 4.0, 4.0, 4.0 }, b.Grad.ToArray());
        Assert.Equal(Enumerable.Repeat(2.0, 6), w.Grad!.ToArray());
        Assert.Equal(21.0 + 120.0, s.Grad!.Item());
    }

    [Fact]
    public void MillionOpChainBackPropagatesIteratively()
    {
        var x = Leaf(1.0);
        var y = x;
        for (int i = 0; i < 1_000_000; i++)
        {
            y = y + 1e-6;
        }

        y.Sum().Backward();
        Assert.Equal(1.0, x.Grad!.Item());
    }

    [Fact]
    public void VersionAAndVersionBGiveIdenticalGradientsWithFanOut()
    {
        // a feeds three consumers, b two; x*x uses the same input twice.
        Tensor?[] Run(BackwardVersion version)
        {
            var g = new Generator(7);
            var a = Tensor.Randn([3, 4], g, DType.Float64, requiresGrad: true);
            var w = Tensor.Randn([4, 2], g, DType.Float64, requiresGrad: true);
            var b = a.Exp() * a;
            var c = b.Matmul(w).Tanh() + (a * a).Sum() + b.Sum(1, keepDim: true).Log();
            var loss = c.Mean();
            return Backprop.Autograd.Grad(loss, [a, w], version: version);
        }

        var gb = Run(BackwardVersion.Accumulate);
        var ga = Run(BackwardVersion.SumOverConsumers);
        for (int i = 0; i < gb.Length; i++)
        {
            Assert.Equal(gb[i]!.ToArray(), ga[i]!.ToArray());
        }
    }

    [Fact]
    public void GradDoesNotTouchDotGrad()
    {
        var x = Leaf(3.0);
        var grads = Backprop.Autograd.Grad((x * x * x).Sum(), [x]);
        Assert.Equal(27.0, grads[0]!.Item());
        Assert.Null(x.Grad);
    }

    [Fact]
    public void TopologicalOrderPutsInputsFirst()
    {
        var x = Leaf(1.0);
        var y = x * 2.0;
        var z = y + x;
        var order = Backprop.Autograd.TopologicalOrder(z);
        Assert.Equal(3, order.Count);
        Assert.Same(x, order[0]);
        Assert.Same(y, order[1]);
        Assert.Same(z, order[2]);
    }
}
