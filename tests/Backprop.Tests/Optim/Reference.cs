namespace Backprop.Tests.Optim;

/// <summary>
/// PyTorch's documented optimizer algorithms as plain scalar loops in double precision, written
/// independently of the library's kernels, plus a harness that runs a library optimizer on the
/// same gradient sequence.
/// </summary>
internal static class Reference
{
    /// <summary>A deterministic gradient that depends on the current parameter, the element and the step.</summary>
    public static double Gradient(double p, int i, int t) =>
        (2 * p) - (0.3 * i) + (0.05 * t * (i % 2 == 0 ? 1 : -1)) + (i % 3 == 0 ? 0.7 : -0.4);

    public static double[] InitialParameters(int n) =>
        Enumerable.Range(0, n).Select(i => Math.Sin(i + 1) * (1 + (0.1 * i))).ToArray();

    /// <summary>Runs <paramref name="make"/>'s optimizer for <paramref name="steps"/> steps; returns the parameters after each step.</summary>
    public static List<double[]> Run(Func<Tensor[], Backprop.Optim.Optimizer> make, double[] p0, int steps, DType dtype)
    {
        var p = dtype == DType.Float64
            ? Tensor.FromArray(p0, p0.Length)
            : Tensor.FromArray(p0.Select(v => (float)v).ToArray(), p0.Length);
        p.RequiresGrad = true;
        var opt = make([p]);
        var history = new List<double[]>();
        for (int t = 1; t <= steps; t++)
        {
            var current = p.ToArray();
            var g = current.Select((v, i) => Gradient(v, i, t)).ToArray();
            p.Grad = dtype == DType.Float64 ? Tensor.FromArray(g, g.Length) : Tensor.FromArray(g.Select(v => (float)v).ToArray(), g.Length);
            opt.Step();
            history.Add(p.ToArray());
        }

        return history;
    }

    public static List<double[]> Sgd(double[] p0, int steps, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
    {
        var p = (double[])p0.Clone();
        var b = new double[p.Length];
        var history = new List<double[]>();
        for (int t = 1; t <= steps; t++)
        {
            for (int i = 0; i < p.Length; i++)
            {
                double g = Gradient(p[i], i, t) + (weightDecay * p[i]);
                if (momentum != 0)
                {
                    b[i] = t == 1 ? g : (momentum * b[i]) + ((1 - dampening) * g);
                    g = nesterov ? g + (momentum * b[i]) : b[i];
                }

                p[i] -= lr * g;
            }

            history.Add((double[])p.Clone());
        }

        return history;
    }

    /// <summary>
    /// Adam as PyTorch implements it; AMSGrad keeps the maximum of the raw second moments and divides
    /// by the current bias correction. <paramref name="decoupled"/> gives AdamW.
    /// </summary>
    public static List<double[]> Adam(double[] p0, int steps, double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad, bool decoupled)
    {
        var p = (double[])p0.Clone();
        var m = new double[p.Length];
        var v = new double[p.Length];
        var vMax = new double[p.Length];
        var history = new List<double[]>();
        for (int t = 1; t <= steps; t++)
        {
            for (int i = 0; i < p.Length; i++)
            {
                double g = Gradient(p[i], i, t);
                if (decoupled)
                {
                    p[i] -= lr * weightDecay * p[i];
                }
                else
                {
                    g += weightDecay * p[i];
                }

                m[i] = (beta1 * m[i]) + ((1 - beta1) * g);
                v[i] = (beta2 * v[i]) + ((1 - beta2) * g * g);
                double mHat = m[i] / (1 - Math.Pow(beta1, t));
                vMax[i] = Math.Max(vMax[i], v[i]);
                double vHat = (amsgrad ? vMax[i] : v[i]) / (1 - Math.Pow(beta2, t));
                p[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }

            history.Add((double[])p.Clone());
        }

        return history;
    }

    public static List<double[]> Rmsprop(double[] p0, int steps, double lr, double alpha, double eps, double weightDecay, double momentum, bool centered)
    {
        var p = (double[])p0.Clone();
        var v = new double[p.Length];
        var gAvg = new double[p.Length];
        var b = new double[p.Length];
        var history = new List<double[]>();
        for (int t = 1; t <= steps; t++)
        {
            for (int i = 0; i < p.Length; i++)
            {
                double g = Gradient(p[i], i, t) + (weightDecay * p[i]);
                v[i] = (alpha * v[i]) + ((1 - alpha) * g * g);
                double denominator;
                if (centered)
                {
                    gAvg[i] = (alpha * gAvg[i]) + ((1 - alpha) * g);
                    denominator = Math.Sqrt(v[i] - (gAvg[i] * gAvg[i])) + eps;
                }
                else
                {
                    denominator = Math.Sqrt(v[i]) + eps;
                }

                if (momentum > 0)
                {
                    b[i] = (momentum * b[i]) + (g / denominator);
                    p[i] -= lr * b[i];
                }
                else
                {
                    p[i] -= lr * g / denominator;
                }
            }

            history.Add((double[])p.Clone());
        }

        return history;
    }

    /// <summary>Asserts two vectors agree to a relative tolerance (absolute below magnitude 1).</summary>
    public static void AssertClose(double[] expected, double[] actual, double tolerance) =>
        AssertClose([expected], [actual], tolerance);

    /// <summary>Asserts every step's parameters agree to a relative tolerance.</summary>
    public static void AssertClose(List<double[]> expected, List<double[]> actual, double tolerance)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int t = 0; t < expected.Count; t++)
        {
            for (int i = 0; i < expected[t].Length; i++)
            {
                double e = expected[t][i];
                double a = actual[t][i];
                Assert.True(
                    Math.Abs(e - a) <= tolerance * Math.Max(1, Math.Abs(e)),
                    $"step {t + 1}, element {i}: expected {e:R}, got {a:R}");
            }
        }
    }
}
