using Backprop.NN;
using Backprop.Onnx;
using Backprop.Onnx.Proto;

namespace Backprop.Tests.Onnx;

/// <summary>
/// Modules the exporter has no method for, written as a user writes them (a hand-written Forward),
/// exported by tracing and run in ONNX Runtime against Forward, for a batch of 1 and of 4 from one
/// file (the batch dimension stays dynamic through reshapes and broadcasts).
/// </summary>
public sealed class OnnxTracingTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string, Func<Module>, int[]> Models()
    {
        var g = new Generator(11);
        return new TheoryData<string, Func<Module>, int[]>
        {
            { "residual x + Linear(ReLU(Linear(x)))", () => new Residual(6, 10, g), [1, 6] },
            { "residual traced with batch 3", () => new Residual(6, 10, g), [3, 6] },
            { "residual on 3-D input (MatMul path)", () => new Residual(5, 7, g), [1, 3, 5] },
            { "gating a * sigmoid(b)", () => new Gated(6, 4, g), [1, 6] },
            { "several heads summed", () => new Heads(5, 3, g), [1, 5] },
            { "arithmetic with scalars", () => new Arithmetic(4, g), [1, 4] },
            { "unary ops", () => new UnaryOps(4, g), [2, 4] },
            { "layer norm block", () => new NormBlock(8, g, affine: true), [1, 8] },
            { "layer norm without affine on 3-D", () => new NormBlock(8, g, affine: false), [1, 3, 8] },
            { "softmax and log softmax", () => new Softmaxes(6, g), [1, 6] },
            { "reshapes, transpose, matmul, reductions, expand, cat", () => new Shapes(g), [1, 12] },
            { "user module inside a Sequential", () => new Sequential(new Linear(6, 6, generator: g), new Residual(6, 8, g), new ReLU(), new Linear(6, 2, generator: g)), [1, 6] },
            { "sequential inside a user module", () => new Wrapper(new Sequential(new Linear(4, 5, generator: g), new Tanh(), new Linear(5, 3, generator: g))), [1, 4] },
            { "small cnn with a skip connection and batch norm", () => WithStatistics(new SmallCnn(g), [6, 1, 8, 8]), [1, 1, 8, 8] },
            { "conv1d, batch norm 1d, adaptive pooling to 2x1", () => WithStatistics(new SequenceConv(g), [6, 12]), [1, 12] },
            { "positional embedding, select, slice, index_select, gather", () => new Positional(g), [1, 5, 4] },
            { "a module that returns its input (no op recorded)", () => new PassThrough(), [1, 3] },
        };
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void OnnxRuntimeMatchesForward(string name, Func<Module> create, int[] traceShape)
    {
        var model = create();
        byte[] onnx = OnnxExport.ToBytes(model, traceShape);
        foreach (int batch in new[] { 1, 4 })
        {
            int[] shape = [batch, .. traceShape[1..]];
            var x = Tensor.Randn(shape, seed: batch + name.Length) * 2;
            var expected = Forward(model, x);
            var (actual, actualShape) = OnnxRuntimeRunner.Run(onnx, x);
            Assert.Equal(expected.Shape, actualShape);
            double diff = OnnxRuntimeRunner.MaxAbsDifference(expected.ToArray<float>(), actual);
            output.WriteLine($"{name}, batch {batch}: max |onnx - backprop| = {diff:G3} over {actual.Length} outputs");
            Assert.True(diff <= Tolerance, $"{name}, batch {batch}: max |onnx - backprop| = {diff}");
        }
    }

    [Fact]
    public void ParametersAreInitializersUnderTheirStateDictNamesAndConstantsAreNumbered()
    {
        var model = new Sequential(new Linear(4, 4, generator: new Generator(1)), new Arithmetic(4, new Generator(2)));
        var proto = ModelProto.Parser.ParseFrom(OnnxExport.ToBytes(model, [1, 4]));
        var names = proto.Graph.Initializer.Select(t => t.Name).ToList();
        foreach (string key in model.StateDict().Keys)
        {
            Assert.Contains(key, names);
        }

        Assert.Contains("const_0", names);
        Assert.Equal("input", proto.Graph.Input.Single().Name);
        Assert.Equal("output", proto.Graph.Output.Single().Name);
        Assert.Equal("batch", proto.Graph.Output.Single().Type.TensorType.Shape.Dim[0].DimParam);
    }

    [Fact]
    public void TracingRestoresEachModulesTrainingMode()
    {
        var g = new Generator(3);
        var model = new Residual(4, 4, g);
        model.Train();
        model.Second.Eval();
        OnnxExport.ToBytes(model, [1, 4]);
        Assert.True(model.IsTraining);
        Assert.True(model.First.IsTraining);
        Assert.False(model.Second.IsTraining);
    }

    [Fact]
    public void AnOpWithoutALoweringIsRefusedByName()
    {
        var ex = Assert.Throws<NotSupportedException>(() => OnnxExport.ToBytes(new AlwaysDropout(), [1, 3]));
        Assert.StartsWith("ONNX export: the op dropout(p: 0.25) has no ONNX lowering (created at OnnxTracingTests.cs:", ex.Message);
        Assert.Contains("AlwaysDropout.Forward", ex.Message);

        var loss = Assert.Throws<NotSupportedException>(() => OnnxExport.ToBytes(new Sequential(new Identity(), new ReturnsLoss()), [2, 3]));
        Assert.StartsWith("ONNX export: the op mse_loss", loss.Message);
        Assert.Contains("has no ONNX lowering (created at OnnxTracingTests.cs:", loss.Message);
        Assert.Contains("ReturnsLoss.Forward", loss.Message);
    }

    [Fact]
    public void BatchNormIsExportedInEvaluationWithTheRunningStatisticsAsBuffers()
    {
        var model = WithStatistics(new SmallCnn(new Generator(6)), [6, 1, 8, 8]);
        var proto = ModelProto.Parser.ParseFrom(OnnxExport.ToBytes(model, [1, 1, 8, 8]));
        Assert.True(model.IsTraining);
        Assert.Equal(1, proto.Graph.Node.Count(n => n.OpType == "BatchNormalization"));
        var names = proto.Graph.Initializer.Select(t => t.Name).ToList();
        Assert.Contains("norm.running_mean", names);
        Assert.Contains("norm.running_var", names);
        Assert.Contains("norm.weight", names);
        Assert.Contains("stem.weight", names);
        Assert.Equal(["Conv", "BatchNormalization", "Relu", "Conv", "Add", "MaxPool", "Conv", "Tanh", "AveragePool", "GlobalAveragePool"], proto.Graph.Node.Select(n => n.OpType).Take(10));
    }

    [Fact]
    public void AdaptivePoolingThatDoesNotDivideTheTracedInputIsRefusedWithTheReason()
    {
        var ex = Assert.Throws<NotSupportedException>(() => OnnxExport.ToBytes(new UnevenPool(), [1, 2, 7, 6]));
        Assert.StartsWith("ONNX export: the op adaptive_avg_pool2d(", ex.Message);
        Assert.Contains("has 7x6 input planes, which 3x2 does not divide: ONNX has no adaptive pooling", ex.Message);
        Assert.Contains("UnevenPool.Forward", ex.Message);
    }

    [Fact]
    public void AConstantThatDependsOnTheInputIsRefusedRatherThanFrozen()
    {
        // input > 0 is computed outside the graph: a file would hold the traced sample's mask.
        var mask = Assert.Throws<NotSupportedException>(() => OnnxExport.ToBytes(new Masked(), [1, 5]));
        Assert.StartsWith("ONNX export: module '(root)' (a Masked) makes a constant of shape (1, 5) for mul (at OnnxTracingTests.cs:", mask.Message);
        Assert.Contains("that changes with the input", mask.Message);
        Assert.EndsWith("the file would freeze it at the traced values", mask.Message);

        // A tensor shaped like the batch would fix the batch size; with a fixed batch it is fine.
        var batch = Assert.Throws<NotSupportedException>(() => OnnxExport.ToBytes(new Sequential(new Linear(3, 3), new BatchShaped()), [2, 3]));
        Assert.StartsWith("ONNX export: module '(root)' (a Sequential) makes a constant of shape (2, 3) for add (at OnnxTracingTests.cs:", batch.Message);
        Assert.Contains("BatchShaped.Forward", batch.Message);
        var model = new BatchShaped();
        var x = Tensor.Randn([2, 3], seed: 3);
        var (actual, _) = OnnxRuntimeRunner.Run(OnnxExport.ToBytes(model, [2, 3], new OnnxExportOptions { DynamicBatch = false }), x);
        Assert.True(OnnxRuntimeRunner.MaxAbsDifference(Forward(model, x).ToArray<float>(), actual) <= Tolerance);
    }

    [Fact]
    public void ControlFlowOnTheInputIsRefused()
    {
        var ex = Assert.Throws<NotSupportedException>(() => OnnxExport.ToBytes(new BranchesOnBatch(), [1, 4]));
        Assert.Equal(
            "ONNX export: module '(root)' (a BranchesOnBatch) records different ops for another input (tanh where the traced input recorded relu): control flow that depends on the input cannot be traced into a file",
            ex.Message);
    }

    [Fact]
    public void EveryOpsetMatches()
    {
        var g = new Generator(4);
        var model = new NormBlock(6, g, affine: true);
        foreach (int opset in new[] { 17, 18, 20, 21 })
        {
            byte[] onnx = OnnxExport.ToBytes(model, [1, 6], new OnnxExportOptions { Opset = opset });
            var x = Tensor.Randn([3, 6], seed: opset);
            var (actual, _) = OnnxRuntimeRunner.Run(onnx, x);
            Assert.True(OnnxRuntimeRunner.MaxAbsDifference(Forward(model, x).ToArray<float>(), actual) <= Tolerance, $"opset {opset}");
            Assert.Equal(opset >= 20, ModelProto.Parser.ParseFrom(onnx).Graph.Node.Any(n => n.OpType == "Gelu"));

            // The pooling ops changed across these opsets (AveragePool gained dilations in 19), as ReduceMax's axes did (18).
            var cnn = WithStatistics(new SmallCnn(g), [6, 1, 8, 8]);
            var image = Tensor.Randn([2, 1, 8, 8], seed: opset);
            var (pooled, _) = OnnxRuntimeRunner.Run(OnnxExport.ToBytes(cnn, [1, 1, 8, 8], new OnnxExportOptions { Opset = opset }), image);
            Assert.True(OnnxRuntimeRunner.MaxAbsDifference(Forward(cnn, image).ToArray<float>(), pooled) <= Tolerance, $"cnn, opset {opset}");
            var shapes = new Shapes(g);
            var rows = Tensor.Randn([3, 12], seed: opset);
            var (reduced, _) = OnnxRuntimeRunner.Run(OnnxExport.ToBytes(shapes, [1, 12], new OnnxExportOptions { Opset = opset }), rows);
            Assert.True(OnnxRuntimeRunner.MaxAbsDifference(Forward(shapes, rows).ToArray<float>(), reduced) <= Tolerance, $"reductions, opset {opset}");
        }
    }

    private static Tensor Forward(Module model, Tensor x)
    {
        model.Eval();
        using (Backprop.Autograd.NoGrad())
        {
            return model.Forward(x);
        }
    }

    /// <summary>x + Linear(ReLU(Linear(x))): the block the old exporter refused ("module '(root)' is a Residual").</summary>
    private sealed class Residual(int features, int hidden, Generator g) : Module
    {
        public Linear First { get; } = new(features, hidden, generator: g);

        public Linear Second { get; } = new(hidden, features, generator: g);

        public override Tensor Forward(Tensor input) => input + Second.Forward(First.Forward(input).Relu());
    }

    /// <summary>A gated unit: a · σ(b) with a and b two linear maps of the input.</summary>
    private sealed class Gated(int inFeatures, int outFeatures, Generator g) : Module
    {
        public Linear Value { get; } = new(inFeatures, outFeatures, generator: g);

        public Linear Gate { get; } = new(inFeatures, outFeatures, generator: g);

        public override Tensor Forward(Tensor input) => Value.Forward(input) * Gate.Forward(input).Sigmoid();
    }

    /// <summary>Three heads in a list, their outputs summed; one has no bias.</summary>
    private sealed class Heads(int inFeatures, int outFeatures, Generator g) : Module
    {
        public List<Linear> All { get; } =
        [
            new(inFeatures, outFeatures, generator: g),
            new(inFeatures, outFeatures, bias: false, generator: g),
            new(inFeatures, outFeatures, generator: g),
        ];

        public override Tensor Forward(Tensor input)
        {
            var sum = All[0].Forward(input);
            for (int i = 1; i < All.Count; i++)
            {
                sum += All[i].Forward(input).Tanh();
            }

            return sum;
        }
    }

    /// <summary>Scalars on either side of + − · / and a constant tensor made inside Forward.</summary>
    private sealed class Arithmetic(int features, Generator g) : Module
    {
        public Linear Layer { get; } = new(features, features, generator: g);

        public override Tensor Forward(Tensor input)
        {
            var y = Layer.Forward((2 * input) - 1);
            var shift = Tensor.Arange(features).Reshape(1, features) * 0.1;
            return ((y / 3) + (1 - y) * 0.5 - shift) / (1.5 + y.Abs()) + (-y).Pow(2);
        }
    }

    /// <summary>exp, log, sqrt, clamp, leaky ReLU, GELU, neg on values made positive where they need to be.</summary>
    private sealed class UnaryOps(int features, Generator g) : Module
    {
        public Linear Layer { get; } = new(features, features, generator: g);

        public override Tensor Forward(Tensor input)
        {
            var y = Layer.Forward(input);
            var positive = y.Exp() + 0.5;
            return positive.Log() + positive.Sqrt() + y.Clamp(-0.5, 0.75) + y.Clamp(min: 0.1) + y.Clamp(max: -0.2)
                + y.LeakyRelu(0.2) + y.Gelu() - y.Clone();
        }
    }

    /// <summary>A transformer-style block: LayerNorm, Linear, GELU, Linear, added back.</summary>
    private sealed class NormBlock : Module
    {
        public NormBlock(int features, Generator g, bool affine)
        {
            Norm = new LayerNorm(features, eps: 1e-4, elementwiseAffine: affine);
            if (affine)
            {
                Init.Uniform(Norm.Weight!, 0.5, 1.5, g);
                Init.Uniform(Norm.Bias!, -0.5, 0.5, g);
            }

            Up = new Linear(features, 2 * features, generator: g);
            Down = new Linear(2 * features, features, generator: g);
        }

        public LayerNorm Norm { get; }

        public Linear Up { get; }

        public Linear Down { get; }

        public override Tensor Forward(Tensor input) => input + Down.Forward(Up.Forward(Norm.Forward(input)).Gelu());
    }

    /// <summary>Softmax and log-softmax over the last dim, mixed.</summary>
    private sealed class Softmaxes(int features, Generator g) : Module
    {
        public Linear Layer { get; } = new(features, features, generator: g);

        public override Tensor Forward(Tensor input)
        {
            var logits = Layer.Forward(input);
            return logits.Softmax(-1) + logits.LogSoftmax(1) * 0.1;
        }
    }

    /// <summary>View/flatten/unsqueeze, transpose, matmul, sum/mean along dims, max, expand, cat: the batch stays dynamic through each.</summary>
    private sealed class Shapes(Generator g) : Module
    {
        public Linear Layer { get; } = new(4, 4, generator: g);

        public override Tensor Forward(Tensor input)
        {
            var grid = input.View(-1, 3, 4) * 0.25;                         // (N, 3, 4), small enough that float32 sums stay within the tolerance
            var mixed = Layer.Forward(grid);                                // (N, 3, 4)
            var gram = mixed.Matmul(mixed.Transpose(1, 2));                 // (N, 3, 3)
            var rows = gram.Sum(2, keepDim: true) + gram.Mean(1, keepDim: true); // (N, 3, 3)
            var peak = mixed.Max(2, keepDim: true).Values;                 // (N, 3, 1)
            var joined = Tensor.Cat([rows, peak.Expand(-1, 3, 2), mixed.Unsqueeze(1).Flatten(1, 2)], dim: 2); // (N, 3, 9)
            return joined.Flatten(1) + joined.Sum(-1).Mean(-1, keepDim: true); // (N, 27)
        }
    }

    /// <summary>A user module wrapping a Sequential: the Sequential's Linear layers are traced as linear ops.</summary>
    private sealed class Wrapper(Sequential inner) : Module
    {
        public Sequential Inner { get; } = inner;

        public override Tensor Forward(Tensor input) => Inner.Forward(input) * 2;
    }

    /// <summary>Gives the model's batch norms running statistics far from (0, 1) and non-trivial affine parameters, then leaves it in training mode (the export evaluates it).</summary>
    private static Module WithStatistics(Module model, int[] trainingShape)
    {
        var g = new Generator(5);
        model.Train();
        using (Backprop.Autograd.NoGrad())
        {
            for (int step = 0; step < 3; step++)
            {
                model.Forward((Tensor.Randn(trainingShape, seed: step) * 2) + 1);
            }
        }

        foreach (var norm in model.Modules().OfType<BatchNormBase>().Where(n => n.Affine))
        {
            Init.Uniform(norm.Weight!, 0.5, 1.5, g);
            Init.Uniform(norm.Bias!, -0.5, 0.5, g);
        }

        return model;
    }

    /// <summary>conv → batch norm → ReLU → max pool, a 1×1 conv skip added, then conv (stride, groups), avg pool (ceil mode), global pool and a linear head.</summary>
    private sealed class SmallCnn(Generator g) : Module
    {
        public Conv2d Stem { get; } = new(1, 4, 3, padding: 1, bias: false, generator: g);

        public BatchNorm2d Norm { get; } = new(4);

        public Conv2d Skip { get; } = new(1, 4, 1, generator: g);

        public Conv2d Body { get; } = new(4, 6, 3, padding: 1, groups: 2, generator: g);

        public Linear Head { get; } = new(6, 3, generator: g);

        public override Tensor Forward(Tensor input)
        {
            var x = Norm.Forward(Stem.Forward(input)).Relu() + Skip.Forward(input);  // (N, 4, 8, 8)
            x = F.MaxPool2d(x, 2);                                                    // (N, 4, 4, 4)
            x = F.AvgPool2d(Body.Forward(x).Tanh(), 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false); // (N, 6, 2, 2)
            return Head.Forward(F.AdaptiveAvgPool2d(x, 1).Flatten(1)).LogSoftmax(1);
        }
    }

    /// <summary>A flat input viewed as (N, 2, 6) channels, conv1d, batch norm 1d, then adaptive pooling of a 4-D view to 2×1.</summary>
    private sealed class SequenceConv(Generator g) : Module
    {
        public Conv1d Conv { get; } = new(2, 4, 3, padding: 1, generator: g);

        public BatchNorm1d Norm { get; } = new(4);

        public override Tensor Forward(Tensor input)
        {
            var x = Norm.Forward(Conv.Forward(input.View(-1, 2, 6))).Relu(); // (N, 4, 6)
            return F.AdaptiveAvgPool2d(x.View(-1, 4, 2, 3), (2, 1)).Flatten(1); // (N, 8)
        }
    }

    /// <summary>A learned position embedding added to each step (constant int64 positions), then select, slice, index_select and gather.</summary>
    private sealed class Positional(Generator g) : Module
    {
        public Embedding Positions { get; } = new(5, 4, generator: g);

        public override Tensor Forward(Tensor input)
        {
            var table = Positions.Forward(Tensor.Arange(5, DType.Int64));         // (5, 4)
            var x = input + table;                                                // (N, 5, 4)
            var last = x.Select(1, 4);                                            // (N, 4)
            var odd = x.Slice(1, 1, 5, 2).Flatten(1);                             // (N, 8)
            var picked = x.IndexSelect(2, Tensor.FromArray(new long[] { 3, 0 }, 2)).Flatten(1); // (N, 10)
            var gathered = table.Gather(1, Tensor.FromArray(new long[] { 2, 2, 0, 1, 3, 3, 1, 0, 2, 1 }, 5, 2)).Flatten(); // (10)
            return Tensor.Cat([last, odd, picked + gathered], dim: 1);
        }
    }

    private sealed class PassThrough : Module
    {
        public override Tensor Forward(Tensor input) => input;
    }

    private sealed class Masked : Module
    {
        public override Tensor Forward(Tensor input) => (input * 2) * input.Gt(0);
    }

    private sealed class BatchShaped : Module
    {
        public override Tensor Forward(Tensor input) => input + Tensor.Ones(input.Shape);
    }

    private sealed class BranchesOnBatch : Module
    {
        public override Tensor Forward(Tensor input) => input.Shape[0] == 1 ? (input * 3).Relu() : (input * 3).Tanh();
    }

    private sealed class UnevenPool : Module
    {
        public override Tensor Forward(Tensor input) => F.AdaptiveAvgPool2d(input * 2, (3, 2));
    }

    private sealed class AlwaysDropout : Module
    {
        public override Tensor Forward(Tensor input) => F.Dropout(input, 0.25, training: true);
    }

    private sealed class ReturnsLoss : Module
    {
        public override Tensor Forward(Tensor input) => F.MseLoss(input, Tensor.Zeros(input.Shape));
    }
}
