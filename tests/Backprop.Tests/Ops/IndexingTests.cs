namespace Backprop.Tests.Ops;

public class IndexingTests
{
    private static Tensor Arange(params int[] shape) => Tensor.Arange(shape.Aggregate(1, (a, b) => a * b), DType.Float64).Reshape(shape);

    private static Tensor RandnF64(params int[] shape) => Tensor.Randn(shape, seed: 11, dtype: DType.Float64, requiresGrad: true);

    private static Tensor Longs(params long[] values) => Tensor.FromArray(values);

    private static void AssertGradCheck(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var result = GradCheck.Check(f, inputs);
        Assert.True(result.Passed, result.ToString());
    }

    /// <summary>A tiny independent check: dL/dx from Backward() vs central differences of L = Σ w·f(x).</summary>
    private static void AssertFiniteDifferences(Func<Tensor, Tensor> f, Tensor x)
    {
        var w = Tensor.Randn(f(x.Detach()).Shape, seed: 3, dtype: DType.Float64);
        (f(x) * w).Sum().Backward();
        var analytic = x.Grad!.ToArray();
        var data = x.F64;
        const double h = 1e-6;
        for (int i = 0; i < data.Length; i++)
        {
            double saved = data[i];
            data[i] = saved + h;
            double plus = (f(x.Detach()) * w).Sum().Item();
            data[i] = saved - h;
            double minus = (f(x.Detach()) * w).Sum().Item();
            data[i] = saved;
            Assert.Equal((plus - minus) / (2 * h), analytic[i], 1e-6);
        }
    }

    [Fact]
    public void SelectRemovesTheDim()
    {
        var x = Arange(2, 3, 4);
        var s = x.Select(1, 2);
        Assert.Equal(new[] { 2, 4 }, s.Shape);
        Assert.Equal(new[] { 8.0, 9, 10, 11, 20, 21, 22, 23 }, s.ToArray());
        Assert.Equal(s.ToArray(), x.Select(-2, -1).ToArray());
        Assert.Equal(new[] { 3.0, 7, 11, 15, 19, 23 }, x.Select(2, 3).ToArray());
        var scalar = Arange(3).Select(0, 1);
        Assert.Equal(0, scalar.Rank);
        Assert.Equal(1.0, scalar.Item());
    }

    [Fact]
    public void SelectRejectsOutOfRangeIndices()
    {
        var x = Arange(2, 3);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => x.Select(1, 3));
        Assert.Contains("select: index 3 is out of range for dim 1 of size 3", ex.Message);
        Assert.Contains("index -4", Assert.Throws<ArgumentOutOfRangeException>(() => x.Select(1, -4)).Message);
        Assert.Contains("select: dim 2", Assert.Throws<ArgumentOutOfRangeException>(() => x.Select(2, 0)).Message);
        Assert.Contains("rank-0", Assert.Throws<ArgumentException>(() => Tensor.Scalar(1).Select(0, 0)).Message);
    }

    [Fact]
    public void NarrowTakesAContiguousRange()
    {
        var x = Arange(3, 4);
        var n = x.Narrow(1, 1, 2);
        Assert.Equal(new[] { 3, 2 }, n.Shape);
        Assert.Equal(new[] { 1.0, 2, 5, 6, 9, 10 }, n.ToArray());
        Assert.Equal(new[] { 8.0, 9, 10, 11 }, x.Narrow(0, -1, 1).ToArray());
        Assert.Equal(new[] { 3, 0 }, x.Narrow(1, 4, 0).Shape);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => x.Narrow(1, 3, 2));
        Assert.Contains("narrow: start 3 + length 2 exceeds dim 1 of size 4", ex.Message);
        Assert.Contains("narrow: start 5", Assert.Throws<ArgumentOutOfRangeException>(() => x.Narrow(1, 5, 0)).Message);
    }

    [Fact]
    public void SliceFollowsPythonSemantics()
    {
        var x = Arange(10);
        Assert.Equal(new[] { 2.0, 5 }, x.Slice(0, 2, 8, 3).ToArray());         // x[2:8:3]
        Assert.Equal(new[] { 7.0, 8, 9 }, x.Slice(0, -3).ToArray());           // x[-3:]
        Assert.Equal(new[] { 0.0, 1 }, x.Slice(0, null, -8).ToArray());        // x[:-8]
        Assert.Equal(x.ToArray(), x.Slice(0, -100, 100).ToArray());            // clamped
        Assert.Empty(x.Slice(0, 5, 2).ToArray());                              // x[5:2]
        Assert.Empty(x.Slice(0, 20).ToArray());                                // x[20:]
        Assert.Equal(new[] { 0.0, 4, 8 }, x.Slice(0, step: 4).ToArray());      // x[::4]
        Assert.Equal(new[] { 1.0, 3, 5, 7, 9 }, x.Slice(0, 1, step: 2).ToArray());

        var m = Arange(3, 4);
        Assert.Equal(new[] { 0.0, 2, 4, 6, 8, 10 }, m.Slice(1, step: 2).ToArray());
        Assert.Contains("slice: step must be positive, got 0", Assert.Throws<ArgumentOutOfRangeException>(() => x.Slice(0, step: 0)).Message);
        Assert.Contains("slice: dim 1", Assert.Throws<ArgumentOutOfRangeException>(() => x.Slice(1)).Message);
    }

    [Fact]
    public void IndexerCombinesSelectAndSlice()
    {
        var x = Arange(2, 3, 4);
        Assert.Equal(new[] { 3, 4 }, x[0].Shape);
        Assert.Equal(x.Select(0, 1).ToArray(), x[^1].ToArray());
        Assert.Equal(x.Select(0, 1).ToArray(), x[-1].ToArray());
        Assert.Equal(23.0, x[1, 2, 3].Item());
        Assert.Equal(0, x[1, 2, 3].Rank);

        var s = x[.., 1..3];
        Assert.Equal(new[] { 2, 2, 4 }, s.Shape);
        Assert.Equal(new[] { 4.0, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23 }, s.ToArray());
        Assert.Equal(new[] { 2, 1, 4 }, x[.., ^1..].Shape);
        Assert.Equal(new[] { 2, 2, 4 }, x[.., ..^1].Shape);
        Assert.Equal(new[] { 2, 0, 4 }, x[.., ^0..].Shape);
        Assert.Equal(new[] { 2, 3, 4 }, x[.., 0..100].Shape); // clamped, as Python
        Assert.Equal(new[] { 1.0, 3, 13, 15 }, x[.., 0, TensorIndex.Slice(1, null, 2)].ToArray());
        Assert.Equal(new[] { 2, 3 }, x[TensorIndex.All, TensorIndex.All, 0].Shape);

        var ex = Assert.Throws<ArgumentException>(() => x[0, 0, 0, 0]);
        Assert.Contains("too many indices (4) for a tensor of shape (2x3x4)", ex.Message);
        Assert.Contains("index 3 is out of range for dim 0 of size 2", Assert.Throws<ArgumentOutOfRangeException>(() => x[3]).Message);
    }

    [Fact]
    public void IndexingWorksOnInt64AndFloat32()
    {
        var labels = Tensor.FromArray(new long[] { 5, 6, 7, 8 }, 2, 2);
        Assert.Equal(new long[] { 6, 8 }, labels[.., 1].ToArray<long>());
        Assert.Equal(new long[] { 7, 8 }, labels[^1].ToArray<long>());
        var f = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2);
        Assert.Equal(DType.Float32, f[0].DType);
        Assert.Equal(new[] { 3f, 4 }, f[1].ToArray<float>());
    }

    [Fact]
    public void GatherMatchesTheTorchDocsExample()
    {
        // torch.gather(torch.tensor([[1, 2], [3, 4]]), 1, torch.tensor([[0, 0], [1, 0]])) = [[1, 1], [4, 3]]
        var t = Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } });
        var g = t.Gather(1, Tensor.FromArray(new long[] { 0, 0, 1, 0 }, 2, 2));
        Assert.Equal(new[] { 1.0, 1, 4, 3 }, g.ToArray());
        var g0 = t.Gather(0, Tensor.FromArray(new long[] { 1, 0, 1 }, 3, 1));
        Assert.Equal(new[] { 3, 1 }, g0.Shape);
        Assert.Equal(new[] { 3.0, 1, 3 }, g0.ToArray());
        var labels = Tensor.FromArray(new long[] { 10, 20, 30, 40 }, 2, 2);
        Assert.Equal(new long[] { 20, 30 }, labels.Gather(1, Tensor.FromArray(new long[] { 1, 0 }, 2, 1)).ToArray<long>());
    }

    [Fact]
    public void GatherValidatesItsIndex()
    {
        var t = Arange(2, 3);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => t.Gather(1, Tensor.FromArray(new long[] { 0, 3 }, 2, 1)));
        Assert.Contains("gather: index 3 is out of range for dim 1 of size 3", ex.Message);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => t.Gather(1, Arange(2, 1))).Message);
        Assert.Contains("rank", Assert.Throws<ArgumentException>(() => t.Gather(1, Longs(0, 1))).Message);
        Assert.Contains("larger than the input", Assert.Throws<ArgumentException>(() => t.Gather(1, Tensor.Zeros([3, 1], DType.Int64))).Message);
    }

    [Fact]
    public void GatherGradientScatterAdds()
    {
        var x = Arange(2, 3).RequiresGrad_();
        x.Gather(1, Tensor.FromArray(new long[] { 2, 2, 0, 1, 1, 1 }, 2, 3)).Sum().Backward();
        Assert.Equal(new[] { 1.0, 0, 2, 0, 3, 0 }, x.Grad!.ToArray());
    }

    [Fact]
    public void IndexSelectPicksSlices()
    {
        var x = Arange(3, 2);
        var rows = x.IndexSelect(0, Longs(2, 0, 2));
        Assert.Equal(new[] { 3, 2 }, rows.Shape);
        Assert.Equal(new[] { 4.0, 5, 0, 1, 4, 5 }, rows.ToArray());
        var cols = x.IndexSelect(1, Longs(1));
        Assert.Equal(new[] { 1.0, 3, 5 }, cols.ToArray());
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => x.IndexSelect(0, Longs(3)));
        Assert.Contains("index_select: index 3 is out of range for dim 0 of size 3", ex.Message);
        Assert.Contains("1-D", Assert.Throws<ArgumentException>(() => x.IndexSelect(0, Tensor.Zeros([1, 1], DType.Int64))).Message);
    }

    [Fact]
    public void IndexSelectGradientAccumulatesRepeatedIndices()
    {
        var x = Arange(3, 2).RequiresGrad_();
        x.IndexSelect(0, Longs(0, 0, 2, 0)).Sum().Backward();
        Assert.Equal(new[] { 3.0, 3, 0, 0, 1, 1 }, x.Grad!.ToArray());
    }

    [Fact]
    public void WhereBroadcastsAllThree()
    {
        var cond = Tensor.FromArray(new double[] { 1, 0, 2 }, 3, 1);
        var x = Tensor.FromArray(new double[] { 10, 20 });
        var y = Tensor.FromArray(new double[] { -1, -2, -3 }, 3, 1);
        var w = Tensor.Where(cond, x, y);
        Assert.Equal(new[] { 3, 2 }, w.Shape);
        Assert.Equal(new[] { 10.0, 20, -2, -2, 10, 20 }, w.ToArray());
        var mask = Tensor.FromArray(new long[] { 0, 1 });
        Assert.Equal(new long[] { 7, 3 }, Tensor.Where(mask, Longs(1, 3), Longs(7, 9)).ToArray<long>());
        Assert.Contains("dtype mismatch", Assert.Throws<ArgumentException>(() => Tensor.Where(cond, x, Tensor.Ones(3, 1))).Message);
        Assert.Contains("where: shapes", Assert.Throws<ArgumentException>(() => Tensor.Where(cond, x, Arange(2, 2))).Message);
    }

    [Fact]
    public void WhereGradientIsMasked()
    {
        var cond = Tensor.FromArray(new double[] { 1, 0, 0, 1 }, 2, 2);
        var x = Arange(2, 2).RequiresGrad_();
        var y = Tensor.FromArray(new double[] { 5 }).RequiresGrad_();
        Tensor.Where(cond, x, y).Sum().Backward();
        Assert.Equal(new[] { 1.0, 0, 0, 1 }, x.Grad!.ToArray());
        Assert.Equal(new[] { 2.0 }, y.Grad!.ToArray());
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        AssertGradCheck(x => x[0].Select(1, -1), RandnF64(2, 3, 4));
        AssertGradCheck(x => x[0].Narrow(2, 1, 2), RandnF64(2, 3, 4));
        AssertGradCheck(x => x[0].Slice(1, -4, null, 2), RandnF64(3, 5));
        AssertGradCheck(x => x[0][^1, 1..3], RandnF64(2, 3, 4));
        AssertGradCheck(x => x[0].Gather(1, Tensor.FromArray(new long[] { 0, 3, 3, 1, 2, 2 }, 2, 3)), RandnF64(3, 4));
        AssertGradCheck(x => x[0].IndexSelect(1, Longs(3, 0, 3)), RandnF64(2, 4));
        var cond = Tensor.FromArray(new double[] { 1, 0, 1 }, 3, 1);
        AssertGradCheck(x => Tensor.Where(cond, x[0], x[1]), RandnF64(3, 4), RandnF64(4));
    }

    [Fact]
    public void LocalFiniteDifferenceHelperAgrees()
    {
        AssertFiniteDifferences(x => x[.., 1..].Permute(1, 0), RandnF64(2, 3));
        AssertFiniteDifferences(x => x.IndexSelect(0, Longs(1, 1, 0)) * x.Select(0, 0), RandnF64(2, 3));
    }
}
