namespace Backprop.Tests.Ops;

public class ComparisonTests
{
    private static readonly Tensor s_a = Tensor.FromArray(new double[] { 1, 2, 3, 4 }, 2, 2);

    [Fact]
    public void ComparisonsReturnZeroOneInTheInputDType()
    {
        var b = Tensor.FromArray(new double[] { 1, 3, 2, 4 }, 2, 2);
        Assert.Equal(new[] { 1.0, 0, 0, 1 }, s_a.Eq(b).ToArray());
        Assert.Equal(new[] { 0.0, 1, 1, 0 }, s_a.Ne(b).ToArray());
        Assert.Equal(new[] { 0.0, 1, 0, 0 }, s_a.Lt(b).ToArray());
        Assert.Equal(new[] { 1.0, 1, 0, 1 }, s_a.Le(b).ToArray());
        Assert.Equal(new[] { 0.0, 0, 1, 0 }, s_a.Gt(b).ToArray());
        Assert.Equal(new[] { 1.0, 0, 1, 1 }, s_a.Ge(b).ToArray());
        Assert.Equal(DType.Float64, s_a.Eq(b).DType);
        var f = Tensor.FromArray(new float[] { 1, 5 });
        Assert.Equal(DType.Float32, f.Gt(2).DType);
        Assert.Equal(new[] { 0f, 1 }, f.Gt(2).ToArray<float>());
    }

    [Fact]
    public void ScalarOverloads()
    {
        Assert.Equal(new[] { 0.0, 1, 0, 0 }, s_a.Eq(2).ToArray());
        Assert.Equal(new[] { 1.0, 0, 1, 1 }, s_a.Ne(2).ToArray());
        Assert.Equal(new[] { 1.0, 1, 0, 0 }, s_a.Lt(2.5).ToArray());
        Assert.Equal(new[] { 1.0, 1, 0, 0 }, s_a.Le(2).ToArray());
        Assert.Equal(new[] { 0.0, 0, 1, 1 }, s_a.Gt(2).ToArray());
        Assert.Equal(new[] { 0.0, 1, 1, 1 }, s_a.Ge(2).ToArray());
    }

    [Fact]
    public void ComparisonsBroadcast()
    {
        var row = Tensor.FromArray(new double[] { 2, 3 });
        var c = s_a.Ge(row);
        Assert.Equal(new[] { 2, 2 }, c.Shape);
        Assert.Equal(new[] { 0.0, 0, 1, 1 }, c.ToArray());
        var col = Tensor.FromArray(new double[] { 1, 2, 3 }, 3, 1);
        Assert.Equal(new[] { 3, 2 }, col.Lt(row).Shape);
        Assert.Equal(new[] { 1.0, 1, 0, 1, 0, 0 }, col.Lt(row).ToArray());
        var ex = Assert.Throws<ArgumentException>(() => s_a.Eq(col));
        Assert.Contains("eq: shapes (2x2) and (3x1) cannot be broadcast", ex.Message);
    }

    [Fact]
    public void ComparisonsAreNeverRecorded()
    {
        var x = Tensor.FromArray(new double[] { 1, -1 }).RequiresGrad_();
        var c = x.Gt(0);
        Assert.False(c.RequiresGrad);
        Assert.Null(c.GradFn);
        Assert.False(x.Eq(x).RequiresGrad);
    }

    [Fact]
    public void Int64ComparesExactlyAndMixedDTypesArePromoted()
    {
        // The accuracy idiom: argmax (int64) against int64 labels.
        var logits = Tensor.FromArray(new float[,] { { 0.1f, 2f, 0.3f }, { 5f, 1f, 0f }, { 0f, 0f, 9f }, { 1f, 3f, 2f } });
        var labels = Tensor.FromArray(new long[] { 1, 0, 1, 1 });
        var correct = logits.ArgMax(1).Eq(labels);
        Assert.Equal(DType.Int64, correct.DType);
        Assert.Equal([1L, 1L, 0L, 1L], correct.ToArray<long>());
        Assert.Equal(0.75f, correct.Float().Mean().Item(), 6);

        // Exact beyond float64's 2^53: these two differ by one.
        var big = Tensor.FromArray(new long[] { 9007199254740993, -5 });
        var other = Tensor.FromArray(new long[] { 9007199254740992, -5 });
        Assert.Equal([0L, 1L], big.Eq(other).ToArray<long>());
        Assert.Equal([1L, 0L], big.Gt(other).ToArray<long>());

        // Broadcasting (4) against (4, 1), and a whole-number scalar compared as int64.
        Assert.Equal([4, 4], labels.Eq(labels.View(4, 1)).Shape);
        Assert.Equal([0L, 1L, 0L, 0L], labels.Lt(1).ToArray<long>());
        Assert.Equal([1L, 0L, 1L, 1L], labels.Ge(1).ToArray<long>());

        // int64 with float (or a fractional scalar): promoted to the float dtype, as PyTorch does.
        var halves = Tensor.FromArray(new double[] { 0.5, 0, 1, 1.5 });
        var mixed = labels.Lt(halves);
        Assert.Equal(DType.Float64, mixed.DType);
        Assert.Equal([0.0, 0, 0, 1], mixed.ToArray<double>());
        Assert.Equal([0f, 1f, 0f, 0f], labels.Lt(0.5).ToArray<float>());

        var ex = Assert.Throws<ArgumentException>(() => s_a.Eq(Tensor.Ones(2, 2)));
        Assert.Contains("dtype mismatch", ex.Message);
    }

    [Fact]
    public void ComparisonOperatorsReturnTensors()
    {
        var x = Tensor.FromArray(new float[] { -1, 0, 2 });
        var y = Tensor.FromArray(new float[] { 0, 0, 1 });
        Assert.Equal([0f, 0f, 1f], (x > y).ToArray<float>());
        Assert.Equal([1f, 0f, 0f], (x < y).ToArray<float>());
        Assert.Equal([0f, 1f, 1f], (x >= y).ToArray<float>());
        Assert.Equal([1f, 1f, 0f], (x <= y).ToArray<float>());
        Assert.Equal([0f, 1f, 1f], (x > -0.5).ToArray<float>());
        Assert.Equal([1f, 1f, 0f], (x <= 0).ToArray<float>());
        Assert.Equal([1f, 1f, 0f], (1.0 > x).ToArray<float>());
        Assert.Equal([0f, 1f, 1f], (0.0 <= x).ToArray<float>());
        Assert.Equal([0f, 0f, 1f], (1.5 < x).ToArray<float>());
        Assert.Equal([1f, 1f, 0f], (0.0 >= x).ToArray<float>());
        var mask = x > 0;
        Assert.False(mask.RequiresGrad);
        Assert.Equal([0f, 0f, 2f], (x * mask).ToArray<float>());
    }

    [Fact]
    public void NaNComparesUnequal()
    {
        var x = Tensor.FromArray(new double[] { double.NaN, 1 });
        Assert.Equal(new[] { 0.0, 1 }, x.Eq(x).ToArray());
        Assert.Equal(new[] { 1.0, 0 }, x.Ne(x).ToArray());
        Assert.Equal(new[] { 0.0, 0 }, x.Gt(5).ToArray());
    }

    [Fact]
    public void ArgMaxAndArgMinOverTheWholeTensor()
    {
        var x = Tensor.FromArray(new double[] { 3, 7, 1, 7, -2, 5 }, 2, 3);
        var am = x.ArgMax();
        Assert.Equal(DType.Int64, am.DType);
        Assert.Equal(0, am.Rank);
        Assert.Equal(1.0, am.Item()); // first maximal index
        Assert.Equal(4.0, x.ArgMin().Item());
        Assert.Equal(new[] { 1, 1 }, x.ArgMax(keepDim: true).Shape);
    }

    [Fact]
    public void ArgMaxAndArgMinAlongADim()
    {
        var x = Tensor.FromArray(new double[] { 3, 7, 1, 7, -2, 7 }, 2, 3);
        Assert.Equal(new long[] { 1, 0 }, x.ArgMax(1).ToArray<long>());
        Assert.Equal(new long[] { 2, 1 }, x.ArgMin(-1).ToArray<long>());
        Assert.Equal(new long[] { 1, 0, 1 }, x.ArgMax(0).ToArray<long>());
        Assert.Equal(new long[] { 0, 1, 0 }, x.ArgMin(0).ToArray<long>());
        Assert.Equal(new[] { 2, 1 }, x.ArgMax(1, keepDim: true).Shape);
        Assert.Equal(new[] { 1, 3 }, x.ArgMin(0, keepDim: true).Shape);
        Assert.Contains("argmax: dim 2", Assert.Throws<ArgumentOutOfRangeException>(() => x.ArgMax(2)).Message);
    }

    [Fact]
    public void ArgMaxWorksOnFloat32Int64AndNaN()
    {
        var logits = Tensor.FromArray(new float[] { 0.1f, 0.9f, 0.3f, 0.8f, 0.1f, 0.05f }, 2, 3);
        Assert.Equal(new long[] { 1, 0 }, logits.ArgMax(1).ToArray<long>());
        var labels = Tensor.FromArray(new long[] { 4, 9, 2 });
        Assert.Equal(1.0, labels.ArgMax().Item());
        Assert.Equal(2.0, labels.ArgMin(0).Item());
        var withNaN = Tensor.FromArray(new double[] { 1, double.NaN, 5 });
        Assert.Equal(1.0, withNaN.ArgMax().Item()); // NaN counts as the maximum, as PyTorch
        Assert.Equal(1.0, withNaN.ArgMin().Item());
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => Tensor.Zeros(0).ArgMax()).Message);
    }
}
