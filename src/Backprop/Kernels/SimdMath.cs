using System.Numerics;
using System.Runtime.CompilerServices;

namespace Backprop.Kernels;

/// <summary>
/// Elementary functions on <see cref="ISimdVector{TSelf, T}"/> lanes, written once for every width
/// and inlined into the kernel that calls them. The runtime's vectorized <c>Exp</c> is a call that
/// is never inlined: a kernel that needs five of them per vector (an LSTM gate pass) spills every
/// live vector register around each call.
/// </summary>
internal static class SimdMath
{
    // 1.5·2²³: adding it rounds a float of magnitude below 2²² to an integer n, which lands in the
    // low significand bits (the sum's bits are 0x4B400000 + n).
    private const float RoundingShift = 12582912f;
    private const float Log2E = 1.44269502f;

    // ln 2 = Ln2High + Ln2Low, Ln2High with 9 significant bits, so n·Ln2High is exact for |n| < 2¹⁵.
    private const float Ln2High = 0.693359375f;
    private const float Ln2Low = -2.12194442e-4f;

    // e^r ≈ 1 + r + r²·(C2 + C3 r + C4 r² + C5 r³ + C6 r⁴) on |r| ≤ ln2/2: coefficients fitted to the
    // least maximum relative error (3.8e-9 with these float values, below half a float ulp, 6e-8).
    private const float C2 = 0.49999994f;
    private const float C3 = 0.16666521f;
    private const float C4 = 0.04166839f;
    private const float C5 = 0.008368711f;
    private const float C6 = 0.0013814605f;

    // x is clamped to [MinArgument, MaxArgument] first. n = round(x·log₂e) ∈ [−126, 127] keeps 2ⁿ a
    // normal float (x ∈ [−87.68, 88.37]); at x = MinArgument n = −127, whose exponent field 0 makes
    // 2ⁿ, and eˣ, exactly 0; at x = MaxArgument n = 128, whose exponent field 255 makes them +∞.
    private const float MinArgument = -88f;
    private const float MaxArgument = 89f;

    /// <summary>
    /// eˣ lane by lane. float lanes: eˣ = 2ⁿ·eʳ with n = round(x·log₂e) and r = x − n·ln 2 (Cody and
    /// Waite's two-part ln 2), eʳ by a degree-6 polynomial; within about 1 ulp for x in
    /// [−87.6, 88.3]. Below, 0 (eˣ &lt; 1.2e−38 there: no subnormals); above, +∞ (eˣ &gt; 2.2e38 there,
    /// where the runtime's <c>Exp</c> overflows from 88.73); NaN stays NaN. Made for σ and tanh, where
    /// those ends change 1/(1 + eˣ) by less than 1e−38. double lanes take the runtime's <c>Exp</c>.
    /// </summary>
    /// <typeparam name="V">The vector width.</typeparam>
    /// <typeparam name="T">float or double.</typeparam>
    /// <param name="x">The exponents.</param>
    /// <returns>eˣ.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static V Exp<V, T>(V x)
        where V : struct, ISimdVector<V, T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) != typeof(float))
        {
            return V.Exp(x);
        }

        x = V.Clamp(x, T.CreateTruncating(MinArgument), T.CreateTruncating(MaxArgument));
        var shifted = V.MultiplyAdd(x, V.Create(T.CreateTruncating(Log2E)), V.Create(T.CreateTruncating(RoundingShift)));
        var n = shifted - V.Create(T.CreateTruncating(RoundingShift));
        var r = V.MultiplyAdd(n, V.Create(T.CreateTruncating(-Ln2High)), x);
        r = V.MultiplyAdd(n, V.Create(T.CreateTruncating(-Ln2Low)), r);
        var q = V.MultiplyAdd(V.Create(T.CreateTruncating(C6)), r, V.Create(T.CreateTruncating(C5)));
        q = V.MultiplyAdd(q, r, V.Create(T.CreateTruncating(C4)));
        q = V.MultiplyAdd(q, r, V.Create(T.CreateTruncating(C3)));
        q = V.MultiplyAdd(q, r, V.Create(T.CreateTruncating(C2)));
        var p = V.MultiplyAdd(r * r, q, r) + V.One;
        return p * V.PowerOfTwo(shifted);
    }
}
