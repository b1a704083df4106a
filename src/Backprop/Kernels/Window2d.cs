namespace Backprop.Kernels;

/// <summary>
/// The geometry of a 2-D sliding window over one sample of shape (C, H, W): output pixel (oh, ow)
/// reads input rows oh·strideH − padH + kh·dilationH for kh in [0, kernelH), and the same along
/// the width. Positions outside the input are padding. Shared by convolution and pooling.
/// </summary>
internal readonly record struct Window2d(
    int Channels,
    int Height,
    int Width,
    int KernelH,
    int KernelW,
    int StrideH,
    int StrideW,
    int PadH,
    int PadW,
    int DilationH,
    int DilationW,
    int OutH,
    int OutW)
{
    /// <summary>Elements of one input channel, H·W.</summary>
    public int InPlane => Height * Width;

    /// <summary>Elements of one output channel, OH·OW.</summary>
    public int OutPlane => OutH * OutW;

    /// <summary>Taps of one channel's window, kH·kW.</summary>
    public int KernelArea => KernelH * KernelW;

    /// <summary>True for 2×2 windows with stride 2, no padding and no dilation: windows that never overlap (max pooling's fast paths).</summary>
    public bool IsTwoByTwoStrideTwo => KernelH == 2 && KernelW == 2 && StrideH == 2 && StrideW == 2 && PadH == 0 && PadW == 0 && DilationH == 1 && DilationW == 1;

    /// <summary>True for a 1×1 window with stride 1 and no padding: the input is its own column matrix.</summary>
    public bool IsPointwise => KernelH == 1 && KernelW == 1 && StrideH == 1 && StrideW == 1 && PadH == 0 && PadW == 0;

    /// <summary>
    /// The output length along one side, floor((size + 2·pad − dilation·(kernel − 1) − 1) / stride) + 1,
    /// or with ceil instead of floor when <paramref name="ceilMode"/> (dropping a last window that
    /// would start in the right padding, as PyTorch does). Can be zero or negative: callers check.
    /// </summary>
    public static int OutputSize(int size, int kernel, int stride, int pad, int dilation, bool ceilMode = false)
    {
        long span = (long)size + (2L * pad) - ((long)dilation * (kernel - 1)) - 1;
        if (span < 0)
        {
            return 0;
        }

        long steps = ceilMode ? (span + stride - 1) / stride : span / stride;
        if (ceilMode && steps * stride >= size + pad)
        {
            steps--;
        }

        return (int)Math.Min(steps + 1, int.MaxValue);
    }
}
