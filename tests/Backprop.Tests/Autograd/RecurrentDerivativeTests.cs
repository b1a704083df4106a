namespace Backprop.Tests.Autograd;

/// <summary>
/// The recurrent layers' recorded backward (createGraph) and forward derivative come from a step-by-step
/// decomposition of the fused op; it must agree with the fused kernel's own backward through time.
/// </summary>
public class RecurrentDerivativeTests
{
    public static TheoryData<string> RecurrentRows()
    {
        var rows = new TheoryData<string>();
        foreach (var op in OpRegistry.All.Where(o => o.Name.StartsWith("rnn", StringComparison.Ordinal) || o.Name.StartsWith("lstm", StringComparison.Ordinal) || o.Name.StartsWith("gru", StringComparison.Ordinal)))
        {
            rows.Add(op.Name);
        }

        return rows;
    }

    /// <summary>vᵀ·J by the recorded decomposition equals the fused backward's, to 1e-12, for every input of every recurrent row.</summary>
    [Theory]
    [MemberData(nameof(RecurrentRows))]
    public void TheRecordedBackwardGivesTheFusedFirstDerivatives(string name)
    {
        var op = OpRegistry.Find(name)!;
        var inputs = op.SampleInputs();
        var wanted = inputs.Where(t => t.RequiresGrad).ToArray();
        var y = op.Function(inputs);
        var v = Tensor.Randn([.. y.Shape], 7, DType.Float64);
        var fused = Backprop.Autograd.Grad(y, wanted, v, retainGraph: true);
        var recorded = Backprop.Autograd.Grad(y, wanted, v, createGraph: true);
        Assert.True(wanted.Length >= 3, $"{name}: {wanted.Length} inputs");

        // The recorded gradients are part of a graph (a relu layer's bias gradient is linear in v, so not every one is).
        Assert.Contains(recorded, g => g!.RequiresGrad);
        for (int k = 0; k < wanted.Length; k++)
        {
            Assert.False(fused[k]!.RequiresGrad);
            var (f, r) = (fused[k]!.ToArray(), recorded[k]!.ToArray());
            Assert.Equal(f.Length, r.Length);
            for (int i = 0; i < f.Length; i++)
            {
                Assert.True(Math.Abs(f[i] - r[i]) <= 1e-12 * Math.Max(1, Math.Abs(f[i])), $"{name}, input {k}, element {i}: fused {f[i]:R}, recorded {r[i]:R}");
            }
        }
    }

    /// <summary>The node's recorded backward walks only the decomposition: ops below the layer's inputs are not visited twice.</summary>
    [Fact]
    public void ALayerFedByAnotherLayerDifferentiatesTwice()
    {
        // Two stacked LSTM layers (the second's input is the first's output, a multi-output node):
        // the penalty ‖∂L/∂x‖² is differentiated in the first layer's weight, and checked by differences.
        var generator = new Generator(3);
        var x = Tensor.Randn([3, 2, 2], generator, DType.Float64).RequiresGrad_();
        var w1 = (Tensor.Rand([8, 2], generator, DType.Float64) - 0.5).Detach().RequiresGrad_();
        var u1 = Tensor.Rand([8, 2], generator, DType.Float64) - 0.5;
        var w2 = Tensor.Rand([8, 2], generator, DType.Float64) - 0.5;
        var u2 = Tensor.Rand([8, 2], generator, DType.Float64) - 0.5;
        var h0 = Tensor.Zeros([2, 2], DType.Float64);
        double Penalty(Tensor w, out Tensor? gradW)
        {
            var first = Tensor.Lstm(x, h0, h0, w, u1).Output;
            var loss = Tensor.Lstm(first, h0, h0, w2, u2).Output.Pow(2).Sum();
            var gx = Backprop.Autograd.Grad(loss, [x], createGraph: true)[0]!;
            var penalty = gx.Pow(2).Sum();
            gradW = w.RequiresGrad ? Backprop.Autograd.Grad(penalty, [w])[0] : null;
            return penalty.Item();
        }

        Penalty(w1, out var analytic);
        var a = analytic!.ToArray();
        var w0 = w1.Detach().ToArray();
        for (int i = 0; i < w0.Length; i++)
        {
            double Shifted(double h)
            {
                var values = (double[])w0.Clone();
                values[i] += h;
                return Penalty(Tensor.FromArray(values, [8, 2]), out _);
            }

            double numeric = (Shifted(1e-6) - Shifted(-1e-6)) / 2e-6;
            Assert.True(Math.Abs(numeric - a[i]) <= 1e-6 * Math.Max(1, Math.Abs(a[i])), $"dP/dw[{i}]: {a[i]:R}, differences {numeric:R}");
        }
    }
}
