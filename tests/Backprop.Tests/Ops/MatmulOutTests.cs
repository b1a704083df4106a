namespace Backprop.Tests.Ops;

public class MatmulOutTests
{
    [Fact]
    public void WritesTheSameValuesAsMatmulIntoTheGivenTensor()
    {
        var a = Tensor.Randn([2, 5, 7], seed: 1);
        var b = Tensor.Randn([7, 3], seed: 2);
        var output = Tensor.Full([2, 5, 3], 42f);
        var returned = Tensor.Matmul(a, b, output);
        Assert.Same(output, returned);
        Assert.Equal(a.Matmul(b).ToArray<float>(), output.ToArray<float>());

        // Called again, it overwrites rather than accumulates.
        Tensor.Matmul(a, b, output);
        Assert.Equal(a.Matmul(b).ToArray<float>(), output.ToArray<float>());
    }

    [Fact]
    public void RefusesAWrongOutputShapeAndDTypeNamingThem()
    {
        var a = Tensor.Zeros(4, 3);
        var b = Tensor.Zeros(3, 2);
        var shape = Assert.Throws<ArgumentException>(() => Tensor.Matmul(a, b, Tensor.Zeros(2, 4)));
        Assert.Contains("gives (4x2)", shape.Message);
        Assert.Contains("has shape (2x4)", shape.Message);
        Assert.Throws<ArgumentException>(() => Tensor.Matmul(a, b, Tensor.Zeros([4, 2], DType.Float64)));
        Assert.Throws<ArgumentException>(() => Tensor.Matmul(Tensor.Zeros(3), b, Tensor.Zeros(2)));
    }

    [Fact]
    public void RefusesAnOutputThatSharesMemoryWithAnOperand()
    {
        var a = Tensor.Randn([3, 3], seed: 5);
        var b = Tensor.Randn([3, 3], seed: 6);
        Assert.Contains("shares memory", Assert.Throws<ArgumentException>(() => Tensor.Matmul(a, b, a)).Message);
        Assert.Contains("shares memory", Assert.Throws<ArgumentException>(() => Tensor.Matmul(a, b, b.Reshape(3, 3))).Message);
    }

    [Fact]
    public void IsNotDifferentiable()
    {
        var a = Tensor.Randn([4, 3], seed: 3, requiresGrad: true);
        var b = Tensor.Randn([3, 2], seed: 4);
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Matmul(a, b, Tensor.Zeros(4, 2)));
        Assert.Contains("requires grad", ex.Message);
        using (Backprop.Autograd.NoGrad())
        {
            var output = Tensor.Matmul(a, b, Tensor.Zeros(4, 2));
            Assert.False(output.RequiresGrad);
            Assert.Null(output.GradFn);
        }
    }
}
