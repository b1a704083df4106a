namespace Backprop.Tests.Autograd;

public class GradCheckRegistryTests
{
    public static TheoryData<string> OpNames()
    {
        var data = new TheoryData<string>();
        foreach (var op in OpRegistry.All)
        {
            data.Add(op.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(OpNames))]
    public void EveryRegisteredOpPassesFloat64GradCheck(string name)
    {
        var op = OpRegistry.Find(name)!;
        var result = op.Check();
        Assert.NotEmpty(result.Inputs);
        Assert.True(result.Passed, $"{name}:\n{result}");
    }

    [Fact]
    public void RegistryNamesAreUnique()
    {
        var names = OpRegistry.All.Select(o => o.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Fact]
    public void RegistryCoversTheEngineOps()
    {
        string[] required =
        [
            "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "abs", "clamp",
            "sum", "sum_dim", "mean", "mean_dim", "max", "max_dim", "matmul", "matmul_batched",
        ];
        var names = OpRegistry.All.Select(o => o.Name).ToHashSet();
        Assert.All(required, r => Assert.Contains(r, names));
    }

    [Fact]
    public void GradCheckCatchesAWrongBackward()
    {
        // A deliberately wrong derivative (d/dx x² reported as x instead of 2x) must fail.
        static Tensor BadSquare(Tensor[] x)
        {
            var input = x[0];
            var output = Tensor.FromArray(input.ToArray().Select(v => v * v).ToArray(), input.Shape);
            return Tensor.Record(BadSquareDefinition.Instance, output, [input], g => [g * input]);
        }

        var x = Tensor.FromArray(new[] { 0.5, -1.5, 2.0 }).RequiresGrad_();
        var result = GradCheck.Check(BadSquare, x);
        Assert.False(result.Passed);
        var report = Assert.Single(result.Inputs);
        Assert.Equal(2 * report.Analytic, report.Numeric, 1e-6);
    }

    [Fact]
    public void GradCheckRejectsFloat32Inputs()
    {
        var x = Tensor.Ones([2], DType.Float32, requiresGrad: true);
        var ex = Assert.Throws<ArgumentException>(() => GradCheck.Check(t => t[0].Exp(), x));
        Assert.Contains("float64", ex.Message);
    }
}

/// <summary>A user-defined op whose backward is deliberately wrong (d/dx x² reported as x).</summary>
internal sealed class BadSquareDefinition : OpDefinition
{
    private BadSquareDefinition()
        : base("bad_square", "y = x²; ∂y/∂x = x (wrong on purpose: it is 2x)")
    {
    }

    public static BadSquareDefinition Instance { get; } = new();
}
