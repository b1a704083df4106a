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

    // ReLU's backward writes over its upstream gradient when the engine alone holds it. In each case
    // below someone else still sees that gradient, where it is nonzero at inputs ReLU masks, so a
    // wrong reuse would show.
    [Fact]
    public void ARetainedGradientIsNotMaskedByTheReluBelowIt()
    {
        var x = Leaf(-1.0, 2.0);
        var y = (x * 1.0).Relu().RetainGrad();
        (y * 4.0).Sum().Backward();
        Assert.Equal([4.0, 4.0], y.Grad!.ToArray());
        Assert.Equal([0.0, 4.0], x.Grad!.ToArray());
    }

    [Fact]
    public void AGradientReturnedByGradIsNotMaskedByTheReluBelowIt()
    {
        var a = Leaf(-1.0, 2.0, -3.0, 4.0);
        var r = (a * 2.0).Relu();
        var grads = Backprop.Autograd.Grad((r * 1.0).Sum(), [r, a]);
        Assert.Equal([1.0, 1.0, 1.0, 1.0], grads[0]!.ToArray());
        Assert.Equal([0.0, 2.0, 0.0, 2.0], grads[1]!.ToArray());
    }

    [Fact]
    public void AGradientPassedToTwoInputsIsNotMaskedForEither()
    {
        // add hands one gradient to both inputs: each ReLU must mask its own copy.
        var p = Leaf(-1.0, 2.0);
        var q = Leaf(3.0, -4.0);
        (p.Relu() + q.Relu()).Sum().Backward();
        Assert.Equal([0.0, 1.0], p.Grad!.ToArray());
        Assert.Equal([1.0, 0.0], q.Grad!.ToArray());
    }

    [Fact]
    public void TheCallersSeedIsNotMaskedByRelu()
    {
        var v = Leaf(-1.0, 2.0);
        var seed = Tensor.FromArray([5.0, 6.0]);
        (v * 1.0).Relu().Backward(seed);
        Assert.Equal([5.0, 6.0], seed.ToArray<double>());
        Assert.Equal([0.0, 6.0], v.Grad!.ToArray());
    }

    [Theory]
    [InlineData("tanh")]
    [InlineData("exp")]
    [InlineData("leaky_relu")]
    [InlineData("dropout")]
    [InlineData("relu")]
    public void ReusedGradientsGiveTheSameBitsAsFreshOnes(string op)
    {
        // The op's upstream gradient comes from Sum: reusable, unless the op's output retains its
        // gradient, which forces a fresh one. Both must give x the same gradient, bit for bit.
        var x0 = Tensor.Randn([3000], new Generator(4)) * 2.0;
        float[] Run(bool retain)
        {
            var x = x0.Detach().RequiresGrad_();
            var h = x * 1.5;
            var y = op switch
            {
                "tanh" => h.Tanh(),
                "exp" => h.Exp(),
                "leaky_relu" => h.LeakyRelu(0.1),
                "dropout" => Tensor.Dropout(h, 0.3, train: true, new Generator(9)),
                _ => h.Relu(),
            };
            if (retain)
            {
                y.RetainGrad();
            }

            (y * 1.0).Sum().Backward();
            return x.Grad!.ToArray<float>();
        }

        Assert.Equal(Run(retain: true), Run(retain: false));
    }

    [Theory]
    [InlineData("relu")]
    [InlineData("exp")]
    public void BackwardWritesOverAGradientOnlyTheEngineHolds(string op)
    {
        // 1M float32: the gradient of Sum is a fresh 4 MB array, which the op's backward may reuse; the
        // multiply's backward then allocates x's gradient. Without the reuse the walk allocates 12 MB.
        var x = Tensor.Randn([1 << 20], new Generator(1)).RequiresGrad_();
        var h = x * 2.0;
        var loss = (op == "relu" ? h.Relu() : h.Exp()).Sum();
        long before = GC.GetAllocatedBytesForCurrentThread();
        loss.Backward();
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 9 << 20);
        if (op == "relu")
        {
            Assert.Equal(x.ToArray<float>().Select(v => v * 2 > 0 ? 2f : 0f).ToArray(), x.Grad!.ToArray<float>());
        }
    }

    [Theory]
    [InlineData("relu")]
    [InlineData("exp")]
    public void ALeafKeepsAGradientWrittenOverItsUpstreamWithoutACopy(string op)
    {
        // x is the op's input itself: the op writes x's gradient over Sum's fresh 4 MB array, which only
        // the engine holds, so x keeps that array. Treated as shared, it was copied (8 MB in all).
        var x = Tensor.Randn([1 << 20], new Generator(1)).RequiresGrad_();
        var y = op == "relu" ? x.Relu() : x.Exp();
        var loss = y.Sum();
        long before = GC.GetAllocatedBytesForCurrentThread();
        loss.Backward();
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 5 << 20);
        var expected = op == "relu" ? x.ToArray<float>().Select(v => v > 0 ? 1f : 0f).ToArray() : y.ToArray<float>();
        Assert.Equal(expected, x.Grad!.ToArray<float>());
    }

    [Fact]
    public void AChainOfOpsWritesEachGradientOverTheOneBefore()
    {
        // Sum's gradient, then exp's, then ReLU's, all in one 4 MB array; x, the multiply's input, gets
        // its own. Without the second reuse the walk allocates 12 MB.
        var x = Tensor.Randn([1 << 20], new Generator(3)).RequiresGrad_();
        var h = (x * 2.0).Relu();
        var y = h.Exp();
        var loss = y.Sum();
        long before = GC.GetAllocatedBytesForCurrentThread();
        loss.Backward();
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 9 << 20);
        var expected = h.ToArray<float>().Zip(y.ToArray<float>(), (hv, yv) => hv > 0 ? yv * 2 : 0f).ToArray();
        Assert.Equal(expected, x.Grad!.ToArray<float>());
    }

    [Theory]
    [InlineData("sub")]
    [InlineData("mul")]
    [InlineData("div")]
    public void BinaryOpsComputeNoGradientForAnInputThatNeedsNone(string op)
    {
        // x (4 MB, needs grad) op c (4 MB, a constant): the backward walk allocates Sum's gradient and
        // x's, 8 MB; computing c's gradient too would add at least another 4 MB.
        var g = new Generator(2);
        var x = Tensor.Randn([1 << 20], g).RequiresGrad_();
        var c = Tensor.Rand([1 << 20], g) + 1.0;
        var y = op switch { "sub" => x - c, "mul" => x * c, _ => x / c };
        var loss = y.Sum();
        long before = GC.GetAllocatedBytesForCurrentThread();
        loss.Backward();
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 9 << 20);
        var expected = op switch { "sub" => Enumerable.Repeat(1f, 1 << 20).ToArray(), "mul" => c.ToArray<float>(), _ => c.ToArray<float>().Select(v => 1 / v).ToArray() };
        Assert.Equal(expected, x.Grad!.ToArray<float>());
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
