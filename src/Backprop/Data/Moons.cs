namespace Backprop.Data;

/// <summary>
/// Two interleaving half circles, a classic 2-D data set that no linear model separates
/// (<c>sklearn.datasets.make_moons(n_samples, shuffle, noise, random_state)</c>).
/// </summary>
public static class Moons
{
    /// <summary>
    /// <paramref name="n"/> points: ⌊n/2⌋ of class 0 on the upper half circle
    /// (cos θ, sin θ) and the rest of class 1 on the lower one (1 − cos θ, 0.5 − sin θ), θ evenly
    /// spaced over [0, π]; then, as sklearn does, the rows are shuffled (when
    /// <paramref name="shuffle"/>) and Gaussian noise with standard deviation
    /// <paramref name="noise"/> is added to each coordinate. Features float32 [n, 2], labels int64 [n].
    /// </summary>
    /// <param name="n">The number of points (default 100).</param>
    /// <param name="noise">The standard deviation of the Gaussian noise added to each coordinate (default 0).</param>
    /// <param name="seed">The seed of the shuffle and the noise (default 0).</param>
    /// <param name="shuffle">Whether the rows are shuffled (default true).</param>
    /// <returns>Features float32 [n, 2] and labels int64 [n] holding 0 or 1.</returns>
    public static TensorDataset Make(int n = 100, double noise = 0.0, long seed = 0, bool shuffle = true) =>
        Make(n, noise, new Generator(seed), shuffle);

    /// <summary>As <see cref="Make(int, double, long, bool)"/>, drawing from <paramref name="generator"/>.</summary>
    /// <param name="n">The number of points.</param>
    /// <param name="noise">The standard deviation of the Gaussian noise added to each coordinate.</param>
    /// <param name="generator">The random source of the shuffle and the noise.</param>
    /// <param name="shuffle">Whether the rows are shuffled (default true).</param>
    /// <returns>Features float32 [n, 2] and labels int64 [n] holding 0 or 1.</returns>
    public static TensorDataset Make(int n, double noise, Generator generator, bool shuffle = true)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (!(noise >= 0) || double.IsInfinity(noise))
        {
            throw new ArgumentOutOfRangeException(nameof(noise), $"Moons.Make: noise must be a finite non-negative standard deviation, got {noise}");
        }

        int outer = n / 2;
        int inner = n - outer;
        var points = new double[n, 2];
        var labels = new long[n];
        for (int i = 0; i < outer; i++)
        {
            double theta = Linspace(i, outer, Math.PI);
            (points[i, 0], points[i, 1]) = (Math.Cos(theta), Math.Sin(theta));
        }

        for (int i = 0; i < inner; i++)
        {
            double theta = Linspace(i, inner, Math.PI);
            (points[outer + i, 0], points[outer + i, 1]) = (1 - Math.Cos(theta), 1 - Math.Sin(theta) - 0.5);
            labels[outer + i] = 1;
        }

        int[] order = shuffle ? Dataset.Permutation(n, generator) : [.. Enumerable.Range(0, n)];
        var x = new float[n * 2];
        var y = new long[n];
        for (int i = 0; i < n; i++)
        {
            int source = order[i];
            double dx = noise > 0 ? noise * generator.NextNormal() : 0;
            double dy = noise > 0 ? noise * generator.NextNormal() : 0;
            x[2 * i] = (float)(points[source, 0] + dx);
            x[(2 * i) + 1] = (float)(points[source, 1] + dy);
            y[i] = labels[source];
        }

        return new TensorDataset(Tensor.FromStorage(x, [n, 2]), Tensor.FromStorage(y, [n]));
    }

    /// <summary>Point <paramref name="i"/> of <paramref name="count"/> evenly spaced over [0, end] (<c>np.linspace</c>).</summary>
    internal static double Linspace(int i, int count, double end) => count == 1 ? 0 : end * i / (count - 1);
}
