namespace Backprop.Data;

/// <summary>
/// Interleaved spiral arms, one per class (the data set of Stanford CS231n's "minimal neural
/// network case study"): linearly inseparable for any number of classes.
/// </summary>
public static class Spirals
{
    /// <summary>
    /// <paramref name="n"/> points split as evenly as possible over <paramref name="classes"/> arms.
    /// Point i of the m points of class k has radius r = i/(m−1) and angle
    /// t = 4k + 4r + <paramref name="noise"/>·ε with ε ~ N(0, 1), at (r sin t, r cos t). Rows are
    /// shuffled when <paramref name="shuffle"/>. Features float32 [n, 2], labels int64 [n] in 0..classes−1.
    /// </summary>
    /// <param name="n">The number of points (default 300).</param>
    /// <param name="classes">The number of arms, one class each (default 3).</param>
    /// <param name="noise">The standard deviation of the noise on each point's angle (default 0.2).</param>
    /// <param name="seed">The seed of the shuffle and the noise (default 0).</param>
    /// <param name="shuffle">Whether the rows are shuffled (default true).</param>
    /// <returns>Features float32 [n, 2] and labels int64 [n] in 0..classes−1.</returns>
    public static TensorDataset Make(int n = 300, int classes = 3, double noise = 0.2, long seed = 0, bool shuffle = true) =>
        Make(n, classes, noise, new Generator(seed), shuffle);

    /// <summary>As <see cref="Make(int, int, double, long, bool)"/>, drawing from <paramref name="generator"/>.</summary>
    /// <param name="n">The number of points.</param>
    /// <param name="classes">The number of arms, one class each.</param>
    /// <param name="noise">The standard deviation of the noise on each point's angle.</param>
    /// <param name="generator">The random source of the shuffle and the noise.</param>
    /// <param name="shuffle">Whether the rows are shuffled (default true).</param>
    /// <returns>Features float32 [n, 2] and labels int64 [n] in 0..classes−1.</returns>
    public static TensorDataset Make(int n, int classes, double noise, Generator generator, bool shuffle = true)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        if (!(noise >= 0) || double.IsInfinity(noise))
        {
            throw new ArgumentOutOfRangeException(nameof(noise), $"Spirals.Make: noise must be a finite non-negative standard deviation, got {noise}");
        }

        var points = new double[n, 2];
        var labels = new long[n];
        int row = 0;
        for (int k = 0; k < classes; k++)
        {
            int m = (n / classes) + (k < n % classes ? 1 : 0);
            for (int i = 0; i < m; i++, row++)
            {
                double r = Moons.Linspace(i, m, 1.0);
                double t = (4.0 * k) + (4.0 * r) + (noise > 0 ? noise * generator.NextNormal() : 0);
                (points[row, 0], points[row, 1]) = (r * Math.Sin(t), r * Math.Cos(t));
                labels[row] = k;
            }
        }

        int[] order = shuffle ? Dataset.Permutation(n, generator) : [.. Enumerable.Range(0, n)];
        var x = new float[n * 2];
        var y = new long[n];
        for (int i = 0; i < n; i++)
        {
            x[2 * i] = (float)points[order[i], 0];
            x[(2 * i) + 1] = (float)points[order[i], 1];
            y[i] = labels[order[i]];
        }

        return new TensorDataset(Tensor.FromStorage(x, [n, 2]), Tensor.FromStorage(y, [n]));
    }
}
