using Backprop.Kernels;

namespace Backprop.NN;

/// <summary>
/// What <see cref="Module.Freeze"/> returns: the source's layers as a flat list of frozen steps, each
/// holding copies of its weights (and those packed for its kernel), run in order under
/// <see cref="Autograd.NoGrad"/> with Sequential's inference fusions (Linear and a following ReLU in
/// one pass over the output, ReLU in place on a fresh intermediate).
/// </summary>
internal sealed class FrozenModule : Module
{
    [Unregistered]
    private readonly FrozenLayer[] _layers;

    [Unregistered]
    private readonly string _source;

    private FrozenModule(FrozenLayer[] layers, string source)
    {
        _layers = layers;
        _source = source;
        Train(false);
    }

    /// <summary>The frozen form of <paramref name="source"/> (see <see cref="Module.Freeze"/>).</summary>
    public static FrozenModule Create(Module source)
    {
        var layers = new List<FrozenLayer>();
        using (Autograd.NoGrad())
        {
            Add(source, "the model", layers, topLevel: true);
        }

        // Linear then ReLU: one pass (Sequential's inference path does the same).
        var fused = new List<FrozenLayer>();
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is FrozenLinear { Relu: false } linear && i + 1 < layers.Count && layers[i + 1] is FrozenRelu)
            {
                fused.Add(linear.WithRelu());
                i++;
                continue;
            }

            // ReLU then max pooling: pool first, then ReLU in place on the pooled (fresh) output, a
            // quarter of the elements for 2×2 windows. The same values: ReLU never lowers an order
            // (max(relu(a), relu(b)) = relu(max(a, b))), every window holds at least one input element,
            // and a NaN in a window gives NaN either way. Not for a hooked pooling layer, whose hooks
            // must see the ReLU's output.
            if (layers[i] is FrozenRelu && i + 1 < layers.Count && layers[i + 1] is FrozenByReference { Module: MaxPool2d, Calls: false } pool)
            {
                fused.Add(pool.WithFreshOutput());
                fused.Add(layers[i]);
                i++;
                continue;
            }

            fused.Add(layers[i]);
        }

        // A convolution then 2×2, stride-2 max pooling: one step, in which each thread pools the planes
        // it computed (its channels of a sample when there are fewer samples than threads, else its samples).
        var pooled = new List<FrozenLayer>();
        for (int i = 0; i < fused.Count; i++)
        {
            if (fused[i] is FrozenConv2d conv && i + 1 < fused.Count && fused[i + 1] is FrozenByReference { Module: MaxPool2d maxPool, Calls: false } pool
                && maxPool.KernelSize == new Size2(2, 2) && maxPool.Stride == new Size2(2, 2) && maxPool.Padding == new Size2(0, 0) && maxPool.Dilation == new Size2(1, 1) && !maxPool.CeilMode)
            {
                pooled.Add(new FrozenConvMaxPool(conv, pool));
                i++;
                continue;
            }

            pooled.Add(fused[i]);
        }

        return new FrozenModule([.. pooled], source.GetType().Name);
    }

    /// <summary>Runs the frozen layers in order, recording nothing, in evaluation mode.</summary>
    /// <param name="input">The source model's input.</param>
    /// <returns>The source model's evaluation-mode output for <paramref name="input"/> (as of the freeze); never part of a graph.</returns>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using (Autograd.NoGrad())
        {
            var x = input;
            bool fresh = false;
            foreach (var layer in _layers)
            {
                x = layer.Run(x, ref fresh);
            }

            return x;
        }
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{_source}, layers={_layers.Length}";

    /// <summary>Appends the frozen steps of <paramref name="module"/> (named <paramref name="path"/> in errors).</summary>
    private static void Add(Module module, string path, List<FrozenLayer> layers, bool topLevel)
    {
        // A layer with hooks runs as it is, through Call (the model's own hooks never ran in its Forward).
        if (module.HasHooks && !topLevel)
        {
            layers.Add(FrozenByReference.Of(module, path, call: true));
            return;
        }

        switch (module)
        {
            case FrozenModule frozen:
                layers.AddRange(frozen._layers);
                break;
            case Sequential sequential:
                for (int i = 0; i < sequential.Count; i++)
                {
                    Add(sequential[i], topLevel ? $"layer {i}" : $"{path}.{i}", layers, topLevel: false);
                }

                break;
            case Linear linear:
                layers.Add(FrozenLinear.Of(linear));
                break;
            case ReLU:
                layers.Add(new FrozenRelu());
                break;
            case Conv2d conv:
                layers.Add(FrozenConv2d.Of(conv));
                break;
            case BatchNormBase batchNorm:
                layers.Add(FrozenBatchNorm.Of(batchNorm));
                break;
            case Dropout:
                // The identity in evaluation mode.
                break;
            case Flatten or Unflatten or Identity or MaxPool2d or AvgPool2d or AdaptiveAvgPool2d or Sigmoid or Tanh or GELU or LeakyReLU or Softmax or LogSoftmax:
                // No weights, no training behaviour, settings fixed at construction: shared as they are.
                layers.Add(FrozenByReference.Of(module, path, call: false));
                break;
            default:
                layers.Add(FrozenByReference.Of(module, path, call: true));
                break;
        }
    }

    /// <summary>A copy of <paramref name="tensor"/> that nothing else holds (not part of any graph).</summary>
    private static Tensor Copy(Tensor tensor) => tensor.Detach().Clone();

    private static Tensor? CopyOrNull(Tensor? tensor) => tensor is null ? null : Copy(tensor);

    /// <summary>One step of the frozen forward.</summary>
    private abstract class FrozenLayer
    {
        /// <summary>The step's output for <paramref name="x"/>; <paramref name="fresh"/> says whether x is an intermediate nothing else holds (updated for the output).</summary>
        public abstract Tensor Run(Tensor x, ref bool fresh);
    }

    /// <summary>A Linear layer: copies of W and b, and Wᵀ packed for the GEMM (float32), optionally followed by ReLU.</summary>
    private sealed class FrozenLinear(Tensor weight, Tensor? bias, Sgemm.PackedB? packed, bool relu) : FrozenLayer
    {
        public bool Relu => relu;

        public static FrozenLinear Of(Linear linear)
        {
            var source = linear.Weight;
            if (source.DType != DType.Float32 || source.Rank != 2)
            {
                return new FrozenLinear(Copy(source), CopyOrNull(linear.Bias), null, relu: false);
            }

            // Pack copies W as stored beside its panels: that copy is the frozen layer's weight.
            var packed = Sgemm.Pack(transB: true, source.Size(1), source.Size(0), source.F32);
            return new FrozenLinear(Tensor.FromStorage(packed.Source, source.Shape), CopyOrNull(linear.Bias), packed, relu: false);
        }

        public FrozenLinear WithRelu() => new(weight, bias, packed, relu: true);

        public override Tensor Run(Tensor x, ref bool fresh)
        {
            fresh = true;
            if (packed is not null)
            {
                return LinearOps.LinearPacked(x, weight, packed, bias, relu);
            }

            return relu ? LinearOps.LinearRelu(x, weight, bias) : Tensor.Linear(x, weight, bias);
        }
    }

    /// <summary>ReLU: in place on a fresh intermediate, else into a new tensor.</summary>
    private sealed class FrozenRelu : FrozenLayer
    {
        public override Tensor Run(Tensor x, ref bool fresh)
        {
            if (fresh)
            {
                ActivationOps.ReluInPlace(x);
                return x;
            }

            return x.Relu();
        }
    }

    /// <summary>
    /// A Conv2d layer: copies of its kernels and bias, those packed for the direct convolution when it
    /// runs on this CPU, and the layer itself for its settings (stride, padding, dilation, groups and
    /// padding mode, all fixed at construction).
    /// </summary>
    private sealed class FrozenConv2d(Conv2d settings, Tensor weight, Tensor? bias, DirectConvWeights? packed) : FrozenLayer
    {
        public static FrozenConv2d Of(Conv2d conv)
        {
            var weight = Copy(conv.Weight);
            var bias = CopyOrNull(conv.Bias);
            // Only for operands the direct kernel can take; any other forward call checks and reports them.
            bool biasFits = bias is null || (bias.DType == DType.Float32 && bias.Rank == 1 && bias.Size(0) == weight.Size(0));
            var packed = weight.DType == DType.Float32 && weight.Rank == 4 && conv.Groups == 1 && biasFits
                ? ConvolutionOps.PackDirectConvWeights(weight.F32, bias?.F32, weight.Size(0), weight.Size(1) * weight.Size(2) * weight.Size(3))
                : null;
            return new FrozenConv2d(conv, weight, bias, packed);
        }

        /// <summary>This convolution then 2×2, stride-2 max pooling in one pass, or null where that pass does not apply (see <see cref="ConvolutionOps.TryConv2dMaxPool2x2"/>).</summary>
        public Tensor? TryRunPooled(Tensor x) =>
            settings.PaddingMode == PaddingMode.Zeros && !settings.Padding.IsSame
                ? ConvolutionOps.TryConv2dMaxPool2x2(x, weight, bias, settings.Stride, settings.Padding.Size, settings.Dilation, settings.Groups, packed)
                : null;

        public override Tensor Run(Tensor x, ref bool fresh)
        {
            fresh = true;
            return settings.PaddingMode == PaddingMode.Zeros
                ? ConvolutionOps.Conv2dWith(x, weight, bias, settings.Stride, settings.Padding, settings.Dilation, settings.Groups, packed)
                : ConvolutionOps.Conv2dWith(settings.PadInput(x), weight, bias, settings.Stride, 0, settings.Dilation, settings.Groups, packed);
        }
    }

    /// <summary>
    /// A Conv2d layer followed by 2×2, stride-2 max pooling: one pass
    /// (<see cref="ConvolutionOps.TryConv2dMaxPool2x2"/>), or, where that pass does not apply, the two
    /// layers one after the other. The same values either way.
    /// </summary>
    private sealed class FrozenConvMaxPool(FrozenConv2d conv, FrozenByReference pool) : FrozenLayer
    {
        public override Tensor Run(Tensor x, ref bool fresh)
        {
            if (conv.TryRunPooled(x) is { } output)
            {
                fresh = true;
                return output;
            }

            return pool.Run(conv.Run(x, ref fresh), ref fresh);
        }
    }

    /// <summary>A batch-norm layer in evaluation mode: copies of its affine parameters and running statistics, and the layer for its settings.</summary>
    private sealed class FrozenBatchNorm(BatchNormBase settings, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias) : FrozenLayer
    {
        public static FrozenBatchNorm Of(BatchNormBase batchNorm) =>
            new(batchNorm, CopyOrNull(batchNorm.RunningMean), CopyOrNull(batchNorm.RunningVar), CopyOrNull(batchNorm.Weight), CopyOrNull(batchNorm.Bias));

        public override Tensor Run(Tensor x, ref bool fresh)
        {
            fresh = true;
            return settings.Normalize(x, training: false, runningMean, runningVar, weight, bias);
        }
    }

    /// <summary>
    /// A module kept as it is: a stateless layer (its Forward), or one Freeze does not know or with
    /// hooks (its Call, hooks and all). <paramref name="freshOutput"/>: its output is a new tensor
    /// nothing else holds (max pooling), which a following ReLU may overwrite.
    /// </summary>
    private sealed class FrozenByReference(Module module, bool call, bool freshOutput = false) : FrozenLayer
    {
        public Module Module => module;

        /// <summary>Whether it runs through Call (hooks see its input and output), not Forward.</summary>
        public bool Calls => call;

        public FrozenByReference WithFreshOutput() => new(module, call, freshOutput: true);

        public static FrozenByReference Of(Module module, string path, bool call)
        {
            if (call && module.Modules().FirstOrDefault(m => m.IsTraining) is { } training)
            {
                string which = ReferenceEquals(training, module) ? "" : $" (its submodule {training.GetType().Name} is)";
                throw new ArgumentException(
                    $"Freeze: {path} ({module.GetType().Name}) is in training mode{which}; call Eval() before Freeze(): " +
                    "a module Freeze does not copy (one it does not know, or one with hooks) runs as it is, in its own mode");
            }

            return new FrozenByReference(module, call);
        }

        public override Tensor Run(Tensor x, ref bool fresh)
        {
            fresh = freshOutput;
            return call ? module.Call(x) : module.Forward(x);
        }
    }
}
