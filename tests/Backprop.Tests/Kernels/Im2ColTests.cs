using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

public class Im2ColTests
{
    [Fact]
    public void CopyRunAndAddRunMatchScalarLoopsAtEveryLength()
    {
        for (int n = 0; n <= 40; n++)
        {
            Check<float>(n);
            Check<double>(n);
        }

        static void Check<T>(int n)
            where T : unmanaged, System.Numerics.INumberBase<T>
        {
            // Guard elements on both sides must stay untouched.
            var src = Enumerable.Range(0, n + 2).Select(i => T.CreateTruncating(i + 1)).ToArray();
            var dst = Enumerable.Range(0, n + 2).Select(i => T.CreateTruncating(100 * (i + 1))).ToArray();
            var copied = (T[])dst.Clone();
            Im2Col.CopyRun(ref src[1], ref copied[1], n);
            var added = (T[])dst.Clone();
            Im2Col.AddRun(ref src[1], ref added[1], n);
            for (int i = 0; i < n + 2; i++)
            {
                bool inside = i >= 1 && i <= n;
                Assert.Equal(inside ? src[i] : dst[i], copied[i]);
                Assert.Equal(inside ? dst[i] + src[i] : dst[i], added[i]);
            }
        }
    }

    [Theory]
    [InlineData(3, 7, 6, 3, 2, 1, 1, 0, 0, 1, 1)]
    [InlineData(2, 9, 11, 3, 3, 2, 3, 1, 2, 1, 2)]
    [InlineData(1, 28, 28, 5, 5, 1, 1, 2, 2, 1, 1)]
    [InlineData(4, 5, 4, 2, 2, 1, 1, 1, 1, 2, 2)]
    public void Col2ImIsTheAdjointOfIm2Col(int c, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
    {
        // <im2col(x), v> = <x, col2im(v)> for every x and v: the backward is exactly the transpose of the forward.
        int oh = Window2d.OutputSize(h, kh, sh, ph, dh), ow = Window2d.OutputSize(w, kw, sw, pw, dw);
        var g = new Window2d(c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow);
        var x = Tensor.Randn([c * h * w], 1, DType.Float64).ToArray();
        var v = Tensor.Randn([c * kh * kw * oh * ow], 2, DType.Float64).ToArray();
        var scratch = new double[Im2Col.ScratchLength(g)];
        var cols = new double[v.Length];
        Im2Col.Forward<double>(x, g, cols, scratch);
        var back = new double[x.Length];
        Im2Col.Backward<double>(v, g, back, scratch);
        double left = cols.Zip(v, (a, b) => a * b).Sum();
        double right = x.Zip(back, (a, b) => a * b).Sum();
        Assert.Equal(left, right, 1e-9);
    }
}
