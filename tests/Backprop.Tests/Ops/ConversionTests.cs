using Xunit;

namespace Backprop.Tests.Ops;

public class ConversionTests
{
    [Fact]
    public void ToConvertsBetweenEveryPairOfDTypes()
    {
        var x = Tensor.FromArray(new double[] { 1.25, -2.75, 0.1, 3e9 }, [2, 2]);
        Assert.Same(x, x.To(DType.Float64));
        Assert.Same(x, x.Double());

        var f = x.Float();
        Assert.Equal(DType.Float32, f.DType);
        Assert.Equal([2, 2], f.Shape);
        Assert.Equal(new[] { 1.25f, -2.75f, 0.1f, 3e9f }, f.ToArray<float>());
        Assert.Equal(new[] { 1.25, -2.75, (double)0.1f, 3e9 }, f.Double().ToArray<double>());

        // To int64 truncates toward zero, as torch's .long() does.
        Assert.Equal(new long[] { 1, -2, 0, 3000000000 }, x.Long().ToArray<long>());
        Assert.Equal(new long[] { 1, -2, 0, 3000000000 }, f.Long().ToArray<long>());

        var labels = Tensor.FromArray(new long[] { 3, -1, 9007199254740993 });
        Assert.Equal(new[] { 3f, -1f, 9007199254740992f }, labels.Float().ToArray<float>());
        Assert.Equal(new[] { 3.0, -1.0, 9007199254740992.0 }, labels.To(DType.Float64).ToArray<double>());
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(1e19)]
    [InlineData(-1e19)]
    public void ValuesInt64CannotHoldAreRefusedByIndex(double value)
    {
        var x = Tensor.FromArray(new double[] { 1, value }, [2]);
        var ex = Assert.Throws<ArgumentException>(() => x.Long());
        Assert.StartsWith("to(int64): element 1 is ", ex.Message);
        Assert.EndsWith("which int64 cannot hold", ex.Message);
    }

    [Fact]
    public void FloatConversionsCarryTheGradientBackInTheInputsDType()
    {
        var x = Tensor.FromArray(new double[] { 0.5, -1.5, 2 }, [3]).RequiresGrad_();
        var y = x.Float() * Tensor.FromArray(new float[] { 1, 2, 3 });
        Assert.IsType<ToDefinition>(y.GradFn!.Inputs[0].GradFn!.Op);
        y.Sum().Backward();
        Assert.Equal(DType.Float64, x.Grad!.DType);
        Assert.Equal(new[] { 1.0, 2, 3 }, x.Grad.ToArray<double>());

        // To int64 is piecewise constant: nothing is recorded.
        var indices = x.Long();
        Assert.False(indices.RequiresGrad);
        Assert.Null(indices.GradFn);
    }
}
