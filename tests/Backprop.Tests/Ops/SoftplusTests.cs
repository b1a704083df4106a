using Backprop.Onnx;
using Backprop.Tests.Onnx;

namespace Backprop.Tests.Ops;

/// <summary>
/// softplus, the op added in one file (src/Backprop/Ops/Softplus.cs): PyTorch 1.13's float64 values
/// and gradients, its registry rows (so the registry theory gradchecks it), its definition, and its
/// ONNX lowering run in ONNX Runtime.
/// </summary>
public class SoftplusTests
{
    private static readonly double[] s_x = [-30, -3, -0.5, 0, 0.7, 3, 19.9, 25];

    public static TheoryData<double, double, double[], double[]> TorchValues() => new()
    {
        // torch.nn.functional.softplus(x, beta, threshold) and d(sum)/dx, float64.
        {
            1, 20,
            [9.357622968839737e-14, 0.04858735157374206, 0.4740769841801067, 0.6931471805599453, 1.103186048885458, 3.048587351573742, 19.900000002277924, 25.0],
            [9.3576229688393e-14, 0.04742587317756679, 0.37754066879814546, 0.5, 0.6681877721681662, 0.9525741268224333, 0.9999999977220729, 1.0]
        },
        {
            2, 1,
            [4.37825538134826e-27, 0.0012378425688652247, 0.15663084375911143, 0.34657359027997264, 0.7, 3.0, 19.9, 25.0],
            [8.75651076269652e-27, 0.0024726231566347748, 0.2689414213699951, 0.5, 1.0, 1.0, 1.0, 1.0]
        },
        {
            0.5, 20,
            [6.11804547427441e-07, 0.4028265559655048, 1.1518788397576871, 1.3862943611198906, 1.7667643108375541, 3.402826555965505, 19.90009545299002, 25.000007453292458],
            [3.059022269256247e-07, 0.18242552380635632, 0.4378234991142019, 0.5, 0.5866175789173301, 0.8175744761936437, 0.9999522746438815, 0.9999962733607158]
        },
    };

    [Theory]
    [MemberData(nameof(TorchValues))]
    public void ValuesAndGradientsMatchPyTorch(double beta, double threshold, double[] values, double[] gradients)
    {
        var x = Tensor.FromArray(s_x, s_x.Length).RequiresGrad_();
        var y = x.Softplus(beta, threshold);
        y.Sum().Backward();
        var actual = y.ToArray();
        var grad = x.Grad!.ToArray();
        for (int i = 0; i < s_x.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - values[i]) <= 1e-15 * Math.Max(1, Math.Abs(values[i])), $"y({s_x[i]}) = {actual[i]:R}, PyTorch {values[i]:R}");
            Assert.True(Math.Abs(grad[i] - gradients[i]) <= 1e-15 * Math.Max(1, Math.Abs(gradients[i])), $"dy/dx({s_x[i]}) = {grad[i]:R}, PyTorch {gradients[i]:R}");
        }
    }

    [Fact]
    public void LargeInputsStayFiniteInFloat32()
    {
        var y = Tensor.FromArray(new float[] { -1000, 100, 1000 }, 3).Softplus(beta: 0.01f);
        Assert.All(y.ToArray(), v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void TheRegistryHasItsRowsFromItsOwnFileAndTheyPassGradCheck()
    {
        var rows = OpRegistry.All.Where(o => o.Name.StartsWith("softplus", StringComparison.Ordinal)).ToList();
        Assert.Equal(["softplus", "softplus_beta2_threshold1"], rows.Select(r => r.Name));
        Assert.All(rows, r => Assert.True(r.Check().Passed, r.Name));
    }

    [Fact]
    public void ItsNodeRecordsBetaAndThreshold()
    {
        var y = Tensor.Randn([2, 3], seed: 1).RequiresGrad_().Softplus(beta: 2, threshold: 5);
        var op = Assert.IsType<SoftplusDefinition>(y.GradFn!.Op);
        Assert.Equal((2.0, 5.0), (op.Beta, op.Threshold));
        Assert.Equal("softplus(beta: 2, threshold: 5)", op.ToString());
        Assert.Contains("σ(βx)", op.Formula, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void ABetaThatIsNotPositiveIsRefusedByName(double beta)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros([2]).Softplus(beta));
        Assert.StartsWith("softplus: beta must be a positive number", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(2.5)]
    public void AModuleUsingItExportsToOnnxAndRunsInOnnxRuntime(double beta)
    {
        var model = new SoftplusHead(beta, new Generator(5));
        byte[] onnx = OnnxExport.ToBytes(model, [1, 6]);
        var x = Tensor.Randn([4, 6], seed: 2) * 3;
        model.Eval();
        Tensor expected;
        using (Backprop.Autograd.NoGrad())
        {
            expected = model.Forward(x);
        }

        var (actual, shape) = OnnxRuntimeRunner.Run(onnx, x);
        Assert.Equal(expected.Shape, shape);
        Assert.True(OnnxRuntimeRunner.MaxAbsDifference(expected.ToArray<float>(), actual) <= 1e-5);
    }

    private sealed class SoftplusHead(double beta, Generator g) : Backprop.NN.Module
    {
        public Backprop.NN.Linear Layer { get; } = new(6, 3, generator: g);

        public override Tensor Forward(Tensor input) => Layer.Forward(input).Softplus(beta);
    }
}
