using Backprop.Diagnostics;
using Backprop.NN;

namespace Backprop.Tests.Diagnostics;

public class GradientHealthTests
{
    private static (Tensor X, Tensor Y) Batch(int rows, int features, int seed)
    {
        var g = new Generator(seed);
        return (Tensor.Randn([rows, features], g), Tensor.RandInt(0, 10, [rows], g));
    }

    [Fact]
    public void ADeepSigmoidStackShrinksTheGradientTowardsTheInput()
    {
        var model = new ModelSpec([.. Enumerable.Repeat(32, 8), 10], "sigmoid").Build(new Generator(0));
        var (x, y) = Batch(64, 32, 1);
        var records = GradientHealth.Measure(model, Tensor.CrossEntropy(model.Forward(x), y));
        Assert.Equal(8, records.Count);
        Assert.Equal(Enumerable.Range(0, 8), records.Select(r => r.Layer));
        Assert.All(records.Take(7), r => Assert.Equal("sigmoid", r.Activation));
        Assert.Equal("none", records[^1].Activation);

        // σ' ≤ 0.25: each sigmoid layer below the top shrinks the gradient further.
        for (int i = 1; i < 7; i++)
        {
            Assert.True(records[i - 1].GradNorm < records[i].GradNorm, $"layer {i - 1}: {records[i - 1].GradNorm} ≥ layer {i}: {records[i].GradNorm}");
        }

        Assert.True(records[0].GradNorm < 1e-3 * records[^1].GradNorm);
    }

    [Fact]
    public void TheGradNormIsTheFrobeniusNormOfTheWeightGradient()
    {
        var model = new Sequential(new Linear(4, 3, generator: new Generator(2)), new Tanh(), new Linear(3, 2, generator: new Generator(3)));
        var (x, _) = Batch(5, 4, 4);
        var y = Tensor.FromArray(new long[] { 0, 1, 1, 0, 1 }, 5);
        var records = GradientHealth.Measure(model, Tensor.CrossEntropy(model.Forward(x), y));
        var grad = ((Linear)model[0]).Weight.Grad!.ToArray<float>();
        Assert.Equal(Math.Sqrt(grad.Sum(v => (double)v * v)), records[0].GradNorm, 6);
        Assert.Equal("tanh", records[0].Activation);
        Assert.True(double.IsNaN(records[0].DeadFraction));
    }

    [Fact]
    public void SaturatedAndDeadUnitsAreCounted()
    {
        // Huge weights saturate the sigmoid; a very negative bias kills every ReLU unit but one.
        var sigmoidLayer = new Linear(4, 6, generator: new Generator(5));
        Init.Constant(sigmoidLayer.Weight, 50);
        var sigmoidModel = new Sequential(sigmoidLayer, new Sigmoid(), new Linear(6, 2));
        var reluLayer = new Linear(4, 5, generator: new Generator(6));
        Init.Constant(reluLayer.Weight, 0.01);
        Init.Constant(reluLayer.Bias!, -100);
        var reluModel = new Sequential(reluLayer, new ReLU(), new Linear(5, 2));
        var x = Tensor.Ones([8, 4]);
        var y = Tensor.FromArray(new long[] { 0, 1, 0, 1, 0, 1, 0, 1 }, 8);

        var saturated = GradientHealth.Measure(sigmoidModel, Tensor.CrossEntropy(sigmoidModel.Forward(x), y));
        Assert.Equal(1.0, saturated[0].SaturatedFraction); // σ(200 + b) = 1 everywhere
        Assert.True(double.IsNaN(saturated[0].DeadFraction));

        var dead = GradientHealth.Measure(reluModel, Tensor.CrossEntropy(reluModel.Forward(x), y));
        Assert.Equal(1.0, dead[0].DeadFraction);
        Assert.Equal(0, dead[0].GradNorm); // a dead layer receives no gradient at all
    }

    [Fact]
    public void RecordsAreMeansPerEpochAndWriteAsCsv()
    {
        var model = new ModelSpec([4, 8, 3], "relu").Build(new Generator(7));
        var health = new GradientHealth(model);
        var norms = new List<double>();
        for (int epoch = 1; epoch <= 2; epoch++)
        {
            for (int batch = 0; batch < 3; batch++)
            {
                var (x, _) = Batch(6, 4, (epoch * 10) + batch);
                var y = Tensor.RandInt(0, 3, [6], new Generator(batch));
                model.ZeroGrad();
                var loss = Tensor.CrossEntropy(model.Forward(x), y);
                health.ObserveForward(loss);
                loss.Backward();
                health.ObserveBackward(epoch);
                var g = ((Linear)model[0]).Weight.Grad!.ToArray<float>();
                norms.Add(Math.Sqrt(g.Sum(v => (double)v * v)));
            }
        }

        var records = health.Records;
        Assert.Equal(4, records.Count); // 2 epochs × 2 layers
        Assert.Equal([1, 1, 2, 2], records.Select(r => r.Epoch));
        Assert.Equal(norms.Take(3).Average(), records[0].GradNorm, 6);
        Assert.Equal(norms.Skip(3).Average(), records[2].GradNorm, 6);
        Assert.All(records, r => Assert.Equal(3, r.Batches));
        Assert.Equal(["0", "2"], health.LayerNames);

        var lines = health.ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(GradientHealth.CsvHeader, lines[0]);
        Assert.Equal(5, lines.Length);
        Assert.Matches(@"^1,0,0,relu,[0-9.E-]+,,[0-9.E-]+$", lines[1]);
        Assert.Matches(@"^1,1,2,none,[0-9.E-]+,,$", lines[2]);
    }

    [Fact]
    public void AModelWithoutLinearLayersIsRejected() =>
        Assert.Contains("no Linear layer", Assert.Throws<ArgumentException>(() => new GradientHealth(new Sequential(new ReLU()))).Message);
}
