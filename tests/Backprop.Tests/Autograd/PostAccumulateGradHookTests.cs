namespace Backprop.Tests.Autograd;

/// <summary>Tensor.RegisterPostAccumulateGradHook (PyTorch's register_post_accumulate_grad_hook).</summary>
public class PostAccumulateGradHookTests
{
    [Fact]
    public void RunsAfterEachLeafsGradHasAccumulatedInReverseOrderOfUse()
    {
        var a = Tensor.FromArray([1.0, 2.0], 2).RequiresGrad_();
        var b = Tensor.FromArray([3.0, 4.0], 2).RequiresGrad_();
        var seen = new List<(string Name, double[] Grad)>();
        using var ha = a.RegisterPostAccumulateGradHook(t => seen.Add(("a", t.Grad!.ToArray<double>())));
        using var hb = b.RegisterPostAccumulateGradHook(t => seen.Add(("b", t.Grad!.ToArray<double>())));

        // b is used last, so backward reaches it first.
        ((a * 2).Tanh() * b).Sum().Backward();
        Assert.Equal(["b", "a"], seen.Select(s => s.Name));
        Assert.Equal(b.Grad!.ToArray<double>(), seen[0].Grad);
        Assert.Equal(a.Grad!.ToArray<double>(), seen[1].Grad);

        // A second pass accumulates, and the hook sees the sum.
        var first = a.Grad!.ToArray<double>();
        ((a * 2).Tanh() * b).Sum().Backward();
        Assert.Equal(first.Select(g => 2 * g), seen[3].Grad);
    }

    [Fact]
    public void MayModifyTheGradInPlaceAndIsRemovedByDispose()
    {
        var w = Tensor.FromArray([1.0, -1.0], 2).RequiresGrad_();
        var handle = w.RegisterPostAccumulateGradHook(t =>
        {
            var g = t.Grad!.F64;
            g[0] *= 10;
            g[1] *= 10;
        });
        (w * w).Sum().Backward();
        Assert.Equal([20.0, -20.0], w.Grad!.ToArray<double>());
        handle.Dispose();
        handle.Dispose();
        w.ZeroGrad();
        (w * w).Sum().Backward();
        Assert.Equal([2.0, -2.0], w.Grad!.ToArray<double>());
    }

    [Fact]
    public void RunsInARecordedBackwardButNotInAutogradGrad()
    {
        var x = Tensor.FromArray([0.5], 1).RequiresGrad_();
        int calls = 0;
        using var h = x.RegisterPostAccumulateGradHook(_ => calls++);
        Backprop.Autograd.Grad((x * x).Sum(), [x]);
        Assert.Equal(0, calls);
        (x * x * x).Sum().Backward(createGraph: true);
        Assert.Equal(1, calls);
    }

    [Fact]
    public void IsRefusedOnANonLeaf()
    {
        var x = Tensor.FromArray([0.5], 1).RequiresGrad_();
        var ex = Assert.Throws<InvalidOperationException>(() => (x * 2).RegisterPostAccumulateGradHook(_ => { }));
        Assert.Contains("leaf", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(2).RegisterPostAccumulateGradHook(_ => { }));
    }
}
