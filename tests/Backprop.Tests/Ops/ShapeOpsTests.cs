namespace Backprop.Tests.Ops;

public class ShapeOpsTests
{
    private static Tensor Arange(params int[] shape) => Tensor.Arange(shape.Aggregate(1, (a, b) => a * b), DType.Float64).Reshape(shape);

    private static Tensor RandnF64(params int[] shape) => Tensor.Randn(shape, seed: 7, dtype: DType.Float64, requiresGrad: true);

    private static void AssertGradCheck(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var result = GradCheck.Check(f, inputs);
        Assert.True(result.Passed, result.ToString());
    }

    [Fact]
    public void ReshapeInfersMinusOneAndSharesStorage()
    {
        var x = Arange(2, 3, 4);
        var y = x.Reshape(4, -1);
        Assert.Equal(new[] { 4, 6 }, y.Shape);
        Assert.Same(x._data, y._data);
        Assert.Equal(x.ToArray(), y.ToArray());
        Assert.Equal(new[] { 24 }, x.View(-1).Shape);
        Assert.Equal(Array.Empty<int>(), Tensor.Ones([1, 1]).Reshape().Shape);
    }

    [Fact]
    public void ReshapeRejectsIncompatibleShapes()
    {
        var x = Arange(2, 3);
        var ex = Assert.Throws<ArgumentException>(() => x.Reshape(4, 2));
        Assert.Contains("reshape", ex.Message);
        Assert.Contains("(2x3)", ex.Message);
        Assert.Contains("(4x2)", ex.Message);
        Assert.Contains("only one dimension", Assert.Throws<ArgumentException>(() => x.View(-1, -1)).Message);
        Assert.StartsWith("view", Assert.Throws<ArgumentException>(() => x.View(-1, 4)).Message);
    }

    [Fact]
    public void FlattenMergesTheRequestedDims()
    {
        var x = Arange(2, 3, 4, 5);
        Assert.Equal(new[] { 120 }, x.Flatten().Shape);
        Assert.Equal(new[] { 2, 60 }, x.Flatten(1).Shape);
        Assert.Equal(new[] { 2, 12, 5 }, x.Flatten(1, 2).Shape);
        Assert.Equal(new[] { 6, 4, 5 }, x.Flatten(0, -3).Shape);
        Assert.Equal(new[] { 1 }, Tensor.Scalar(3).Flatten().Shape);
        Assert.Contains("startDim 2 comes after endDim 1", Assert.Throws<ArgumentException>(() => x.Flatten(2, 1)).Message);
        Assert.Contains("flatten: dim 4", Assert.Throws<ArgumentOutOfRangeException>(() => x.Flatten(4)).Message);
    }

    [Fact]
    public void SqueezeAndUnsqueeze()
    {
        var x = Arange(3, 1, 4, 1);
        Assert.Equal(new[] { 3, 4 }, x.Squeeze().Shape);
        Assert.Equal(new[] { 3, 4, 1 }, x.Squeeze(1).Shape);
        Assert.Equal(new[] { 3, 1, 4 }, x.Squeeze(-1).Shape);
        Assert.Equal(new[] { 3, 1, 4, 1 }, x.Squeeze(0).Shape); // size 3: unchanged, as PyTorch
        Assert.Equal(Array.Empty<int>(), Tensor.Ones([1, 1]).Squeeze().Shape);

        var v = Arange(3, 4);
        Assert.Equal(new[] { 1, 3, 4 }, v.Unsqueeze(0).Shape);
        Assert.Equal(new[] { 3, 1, 4 }, v.Unsqueeze(1).Shape);
        Assert.Equal(new[] { 3, 4, 1 }, v.Unsqueeze(2).Shape);
        Assert.Equal(new[] { 3, 4, 1 }, v.Unsqueeze(-1).Shape);
        Assert.Equal(new[] { 1, 3, 4 }, v.Unsqueeze(-3).Shape);
        Assert.Equal(new[] { 1 }, Tensor.Scalar(2).Unsqueeze(0).Shape);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => v.Unsqueeze(3));
        Assert.Contains("unsqueeze: dim 3 is out of range", ex.Message);
        Assert.Contains("squeeze: dim 4", Assert.Throws<ArgumentOutOfRangeException>(() => x.Squeeze(4)).Message);
    }

    [Fact]
    public void TransposeAndTMatchHandComputedValues()
    {
        var x = Arange(2, 3); // [[0,1,2],[3,4,5]]
        var t = x.T;
        Assert.Equal(new[] { 3, 2 }, t.Shape);
        Assert.Equal(new[] { 0.0, 3, 1, 4, 2, 5 }, t.ToArray());
        Assert.Equal(t.ToArray(), x.Transpose(0, 1).ToArray());
        Assert.Equal(t.ToArray(), x.Transpose(-1, -2).ToArray());
        Assert.Equal(x.ToArray(), x.Transpose(1, 1).ToArray());
        var vector = Arange(4);
        Assert.Same(vector, vector.T);

        var b = Arange(2, 2, 3);
        Assert.Equal(new[] { 2, 3, 2 }, b.MT.Shape);
        Assert.Equal(new[] { 0.0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11 }, b.MT.ToArray());
        Assert.Contains("(2x2x3)", Assert.Throws<InvalidOperationException>(() => b.T).Message);
        Assert.Contains("MT", Assert.Throws<InvalidOperationException>(() => Arange(3).MT).Message);
        Assert.Contains("transpose: dim 2", Assert.Throws<ArgumentOutOfRangeException>(() => x.Transpose(0, 2)).Message);
    }

    [Fact]
    public void PermuteMatchesIndexArithmetic()
    {
        var x = Arange(2, 3, 4);
        var y = x.Permute(2, 0, 1);
        Assert.Equal(new[] { 4, 2, 3 }, y.Shape);
        var xs = x.ToArray();
        var ys = y.ToArray();
        for (int i = 0; i < 2; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                for (int k = 0; k < 4; k++)
                {
                    Assert.Equal(xs[(i * 12) + (j * 4) + k], ys[(k * 6) + (i * 3) + j]);
                }
            }
        }

        Assert.Equal(y.ToArray(), x.Permute(-1, 0, -2).ToArray());
        Assert.Equal(x.ToArray(), y.Permute(1, 2, 0).ToArray());
    }

    [Fact]
    public void PermuteRejectsNonPermutations()
    {
        var x = Arange(2, 3, 4);
        Assert.Contains("dim 0 repeats", Assert.Throws<ArgumentException>(() => x.Permute(0, 0, 1)).Message);
        Assert.Contains("(2x3x4)", Assert.Throws<ArgumentException>(() => x.Permute(1, 0)).Message);
        Assert.Contains("permute: dim 3", Assert.Throws<ArgumentOutOfRangeException>(() => x.Permute(0, 1, 3)).Message);
    }

    [Fact]
    public void ShapeOpsWorkOnFloat32AndInt64()
    {
        var f = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        Assert.Equal(DType.Float32, f.T.DType);
        Assert.Equal(new[] { 1f, 4, 2, 5, 3, 6 }, f.T.ToArray<float>());

        var labels = Tensor.FromArray(new long[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        Assert.Equal(new long[] { 1, 4, 2, 5, 3, 6 }, labels.Permute(1, 0).ToArray<long>());
        Assert.Equal(new[] { 3, 2 }, labels.Reshape(3, 2).Shape);
        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6 }, Tensor.Concat([labels, labels]).ToArray<long>());
        Assert.Equal(new[] { 2, 2, 3 }, Tensor.Stack([labels, labels]).Shape);
        Assert.Equal(DType.Int64, labels.Expand(2, 2, 3).DType);
    }

    [Fact]
    public void ContiguousReturnsTheSameTensor()
    {
        var x = Arange(2, 3);
        Assert.Same(x, x.Contiguous());
    }

    [Fact]
    public void ExpandRepeatsSizeOneDims()
    {
        var x = Tensor.FromArray(new double[] { 1, 2, 3 }, 3, 1);
        var y = x.Expand(2, 3, -1);
        Assert.Equal(new[] { 2, 3, 1 }, y.Shape);
        Assert.Equal(new[] { 1.0, 2, 3, 1, 2, 3 }, y.ToArray());
        Assert.Equal(new[] { 1.0, 1, 2, 2, 3, 3 }, x.BroadcastTo(3, 2).ToArray());
        Assert.Contains("expand: shapes (3x1) and (2x2) cannot be broadcast", Assert.Throws<ArgumentException>(() => x.Expand(2, 2)).Message);
        Assert.Contains("fewer dimensions", Assert.Throws<ArgumentException>(() => x.Expand(3)).Message);
        Assert.Contains("-1 is not allowed", Assert.Throws<ArgumentException>(() => x.Expand(-1, 3, 1)).Message);
    }

    [Fact]
    public void ConcatJoinsAlongADim()
    {
        var a = Arange(2, 2);                                   // [[0,1],[2,3]]
        var b = Tensor.FromArray(new double[] { 9, 8 }, 2, 1);  // [[9],[8]]
        var c = Tensor.Concat([a, b], 1);
        Assert.Equal(new[] { 2, 3 }, c.Shape);
        Assert.Equal(new[] { 0.0, 1, 9, 2, 3, 8 }, c.ToArray());
        var r = Tensor.Cat([a, b.T], 0);
        Assert.Equal(new[] { 3, 2 }, r.Shape);
        Assert.Equal(new[] { 0.0, 1, 2, 3, 9, 8 }, r.ToArray());
        Assert.Equal(c.ToArray(), Tensor.Concat([a, b], -1).ToArray());
        Assert.Equal(a.ToArray(), Tensor.Concat([a]).ToArray());
    }

    [Fact]
    public void ConcatRejectsMismatchedInputs()
    {
        var a = Arange(2, 2);
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Concat([a, Arange(3, 3)], 1));
        Assert.Contains("cat: tensor 1 has shape (3x3) but tensor 0 has shape (2x2)", ex.Message);
        Assert.Contains("dtype mismatch", Assert.Throws<ArgumentException>(() => Tensor.Concat([a, Tensor.Ones(2, 2)])).Message);
        Assert.Contains("non-empty", Assert.Throws<ArgumentException>(() => Tensor.Concat([])).Message);
        Assert.Contains("rank-0", Assert.Throws<ArgumentException>(() => Tensor.Concat([Tensor.Scalar(1)])).Message);
        Assert.Contains("cat: dim 2", Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Concat([a, a], 2)).Message);
    }

    [Fact]
    public void StackAddsADim()
    {
        var a = Tensor.FromArray(new double[] { 1, 2, 3 });
        var b = Tensor.FromArray(new double[] { 4, 5, 6 });
        var s0 = Tensor.Stack([a, b]);
        Assert.Equal(new[] { 2, 3 }, s0.Shape);
        Assert.Equal(new[] { 1.0, 2, 3, 4, 5, 6 }, s0.ToArray());
        var s1 = Tensor.Stack([a, b], 1);
        Assert.Equal(new[] { 3, 2 }, s1.Shape);
        Assert.Equal(new[] { 1.0, 4, 2, 5, 3, 6 }, s1.ToArray());
        Assert.Equal(s1.ToArray(), Tensor.Stack([a, b], -1).ToArray());
        Assert.Equal(new[] { 2 }, Tensor.Stack([Tensor.Scalar(1), Tensor.Scalar(2)]).Shape);
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Stack([a, Arange(2)]));
        Assert.Contains("stack: tensor 1 has shape (2) but tensor 0 has shape (3)", ex.Message);
    }

    [Fact]
    public void ReshapeGradientIsReshapedBack()
    {
        var x = Arange(2, 3).RequiresGrad_();
        var w = Arange(3, 2);
        (x.Reshape(3, 2) * w).Sum().Backward();
        Assert.Equal(new[] { 2, 3 }, x.Grad!.Shape);
        Assert.Equal(w.ToArray(), x.Grad.ToArray());
    }

    [Fact]
    public void ExpandGradientSumsOverRepeats()
    {
        var x = Tensor.FromArray(new double[] { 1, 2 }, 2, 1).RequiresGrad_();
        x.Expand(3, 2, 4).Sum().Backward();
        Assert.Equal(new[] { 12.0, 12 }, x.Grad!.ToArray());
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        AssertGradCheck(x => x[0].Reshape(4, -1), RandnF64(2, 3, 4));
        AssertGradCheck(x => x[0].Flatten(1), RandnF64(2, 3, 4));
        AssertGradCheck(x => x[0].Squeeze().Unsqueeze(0), RandnF64(3, 1, 2));
        AssertGradCheck(x => x[0].Transpose(0, 2), RandnF64(2, 3, 4));
        AssertGradCheck(x => x[0].Permute(1, 2, 0), RandnF64(2, 3, 4));
        AssertGradCheck(x => x[0].T, RandnF64(3, 4));
        AssertGradCheck(x => x[0].MT, RandnF64(2, 3, 4));
        AssertGradCheck(x => x[0].Expand(2, 3, -1) * x[0], RandnF64(3, 1));
        AssertGradCheck(x => Tensor.Concat([x[0], x[1], x[0]], 1), RandnF64(2, 3), RandnF64(2, 2));
        AssertGradCheck(x => Tensor.Stack([x[0], x[1]], 1), RandnF64(2, 3), RandnF64(2, 3));
    }

    [Fact]
    public void Int64InputsRecordNoGraph()
    {
        var labels = Tensor.FromArray(new long[] { 1, 2, 3, 4 }, 2, 2);
        Assert.Null(labels.T.GradFn);
        Assert.False(labels.Reshape(4).RequiresGrad);
    }
}
