namespace Backprop.Tests.Autograd;

using Functional = Backprop.Autograd.Functional;

/// <summary>
/// Forward-mode AD (<see cref="ForwardAD"/>): tangents carried with the forward pass, each op's
/// forward derivative checked against its reverse-mode Jacobian over the op registry.
/// </summary>
public class ForwardADTests
{
    public static TheoryData<string> OpNames() => GradCheckRegistryTests.OpNames();

    /// <summary>
    /// For every registry row and every differentiable input: the Jacobian by forward mode equals the one
    /// by reverse mode (itself gradient-checked), or forward mode is refused naming an op of the row.
    /// </summary>
    [Theory]
    [MemberData(nameof(OpNames))]
    public void EveryRegisteredOpsForwardJacobianEqualsItsReverseJacobianOrIsRefusedByName(string name)
    {
        var op = OpRegistry.Find(name)!;
        var inputs = op.SampleInputs();
        var recorded = RecordedOps(op.Function(inputs)).Select(d => d.Name).ToHashSet();
        for (int k = 0; k < inputs.Length; k++)
        {
            if (!inputs[k].RequiresGrad)
            {
                continue;
            }

            int at = k;
            Tensor Partial(Tensor x)
            {
                var all = (Tensor[])inputs.Clone();
                all[at] = x;
                return op.Function(all);
            }

            var reverse = Functional.Jacobian(Partial, inputs[k]);
            Tensor forward;
            try
            {
                forward = Functional.Jacobian(Partial, inputs[k], mode: DifferentiationMode.Forward);
            }
            catch (NotSupportedException error)
            {
                Assert.Contains("has no forward derivative yet", error.Message);
                Assert.Contains(recorded, n => error.Message.Contains($"'{n}", StringComparison.Ordinal));
                continue;
            }

            Assert.Equal(reverse.Shape, forward.Shape);
            var (r, f) = (reverse.ToArray(), forward.ToArray());
            for (int i = 0; i < r.Length; i++)
            {
                Assert.True(Math.Abs(r[i] - f[i]) <= 1e-12 + (1e-9 * Math.Abs(r[i])), $"{name}, input {k}, element {i}: reverse {r[i]:R}, forward {f[i]:R}");
            }
        }
    }

    /// <summary>The ops of MLPs and the lecture's examples all have forward derivatives.</summary>
    [Fact]
    public void TheCoreOpsHaveForwardDerivatives()
    {
        string[] core =
        [
            "add", "add_broadcast", "sub", "mul", "mul_broadcast", "div", "neg", "pow", "exp", "log", "sqrt", "abs",
            "tanh", "sigmoid", "relu", "leaky_relu", "softmax", "log_softmax", "sum", "sum_dim", "mean", "matmul",
            "matmul_batched", "matmul_vector", "linear", "reshape", "transpose", "permute", "cat", "select", "slice_step",
            "where", "mse_loss", "maximum", "clamp", "expand",
        ];
        foreach (var name in core)
        {
            var op = OpRegistry.Find(name) ?? throw new InvalidOperationException($"no registry row {name}");
            var inputs = op.SampleInputs();
            int k = Array.FindIndex(inputs, t => t.RequiresGrad);
            using (ForwardAD.DualLevel())
            {
                inputs[k] = ForwardAD.MakeDual(inputs[k], Tensor.OnesLike(inputs[k]));
                var (_, tangent) = ForwardAD.UnpackDual(op.Function(inputs));
                Assert.True(tangent is not null, $"{name}: no tangent");
            }
        }
    }

    /// <summary>
    /// The ops docs/autograd.md §6 says have no forward derivative are the only ones forward mode refuses over
    /// the registry's rows: dropout, clamp with tensor bounds and a user-defined Function.
    /// </summary>
    [Fact]
    public void OnlyDropoutTensorClampAndUserFunctionsLackAForwardDerivative()
    {
        var refused = new HashSet<string>();
        foreach (var op in OpRegistry.All)
        {
            var inputs = op.SampleInputs();
            using (ForwardAD.DualLevel())
            {
                for (int k = 0; k < inputs.Length; k++)
                {
                    if (inputs[k].RequiresGrad)
                    {
                        inputs[k] = ForwardAD.MakeDual(inputs[k], Tensor.OnesLike(inputs[k]));
                    }
                }

                try
                {
                    op.Function(inputs);
                }
                catch (NotSupportedException error)
                {
                    Assert.Contains("has no forward derivative yet", error.Message);
                    refused.Add(error.Message.Split('\'')[1].Split('(')[0]);
                }
            }
        }

        Assert.Equal(["clamp", "dropout", "square_times"], refused.Order());
    }

    [Fact]
    public void ADualNumberCarriesTheDerivativeOfTheWorkedExample()
    {
        // f = (w2 − 2·w1)·w3 at w = (3, 4, 5): ∂f/∂w1 = −2·w3 = −10.
        var w1 = Tensor.Scalar(3.0);
        var w2 = Tensor.Scalar(4.0);
        var w3 = Tensor.Scalar(5.0);
        using (ForwardAD.DualLevel())
        {
            var dual = ForwardAD.MakeDual(w1, Tensor.Scalar(1.0));
            var (f, df) = ForwardAD.UnpackDual((w2 - (2.0 * dual)) * w3);
            Assert.Equal(-10.0, f.Item());
            Assert.Equal(-10.0, df!.Item());
        }
    }

    [Fact]
    public void TangentsEndWithTheirLevelAndWorkWithoutGradMode()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2.0 });
        Tensor y;
        using (Backprop.Autograd.NoGrad())
        using (ForwardAD.DualLevel())
        {
            y = ForwardAD.MakeDual(x, Tensor.FromArray(new[] { 1.0, 0.0 })).Exp();
            Assert.Equal(new[] { Math.E, 0.0 }, ForwardAD.UnpackDual(y).Tangent!.ToArray());
        }

        Assert.Null(ForwardAD.UnpackDual(y).Tangent);
        using (ForwardAD.DualLevel())
        {
            Assert.Null(ForwardAD.UnpackDual(y).Tangent);
        }
    }

    [Fact]
    public void ATangentBroadcastsToTheOutputsShape()
    {
        var b = Tensor.FromArray(new[] { 1.0, 2.0, 3.0 });
        var x = Tensor.Zeros([2, 3], DType.Float64);
        using (ForwardAD.DualLevel())
        {
            var dual = ForwardAD.MakeDual(b, Tensor.FromArray(new[] { 1.0, 10.0, 100.0 }));
            var (_, tangent) = ForwardAD.UnpackDual(x + dual);
            Assert.Equal(new[] { 2, 3 }, tangent!.Shape);
            Assert.Equal(new[] { 1.0, 10.0, 100.0, 1.0, 10.0, 100.0 }, tangent.ToArray());
        }
    }

    [Fact]
    public void ForwardAndReverseJvpAgree()
    {
        var w = Tensor.FromArray(new[] { 0.5, -1.0, 1.5, 0.25, -0.75, 2.0 }, [3, 2]);
        Tensor F(Tensor x) => w.Matmul(x).Tanh().Softmax(0);
        var x = Tensor.FromArray(new[] { 0.4, -0.6 });
        var v = Tensor.FromArray(new[] { 0.3, -0.7 });
        var forward = Functional.Jvp(F, x, v).Jvp.ToArray();
        var reverse = Functional.Jvp(F, x, v, mode: DifferentiationMode.Reverse).Jvp.ToArray();
        for (int i = 0; i < forward.Length; i++)
        {
            Assert.Equal(reverse[i], forward[i], 1e-14);
        }
    }

    [Fact]
    public void AUserDefinedFunctionWithoutAForwardDerivativeIsRefusedByName()
    {
        var x = Tensor.Randn([3, 4], 1, DType.Float64);
        using (ForwardAD.DualLevel())
        {
            var dual = ForwardAD.MakeDual(x, Tensor.OnesLike(x));
            var error = Assert.Throws<NotSupportedException>(() => new DoubleBackwardTests.Cube().Apply(dual));
            Assert.Contains("'cube'", error.Message);
            Assert.Contains("forward-mode AD", error.Message);
        }
    }

    [Fact]
    public void BadUseIsRefusedWithAMessage()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2.0 });
        var error = Assert.Throws<InvalidOperationException>(() => ForwardAD.MakeDual(x, x));
        Assert.Contains("no dual level is open", error.Message);
        using (ForwardAD.DualLevel())
        {
            Assert.Throws<InvalidOperationException>(() => ForwardAD.DualLevel());
            var shape = Assert.Throws<ArgumentException>(() => ForwardAD.MakeDual(x, Tensor.FromArray(new[] { 1.0 })));
            Assert.Contains("must match", shape.Message);
        }

        var createGraph = Assert.Throws<ArgumentException>(() => Functional.Jvp(t => t, x, x, createGraph: true));
        Assert.Contains("reverse mode only", createGraph.Message);
    }

    private static IEnumerable<OpDefinition> RecordedOps(Tensor output) =>
        output.RequiresGrad
            ? Backprop.Autograd.TopologicalOrder(output).Where(t => t.GradFn is not null).Select(t => t.GradFn!.Op).Distinct()
            : [];
}
