namespace Backprop.Tests.Tensors;

public class TensorTests
{
    [Fact]
    public void CreationHasShapeDTypeAndValues()
    {
        var z = Tensor.Zeros(2, 3);
        Assert.Equal(new[] { 2, 3 }, z.Shape);
        Assert.Equal(DType.Float32, z.DType);
        Assert.Equal(6, z.Numel);
        Assert.All(z.ToArray(), v => Assert.Equal(0.0, v));
        Assert.All(Tensor.Ones([4], DType.Float64).ToArray(), v => Assert.Equal(1.0, v));
        Assert.All(Tensor.Full([2, 2], 7.5).ToArray(), v => Assert.Equal(7.5, v));
        Assert.Equal(new[] { 0.0, 1, 2, 3, 4 }, Tensor.Arange(5).ToArray());
        Assert.Equal(new[] { 1.0, 1.5, 2.0, 2.5 }, Tensor.Arange(1, 3, 0.5, DType.Float64).ToArray());
        Assert.Equal(0, Tensor.Scalar(3).Rank);
        Assert.Equal(3.0, Tensor.Scalar(3).Item());
    }

    [Fact]
    public void FromArrayCopiesAndChecksShape()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        var t = Tensor.FromArray(data, 2, 3);
        data[0] = 100;
        Assert.Equal(1f, t.ToArray<float>()[0]);
        var ex = Assert.Throws<ArgumentException>(() => Tensor.FromArray(data, 4, 2));
        Assert.Contains("(4x2)", ex.Message);
        Assert.Equal(new[] { 2, 2 }, Tensor.FromArray(new double[,] { { 1, 2 }, { 3, 4 } }).Shape);
        Assert.Equal(DType.Int64, Tensor.FromArray(new long[] { 1, 2 }).DType);
    }

    [Fact]
    public void RandomIsReproducibleFromSeedAndGenerator()
    {
        var a = Tensor.Randn([100], seed: 42);
        var b = Tensor.Randn([100], seed: 42);
        Assert.Equal(a.ToArray(), b.ToArray());
        Assert.NotEqual(a.ToArray(), Tensor.Randn([100], seed: 43).ToArray());
        var u = Tensor.Rand([10_000], new Generator(1), DType.Float64).ToArray();
        Assert.All(u, v => Assert.InRange(v, 0.0, 1.0));
        Assert.InRange(u.Average(), 0.49, 0.51);
        var n = Tensor.Randn([20_000], new Generator(2), DType.Float64).ToArray();
        Assert.InRange(n.Average(), -0.03, 0.03);
        Assert.InRange(n.Select(v => v * v).Average(), 0.96, 1.04);
    }

    [Fact]
    public void GeneratorStateRoundTrips()
    {
        var g = new Generator(5);
        g.NextUInt64();
        var state = g.GetState();
        var expected = Enumerable.Range(0, 5).Select(_ => g.NextUInt64()).ToArray();
        var h = new Generator(0);
        h.SetState(state);
        Assert.Equal(expected, Enumerable.Range(0, 5).Select(_ => h.NextUInt64()).ToArray());
    }

    [Fact]
    public void ToStringLooksLikePyTorch()
    {
        var t = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2);
        Assert.Equal("tensor([[1.0000, 2.0000],\n        [3.0000, 4.0000]])", t.ToString());
        var g = Tensor.FromArray(new[] { 1.0 }).RequiresGrad_();
        Assert.Contains("requires_grad=True", g.ToString());
        Assert.Contains("dtype=float64", g.ToString());
        Assert.Contains("grad_fn=<mul>", (g * g).ToString());
        Assert.Contains("...", Tensor.Zeros(2000).ToString());
    }

    [Fact]
    public void ItemNeedsOneElement()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(2, 2).Item());
        Assert.Contains("(2x2)", ex.Message);
    }

    [Fact]
    public void MismatchedShapesAndDTypesAreNamed()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2, 3) + Tensor.Zeros(4, 3));
        Assert.Contains("add", ex.Message);
        Assert.Contains("(2x3)", ex.Message);
        Assert.Contains("(4x3)", ex.Message);
        var ex2 = Assert.Throws<ArgumentException>(() => Tensor.Zeros(2) * Tensor.Zeros([2], DType.Float64));
        Assert.Contains("float32", ex2.Message);
        Assert.Contains("float64", ex2.Message);
        var ex3 = Assert.Throws<ArgumentException>(() => Tensor.Zeros(128, 784).Matmul(Tensor.Zeros(256, 10)));
        Assert.Equal("matmul: (128x784) @ (256x10): inner dimensions 784 and 256 differ", ex3.Message);
    }

    [Fact]
    public void MatmulMatchesNaiveLoopForAllTransposeShapes()
    {
        var g = new Generator(3);
        foreach (var (m, k, n) in new[] { (1, 1, 1), (3, 5, 2), (7, 1, 9), (1, 17, 1), (16, 33, 5) })
        {
            var a = Tensor.Randn([m, k], g, DType.Float64);
            var b = Tensor.Randn([k, n], g, DType.Float64);
            var c = a.Matmul(b).ToArray();
            var av = a.ToArray();
            var bv = b.ToArray();
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++)
                    {
                        s += av[(i * k) + p] * bv[(p * n) + j];
                    }

                    Assert.Equal(s, c[(i * n) + j], 1e-12);
                }
            }
        }
    }

    [Fact]
    public void BatchedMatmulBroadcastsBatchDims()
    {
        var g = new Generator(4);
        var a = Tensor.Randn([2, 3, 4], g, DType.Float64);
        var b = Tensor.Randn([4, 5], g, DType.Float64);
        var c = a.Matmul(b);
        Assert.Equal(new[] { 2, 3, 5 }, c.Shape);
        var second = a[1].Matmul(b).ToArray();
        Assert.Equal(second, c[1].ToArray());
    }
}
