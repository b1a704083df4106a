using Backprop.NN;
using Backprop.Tests.Kernels;

namespace Backprop.Tests.NN;

/// <summary>
/// The inference forward (grad mode off): Sequential's unrecorded path (Linear and ReLU in one pass,
/// ReLU in place on a fresh intermediate) and the one-row products give the values the recorded
/// forward gives, bit for bit, at batch 1 and larger batches on 1 and 2 threads, and never write
/// over a tensor someone else holds (the caller's input, what a hook kept).
/// </summary>
public class InferenceForwardTests
{
    public static TheoryData<string> Specs() => new() { "784-256-128-10:relu", "20-16-16-3:relu:bn", "cnn:784-10", "cnn-bn:784-10" };

    [Theory]
    [MemberData(nameof(Specs))]
    public void NoGradForwardIsBitIdenticalToTheRecordedForward(string spec)
    {
        var model = ModelSpec.Parse(spec).Build(new Generator(1));
        model.Eval();
        int features = ModelSpec.Parse(spec).InFeatures;
        foreach (int batch in (int[])[1, 3, 64])
        {
            var x = Tensor.Randn([batch, features], new Generator(batch));
            foreach (int threads in (int[])[1, 2])
            {
                var (recorded, unrecorded) = ThreadCount.With<(float[], float[])>(threads, () =>
                {
                    var withGraph = model.Forward(x);
                    Assert.NotNull(withGraph.GradFn);
                    using (Backprop.Autograd.NoGrad())
                    {
                        return (withGraph.ToArray<float>(), model.Forward(x).ToArray<float>());
                    }
                });
                Assert.True(recorded.AsSpan().SequenceEqual(unrecorded), $"{spec} batch {batch} threads {threads}");
            }
        }
    }

    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(1, 28, false)]
    [InlineData(5, 7, false)]
    [InlineData(3, 6, true)]
    [InlineData(70, 5, false)]
    [InlineData(37, 3, true)]
    public void RecurrentLayersWithoutGradKeepNothingAndGiveTheRecordedValues(int batch, int steps, bool bidirectional)
    {
        // Without a node to record, the layers keep no per-step buffers for backward (two alternating
        // cell steps instead), and each block of rows projects its own steps' inputs (70 and 37 rows:
        // whole and partial blocks of 32 on 1–3 threads); outputs and final states must be the same bits.
        var lstm = new LSTM(6, 32, numLayers: 2, batchFirst: true, bidirectional: bidirectional, generator: new Generator(6));
        var gru = new GRU(6, 32, batchFirst: true, bidirectional: bidirectional, generator: new Generator(7));
        var rnn = new RNN(6, 32, batchFirst: true, bidirectional: bidirectional, generator: new Generator(8));
        var x = Tensor.Randn([batch, steps, 6], new Generator(9));
        foreach (int threads in (int[])[1, 2, 3])
        {
            float[][] Run() => ThreadCount.With(threads, () =>
            {
                var (lo, (lh, lc)) = lstm.Forward(x, null);
                var (go, gh) = gru.Forward(x, null);
                var (ro, rh) = rnn.Forward(x, null);
                return new[] { lo, lh, lc, go, gh, ro, rh }.Select(t => t.ToArray<float>()).ToArray();
            });

            var recorded = Run();
            float[][] unrecorded;
            using (Backprop.Autograd.NoGrad())
            {
                unrecorded = Run();
            }

            for (int i = 0; i < recorded.Length; i++)
            {
                Assert.True(recorded[i].AsSpan().SequenceEqual(unrecorded[i]), $"output {i}, batch {batch}, steps {steps}, threads {threads}");
            }
        }
    }

    [Fact]
    public void OneRowThroughTheModelMatchesThatRowOfABatchWithinFloat32Tolerance()
    {
        // Batch 1 takes the matrix-vector products; a batch takes the packed GEMM.
        var model = ModelSpec.Parse("784-256-128-10:relu").Build(new Generator(2));
        model.Eval();
        var x = Tensor.Randn([8, 784], new Generator(3));
        using var _ = Backprop.Autograd.NoGrad();
        float[] all = model.Forward(x).ToArray<float>();
        for (int r = 0; r < 8; r++)
        {
            float[] one = model.Forward(x.Select(0, r).View(1, 784)).ToArray<float>();
            for (int j = 0; j < 10; j++)
            {
                Assert.True(Math.Abs(one[j] - all[(r * 10) + j]) <= 1e-5 * (1 + Math.Abs(all[(r * 10) + j])), $"row {r} logit {j}: {one[j]} vs {all[(r * 10) + j]}");
            }
        }
    }

    [Fact]
    public void ReluInPlaceNeverTouchesTheCallersInputOrAnIdentitysOutput()
    {
        var x = Tensor.FromArray(new float[] { -1, 2, -3, 4 }, [1, 4]);
        foreach (var model in (Sequential[])[new Sequential { new ReLU() }, new Sequential { new Identity(), new ReLU() }, new Sequential { new Flatten(), new ReLU(), new ReLU() }])
        {
            using (Backprop.Autograd.NoGrad())
            {
                Assert.Equal(new float[] { 0, 2, 0, 4 }, model.Forward(x).ToArray<float>());
            }

            Assert.Equal(new float[] { -1, 2, -3, 4 }, x.ToArray<float>());
        }
    }

    [Fact]
    public void AnOutputAHookKeptIsNotOverwrittenByTheNextRelu()
    {
        foreach (bool hookOnLinear in (bool[])[true, false])
        {
            var linear = new Linear(3, 4, generator: new Generator(4));
            var relu = new ReLU();
            var model = new Sequential { linear, relu };
            Tensor? kept = null;
            (hookOnLinear ? (Module)linear : relu).RegisterForwardHook((_, input, output) => kept = hookOnLinear ? output : input);
            var x = Tensor.Randn([5, 3], new Generator(5));
            float[] expected;
            using (Backprop.Autograd.NoGrad())
            {
                expected = Tensor.Linear(x, linear.Weight, linear.Bias).ToArray<float>();
                Assert.Contains(expected, v => v < 0);
                model.Forward(x);
            }

            Assert.Equal(expected, kept!.ToArray<float>());
        }
    }
}
