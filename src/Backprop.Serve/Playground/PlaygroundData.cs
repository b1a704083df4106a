using Backprop.Data;

namespace Backprop.Serve.Playground;

/// <summary>
/// The playground's 2-D data sets, two classes each, centred near the origin: the library's
/// <see cref="Moons"/> and <see cref="Spirals"/>, and two more that need a hidden layer to separate:
/// circles (a disc inside a ring) and xor (the four quadrants, opposite ones alike).
/// </summary>
internal static class PlaygroundData
{
    /// <summary>The data set of <paramref name="config"/>, shuffled and split into train and test points.</summary>
    public static (TensorDataset Train, TensorDataset Test) Make(PlaygroundConfig config)
    {
        var generator = new Generator(config.Seed);
        int n = config.Points;
        TensorDataset all = config.Data switch
        {
            "moons" => Centre(Moons.Make(n, config.Noise, generator)),
            "spiral" => Scale(Spirals.Make(n, 2, config.Noise * 2, generator), 1.6),
            "circles" => Circles(n, config.Noise, generator),
            _ => Xor(n, config.Noise, generator),
        };
        int test = Math.Clamp((int)Math.Round(n * config.TestFraction), 1, n - 1);
        var x = all.Features.ToArray();
        var y = all.Labels.ToArray<long>();
        return (Slice(x, y, 0, n - test), Slice(x, y, n - test, test));
    }

    private static TensorDataset Circles(int n, double noise, Generator g)
    {
        var x = new float[2 * n];
        var y = new long[n];
        for (int i = 0; i < n; i++)
        {
            bool outer = i % 2 == 1;
            double radius = outer ? 1.0 + (0.35 * g.NextDouble()) : 0.55 * Math.Sqrt(g.NextDouble());
            double angle = 2 * Math.PI * g.NextDouble();
            x[2 * i] = (float)((radius * Math.Cos(angle)) + (noise * g.NextNormal()));
            x[(2 * i) + 1] = (float)((radius * Math.Sin(angle)) + (noise * g.NextNormal()));
            y[i] = outer ? 1 : 0;
        }

        return new TensorDataset(Tensor.FromArray(x, n, 2), Tensor.FromArray(y, n));
    }

    private static TensorDataset Xor(int n, double noise, Generator g)
    {
        var x = new float[2 * n];
        var y = new long[n];
        for (int i = 0; i < n; i++)
        {
            // Away from the axes by a margin, so that without noise the classes do not touch.
            double a = Side(g), b = Side(g);
            x[2 * i] = (float)(a + (noise * g.NextNormal()));
            x[(2 * i) + 1] = (float)(b + (noise * g.NextNormal()));
            y[i] = (a > 0) == (b > 0) ? 0 : 1;
        }

        return new TensorDataset(Tensor.FromArray(x, n, 2), Tensor.FromArray(y, n));
    }

    private static double Side(Generator g)
    {
        double magnitude = 0.1 + (0.9 * g.NextDouble());
        return g.NextDouble() < 0.5 ? -magnitude : magnitude;
    }

    /// <summary>Moons span x ∈ [−1, 2], y ∈ [−0.5, 1]: moved so the middle is at the origin.</summary>
    private static TensorDataset Centre(TensorDataset data)
    {
        var x = data.Features.ToArray<float>();
        for (int i = 0; i < x.Length; i += 2)
        {
            x[i] -= 0.5f;
            x[i + 1] -= 0.25f;
        }

        return new TensorDataset(Tensor.FromArray(x, x.Length / 2, 2), data.Labels);
    }

    private static TensorDataset Scale(TensorDataset data, double factor)
    {
        var x = data.Features.ToArray<float>().Select(v => (float)(v * factor)).ToArray();
        return new TensorDataset(Tensor.FromArray(x, x.Length / 2, 2), data.Labels);
    }

    private static TensorDataset Slice(double[] x, long[] y, int start, int count) =>
        new(Tensor.FromArray(x.AsSpan(2 * start, 2 * count).ToArray().Select(v => (float)v).ToArray(), count, 2),
            Tensor.FromArray(y.AsSpan(start, count).ToArray(), count));
}
