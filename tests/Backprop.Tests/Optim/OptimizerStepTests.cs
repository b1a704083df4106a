using Backprop.Optim;
using Backprop.Tests.Kernels;

namespace Backprop.Tests.Optim;

/// <summary>
/// Optimizer.Step prepares every parameter's update, then runs them all as one loop over the threads;
/// these check that the split changes nothing.
/// </summary>
public class OptimizerStepTests
{
    // Sizes below one vector, with tails, and large enough to be split over threads.
    private static readonly int[] Sizes = [1, 3, 8, 37, 70_001, 5_000, 16, 9_999];

    // Parameter i of the list starts from values seeded by firstIndex + i.
    private static Tensor[] Parameters(int[] sizes, int firstIndex = 0) =>
        sizes.Select((n, i) =>
        {
            var t = Tensor.FromArray(Enumerable.Range(0, n).Select(j => (float)Math.Sin(((firstIndex + i) * 101) + (j * 0.37))).ToArray(), n);
            t.RequiresGrad = true;
            return t;
        }).ToArray();

    private static void SetGradients(IEnumerable<Tensor> parameters)
    {
        foreach (var p in parameters)
        {
            p.Grad = Tensor.FromArray(p.ToArray<float>().Select((v, j) => MathF.Cos(3 * v) + (0.01f * (j % 7))).ToArray(), p.Shape.ToArray());
        }
    }

    private static float[][] Train(Func<Tensor[], Optimizer> make, int[] sizes, int threads, int firstIndex = 0) =>
        ThreadCount.With(threads, () =>
        {
            var parameters = Parameters(sizes, firstIndex);
            var optimizer = make(parameters);
            for (int step = 0; step < 4; step++)
            {
                SetGradients(parameters);
                optimizer.Step();
            }

            return parameters.Select(p => p.ToArray<float>()).ToArray();
        });

    public static TheoryData<string> Optimizers => new() { "adam", "sgd", "rmsprop" };

    private static Func<Tensor[], Optimizer> Make(string name) => name switch
    {
        "adam" => ps => new Adam(ps, lr: 0.01),
        "sgd" => ps => new SGD(ps, lr: 0.1, momentum: 0.9),
        _ => ps => new RMSprop(ps, lr: 0.01, momentum: 0.5, centered: true),
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void ManyParametersGiveTheSameBitsOnAnyThreadCountAsEachAlone(string name)
    {
        var one = Train(Make(name), Sizes, 1);
        Assert.Equal(one, Train(Make(name), Sizes, 2));
        Assert.Equal(one, Train(Make(name), Sizes, 3));
        for (int i = 0; i < Sizes.Length; i++)
        {
            Assert.Equal(one[i], Train(Make(name), [Sizes[i]], 2, firstIndex: i)[0]);
        }
    }

    [Fact]
    public void ABadGradientLeavesEveryParameterAndTheStateUnchanged()
    {
        var parameters = Parameters([70_001, 5]);
        var before = parameters.Select(p => p.ToArray<float>()).ToArray();
        var adam = new Adam(parameters, lr: 0.01);
        SetGradients(parameters);
        parameters[1].Grad = Tensor.Zeros([6]);
        var error = Assert.Throws<InvalidOperationException>(adam.Step);
        Assert.Contains("parameter 1", error.Message);
        Assert.Equal(before, parameters.Select(p => p.ToArray<float>()).ToArray());
        Assert.Equal(0, adam.StepCount);
        Assert.DoesNotContain(adam.StateDict().Keys, k => k.Contains("exp_avg", StringComparison.Ordinal));
    }

    [Fact]
    public void ParametersSharingStorageAreUpdatedOneAfterTheOther()
    {
        // Two leaves over one array: the queued updates must not run at the same time, and each sees
        // the other's result as when the parameters are stepped one by one.
        static (Tensor A, Tensor B) Pair()
        {
            var data = Enumerable.Range(0, 200_000).Select(j => (float)Math.Sin(j * 0.1)).ToArray();
            return (new Tensor(data, [200_000]) { RequiresGrad = true }, new Tensor(data, [200_000]) { RequiresGrad = true });
        }

        var (a, b) = Pair();
        var together = new Adam([a, b], lr: 0.01);
        var (c, d) = Pair();
        var first = new Adam([c], lr: 0.01);
        var second = new Adam([d], lr: 0.01);
        for (int step = 0; step < 3; step++)
        {
            SetGradients([a, b]);
            together.Step();
            SetGradients([c, d]);
            first.Step();
            second.Step();
        }

        Assert.Equal(c.ToArray<float>(), a.ToArray<float>());
    }
}
