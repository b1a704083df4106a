using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;
using Backprop.Kernels;

namespace Backprop;

// conv2d (and conv1d as conv2d with H = 1): im2col per sample into a pooled buffer, then one GEMM per
// sample and group, weight (O/G × C/G·kH·kW) · cols (C/G·kH·kW × OH·OW), straight into the output.
// Samples run in parallel; the GEMMs inside run on one thread each (Threading.Available).
/// <summary>
/// Convolutions of <see cref="Tensor"/>: <c>Tensor.Conv2d</c> and <c>Tensor.Conv1d</c> (<c>torch.nn.functional.conv2d</c>, <c>conv1d</c>).
/// Extension members in namespace <c>Backprop</c>, so they are called as members of <see cref="Tensor"/>.
/// </summary>
public static partial class ConvolutionOps
{
    extension(Tensor)
    {
        /// <summary>
        /// 2-D convolution (cross-correlation, as <c>torch.nn.functional.conv2d(input, weight, bias=None,
        /// stride=1, padding=0, dilation=1, groups=1)</c>) of <paramref name="input"/> (N, C, H, W) or
        /// (C, H, W) with <paramref name="weight"/> (O, C/groups, kH, kW):
        /// y[n, o, i, j] = b[o] + Σ_{c in o's group, p, q} w[o, c, p, q] · x[n, c, i·sH − pH + p·dH, j·sW − pW + q·dW]
        /// (zero outside the input), with output size floor((H + 2·pH − dH·(kH − 1) − 1) / sH) + 1 per side.
        /// Padding <c>"same"</c> (<see cref="Padding.Same"/>, stride 1 only) pads dH·(kH − 1) in all per
        /// side, half before and half after, the odd one after (bottom, right), so the output is H × W;
        /// as PyTorch, an odd total pads the input by that one row or column first (a <see cref="PaddingOps.Pad"/>
        /// node). <c>"valid"</c> is no padding.
        /// dL/dx is the transposed convolution of dL/dy with w (GEMM then col2im); dL/dw[o, c, p, q] =
        /// Σ_{n, i, j} dL/dy[n, o, i, j] · x[n, c, …] (GEMM with the im2col matrix); dL/db[o] = Σ_{n, i, j} dL/dy[n, o, i, j].
        /// </summary>
        /// <param name="input">(N, C_in, H, W), or (C_in, H, W) unbatched.</param>
        /// <param name="weight">The kernels, (C_out, C_in/groups, kH, kW).</param>
        /// <param name="bias">One value per output channel, (C_out), or null for none.</param>
        /// <param name="stride">The step between windows, (height, width) or one int; null for 1.</param>
        /// <param name="padding">Zeros added on each side, (height, width) or one int (default 0), or <c>"same"</c> or <c>"valid"</c>.</param>
        /// <param name="dilation">The spacing between kernel taps; null for 1.</param>
        /// <param name="groups">How many groups the channels are split into, each convolved separately; divides C_in and C_out (default 1).</param>
        /// <returns>A new tensor (N, C_out, H_out, W_out), or (C_out, H_out, W_out) unbatched, of the input's dtype.</returns>
        /// <exception cref="ArgumentException">A shape, dtype or window argument does not fit, or padding "same" with a stride other than 1; the message names it.</exception>
        public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, Size2? stride = null, Padding padding = default, Size2? dilation = null, int groups = 1) =>
            Conv2dWith(input, weight, bias, stride, padding, dilation, groups, prepacked: null);
    }

    /// <summary>
    /// <see cref="Conv2d"/> with the weights also given packed for the direct kernel beforehand (a
    /// frozen Conv2d layer's, <see cref="PackDirectConvWeights(float[], float[], int, int)"/>), used when the call takes that kernel
    /// with the same tile; null packs them per call as usual. The same checks, messages and values.
    /// </summary>
    internal static Tensor Conv2dWith(Tensor input, Tensor weight, Tensor? bias, Size2? stride, Padding padding, Size2? dilation, int groups, DirectConvWeights? prepacked)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (input.Rank == 3)
        {
            return Conv2dWith(input.Unsqueeze(0), weight, bias, stride, padding, dilation, groups, prepacked).Squeeze(0);
        }

        if (padding.IsSame)
        {
            if (weight.Rank != 4)
            {
                throw new ArgumentException($"conv2d: expected weight of shape (out_channels, in_channels/groups, kH, kW), got {Shapes.Format(weight._shape)}");
            }

            var (before, after) = SamePadding("conv2d", stride ?? 1, new Size2(weight._shape[2], weight._shape[3]), dilation ?? 1);
            if (before != after)
            {
                // As PyTorch: the odd element after (bottom, right) by a zero pad, then symmetric padding.
                input = Tensor.Pad(input, [0, after.Width - before.Width, 0, after.Height - before.Height]);
            }

            return Conv2dWith(input, weight, bias, stride, before, dilation, groups, prepacked);
        }

        var g = Conv2dGeometry("conv2d", input, weight, bias, stride ?? 1, padding.Size, dilation ?? 1, groups);
        int batch = input._shape[0], outChannels = weight._shape[0];
        var output = Tensor.Empty([batch, outChannels, g.OutH, g.OutW], input.DType);
        if (input.DType == DType.Float32)
        {
            if (!TryConv2dForwardDirect(input.F32, weight.F32, bias?.F32, output.F32, batch, g, outChannels, groups, prepacked))
            {
                Conv2dForward<float>(input.F32, weight.F32, bias?.F32, output.F32, batch, g, outChannels, groups);
            }
        }
        else
        {
            Conv2dForward<double>(input.F64, weight.F64, bias?.F64, output.F64, batch, g, outChannels, groups);
        }

        Tensor[] inputs = bias is null ? [input, weight] : [input, weight, bias];
        var definition = new Conv2dDefinition(stride ?? 1, padding.Size, dilation ?? 1, groups);
        return Tensor.Record(definition, output, inputs, gy =>
        {
            if (Autograd.IsGradEnabled)
            {
                // The backward pass is recorded (createGraph): conv2d's derivatives as ops.
                return Conv2dBackwardRecorded(gy, input, weight, bias, definition);
            }

            var gradInput = input.RequiresGrad ? Tensor.Empty(input._shape, input.DType) : null;
            var gradWeight = weight.RequiresGrad ? Tensor.Empty(weight._shape, weight.DType) : null;
            var gradBias = bias is { RequiresGrad: true } ? Tensor.Empty(bias._shape, bias.DType) : null;
            if (gy.DType == DType.Float32)
            {
                if (!TryConv2dBackwardDirect(gy.F32, input.F32, weight.F32, gradInput?.F32, gradWeight?.F32, gradBias?.F32, batch, g, outChannels, groups))
                {
                    Conv2dBackward<float>(gy.F32, input.F32, weight.F32, gradInput?.F32, gradWeight?.F32, gradBias?.F32, batch, g, outChannels, groups);
                }
            }
            else
            {
                Conv2dBackward<double>(gy.F64, input.F64, weight.F64, gradInput?.F64, gradWeight?.F64, gradBias?.F64, batch, g, outChannels, groups);
            }

            return bias is null ? [gradInput, gradWeight] : [gradInput, gradWeight, gradBias];
        });
    }

    extension(Tensor)
    {
        /// <summary>
        /// 1-D convolution (<c>torch.nn.functional.conv1d(input, weight, bias=None, stride=1, padding=0,
        /// dilation=1, groups=1)</c>) of <paramref name="input"/> (N, C, L) or (C, L) with
        /// <paramref name="weight"/> (O, C/groups, k): y[n, o, i] = b[o] + Σ_{c, p} w[o, c, p] · x[n, c, i·s − pad + p·d].
        /// Padding <c>"same"</c> (stride 1 only) pads d·(k − 1) in all, half at each end and the odd one at
        /// the end, so the output has length L; <c>"valid"</c> is no padding.
        /// Computed as <see cref="Conv2d"/> on a height-1 image, so its derivatives are conv2d's.
        /// </summary>
        /// <param name="input">(N, C_in, L), or (C_in, L) unbatched.</param>
        /// <param name="weight">The kernels, (C_out, C_in/groups, k).</param>
        /// <param name="bias">One value per output channel, (C_out), or null for none.</param>
        /// <param name="stride">The step between windows (default 1).</param>
        /// <param name="padding">Zeros added at both ends (default 0), or <c>"same"</c> or <c>"valid"</c>.</param>
        /// <param name="dilation">The spacing between kernel taps (default 1).</param>
        /// <param name="groups">How many groups the channels are split into, each convolved separately; divides C_in and C_out (default 1).</param>
        /// <returns>A new tensor (N, C_out, L_out), or (C_out, L_out) unbatched, of the input's dtype.</returns>
        /// <exception cref="ArgumentException">A shape, dtype or window argument does not fit, padding given as a pair, or padding "same" with a stride other than 1; the message names it.</exception>
        public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, Padding padding = default, int dilation = 1, int groups = 1)
        {
            ArgumentNullException.ThrowIfNull(input);
            ArgumentNullException.ThrowIfNull(weight);
            if (input.Rank == 2)
            {
                return Conv1d(input.Unsqueeze(0), weight, bias, stride, padding, dilation, groups).Squeeze(0);
            }

            if (input.Rank != 3)
            {
                throw new ArgumentException($"conv1d: expected input of shape (N, C, L) or (C, L), got {Shapes.Format(input._shape)}");
            }

            if (weight.Rank != 3)
            {
                throw new ArgumentException($"conv1d: expected weight of shape (out_channels, in_channels/groups, kernel_size), got {Shapes.Format(weight._shape)}");
            }

            Padding padding2d = padding;
            if (padding.IsSame)
            {
                SamePadding("conv1d", (1, stride), (1, weight._shape[2]), (1, dilation), stride.ToString(CultureInfo.InvariantCulture));
            }
            else if (!padding.IsValid)
            {
                var size = padding.Size;
                if (size.Height != size.Width)
                {
                    throw new ArgumentException($"conv1d: padding must be one int (zeros at both ends), \"same\" or \"valid\", got the pair {size}");
                }

                padding2d = (0, size.Width);
            }

            var y = Conv2d(input.Unsqueeze(2), weight.Unsqueeze(2), bias, (1, stride), padding2d, (1, dilation), groups);
            return y.Squeeze(2);
        }
    }

    /// <summary>
    /// The padding of <c>padding='same'</c> per side, as PyTorch computes it: dilation·(kernel − 1) in
    /// all per dim, <c>before</c> the floor of half and <c>after</c> the rest (one more when the total is odd).
    /// Refuses a stride other than 1, as PyTorch does, and bad dilations.
    /// </summary>
    /// <param name="op">The op named in errors.</param>
    /// <param name="stride">The convolution's stride; "same" needs 1.</param>
    /// <param name="kernel">The kernel's (height, width).</param>
    /// <param name="dilation">The spacing between kernel taps.</param>
    /// <param name="strideText">The stride as the caller's user gave it, for the message; <paramref name="stride"/>'s pair when null.</param>
    internal static (Size2 Before, Size2 After) SamePadding(string op, Size2 stride, Size2 kernel, Size2 dilation, string? strideText = null)
    {
        if (stride != 1)
        {
            throw new ArgumentException($"{op}: padding='same' is not supported for strided convolutions (stride={strideText ?? stride.ToString()}): the output would not keep the input's size; use stride 1, or give the padding as numbers");
        }

        RequireWindowArguments(op, stride, 0, dilation);
        int totalH = dilation.Height * (kernel.Height - 1), totalW = dilation.Width * (kernel.Width - 1);
        var before = new Size2(totalH / 2, totalW / 2);
        return (before, new Size2(totalH - before.Height, totalW - before.Width));
    }

    // dW and db are sums over the batch. Each fixed block of samples sums into its own partial and the
    // partials are added in block order, so the result is the same for any thread count.
    private const int ConvSamplesPerBlock = 8;

    /// <summary>Validates the arguments of conv2d and returns its window geometry, naming the sizes on error.</summary>
    private static Window2d Conv2dGeometry(string op, Tensor input, Tensor weight, Tensor? bias, Size2 stride, Size2 padding, Size2 dilation, int groups)
    {
        Tensor.RequireFloat(op, input);
        Tensor.RequireSameDType(op, input, weight);
        if (input.Rank != 4)
        {
            throw new ArgumentException($"{op}: expected input of shape (N, C, H, W) or (C, H, W), got {Shapes.Format(input._shape)}");
        }

        if (weight.Rank != 4)
        {
            throw new ArgumentException($"{op}: expected weight of shape (out_channels, in_channels/groups, kH, kW), got {Shapes.Format(weight._shape)}");
        }

        RequireWindowArguments(op, stride, padding, dilation);
        int channels = input._shape[1], outChannels = weight._shape[0];
        if (groups < 1)
        {
            throw new ArgumentException($"{op}: groups must be at least 1, got {groups}");
        }

        if (channels % groups != 0 || outChannels % groups != 0)
        {
            throw new ArgumentException($"{op}: groups={groups} must divide both in_channels ({channels}, from input {Shapes.Format(input._shape)}) and out_channels ({outChannels}, from weight {Shapes.Format(weight._shape)})");
        }

        if (weight._shape[1] * groups != channels)
        {
            throw new ArgumentException($"{op}: input {Shapes.Format(input._shape)} has {channels} channels, but weight {Shapes.Format(weight._shape)} with groups={groups} expects {weight._shape[1] * groups} (weight.size(1)·groups)");
        }

        if (bias is not null)
        {
            Tensor.RequireSameDType(op, input, bias);
            if (bias.Rank != 1 || bias._shape[0] != outChannels)
            {
                throw new ArgumentException($"{op}: bias must have shape ({outChannels}) for weight {Shapes.Format(weight._shape)}, got {Shapes.Format(bias._shape)}");
            }
        }

        int height = input._shape[2], width = input._shape[3], kernelH = weight._shape[2], kernelW = weight._shape[3];
        if (channels == 0 || height == 0 || width == 0)
        {
            throw new ArgumentException($"{op}: input {Shapes.Format(input._shape)} is empty in a non-batch dimension: the output would be empty");
        }

        int outH = Window2d.OutputSize(height, kernelH, stride.Height, padding.Height, dilation.Height);
        int outW = Window2d.OutputSize(width, kernelW, stride.Width, padding.Width, dilation.Width);
        if (outH < 1 || outW < 1 || kernelH < 1 || kernelW < 1)
        {
            throw new ArgumentException(
                $"{op}: the kernel ({kernelH}x{kernelW}, dilated {(dilation.Height * (kernelH - 1)) + 1}x{(dilation.Width * (kernelW - 1)) + 1}) does not fit the padded input " +
                $"({height + (2 * padding.Height)}x{width + (2 * padding.Width)} from input {Shapes.Format(input._shape)} with padding {padding}): the output would be {outH}x{outW}");
        }

        return new Window2d(channels, height, width, kernelH, kernelW, stride.Height, stride.Width, padding.Height, padding.Width, dilation.Height, dilation.Width, outH, outW);
    }

    /// <summary>Throws unless stride ≥ 1, padding ≥ 0 and dilation ≥ 1 on both sides.</summary>
    internal static void RequireWindowArguments(string op, Size2 stride, Size2 padding, Size2 dilation)
    {
        if (stride.Height < 1 || stride.Width < 1)
        {
            throw new ArgumentException($"{op}: stride must be at least 1, got {stride}");
        }

        if (padding.Height < 0 || padding.Width < 0)
        {
            throw new ArgumentException($"{op}: padding must be non-negative, got {padding}");
        }

        if (dilation.Height < 1 || dilation.Width < 1)
        {
            throw new ArgumentException($"{op}: dilation must be at least 1, got {dilation}");
        }
    }

    /// <summary>y[n] = W·im2col(x[n]) (+ b), per sample and group.</summary>
    private static void Conv2dForward<T>(T[] x, T[] w, T[]? b, T[] y, int batch, Window2d g, int outChannels, int groups)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outPlane = g.OutPlane, inSample = g.Channels * g.InPlane, outSample = outChannels * outPlane;
        int groupOut = outChannels / groups, groupTaps = g.Channels / groups * g.KernelArea;
        Threading.For(batch, (long)outChannels * groupTaps * outPlane, (start, end) =>
        {
            T[]? cols = g.IsPointwise ? null : ArrayPool<T>.Shared.Rent(g.Channels * g.KernelArea * outPlane);
            T[] scratch = ArrayPool<T>.Shared.Rent(Im2Col.ScratchLength(g));
            try
            {
                for (int n = start; n < end; n++)
                {
                    var sample = new ArraySegment<T>(x, n * inSample, inSample);
                    var colMatrix = cols is null ? sample : new ArraySegment<T>(cols, 0, g.Channels * g.KernelArea * outPlane);
                    if (cols is not null)
                    {
                        Im2Col.Forward<T>(sample, g, colMatrix, scratch);
                    }

                    if (b is not null)
                    {
                        for (int o = 0; o < outChannels; o++)
                        {
                            y.AsSpan((n * outSample) + (o * outPlane), outPlane).Fill(b[o]);
                        }
                    }

                    for (int grp = 0; grp < groups; grp++)
                    {
                        Gemm.Multiply<T>(
                            false,
                            false,
                            groupOut,
                            outPlane,
                            groupTaps,
                            new ArraySegment<T>(w, grp * groupOut * groupTaps, groupOut * groupTaps),
                            colMatrix.Slice(grp * groupTaps * outPlane, groupTaps * outPlane),
                            new ArraySegment<T>(y, (n * outSample) + (grp * groupOut * outPlane), groupOut * outPlane),
                            accumulate: b is not null);
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(scratch);
                if (cols is not null)
                {
                    ArrayPool<T>.Shared.Return(cols);
                }
            }
        });
    }

    /// <summary>
    /// dx[n] = col2im(Wᵀ·dy[n]), dW = Σₙ dy[n]·im2col(x[n])ᵀ, db[o] = Σₙ Σ_pixels dy[n, o]; each output is
    /// computed only when requested. <paramref name="gx"/> is overwritten (each sample cleared while in cache, then accumulated into).
    /// </summary>
    private static void Conv2dBackward<T>(T[] gy, T[] x, T[] w, T[]? gx, T[]? gw, T[]? gb, int batch, Window2d g, int outChannels, int groups)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int outPlane = g.OutPlane, inSample = g.Channels * g.InPlane, outSample = outChannels * outPlane;
        int groupOut = outChannels / groups, groupTaps = g.Channels / groups * g.KernelArea;
        int colLength = g.Channels * g.KernelArea * outPlane;
        int blocks = (batch + ConvSamplesPerBlock - 1) / ConvSamplesPerBlock;
        if (blocks == 0)
        {
            // An empty batch: nothing flows back, and the weight and bias gradients are zero sums.
            gw?.AsSpan().Clear();
            gb?.AsSpan().Clear();
            return;
        }

        var partialW = gw is null ? null : blocks == 1 ? gw : new T[blocks * gw.Length];
        var partialB = gb is null ? null : blocks == 1 ? gb : new T[blocks * gb.Length];
        long work = (long)ConvSamplesPerBlock * outChannels * groupTaps * outPlane * ((gx is null ? 0 : 1) + (gw is null ? 0 : 1));
        Threading.For(blocks, work, (startBlock, endBlock) =>
        {
            T[]? cols = g.IsPointwise ? null : ArrayPool<T>.Shared.Rent(colLength);
            T[] scratch = ArrayPool<T>.Shared.Rent(Im2Col.ScratchLength(g));
            try
            {
                for (int block = startBlock; block < endBlock; block++)
                {
                    int first = block * ConvSamplesPerBlock, last = Math.Min(batch, first + ConvSamplesPerBlock);
                    for (int n = first; n < last; n++)
                    {
                        var sample = new ArraySegment<T>(x, n * inSample, inSample);
                        var dy = new ArraySegment<T>(gy, n * outSample, outSample);
                        if (partialW is not null)
                        {
                            var colMatrix = cols is null ? sample : new ArraySegment<T>(cols, 0, colLength);
                            if (cols is not null)
                            {
                                Im2Col.Forward<T>(sample, g, colMatrix, scratch);
                            }

                            int wLength = outChannels * groupTaps;
                            for (int grp = 0; grp < groups; grp++)
                            {
                                Gemm.Multiply<T>(
                                    false,
                                    true,
                                    groupOut,
                                    groupTaps,
                                    outPlane,
                                    dy.Slice(grp * groupOut * outPlane, groupOut * outPlane),
                                    colMatrix.Slice(grp * groupTaps * outPlane, groupTaps * outPlane),
                                    new ArraySegment<T>(partialW, (block * wLength) + (grp * groupOut * groupTaps), groupOut * groupTaps),
                                    accumulate: n > first);
                            }
                        }

                        if (partialB is not null)
                        {
                            AddChannelSums<T>(dy, outChannels, outPlane, partialB.AsSpan(block * outChannels, outChannels), accumulate: n > first);
                        }

                        if (gx is not null)
                        {
                            // The column gradient Wᵀ·dy: into gx directly for a pointwise kernel, else via col2im.
                            var gradSample = new ArraySegment<T>(gx, n * inSample, inSample);
                            var gradCols = cols is null ? gradSample : new ArraySegment<T>(cols, 0, colLength);
                            for (int grp = 0; grp < groups; grp++)
                            {
                                Gemm.Multiply<T>(
                                    true,
                                    false,
                                    groupTaps,
                                    outPlane,
                                    groupOut,
                                    new ArraySegment<T>(w, grp * groupOut * groupTaps, groupOut * groupTaps),
                                    dy.Slice(grp * groupOut * outPlane, groupOut * outPlane),
                                    gradCols.Slice(grp * groupTaps * outPlane, groupTaps * outPlane));
                            }

                            if (cols is not null)
                            {
                                gradSample.AsSpan().Clear();
                                Im2Col.Backward<T>(gradCols, g, gradSample, scratch);
                            }
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(scratch);
                if (cols is not null)
                {
                    ArrayPool<T>.Shared.Return(cols);
                }
            }
        });

        SumBlocks(partialW, gw, blocks);
        SumBlocks(partialB, gb, blocks);
    }

    /// <summary>sums[o] (+)= Σ_pixels dy[o, pixel] for one sample's output gradient (channels × plane).</summary>
    private static void AddChannelSums<T>(ReadOnlySpan<T> dy, int channels, int plane, Span<T> sums, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < channels; o++)
        {
            T sum = TensorPrimitives.Sum<T>(dy.Slice(o * plane, plane));
            sums[o] = accumulate ? sums[o] + sum : sum;
        }
    }

    /// <summary>destination = Σ_block partials[block] in block order (nothing to do for one block: it is the destination).</summary>
    private static void SumBlocks<T>(T[]? partials, T[]? destination, int blocks)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (partials is null || destination is null || ReferenceEquals(partials, destination))
        {
            return;
        }

        int length = destination.Length;
        partials.AsSpan(0, length).CopyTo(destination);
        for (int block = 1; block < blocks; block++)
        {
            TensorPrimitives.Add(destination, partials.AsSpan(block * length, length), destination);
        }
    }
}

/// <summary>
/// The definition of <see cref="ConvolutionOps.Conv2d"/> (<c>torch.nn.functional.conv2d</c>); the weight and
/// the bias, when given, are the second and third inputs. Conv1d records it with a height of 1.
/// </summary>
public sealed class Conv2dDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        ConvolutionOps.Conv2dTangent(inputs, tangents, this);

    internal Conv2dDefinition(Size2 stride, Size2 padding, Size2 dilation, int groups)
        : base("conv2d", "y = x ⋆ W + b (cross-correlation); ∂L/∂x = g ⋆ᵀ W (transposed convolution), ∂L/∂W = g ⋆ x, ∂L/∂b = Σ g")
    {
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        Groups = groups;
    }

    /// <summary>The step between windows (PyTorch's <c>stride</c>).</summary>
    public Size2 Stride { get; }

    /// <summary>The zeros added on each side (PyTorch's <c>padding</c>).</summary>
    public Size2 Padding { get; }

    /// <summary>The spacing between kernel taps (PyTorch's <c>dilation</c>).</summary>
    public Size2 Dilation { get; }

    /// <summary>The number of channel groups convolved separately (PyTorch's <c>groups</c>).</summary>
    public int Groups { get; }

    /// <inheritdoc/>
    protected override string FormatAttributes() =>
        $"stride: {Stride.ToCompactString()}, padding: {Padding.ToCompactString()}, dilation: {Dilation.ToCompactString()}, groups: {Groups}";

    /// <summary>
    /// ONNX Conv(x, W[, b]) with kernel_shape (from the weight), strides, pads, dilations and group;
    /// conv1d, recorded as conv2d of height 1 between two reshapes, lowers the same way.
    /// </summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        int[] weight = onnx.InputShape(1);
        return LowerAs(
            onnx,
            "Conv",
            new OnnxAttribute("kernel_shape", [weight[2], weight[3]]),
            new OnnxAttribute("strides", Ints(Stride)),
            new OnnxAttribute("pads", Pads(Padding)),
            new OnnxAttribute("dilations", Ints(Dilation)),
            new OnnxAttribute("group", Groups));
    }

    /// <summary>A (height, width) pair as an ONNX ints attribute.</summary>
    internal static long[] Ints(Size2 size) => [size.Height, size.Width];

    /// <summary>ONNX pads for PyTorch's symmetric padding: [top, left, bottom, right].</summary>
    internal static long[] Pads(Size2 padding) => [padding.Height, padding.Width, padding.Height, padding.Width];

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("conv2d", x => Tensor.Conv2d(x[0], x[1], x[2]), OpRegistry.In([2, 3, 5, 6]), OpRegistry.In([4, 3, 3, 2]), OpRegistry.In([4])),
        new("conv2d_no_bias", x => Tensor.Conv2d(x[0], x[1]), OpRegistry.In([2, 2, 4, 5]), OpRegistry.In([3, 2, 2, 3])),
        new("conv2d_stride_padding", x => Tensor.Conv2d(x[0], x[1], x[2], stride: 2, padding: 1), OpRegistry.In([2, 2, 5, 6]), OpRegistry.In([3, 2, 3, 3]), OpRegistry.In([3])),
        new("conv2d_asymmetric", x => Tensor.Conv2d(x[0], x[1], x[2], stride: (2, 1), padding: (0, 2)), OpRegistry.In([1, 2, 6, 4]), OpRegistry.In([2, 2, 3, 2]), OpRegistry.In([2])),
        new("conv2d_dilation", x => Tensor.Conv2d(x[0], x[1], x[2], padding: 1, dilation: (2, 3)), OpRegistry.In([2, 2, 6, 7]), OpRegistry.In([2, 2, 2, 2]), OpRegistry.In([2])),
        new("conv2d_groups", x => Tensor.Conv2d(x[0], x[1], x[2], padding: 1, groups: 2), OpRegistry.In([2, 4, 4, 5]), OpRegistry.In([6, 2, 3, 3]), OpRegistry.In([6])),
        new("conv2d_depthwise_stride", x => Tensor.Conv2d(x[0], x[1], null, stride: 2, groups: 3), OpRegistry.In([1, 3, 5, 5]), OpRegistry.In([3, 1, 2, 2])),
        new("conv2d_pointwise", x => Tensor.Conv2d(x[0], x[1], x[2]), OpRegistry.In([2, 3, 3, 4]), OpRegistry.In([2, 3, 1, 1]), OpRegistry.In([2])),
        new("conv2d_unbatched", x => Tensor.Conv2d(x[0], x[1], x[2], padding: 1), OpRegistry.In([2, 4, 3]), OpRegistry.In([3, 2, 3, 3]), OpRegistry.In([3])),
        new("conv1d", x => Tensor.Conv1d(x[0], x[1], x[2]), OpRegistry.In([2, 3, 7]), OpRegistry.In([4, 3, 3]), OpRegistry.In([4])),
        new("conv1d_stride_padding_dilation_groups", x => Tensor.Conv1d(x[0], x[1], x[2], stride: 2, padding: 2, dilation: 2, groups: 2), OpRegistry.In([2, 4, 9]), OpRegistry.In([2, 2, 3]), OpRegistry.In([2])),
        new("conv2d_same_even_kernel", x => Tensor.Conv2d(x[0], x[1], x[2], padding: "same"), OpRegistry.In([2, 2, 5, 6]), OpRegistry.In([3, 2, 4, 2]), OpRegistry.In([3])),
        new("conv1d_same_dilation", x => Tensor.Conv1d(x[0], x[1], x[2], padding: "same", dilation: 2), OpRegistry.In([2, 3, 7]), OpRegistry.In([2, 3, 3]), OpRegistry.In([2])),
    ];
}
