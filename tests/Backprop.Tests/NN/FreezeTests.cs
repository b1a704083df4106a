using Backprop.NN;
using Backprop.Optim;
using Backprop.Tests.Kernels;

namespace Backprop.Tests.NN;

/// <summary>
/// <see cref="Module.Freeze"/>: the frozen module gives the bits of <c>Eval()</c> + a forward under
/// NoGrad of its source (MLPs with and without batch norm and dropout, both CNNs, a chain holding a
/// module the library does not know, float64, the convolution's other paths) at batch 1, 7 and 256
/// on 1 and 2 threads, for whatever instruction set the process runs (the suite also runs under
/// DOTNET_EnableAVX512=0 / DOTNET_EnableAVX2=0); it is a snapshot that training, LoadStateDict or
/// Train() on the source do not reach; it records no graph; and bad input gets the source's message.
/// </summary>
// Alone: it switches the process-wide thread count many times, and a test that compares 1 and 2
// threads meanwhile could see both of its passes run on the same count.
[Collection(Backprop.Tests.Kernels.ThreadCountCollection.Name)]
public class FreezeTests
{
    public static TheoryData<string> Specs() => new() { "784-256-128-10:relu", "cnn:784-10", "cnn-bn:784-10", "20-64-32-3:relu:bn:dropout=0.3", "mlp" };

    [Theory]
    [MemberData(nameof(Specs))]
    public void FrozenOutputIsBitIdenticalToTheEvalForwardWithoutGrad(string specText)
    {
        var spec = specText == "mlp" ? ModelSpec.Parse("mlp", 30, 4) : ModelSpec.Parse(specText);
        var model = spec.Build(new Generator(1));
        WarmRunningStatistics(model, spec.InFeatures);
        model.Eval();
        var frozen = model.Freeze();
        foreach (int batch in (int[])[1, 7, 256])
        {
            var x = Tensor.Randn([batch, spec.InFeatures], new Generator(batch));
            foreach (int threads in (int[])[1, 2])
            {
                var (expected, actual) = ThreadCount.With(threads, () => (EvalForward(model, x), frozen.Forward(x).ToArray<float>()));
                Assert.True(expected.AsSpan().SequenceEqual(actual), $"{specText} batch {batch} threads {threads}");
            }
        }
    }

    [Fact]
    public void TheSourceNeedNotBeInEvalModeForTheLayersFreezeCopies()
    {
        var spec = ModelSpec.Parse("20-64-32-3:relu:bn:dropout=0.5");
        var model = spec.Build(new Generator(2));
        WarmRunningStatistics(model, spec.InFeatures);
        var frozen = model.Freeze();
        Assert.True(model.IsTraining);
        var x = Tensor.Randn([9, 20], new Generator(3));
        float[] first = frozen.Forward(x).ToArray<float>();
        Assert.Equal(EvalForward(model, x), first);

        // Train() on the snapshot does not switch dropout or batch statistics back on.
        frozen.Train();
        Assert.Equal(first, frozen.Forward(x).ToArray<float>());
    }

    [Fact]
    public void TrainingOrLoadingTheSourceAfterFreezingDoesNotReachTheFrozenModule()
    {
        foreach (string specText in (string[])["784-256-128-10:relu", "cnn-bn:784-10"])
        {
            var spec = ModelSpec.Parse(specText);
            var model = spec.Build(new Generator(4));
            WarmRunningStatistics(model, spec.InFeatures);
            model.Eval();
            var x = Tensor.Randn([7, spec.InFeatures], new Generator(5));
            float[] before = EvalForward(model, x);
            float[] beforeOne = EvalForward(model, x.Narrow(0, 0, 1));
            var frozen = model.Freeze();

            // One SGD step in training mode (weights and batch-norm running statistics change).
            model.Train();
            var optimizer = new SGD(model.Parameters(), lr: 0.5);
            Tensor.CrossEntropy(model.Forward(x), Tensor.FromArray(new long[] { 0, 1, 2, 3, 4, 5, 6 }, [7])).Backward();
            optimizer.Step();
            model.Eval();
            Assert.False(before.AsSpan().SequenceEqual(EvalForward(model, x)), $"{specText}: the step changed nothing");
            Assert.Equal(before, frozen.Forward(x).ToArray<float>());
            Assert.Equal(beforeOne, frozen.Forward(x.Narrow(0, 0, 1)).ToArray<float>());

            // Other weights loaded into the source, and a weight tensor replaced.
            model.LoadStateDict(spec.Build(new Generator(6)).StateDict());
            var firstLinear = model.Modules().OfType<Linear>().First();
            firstLinear.Weight = Tensor.Zeros(firstLinear.Weight.Shape.ToArray());
            Assert.False(before.AsSpan().SequenceEqual(EvalForward(model, x)));
            Assert.Equal(before, frozen.Forward(x).ToArray<float>());
            Assert.Equal(beforeOne, frozen.Forward(x.Narrow(0, 0, 1)).ToArray<float>());
        }
    }

    [Fact]
    public void AModuleFreezeDoesNotKnowRunsAsItIsUnderNoGrad()
    {
        var scale = new Scale(16, new Generator(7));
        var model = new Sequential { new Linear(12, 16, generator: new Generator(8)), scale, new ReLU(), new Linear(16, 5, generator: new Generator(9)) };
        var x = Tensor.Randn([7, 12], new Generator(10));

        var e = Assert.Throws<ArgumentException>(() => model.Freeze());
        Assert.Contains("layer 1 (Scale) is in training mode", e.Message, StringComparison.Ordinal);
        Assert.Contains("Eval()", e.Message, StringComparison.Ordinal);

        model.Eval();
        var frozen = model.Freeze();
        foreach (int threads in (int[])[1, 2])
        {
            var (expected, actual) = ThreadCount.With(threads, () => (EvalForward(model, x), frozen.Forward(x).ToArray<float>()));
            Assert.Equal(expected, actual);
        }

        // Grad mode on: the frozen module still calls it under NoGrad.
        int withoutGrad = scale.CallsWithoutGrad;
        Assert.True(Backprop.Autograd.IsGradEnabled);
        frozen.Forward(x);
        Assert.Equal((0, withoutGrad + 1), (scale.CallsWithGrad, scale.CallsWithoutGrad));

        // It is kept by reference: its own weights are not a snapshot (documented).
        Init.Zeros(scale.S);
        Assert.Equal(EvalForward(model, x), frozen.Forward(x).ToArray<float>());

        // A whole model Freeze does not know is wrapped: the same values, no graph.
        var h = Tensor.Randn([3, 16], new Generator(27), requiresGrad: true);
        var other = new Scale(16, new Generator(28)).Eval();
        var wrapped = other.Freeze();
        var y = wrapped.Forward(h);
        Assert.Null(y.GradFn);
        Assert.Equal(EvalForward(other, h), y.ToArray<float>());
    }

    [Fact]
    public void TheFrozenForwardRecordsNothingAndHasNoState()
    {
        var model = ModelSpec.Parse("10-8-3:relu").Build(new Generator(11)).Eval();
        var frozen = model.Freeze();
        var x = Tensor.Randn([4, 10], new Generator(12), requiresGrad: true);
        var y = frozen.Forward(x);
        Assert.Null(y.GradFn);
        Assert.False(y.RequiresGrad);
        Assert.Empty(frozen.Parameters());
        Assert.Empty(frozen.StateDict());
        Assert.Same(frozen, frozen.Freeze());
        Assert.Contains("Sequential", frozen.ToString(), StringComparison.Ordinal);
        var e = Assert.Throws<ArgumentException>(() => frozen.LoadStateDict(model.StateDict()));
        Assert.Contains("unexpected keys", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFrozenModuleIsNotExportedToOnnx()
    {
        var model = ModelSpec.Parse("10-8-3:relu").Build(new Generator(29)).Eval();
        foreach (var (module, where) in ((Module, string)[])[(model.Freeze(), "(root)"), (new Sequential { model.Freeze(), new ReLU() }, "0")])
        {
            var e = Assert.Throws<ArgumentException>(() => Backprop.Onnx.OnnxExport.ToBytes(module, [1, 10]));
            Assert.Contains($"module '{where}' is frozen (Module.Freeze", e.Message, StringComparison.Ordinal);
            Assert.Contains("export the module it was frozen from", e.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("784-256-128-10:relu", new[] { 3, 783 })]
    [InlineData("784-256-128-10:relu", new[] { 1, 785 })]
    [InlineData("cnn:784-10", new[] { 2, 780 })]
    [InlineData("cnn-bn:784-10", new[] { 1, 1, 28, 28 })]
    public void BadInputGetsTheMessageOfTheSourceForward(string specText, int[] shape)
    {
        var model = ModelSpec.Parse(specText).Build(new Generator(13)).Eval();
        var frozen = model.Freeze();
        var x = Tensor.Randn(shape, new Generator(14));
        var expected = Assert.Throws<ArgumentException>(() => EvalForward(model, x));
        var actual = Assert.Throws<ArgumentException>(() => frozen.Forward(x));
        Assert.Equal(expected.Message, actual.Message);
    }

    [Fact]
    public void TheFrozenMlpNamesTheLayerAndShapesOfAWrongWidth()
    {
        var frozen = ModelSpec.Parse("784-256-10:relu").Build(new Generator(15)).Freeze();
        var e = Assert.Throws<ArgumentException>(() => frozen.Forward(Tensor.Zeros([2, 100])));
        Assert.Contains("linear: input of shape (2x100) does not fit weight (256x784)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConvolutionsOffTheDirectPathFloat64AndNestedChainsAreBitIdentical()
    {
        var models = new (Module Model, int[] Shape)[]
        {
            (new Sequential { new Conv2d(3, 8, 3, stride: 2, padding: 1, generator: new Generator(16)), new ReLU(), new Conv2d(8, 4, 3, groups: 2, generator: new Generator(17)) }, [5, 3, 12, 12]),
            (new Sequential { new Conv2d(2, 6, 3, padding: 1, paddingMode: PaddingMode.Reflect, generator: new Generator(18)), new BatchNorm2d(6), new ReLU(), new Conv2d(6, 5, 3, padding: "same", dilation: 2, bias: false, generator: new Generator(19)) }, [3, 2, 20, 20]),
            (new Sequential { new Sequential { new Linear(6, 9, dtype: DType.Float64, generator: new Generator(20)), new ReLU() }, new Dropout(), new Linear(9, 2, dtype: DType.Float64, generator: new Generator(21)) }, [4, 6]),
            (new Conv2d(1, 7, 5, padding: 2, generator: new Generator(22)), [1, 28, 28]),
            (new Linear(33, 17, generator: new Generator(23)), [2, 3, 33]),
        };
        foreach (var (model, shape) in models)
        {
            model.Eval();
            var frozen = model.Freeze();
            var dtype = model.Parameters().First().DType;
            var x = dtype == DType.Float64 ? Tensor.Randn(shape, new Generator(24)).To(DType.Float64) : Tensor.Randn(shape, new Generator(24));
            foreach (int threads in (int[])[1, 2])
            {
                ThreadCount.With(threads, () =>
                {
                    Tensor expected;
                    using (Backprop.Autograd.NoGrad())
                    {
                        expected = model.Forward(x);
                    }

                    var actual = frozen.Forward(x);
                    Assert.Equal(expected.Shape.ToArray(), actual.Shape.ToArray());
                    if (dtype == DType.Float64)
                    {
                        Assert.Equal(expected.ToArray<double>(), actual.ToArray<double>());
                    }
                    else
                    {
                        Assert.True(expected.ToArray<float>().AsSpan().SequenceEqual(actual.ToArray<float>()), $"{model.GetType().Name} {string.Join("x", shape)} threads {threads}");
                    }
                });
            }
        }
    }

    [Fact]
    public void AFrozenConvolutionCalledWithImagesOfSeveralSizesInTurnMatchesTheSource()
    {
        // The frozen layer keeps the plan of its last input size: each call must use its own.
        var model = new Sequential { new Conv2d(3, 8, 3, padding: 1, generator: new Generator(26)), new ReLU(), new Conv2d(8, 4, 5, padding: 2, generator: new Generator(27)) };
        model.Eval();
        var frozen = model.Freeze();
        int[][] shapes = [[1, 3, 12, 12], [2, 3, 20, 16], [1, 3, 12, 12], [1, 3, 9, 30], [2, 3, 20, 16]];
        for (int i = 0; i < shapes.Length; i++)
        {
            var x = Tensor.Randn(shapes[i], new Generator(28 + i));
            Assert.True(EvalForward(model, x).AsSpan().SequenceEqual(frozen.Forward(x).ToArray<float>()), $"call {i}: {string.Join("x", shapes[i])}");
        }
    }

    [Fact]
    public void AConvolutionAndTheMaxPoolingAfterItGiveTheSourcesValuesAtAnyBatchAndThreadCount()
    {
        // A convolution and a 2×2 max pooling after it run as one pass: below as many samples as
        // threads each thread pools its channels, otherwise its samples (batches of 1, 2 and 5 on 1–3
        // threads); odd planes (the last row and column left out), no ReLU in between, a ReLU in
        // between, windows the pass does not take, and bad input.
        var models = new (Module Model, int[] Shape)[]
        {
            (new Sequential { new Conv2d(3, 20, 3, padding: 1, generator: new Generator(30)), new MaxPool2d(2), new Flatten() }, [1, 3, 17, 19]),
            (new Sequential { new Conv2d(2, 16, 5, padding: 2, generator: new Generator(31)), new ReLU(), new MaxPool2d(2), new Conv2d(16, 9, 3, padding: 1, generator: new Generator(32)), new ReLU(), new MaxPool2d(2) }, [2, 2, 28, 30]),
            (new Sequential { new Conv2d(1, 8, 3, padding: 1, dilation: 1, generator: new Generator(33)), new MaxPool2d(2, stride: 1), new MaxPool2d(3) }, [1, 1, 20, 20]),
            (new Sequential { new Conv2d(1, 8, 3, padding: 1, generator: new Generator(34)), new MaxPool2d(2, ceilMode: true) }, [1, 1, 21, 21]),
        };
        foreach (var (model, shape) in models)
        {
            model.Eval();
            var frozen = model.Freeze();
            for (int call = 0; call < 4; call++)
            {
                var x = Tensor.Randn(call == 3 ? [5, .. shape[1..]] : shape, new Generator(40 + call));
                foreach (int threads in (int[])[1, 2, 3])
                {
                    ThreadCount.With(threads, () =>
                    {
                        var expected = EvalForward(model, x);
                        var actual = frozen.Forward(x).ToArray<float>();
                        Assert.True(expected.AsSpan().SequenceEqual(actual), $"{string.Join("x", x.Shape)} call {call} threads {threads}");
                    });
                }
            }

            var wrong = Tensor.Randn([1, shape[1] + 1, shape[2], shape[3]], new Generator(50));
            var sourceError = Assert.Throws<ArgumentException>(() => model.Forward(wrong)).Message;
            Assert.Equal(sourceError, ThreadCount.With(2, () => Assert.Throws<ArgumentException>(() => frozen.Forward(wrong)).Message));
        }
    }

    [Fact]
    public void ALayerWithHooksRunsItsHooksAndAFusedPairDoesNotWriteOverTheCallersInput()
    {
        var linear = new Linear(3, 4, generator: new Generator(25));
        int calls = 0;
        linear.RegisterForwardHook((_, _, output) => output * 2);
        linear.RegisterForwardPreHook((_, _) => calls++);
        var model = new Sequential { linear, new ReLU() }.Eval();
        var frozen = model.Freeze();
        var x = Tensor.Randn([5, 3], new Generator(26));
        Assert.Equal(EvalForward(model, x), frozen.Forward(x).ToArray<float>());
        Assert.Equal(2, calls);

        var relus = new Sequential { new ReLU(), new Flatten(), new ReLU() }.Freeze();
        var input = Tensor.FromArray(new float[] { -1, 2, -3, 4 }, [1, 4]);
        Assert.Equal(new float[] { 0, 2, 0, 4 }, relus.Forward(input).ToArray<float>());
        Assert.Equal(new float[] { -1, 2, -3, 4 }, input.ToArray<float>());
    }

    [Fact]
    public void ReluBeforeMaxPoolingRunsAfterItWithTheSameBits()
    {
        // The frozen chain pools first and applies ReLU to the pooled output: the bits must be the
        // same for signed zeros, NaN, infinities and ties, with padding, strides, dilation and ceil mode.
        float[] special = [-0f, 0f, -1f, float.NaN, float.NegativeInfinity, float.PositiveInfinity, 2f, 2f, -3f, 1e-30f, -1e-30f];
        var rng = new Random(31);
        var values = new float[2 * 3 * 9 * 9];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = rng.Next(3) == 0 ? special[rng.Next(special.Length)] : (float)(rng.NextDouble() - 0.6);
        }

        var x = Tensor.FromArray(values, [2, 3, 9, 9]);
        var before = (float[])values.Clone();
        var models = new Module[]
        {
            new Sequential { new ReLU(), new MaxPool2d(2) },
            new Sequential { new ReLU(), new MaxPool2d(3, stride: 2, padding: 1, ceilMode: true) },
            new Sequential { new ReLU(), new MaxPool2d(2, dilation: 2) },
            new Sequential { new Conv2d(3, 4, 3, padding: 1, generator: new Generator(32)), new ReLU(), new MaxPool2d(2, ceilMode: true), new Flatten(), new Linear(100, 5, generator: new Generator(33)) },
        };
        foreach (var model in models)
        {
            model.Eval();
            var frozen = model.Freeze();
            foreach (int threads in (int[])[1, 2])
            {
                var (expected, actual) = ThreadCount.With(threads, () => (EvalForward(model, x), frozen.Forward(x).ToArray<float>()));
                Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
            }

            Assert.Equal(before.Select(BitConverter.SingleToInt32Bits), x.ToArray<float>().Select(BitConverter.SingleToInt32Bits));
        }

        // A hooked pooling layer keeps the order: its hook sees the ReLU's output.
        var pool = new MaxPool2d(2);
        float seenMin = float.NaN;
        pool.RegisterForwardPreHook((_, input) => seenMin = (float)input.Min().Item());
        var hooked = new Sequential { new ReLU(), pool }.Eval();
        var y = Tensor.FromArray(new float[] { -1, 2, -3, 4, -5, 6, -7, 8, -9, 10, -11, 12, -13, 14, -15, 16 }, [1, 1, 4, 4]);
        Assert.Equal(EvalForward(hooked, y), hooked.Freeze().Forward(y).ToArray<float>());
        Assert.Equal(0f, seenMin);
    }

    private static float[] EvalForward(Module model, Tensor x)
    {
        bool training = model.IsTraining;
        model.Eval();
        try
        {
            using (Backprop.Autograd.NoGrad())
            {
                return model.Forward(x).ToArray<float>();
            }
        }
        finally
        {
            model.Train(training);
        }
    }

    /// <summary>A few training-mode forwards, so batch norm's running statistics are not their initial 0 and 1.</summary>
    private static void WarmRunningStatistics(Module model, int features)
    {
        model.Train();
        using (Backprop.Autograd.NoGrad())
        {
            for (int i = 0; i < 3; i++)
            {
                model.Forward(Tensor.Randn([16, features], new Generator(100 + i)) * 2 + 0.5);
            }
        }
    }

    /// <summary>A module the library does not know: y = x·s per feature, counting how it is called.</summary>
    private sealed class Scale(int features, Generator generator) : Module
    {
        public Tensor S { get; } = Tensor.Randn([features], generator, requiresGrad: true);

        public int CallsWithGrad { get; private set; }

        public int CallsWithoutGrad { get; private set; }

        public override Tensor Forward(Tensor input)
        {
            if (Backprop.Autograd.IsGradEnabled)
            {
                CallsWithGrad++;
            }
            else
            {
                CallsWithoutGrad++;
            }

            return input * S;
        }
    }
}
