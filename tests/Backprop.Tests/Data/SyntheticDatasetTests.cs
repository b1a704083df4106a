using Backprop.Data;

namespace Backprop.Tests.Data;

public class SyntheticDatasetTests
{
    [Fact]
    public void MoonsWithoutNoiseLieOnTheirHalfCircles()
    {
        var ds = Moons.Make(101, noise: 0.0, seed: 0);
        float[] x = ds.Features.ToArray<float>();
        long[] y = ds.Labels.ToArray<long>();

        Assert.Equal(new[] { 101, 2 }, ds.Features.Shape);
        Assert.Equal(50, y.Count(l => l == 0));
        Assert.Equal(51, y.Count(l => l == 1));
        for (int i = 0; i < 101; i++)
        {
            // Class 0: unit circle around (0, 0), upper half; class 1: around (1, 0.5), lower half.
            (double cx, double cy) = y[i] == 0 ? (0.0, 0.0) : (1.0, 0.5);
            double radius = Math.Sqrt(Math.Pow(x[2 * i] - cx, 2) + Math.Pow(x[(2 * i) + 1] - cy, 2));
            Assert.Equal(1.0, radius, 5);
            Assert.True(y[i] == 0 ? x[(2 * i) + 1] >= -1e-6 : x[(2 * i) + 1] <= 0.5 + 1e-6);
        }

        var ordered = Moons.Make(4, shuffle: false);
        Assert.Equal(new long[] { 0, 0, 1, 1 }, ordered.Labels.ToArray<long>());
        Assert.Equal(new[] { 1f, 0f, -1f, 0f, 0f, 0.5f, 2f, 0.5f }, ordered.Features.ToArray<float>().Select(v => MathF.Round(v, 6)));
    }

    [Fact]
    public void MoonsAreDeterministicPerSeedAndNoisy()
    {
        var a = Moons.Make(200, noise: 0.1, seed: 7);
        var b = Moons.Make(200, noise: 0.1, seed: 7);
        var c = Moons.Make(200, noise: 0.1, seed: 8);
        var clean = Moons.Make(200, noise: 0.0, seed: 7);

        Assert.Equal(a.Features.ToArray<float>(), b.Features.ToArray<float>());
        Assert.Equal(a.Labels.ToArray<long>(), b.Labels.ToArray<long>());
        Assert.NotEqual(a.Features.ToArray<float>(), c.Features.ToArray<float>());

        // Same shuffle as the clean set (noise is drawn after it), so the differences are the noise.
        double[] diff = [.. a.Features.ToArray().Zip(clean.Features.ToArray(), (p, q) => p - q)];
        double std = Math.Sqrt(diff.Select(d => d * d).Average());
        Assert.InRange(std, 0.08, 0.12);
        Assert.Equal(100, a.Labels.ToArray<long>().Count(l => l == 1));
    }

    [Fact]
    public void SpiralsAreBalancedDeterministicAndWithinTheUnitDisc()
    {
        var ds = Spirals.Make(301, classes: 3, noise: 0.2, seed: 1);
        long[] y = ds.Labels.ToArray<long>();
        float[] x = ds.Features.ToArray<float>();

        Assert.Equal(new[] { 301, 2 }, ds.Features.Shape);
        Assert.Equal(new[] { 101, 100, 100 }, Enumerable.Range(0, 3).Select(k => y.Count(l => l == k)));
        for (int i = 0; i < 301; i++)
        {
            Assert.True(Math.Sqrt((x[2 * i] * x[2 * i]) + (x[(2 * i) + 1] * x[(2 * i) + 1])) <= 1.0 + 1e-6);
        }

        Assert.Equal(x, Spirals.Make(301, 3, 0.2, seed: 1).Features.ToArray<float>());
        Assert.NotEqual(x, Spirals.Make(301, 3, 0.2, seed: 2).Features.ToArray<float>());

        // Without noise, the last point of arm k sits at radius 1 and angle 4k + 4.
        var ordered = Spirals.Make(6, classes: 2, noise: 0, shuffle: false);
        float[] p = ordered.Features.ToArray<float>();
        Assert.Equal(new long[] { 0, 0, 0, 1, 1, 1 }, ordered.Labels.ToArray<long>());
        Assert.Equal(Math.Sin(4.0), p[4], 5);
        Assert.Equal(Math.Cos(4.0), p[5], 5);
        Assert.Equal(Math.Sin(8.0), p[10], 5);
        Assert.Equal(Math.Cos(8.0), p[11], 5);
    }

    [Fact]
    public void SeedTablesHoldTheRowsOfTheWorkedExamples()
    {
        var regression = SeedTables.Regression();
        var classification = SeedTables.Classification(DType.Float32);

        Assert.Equal(DType.Float64, regression.Features.DType);
        Assert.Equal(new[] { 4, 2 }, regression.Features.Shape);
        Assert.Equal(new[] { 4, 1 }, regression.Labels.Shape);
        Assert.Equal(new[] { 8.0, 8, 7, 9, 6, 10, 5, 12 }, regression.Features.ToArray());
        Assert.Equal(new[] { 4.0, 5, 6, 7 }, regression.Labels.ToArray());
        Assert.Equal(DType.Float32, classification.Labels.DType);
        Assert.Equal(new[] { 8.0, 8, 7, 9, 6, 10, 5, 5 }, classification.Features.ToArray());
        Assert.Equal(new[] { 1.0, 1, 0, 0 }, classification.Labels.ToArray());
        Assert.Equal(new[] { "cgpa", "profile_score" }, SeedTables.FeatureNames);
    }
}
