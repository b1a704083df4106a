using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backprop.Kernels;

/// <summary>
/// A SIMD vector of one fixed width, so that an element-wise kernel is written once, generic over
/// the width, and run with the widest width the CPU accelerates and then narrower ones on what is
/// left (<see cref="Simd512{T}"/>, <see cref="Simd256{T}"/>, <see cref="Simd128{T}"/>), and the
/// last elements one at a time with the same body (<see cref="Simd1{T}"/>). The
/// runtime's own <c>ISimdVector</c> is not public; <see cref="Vector{T}"/> has one width per process
/// (256 bits on AVX-512 machines unless <c>DOTNET_PreferredVectorBitWidth=512</c>).
/// </summary>
/// <remarks>
/// Each implementation is a struct holding one hardware vector, with every member
/// <c>AggressiveInlining</c>: a kernel instantiated over it compiles to the same code as one written
/// on <see cref="Vector512{T}"/> (or 256, 128) directly.
/// </remarks>
/// <typeparam name="TSelf">The implementing struct.</typeparam>
/// <typeparam name="T">The element type, float or double.</typeparam>
internal interface ISimdVector<TSelf, T>
    where TSelf : struct, ISimdVector<TSelf, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Whether this width runs on vector instructions here (otherwise a kernel skips it).</summary>
    static abstract bool IsHardwareAccelerated { get; }

    /// <summary>Elements per vector.</summary>
    static abstract int Count { get; }

    /// <summary>All lanes 1.</summary>
    static abstract TSelf One { get; }

    /// <summary>All lanes <paramref name="value"/>.</summary>
    static abstract TSelf Create(T value);

    /// <summary>The first <see cref="Count"/> elements of <paramref name="source"/> (which must hold that many).</summary>
    static abstract TSelf Load(ReadOnlySpan<T> source);

    /// <summary>eˣ lane by lane, as the runtime's vectorized <c>Exp</c> computes it (see <see cref="SimdMath.Exp{V, T}"/> for the inlined one).</summary>
    static abstract TSelf Exp(TSelf x);

    /// <summary>a·b + c, fused where the CPU has FMA, else a rounded product and sum.</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);

    /// <summary>x limited to [<paramref name="min"/>, <paramref name="max"/>]; NaN lanes stay NaN.</summary>
    static abstract TSelf Clamp(TSelf x, T min, T max);

    /// <summary>
    /// float only: 2ⁿ for lanes that hold 1.5·2²³ + n (an integer n in [−126, 127] added to 1.5·2²³,
    /// whose low significand bits are then n): (n + 127) shifted into the exponent field.
    /// </summary>
    static abstract TSelf PowerOfTwo(TSelf shifted);

    static abstract TSelf operator +(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a);

    static abstract TSelf operator *(TSelf a, TSelf b);

    static abstract TSelf operator /(TSelf a, TSelf b);

    /// <summary>Writes the lanes to the first <see cref="Count"/> elements of <paramref name="destination"/>.</summary>
    void Store(Span<T> destination);
}

/// <summary>512-bit lanes (AVX-512).</summary>
/// <typeparam name="T">float or double.</typeparam>
internal readonly struct Simd512<T>(Vector512<T> value) : ISimdVector<Simd512<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Vector512<T> _value = value;

    public static bool IsHardwareAccelerated => Vector512.IsHardwareAccelerated;

    public static int Count => Vector512<T>.Count;

    public static Simd512<T> One => new(Vector512<T>.One);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Create(T value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Load(ReadOnlySpan<T> source) => new(Vector512.Create(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Exp(Simd512<T> x) => typeof(T) == typeof(float)
        ? new(Vector512.Exp(x._value.AsSingle()).As<float, T>())
        : new(Vector512.Exp(x._value.AsDouble()).As<double, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> MultiplyAdd(Simd512<T> a, Simd512<T> b, Simd512<T> c) => typeof(T) == typeof(float)
        ? new(Vector512.MultiplyAddEstimate(a._value.AsSingle(), b._value.AsSingle(), c._value.AsSingle()).As<float, T>())
        : new(Vector512.MultiplyAddEstimate(a._value.AsDouble(), b._value.AsDouble(), c._value.AsDouble()).As<double, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> Clamp(Simd512<T> x, T min, T max) => new(Vector512.MinNative(Vector512.Create(max), Vector512.MaxNative(Vector512.Create(min), x._value)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> PowerOfTwo(Simd512<T> shifted) => typeof(T) == typeof(float)
        ? new(((shifted._value.AsInt32() + Vector512.Create(127)) << 23).As<int, T>())
        : throw new NotSupportedException("PowerOfTwo is defined for float lanes only.");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> operator +(Simd512<T> a, Simd512<T> b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> operator -(Simd512<T> a, Simd512<T> b) => new(a._value - b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> operator -(Simd512<T> a) => new(-a._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> operator *(Simd512<T> a, Simd512<T> b) => new(a._value * b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd512<T> operator /(Simd512<T> a, Simd512<T> b) => new(a._value / b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(Span<T> destination) => _value.CopyTo(destination);
}

/// <summary>256-bit lanes (AVX2).</summary>
/// <typeparam name="T">float or double.</typeparam>
internal readonly struct Simd256<T>(Vector256<T> value) : ISimdVector<Simd256<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Vector256<T> _value = value;

    public static bool IsHardwareAccelerated => Vector256.IsHardwareAccelerated;

    public static int Count => Vector256<T>.Count;

    public static Simd256<T> One => new(Vector256<T>.One);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Create(T value) => new(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Load(ReadOnlySpan<T> source) => new(Vector256.Create(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Exp(Simd256<T> x) => typeof(T) == typeof(float)
        ? new(Vector256.Exp(x._value.AsSingle()).As<float, T>())
        : new(Vector256.Exp(x._value.AsDouble()).As<double, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> MultiplyAdd(Simd256<T> a, Simd256<T> b, Simd256<T> c) => typeof(T) == typeof(float)
        ? new(Vector256.MultiplyAddEstimate(a._value.AsSingle(), b._value.AsSingle(), c._value.AsSingle()).As<float, T>())
        : new(Vector256.MultiplyAddEstimate(a._value.AsDouble(), b._value.AsDouble(), c._value.AsDouble()).As<double, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> Clamp(Simd256<T> x, T min, T max) => new(Vector256.MinNative(Vector256.Create(max), Vector256.MaxNative(Vector256.Create(min), x._value)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> PowerOfTwo(Simd256<T> shifted) => typeof(T) == typeof(float)
        ? new(((shifted._value.AsInt32() + Vector256.Create(127)) << 23).As<int, T>())
        : throw new NotSupportedException("PowerOfTwo is defined for float lanes only.");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> operator +(Simd256<T> a, Simd256<T> b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> operator -(Simd256<T> a, Simd256<T> b) => new(a._value - b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> operator -(Simd256<T> a) => new(-a._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> operator *(Simd256<T> a, Simd256<T> b) => new(a._value * b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd256<T> operator /(Simd256<T> a, Simd256<T> b) => new(a._value / b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(Span<T> destination) => _value.CopyTo(destination);
}

/// <summary>128-bit lanes (SSE, NEON).</summary>
/// <typeparam name="T">float or double.</typeparam>
internal readonly struct Simd128<T>(Vector128<T> value) : ISimdVector<Simd128<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Vector128<T> _value = value;

    public static bool IsHardwareAccelerated => Vector128.IsHardwareAccelerated;

    public static int Count => Vector128<T>.Count;

    public static Simd128<T> One => new(Vector128<T>.One);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> Create(T value) => new(Vector128.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> Load(ReadOnlySpan<T> source) => new(Vector128.Create(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> Exp(Simd128<T> x) => typeof(T) == typeof(float)
        ? new(Vector128.Exp(x._value.AsSingle()).As<float, T>())
        : new(Vector128.Exp(x._value.AsDouble()).As<double, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> MultiplyAdd(Simd128<T> a, Simd128<T> b, Simd128<T> c) => typeof(T) == typeof(float)
        ? new(Vector128.MultiplyAddEstimate(a._value.AsSingle(), b._value.AsSingle(), c._value.AsSingle()).As<float, T>())
        : new(Vector128.MultiplyAddEstimate(a._value.AsDouble(), b._value.AsDouble(), c._value.AsDouble()).As<double, T>());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> Clamp(Simd128<T> x, T min, T max) => new(Vector128.MinNative(Vector128.Create(max), Vector128.MaxNative(Vector128.Create(min), x._value)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> PowerOfTwo(Simd128<T> shifted) => typeof(T) == typeof(float)
        ? new(((shifted._value.AsInt32() + Vector128.Create(127)) << 23).As<int, T>())
        : throw new NotSupportedException("PowerOfTwo is defined for float lanes only.");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> operator +(Simd128<T> a, Simd128<T> b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> operator -(Simd128<T> a, Simd128<T> b) => new(a._value - b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> operator -(Simd128<T> a) => new(-a._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> operator *(Simd128<T> a, Simd128<T> b) => new(a._value * b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd128<T> operator /(Simd128<T> a, Simd128<T> b) => new(a._value / b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(Span<T> destination) => _value.CopyTo(destination);
}

/// <summary>
/// One lane: the scalar tail of a kernel written over <see cref="ISimdVector{TSelf, T}"/>, so the
/// elements left after the widest vectors go through the same body (the same formulas, the same
/// <see cref="SimdMath.Exp{V, T}"/>) instead of a scalar copy of it.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
internal readonly struct Simd1<T>(T value) : ISimdVector<Simd1<T>, T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _value = value;

    public static bool IsHardwareAccelerated => true;

    public static int Count => 1;

    public static Simd1<T> One => new(T.One);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1<T> Create(T value) => new(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1<T> Load(ReadOnlySpan<T> source) => new(source[0]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1<T> Exp(Simd1<T> x) => new(T.Exp(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1<T> MultiplyAdd(Simd1<T> a, Simd1<T> b, Simd1<T> c) => new(T.FusedMultiplyAdd(a._value, b._value, c._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1<T> Clamp(Simd1<T> x, T min, T max) => T.IsNaN(x._value) ? x : new(T.Min(max, T.Max(min, x._value)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1<T> PowerOfTwo(Simd1<T> shifted) => typeof(T) == typeof(float)
        ? new((T)(object)BitConverter.Int32BitsToSingle((BitConverter.SingleToInt32Bits((float)(object)shifted._value) + 127) << 23))
        : throw new NotSupportedException("PowerOfTwo is defined for float lanes only.");

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1<T> operator +(Simd1<T> a, Simd1<T> b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1<T> operator -(Simd1<T> a, Simd1<T> b) => new(a._value - b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1<T> operator -(Simd1<T> a) => new(-a._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1<T> operator *(Simd1<T> a, Simd1<T> b) => new(a._value * b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Simd1<T> operator /(Simd1<T> a, Simd1<T> b) => new(a._value / b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(Span<T> destination) => destination[0] = _value;
}
