using Backprop.Optim;

namespace Backprop.Tests.Optim;

public class ClipGradTests
{
    private static Tensor WithGrad(double[] grad, DType dtype = DType.Float64)
    {
        var p = Tensor.Zeros([grad.Length], dtype, requiresGrad: true);
        p.Grad = dtype == DType.Float64 ? Tensor.FromArray(grad, grad.Length) : Tensor.FromArray(grad.Select(v => (float)v).ToArray(), grad.Length);
        return p;
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void ClipGradNormScalesToTheMaxNormAndReturnsTheOriginalNorm(DType dtype)
    {
        // ‖(3, 4, 0, 12)‖ = 13 across the two tensors.
        var a = WithGrad([3, 4], dtype);
        var b = WithGrad([0, 12], dtype);
        var none = Tensor.Zeros([3], dtype, requiresGrad: true);
        double total = ClipGrad.ClipGradNorm([a, none, b], maxNorm: 1.0);
        Assert.Equal(13.0, total, 12);
        double scale = 1.0 / (13.0 + 1e-6);
        Reference.AssertClose(new[] { 3 * scale, 4 * scale }, a.Grad!.ToArray(), 1e-7);
        Reference.AssertClose(new[] { 0, 12 * scale }, b.Grad!.ToArray(), 1e-7);
        double after = Math.Sqrt(a.Grad!.ToArray().Concat(b.Grad!.ToArray()).Sum(v => v * v));
        Assert.Equal(1.0, after, 5);
        Assert.Null(none.Grad);
    }

    [Fact]
    public void ClipGradNormLeavesSmallGradientsAlone()
    {
        var a = WithGrad([0.3, -0.4]);
        Assert.Equal(0.5, ClipGrad.ClipGradNorm([a], maxNorm: 1.0), 15);
        Assert.Equal(new[] { 0.3, -0.4 }, a.Grad!.ToArray());
    }

    [Fact]
    public void ClipGradNormSupportsOtherNorms()
    {
        var a = WithGrad([1, -2, 3]);
        Assert.Equal(3.0, ClipGrad.ClipGradNorm([a], maxNorm: 10, normType: double.PositiveInfinity));
        Assert.Equal(6.0, ClipGrad.ClipGradNorm([a], maxNorm: 10, normType: 1), 12);
        Assert.Equal(Math.Cbrt(36), ClipGrad.ClipGradNorm([a], maxNorm: 10, normType: 3), 12);
        Assert.Equal(3.0, ClipGrad.ClipGradNorm([a], maxNorm: 1.5, normType: double.PositiveInfinity));
        Reference.AssertClose(new[] { -2 * 1.5 / (3 + 1e-6), 3 * 1.5 / (3 + 1e-6) }, a.Grad!.ToArray()[1..], 1e-12);
    }

    [Fact]
    public void ClipGradNormReportsNonFiniteGradients()
    {
        var a = WithGrad([1, double.NaN]);
        Assert.True(double.IsNaN(ClipGrad.ClipGradNorm([a], maxNorm: 1)));
        var ex = Assert.Throws<InvalidOperationException>(() => ClipGrad.ClipGradNorm([WithGrad([double.PositiveInfinity])], 1, errorIfNonfinite: true));
        Assert.Contains("NaN or infinity", ex.Message);
    }

    [Fact]
    public void ClipGradNormWithoutGradientsIsZero()
    {
        Assert.Equal(0.0, ClipGrad.ClipGradNorm([Tensor.Zeros([2], requiresGrad: true)], 1));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void ClipGradValueClampsEachElement(DType dtype)
    {
        var a = WithGrad([-3, -0.5, 0, 0.25, 7], dtype);
        ClipGrad.ClipGradValue([a], 0.5);
        Assert.Equal(new[] { -0.5, -0.5, 0, 0.25, 0.5 }, a.Grad!.ToArray());
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        var a = WithGrad([1]);
        Assert.Contains("maxNorm must be a finite number ≥ 0, got -1", Assert.Throws<ArgumentException>(() => ClipGrad.ClipGradNorm([a], -1)).Message);
        Assert.Contains("normType must be > 0", Assert.Throws<ArgumentException>(() => ClipGrad.ClipGradNorm([a], 1, 0)).Message);
        Assert.Contains("clipValue must be ≥ 0", Assert.Throws<ArgumentException>(() => ClipGrad.ClipGradValue([a], -1)).Message);
    }
}
