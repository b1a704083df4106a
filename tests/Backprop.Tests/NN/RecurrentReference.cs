namespace Backprop.Tests.NN;

/// <summary>
/// PyTorch's recurrent equations written as plain loops in double, independent of the library's
/// kernels: one layer, time-major flat arrays x (steps, batch, input), states (batch, hidden),
/// weights (G·hidden, input) and (G·hidden, hidden) with gates stacked along the rows.
/// </summary>
internal static class RecurrentReference
{
    public static (double[] Output, double[] H, double[] C) Layer(
        string mode, int steps, int batch, int input, int hidden, double[] x, double[] h0, double[]? c0, double[] wih, double[] whh, double[]? bih, double[]? bhh)
    {
        int gates = mode switch { "lstm" => 4, "gru" => 3, _ => 1 };
        var h = (double[])h0.Clone();
        var c = c0 is null ? new double[batch * hidden] : (double[])c0.Clone();
        var output = new double[steps * batch * hidden];
        for (int t = 0; t < steps; t++)
        {
            var hNext = new double[batch * hidden];
            var cNext = new double[batch * hidden];
            for (int b = 0; b < batch; b++)
            {
                // ax = W_ih x + b_ih and ah = W_hh h + b_hh, one entry per gate row.
                var ax = new double[gates * hidden];
                var ah = new double[gates * hidden];
                for (int r = 0; r < gates * hidden; r++)
                {
                    ax[r] = bih?[r] ?? 0;
                    ah[r] = bhh?[r] ?? 0;
                    for (int i = 0; i < input; i++)
                    {
                        ax[r] += wih[(r * input) + i] * x[(((t * batch) + b) * input) + i];
                    }

                    for (int j = 0; j < hidden; j++)
                    {
                        ah[r] += whh[(r * hidden) + j] * h[(b * hidden) + j];
                    }
                }

                for (int j = 0; j < hidden; j++)
                {
                    int at = (b * hidden) + j;
                    switch (mode)
                    {
                        case "lstm":
                        {
                            double ig = Sigmoid(ax[j] + ah[j]);
                            double fg = Sigmoid(ax[hidden + j] + ah[hidden + j]);
                            double gg = Math.Tanh(ax[(2 * hidden) + j] + ah[(2 * hidden) + j]);
                            double og = Sigmoid(ax[(3 * hidden) + j] + ah[(3 * hidden) + j]);
                            cNext[at] = (fg * c[at]) + (ig * gg);
                            hNext[at] = og * Math.Tanh(cNext[at]);
                            break;
                        }

                        case "gru":
                        {
                            double r = Sigmoid(ax[j] + ah[j]);
                            double z = Sigmoid(ax[hidden + j] + ah[hidden + j]);
                            double n = Math.Tanh(ax[(2 * hidden) + j] + (r * ah[(2 * hidden) + j]));
                            hNext[at] = ((1 - z) * n) + (z * h[at]);
                            break;
                        }

                        case "tanh":
                            hNext[at] = Math.Tanh(ax[j] + ah[j]);
                            break;
                        default:
                            hNext[at] = Math.Max(0, ax[j] + ah[j]);
                            break;
                    }
                }
            }

            h = hNext;
            c = cNext;
            Array.Copy(h, 0, output, t * batch * hidden, h.Length);
        }

        return (output, h, c);
    }

    /// <summary>(batch, steps, features) ↔ (steps, batch, features).</summary>
    public static double[] SwapFirstTwo(double[] a, int d0, int d1, int d2)
    {
        var result = new double[a.Length];
        for (int i = 0; i < d0; i++)
        {
            for (int j = 0; j < d1; j++)
            {
                Array.Copy(a, ((i * d1) + j) * d2, result, ((j * d0) + i) * d2, d2);
            }
        }

        return result;
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
}
