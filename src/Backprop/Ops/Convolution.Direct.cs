using System.Buffers;
using Backprop.Kernels;

namespace Backprop;

// conv2d in float32 with stride 1 and one group, on CPUs with AVX2 + FMA: the direct kernels of
// Kernels/DirectConv.cs read each sample's zero-bordered image in place of an im2col matrix. The
// forward pass and the input gradient are stride-1 correlations; the weight gradient sums, per fixed
// block of samples, taps × output channels over the pixels. Shapes the kernels do not suit (rows that
// would leave 16-wide tiles mostly empty, images too large for the cache) take the im2col path.
public static partial class ConvolutionOps
{
    /// <summary>Whether conv2d with this geometry can take the direct kernels at all (each pass then checks its own shapes).</summary>
    private static bool DirectConvApplies(in Window2d g, int groups) =>
        DirectConv.IsSupported && groups == 1 && g.StrideH == 1 && g.StrideW == 1;

    /// <summary>The forward correlation: the input sample padded as conv2d pads it, OH×OW outputs.</summary>
    internal static DirectConv.Plan ForwardPlan(in Window2d g) =>
        new(g.Channels, g.Height, g.Width, g.PadH, g.PadW, g.KernelH, g.KernelW, g.DilationH, g.DilationW, g.OutH, g.OutW);

    /// <summary>
    /// The input gradient as a correlation: dx[c, ih, iw] = Σ_{o, kh, kw} w[o, c, kH−1−kh, kW−1−kw] ·
    /// dyP[o, ih + kh·dH, iw + kw·dW], where dyP is dy bordered by (k−1)·d − pad zeros on each side.
    /// Null when the padding exceeds (k−1)·d (the border would be negative).
    /// </summary>
    private static DirectConv.Plan? InputGradientPlan(in Window2d g, int outChannels)
    {
        int borderH = ((g.KernelH - 1) * g.DilationH) - g.PadH, borderW = ((g.KernelW - 1) * g.DilationW) - g.PadW;
        return borderH < 0 || borderW < 0
            ? null
            : new(outChannels, g.OutH, g.OutW, borderH, borderW, g.KernelH, g.KernelW, g.DilationH, g.DilationW, g.Height, g.Width);
    }

    /// <summary>
    /// A float32 conv2d's weights (O × taps) and bias laid out for the direct forward kernel once, for
    /// the tile it takes now (<see cref="DirectConv.Wide"/>); null where the direct kernels do not run.
    /// What <see cref="TryConv2dForwardDirect"/> would otherwise pack on every call.
    /// </summary>
    internal static DirectConvWeights? PackDirectConvWeights(float[] w, float[]? b, int outChannels, int taps)
    {
        return DirectConv.IsSupported ? PackDirectConvWeights(w, b, outChannels, taps, DirectConv.Wide) : null;
    }

    /// <summary>W (O × taps) in the correlation kernel's panels and b padded to whole panels (zeros for none), for the AVX-512 tile when <paramref name="wide"/>.</summary>
    private static DirectConvWeights PackDirectConvWeights(float[] w, float[]? b, int outChannels, int taps, bool wide)
    {
        float[] bias = new float[DirectConv.PanelRows(outChannels, wide)];
        b?.CopyTo(bias, 0);
        return new DirectConvWeights(wide, outChannels, taps, DirectConv.PackRows(w, outChannels, taps, wide), bias);
    }

    /// <summary>
    /// The plan and packed weights of a direct forward of this geometry, or null where the direct
    /// kernels do not take it. <paramref name="prepacked"/>, when it was packed for the tile taken
    /// now, replaces packing W and b, and keeps the plan of its last input geometry (a batch-1 forward
    /// would otherwise build its tap offsets on every call). The weights are packed for one kernel
    /// choice (<see cref="DirectConvWeights.Wide"/>), the one the whole call must read them with.
    /// </summary>
    private static (DirectConv.Plan Plan, DirectConvWeights Weights)? DirectForward(float[] w, float[]? b, in Window2d g, int outChannels, int groups, DirectConvWeights? prepacked)
    {
        if (!DirectConvApplies(g, groups) || !DirectConv.SuitsWidth(g.OutW))
        {
            return null;
        }

        var plan = prepacked?.ForwardPlan(g) ?? ForwardPlan(g);
        if (!DirectConv.Fits(plan))
        {
            return null;
        }

        bool wide = DirectConv.Wide;
        var weights = prepacked is not null && prepacked.Wide == wide && prepacked.OutChannels == outChannels && prepacked.Taps == plan.Taps
            ? prepacked
            : PackDirectConvWeights(w, b, outChannels, plan.Taps, wide);
        return (plan, weights);
    }

    /// <summary>y[n] = W ⋆ x[n] (+ b) by the direct kernel, in parallel over samples; false (nothing written) when the shapes do not suit it. <paramref name="prepacked"/>: see <see cref="DirectForward"/>.</summary>
    private static bool TryConv2dForwardDirect(float[] x, float[] w, float[]? b, float[] y, int batch, Window2d g, int outChannels, int groups, DirectConvWeights? prepacked = null)
    {
        if (DirectForward(w, b, g, outChannels, groups, prepacked) is not var (plan, weights))
        {
            return false;
        }

        Forward(x, y, weights, batch, plan, g, outChannels, pool: null);
        return true;
    }

    /// <summary>The direct forward, split over output channels for fewer samples than threads, else over samples; <paramref name="pool"/> as in both.</summary>
    private static void Forward(float[] x, float[] y, DirectConvWeights weights, int batch, DirectConv.Plan plan, Window2d g, int outChannels, Window2d? pool)
    {
        if (batch < Threading.Available)
        {
            ForwardSplitByChannels(x, y, weights.Packed, weights.Bias, batch, plan, g, outChannels, weights.Wide, pool);
        }
        else
        {
            ForwardSplitBySamples(x, y, weights.Packed, weights.Bias, batch, plan, g, outChannels, weights.Wide, pool);
        }
    }

    /// <summary>
    /// The forward of as many samples as threads or more, in parallel over samples: each thread takes
    /// whole samples (<see cref="ForwardPiece"/> with all output channels).
    /// </summary>
    private static void ForwardSplitBySamples(float[] x, float[] y, float[] packed, float[] bias, int batch, DirectConv.Plan plan, Window2d g, int outChannels, bool wide, Window2d? pool = null)
    {
        Threading.For(batch, (long)outChannels * plan.Taps * g.OutPlane, (start, end) =>
        {
            for (int n = start; n < end; n++)
            {
                ForwardPiece(x, y, packed, bias, plan, g, outChannels, wide, pool, n, 0, outChannels);
            }
        });
    }

    /// <summary>
    /// The forward of fewer samples than threads (batch-1 inference): each sample's output channels are
    /// shared out in whole kernel panels, so both threads work on one image. Every output is the same
    /// FMA chain as when one thread computes all channels, so the values do not depend on the split.
    /// </summary>
    private static void ForwardSplitByChannels(float[] x, float[] y, float[] packed, float[] bias, int batch, DirectConv.Plan plan, Window2d g, int outChannels, bool wide, Window2d? pool = null)
    {
        int height = DirectConv.PanelHeight(wide);
        int panels = DirectConv.PanelRows(outChannels, wide) / height;
        for (int n = 0; n < batch; n++)
        {
            int sample = n;
            Threading.For(panels, (long)height * plan.Taps * g.OutPlane, 1, (start, end) =>
            {
                int o0 = start * height;
                ForwardPiece(x, y, packed, bias, plan, g, outChannels, wide, pool, sample, o0, Math.Min(end * height, outChannels) - o0);
            });
        }
    }

    /// <summary>
    /// One thread's piece of a direct forward: output channels o0 … o0 + count − 1 of sample n. The
    /// thread pads the sample into its own buffer: one padded copy written by the caller and read by
    /// the workers moved every cache line of it between cores on every call (the 16→32 layer of the
    /// bench CNN on 14×14 at batch 1: the caller's pad took ~2 µs of a ~17 µs call, against ~0.2 µs for
    /// the same work in its own cache). With <paramref name="pool"/> (2×2, stride 2, over one output
    /// plane), <paramref name="y"/> receives the pooled planes: the channels go to a buffer of the
    /// thread's own first and are pooled while in its cache.
    /// </summary>
    private static unsafe void ForwardPiece(float[] x, float[] y, float[] packed, float[] bias, DirectConv.Plan plan, Window2d g, int outChannels, bool wide, Window2d? pool, int n, int o0, int count)
    {
        int taps = plan.Taps, plane = g.OutPlane, inSample = g.Channels * g.InPlane;
        int outPlane = pool?.OutPlane ?? plane, outSample = outChannels * outPlane;
        float[] image = ArrayPool<float>.Shared.Rent((int)plan.ImageLength);
        float[] tile = ArrayPool<float>.Shared.Rent(DirectConv.Rows * DirectConv.Lanes);
        float[]? planes = pool is null ? null : ArrayPool<float>.Shared.Rent(count * plane);
        try
        {
            fixed (float* px = x, py = y, pk = packed, pb = bias, pi = image, pt = tile, pc = planes)
            {
                plan.Pad(px + ((long)n * inSample), pi);
                float* destination = pool is null ? py + ((long)n * outSample) + ((long)o0 * plane) : pc;
                DirectConv.Correlate(plan, wide, pk + ((long)o0 * taps), count, pb + o0, pi, destination, pt);
            }

            if (pool is { } window)
            {
                Pooling.MaxForward2x2Planes(planes.AsSpan(0, count * plane), window, count, y.AsSpan((n * outSample) + (o0 * outPlane), count * outPlane));
            }
        }
        finally
        {
            if (planes is not null)
            {
                ArrayPool<float>.Shared.Return(planes);
            }

            ArrayPool<float>.Shared.Return(tile);
            ArrayPool<float>.Shared.Return(image);
        }
    }

    /// <summary>
    /// A frozen conv2d followed by 2×2, stride-2 max pooling (no padding, dilation or ceil mode): each
    /// thread pads a sample, correlates its share of the output channels (fewer samples than threads:
    /// batch-1 inference) or all of them (more samples) into a buffer of its own and pools those
    /// planes straight away, so the convolution's output is never written to shared memory nor read
    /// back, and the pooling is split over the threads with the convolution. Null (nothing done)
    /// where that path does not apply: shapes the direct kernel or the window does not take; the
    /// caller then runs conv2d and max pooling one after the other, which give the same values and
    /// report bad input. (bench infer cnn against ORT, alternating with the unfused build: batch 1,
    /// 1 thread 0.93–0.96 → 0.86–0.90, 2 threads 0.98–1.00 → 0.83–0.90; batch 256, 1 thread
    /// 0.92–0.98 → 0.84–0.87, 2 threads 0.97–0.99 → 0.87–0.91, 24.2 → 5.0 MB allocated per call.)
    /// </summary>
    internal static Tensor? TryConv2dMaxPool2x2(Tensor input, Tensor weight, Tensor? bias, Size2 stride, Size2 padding, Size2 dilation, int groups, DirectConvWeights? prepacked)
    {
        if (input.DType != DType.Float32 || input.Rank != 4 || input._shape[0] == 0)
        {
            return null;
        }

        Window2d g;
        try
        {
            // Also checks the weight and bias against the input (dtype and shapes).
            g = Conv2dGeometry("conv2d", input, weight, bias, stride, padding, dilation, groups);
        }
        catch (ArgumentException)
        {
            // Reported by the unfused call, with its own message.
            return null;
        }

        int outChannels = weight._shape[0], batch = input._shape[0];
        if (g.OutH < 2 || g.OutW < 2 || DirectForward(weight.F32, bias?.F32, g, outChannels, groups, prepacked) is not var (plan, weights))
        {
            return null;
        }

        // The pooling window over one output plane of the convolution.
        var pool = new Window2d(1, g.OutH, g.OutW, 2, 2, 2, 2, 0, 0, 1, 1, g.OutH / 2, g.OutW / 2);
        var output = Tensor.Empty([batch, outChannels, pool.OutH, pool.OutW], DType.Float32);
        Forward(input.F32, output.F32, weights, batch, plan, g, outChannels, pool);
        return output;
    }

    /// <summary>
    /// conv2d's backward by the direct kernels: dx[n] by correlation, dW transposed and summed per
    /// fixed block of samples, db as in the im2col path. False (nothing written) when the shapes do
    /// not suit them.
    /// </summary>
    private static unsafe bool TryConv2dBackwardDirect(float[] gy, float[] x, float[] w, float[]? gx, float[]? gw, float[]? gb, int batch, Window2d g, int outChannels, int groups)
    {
        if (batch == 0 || !DirectConvApplies(g, groups))
        {
            return false;
        }

        var weightPlan = ForwardPlan(g);
        var inputPlan = gx is null ? null : InputGradientPlan(g, outChannels);
        if ((gw is not null && !DirectConv.Fits(weightPlan))
            || (gx is not null && (inputPlan is null || !DirectConv.SuitsWidth(g.Width) || !DirectConv.Fits(inputPlan))))
        {
            return false;
        }

        bool wide = DirectConv.Wide;
        int taps = weightPlan.Taps, pixels = g.OutPlane, inSample = g.Channels * g.InPlane, outSample = outChannels * pixels;
        int outPanels = (outChannels + DirectConv.Lanes - 1) / DirectConv.Lanes, ld = outPanels * DirectConv.Lanes;
        bool wideWeights = DirectConv.WideWeightGradient(taps, wide);
        bool pixelWeights = gw is not null && DirectConv.PixelWeightGradient(outChannels, g.OutW, g.DilationW, g.KernelW, taps, wideWeights, wide);
        int partialRows = DirectConv.PanelRows(taps, wideWeights), partialLength = partialRows * ld;
        int blocks = (batch + ConvSamplesPerBlock - 1) / ConvSamplesPerBlock;
        // Every entry of a block's partial is written by its first sample (along the pixels: from the
        // block's lane sums, at its last sample).
        float[]? partialW = gw is null ? null : GC.AllocateUninitializedArray<float>(blocks * partialLength);
        float[]? partialB = gb is null ? null : blocks == 1 ? gb : new float[blocks * gb.Length];
        float[]? flipped = gx is null ? null : PackFlippedWeights(w, outChannels, g, wide);
        float[] zeroBias = new float[DirectConv.PanelRows(g.Channels, wide)];
        long work = (long)ConvSamplesPerBlock * outChannels * taps * pixels * ((gx is null ? 0 : 1) + (gw is null ? 0 : 1));
        Threading.For(blocks, work, (startBlock, endBlock) =>
        {
            float[] image = ArrayPool<float>.Shared.Rent(gw is null ? 0 : (int)weightPlan.ImageLength);
            float[] gradImage = ArrayPool<float>.Shared.Rent(inputPlan is null ? 0 : (int)inputPlan.ImageLength);
            float[] dyT = ArrayPool<float>.Shared.Rent(gw is null ? 0 : pixelWeights ? DirectConv.PixelWeightLanes(taps) : ld * pixels);
            float[] tile = ArrayPool<float>.Shared.Rent(DirectConv.Rows * DirectConv.Lanes);
            dyT.AsSpan().Clear();
            try
            {
                fixed (float* px = x, pgy = gy, pgx = gx, ppw = partialW, pf = flipped, pz = zeroBias, pi = image, pgi = gradImage, pd = dyT, pt = tile)
                {
                    for (int block = startBlock; block < endBlock; block++)
                    {
                        int first = block * ConvSamplesPerBlock, last = Math.Min(batch, first + ConvSamplesPerBlock);
                        for (int n = first; n < last; n++)
                        {
                            float* dy = pgy + ((long)n * outSample);
                            if (partialW is not null)
                            {
                                weightPlan.Pad(px + ((long)n * inSample), pi);
                                if (pixelWeights)
                                {
                                    // dyT holds the block's lane sums; the block's partial is made at its last sample.
                                    DirectConv.PixelWeights(weightPlan, g.KernelW, pi, dy, outChannels, pd, first: n == first);
                                    if (n == last - 1)
                                    {
                                        DirectConv.FinishPixelWeights(pd, taps, outChannels, ppw + ((long)block * partialLength), ld, partialRows);
                                    }
                                }
                                else
                                {
                                    DirectConv.TransposeOutputGradient(dy, outChannels, pixels, pd);
                                    DirectConv.WeightGradient(weightPlan, wideWeights, pi, pd, outPanels, ppw + ((long)block * partialLength), accumulate: n > first);
                                }
                            }

                            if (partialB is not null)
                            {
                                AddChannelSums(new ReadOnlySpan<float>(dy, outSample), outChannels, pixels, partialB.AsSpan(block * outChannels, outChannels), accumulate: n > first);
                            }

                            if (inputPlan is not null)
                            {
                                inputPlan.Pad(dy, pgi);
                                DirectConv.Correlate(inputPlan, wide, pf, g.Channels, pz, pgi, pgx + ((long)n * inSample), pt);
                            }
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(tile);
                ArrayPool<float>.Shared.Return(dyT);
                ArrayPool<float>.Shared.Return(gradImage);
                ArrayPool<float>.Shared.Return(image);
            }
        });

        if (gw is not null && partialW is not null)
        {
            // Blocks summed in block order, then transposed from taps × channels to the weight's channels × taps.
            float[] summed = blocks == 1 ? partialW : GC.AllocateUninitializedArray<float>(partialLength);
            SumBlocks(partialW, summed, blocks);
            for (int o = 0; o < outChannels; o++)
            {
                for (int tap = 0; tap < taps; tap++)
                {
                    gw[(o * taps) + tap] = summed[(tap * ld) + o];
                }
            }
        }

        SumBlocks(partialB, gb, blocks);
        return true;
    }

    /// <summary>
    /// The weights of the input-gradient correlation, packed for <see cref="DirectConv.Correlate"/>:
    /// row c, tap (o, kh, kw) = w[o, c, kH−1−kh, kW−1−kw], for the AVX-512 kernel when <paramref name="wide"/>.
    /// </summary>
    private static float[] PackFlippedWeights(float[] w, int outChannels, in Window2d g, bool wide)
    {
        int channels = g.Channels, kh = g.KernelH, kw = g.KernelW, taps = outChannels * kh * kw;
        var flipped = GC.AllocateUninitializedArray<float>(channels * taps);
        for (int o = 0; o < outChannels; o++)
        {
            for (int c = 0; c < channels; c++)
            {
                for (int i = 0; i < kh; i++)
                {
                    for (int j = 0; j < kw; j++)
                    {
                        flipped[(c * taps) + (((o * kh) + (kh - 1 - i)) * kw) + (kw - 1 - j)] = w[((((o * channels) + c) * kh) + i) * kw + j];
                    }
                }
            }
        }

        return DirectConv.PackRows(flipped, channels, taps, wide);
    }
}

/// <summary>A conv2d's weights and bias packed for the direct forward kernel's tile (8-row panels when <paramref name="Wide"/>, else 6), the bias padded to whole panels.</summary>
/// <param name="Wide">Whether packed for the AVX-512 kernel.</param>
/// <param name="OutChannels">The weight's output channels (rows).</param>
/// <param name="Taps">Taps per output channel: in_channels·kH·kW.</param>
/// <param name="Packed">The rows in panels, as <see cref="DirectConv.PackRows"/> lays them out.</param>
/// <param name="Bias">The bias (zeros for none), PanelRows(out_channels) long.</param>
internal sealed class DirectConvWeights(bool Wide, int OutChannels, int Taps, float[] Packed, float[] Bias)
{
    // The last geometry's plan, replaced as a whole (plans are immutable), so callers on several threads need no lock.
    private CachedPlan? _lastPlan;

    public bool Wide { get; } = Wide;

    public int OutChannels { get; } = OutChannels;

    public int Taps { get; } = Taps;

    public float[] Packed { get; } = Packed;

    public float[] Bias { get; } = Bias;

    /// <summary>The forward correlation's plan for <paramref name="g"/>, built once per input geometry in a row.</summary>
    public DirectConv.Plan ForwardPlan(in Window2d g)
    {
        var cached = Volatile.Read(ref _lastPlan);
        if (cached is not null && cached.Geometry == g)
        {
            return cached.Plan;
        }

        var plan = ConvolutionOps.ForwardPlan(g);
        Volatile.Write(ref _lastPlan, new CachedPlan(g, plan));
        return plan;
    }

    private sealed record CachedPlan(Window2d Geometry, DirectConv.Plan Plan);
}
