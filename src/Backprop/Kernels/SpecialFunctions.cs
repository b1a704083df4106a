namespace Backprop.Kernels;

/// <summary>
/// The error function and the normal distribution in double precision (.NET has no <c>Math.Erf</c>).
/// Absolute error of <see cref="Erf"/> below 1e-15 and relative error of <see cref="Erfc"/> below
/// 1e-14 over the whole real line (checked against 40-digit references in the tests).
/// </summary>
public static class SpecialFunctions
{
    private const double TwoOverSqrtPi = 1.1283791670955126; // 2/√π
    private const double OneOverSqrtPi = 0.5641895835477563; // 1/√π
    private const double OneOverSqrt2 = 0.7071067811865476; // 1/√2
    private const double OneOverSqrt2Pi = 0.3989422804014327; // 1/√(2π)

    // Below this the positive series is used for erf; at and above it the continued fraction for
    // erfc converges in at most ~60 terms.
    private const double SeriesLimit = 2.0;

    // erfc(x) underflows to 0 beyond x ≈ 27.3; returning early also keeps x = +∞ out of the fraction.
    private const double ErfcUnderflow = 27.5;

    /// <summary>
    /// erf(x) = (2/√π) ∫₀ˣ e^(−t²) dt (<c>torch.erf</c>). d/dx = (2/√π) e^(−x²).
    /// For |x| &lt; 2 the positive series (2/√π) e^(−x²) Σₙ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)), whose terms
    /// never cancel; beyond, 1 − erfc(|x|) from the continued fraction.
    /// </summary>
    /// <param name="x">The argument, any finite number or ±∞.</param>
    /// <returns>erf(x), in [−1, 1].</returns>
    public static double Erf(double x)
    {
        if (double.IsNaN(x))
        {
            return x;
        }

        double a = Math.Abs(x);
        double r = a < SeriesLimit ? ErfSeries(a) : 1.0 - ErfcContinuedFraction(a);
        return x < 0 ? -r : r;
    }

    /// <summary>
    /// erfc(x) = 1 − erf(x) = (2/√π) ∫ₓ^∞ e^(−t²) dt (<c>torch.erfc</c>), accurate in relative terms
    /// for large x where 1 − erf(x) would round to 0. d/dx = −(2/√π) e^(−x²).
    /// </summary>
    /// <param name="x">The argument, any finite number or ±∞.</param>
    /// <returns>erfc(x), in [0, 2].</returns>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x))
        {
            return x;
        }

        if (x >= 1.0)
        {
            return ErfcContinuedFraction(x);
        }

        if (x > -1.0)
        {
            // erf(x) ≤ 0.85 here, so 1 − erf(x) loses at most one bit.
            return 1.0 - Erf(x);
        }

        return 2.0 - ErfcContinuedFraction(-x);
    }

    /// <summary>
    /// Φ(x) = P(Z ≤ x) for a standard normal Z = ½ erfc(−x/√2) (<c>torch.special.ndtr</c>).
    /// d/dx = φ(x), see <see cref="NormalPdf"/>.
    /// </summary>
    /// <param name="x">The argument, any finite number or ±∞.</param>
    /// <returns>Φ(x), in [0, 1].</returns>
    public static double NormalCdf(double x) => 0.5 * Erfc(-x * OneOverSqrt2);

    /// <summary>
    /// σ(x) = 1 / (1 + e⁻ˣ), evaluated so that no intermediate overflows: e⁻ˣ only for x ≥ 0, and
    /// eˣ / (1 + eˣ) for x &lt; 0.
    /// </summary>
    /// <param name="x">The argument, any finite number or ±∞.</param>
    /// <returns>σ(x), in [0, 1].</returns>
    public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    /// <summary>
    /// φ(x) = e^(−x²/2) / √(2π), the standard normal density
    /// (<c>torch.distributions.Normal(0, 1).log_prob(x).exp()</c>). d/dx = −x φ(x).
    /// </summary>
    /// <param name="x">The argument, any finite number or ±∞.</param>
    /// <returns>φ(x), in (0, 1/√(2π)].</returns>
    public static double NormalPdf(double x) => OneOverSqrt2Pi * Math.Exp(-0.5 * x * x);

    /// <summary>
    /// log(1 + x) without the cancellation of forming 1 + x for small |x| (<c>torch.log1p</c>).
    /// d/dx = 1/(1 + x). Uses log(u)·x/(u − 1) with u = 1 + x, which cancels u's rounding error.
    /// </summary>
    /// <param name="x">The argument, greater than −1 for a finite result.</param>
    /// <returns>log(1 + x).</returns>
    public static double Log1P(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0)
        {
            return x;
        }

        return double.IsInfinity(u) ? Math.Log(u) : Math.Log(u) * x / (u - 1.0);
    }

    /// <summary>erf(x) for 0 ≤ x &lt; 2 by the series of positive terms.</summary>
    private static double ErfSeries(double x)
    {
        double x2 = x * x;
        double term = x, sum = x;
        for (int n = 1; n < 200; n++)
        {
            term *= 2.0 * x2 / ((2 * n) + 1);
            sum += term;
            if (term <= sum * 1e-17)
            {
                break;
            }
        }

        return TwoOverSqrtPi * ExpMinusSquare(x) * sum;
    }

    /// <summary>
    /// erfc(x) for x ≥ 1 by the continued fraction
    /// erfc(x) = (e^(−x²)/√π) · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))),
    /// evaluated with the modified Lentz algorithm.
    /// </summary>
    private static double ErfcContinuedFraction(double x)
    {
        if (x >= ErfcUnderflow)
        {
            return 0.0;
        }

        const double tiny = 1e-300;
        double f = x, c = x, d = 0.0;
        for (int k = 1; k < 500; k++)
        {
            double a = 0.5 * k;
            d = x + (a * d);
            d = d == 0 ? tiny : 1.0 / d;
            c = x + (a / c);
            if (c == 0)
            {
                c = tiny;
            }

            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1.0) < 1e-16)
            {
                break;
            }
        }

        return OneOverSqrtPi * ExpMinusSquare(x) / f;
    }

    /// <summary>
    /// e^(−x²) without the rounding error of x²: x = h + l with h holding the top 26 significand
    /// bits, so h² is exact and e^(−x²) = e^(−h²) · e^(−(x − h)(x + h)).
    /// </summary>
    private static double ExpMinusSquare(double x)
    {
        double h = BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(x) & ~((1L << 26) - 1));
        return Math.Exp(-h * h) * Math.Exp(-(x - h) * (x + h));
    }
}
