using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Backprop.Optim;

/// <summary>Runs an <see cref="IUpdateRule{T}"/> over a parameter, its gradient and its state buffers in one pass.</summary>
internal static class UpdateKernel
{
    /// <summary>
    /// Applies <paramref name="rule"/> to every element. Buffers the rule does not use are passed
    /// empty. The tail that does not fill a whole vector goes through the same vector code on a
    /// zero-padded copy, so the formula exists once and every element gets bit-identical arithmetic
    /// whatever its position (the results do not depend on the tensor's length modulo the vector width).
    /// </summary>
    public static unsafe void Run<T, TRule>(in TRule rule, Span<T> p, ReadOnlySpan<T> g, Span<T> s0, Span<T> s1, Span<T> s2)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TRule : struct, IUpdateRule<T>
    {
        // Large parameters are split over the threads in whole vectors (16 units of work per vector:
        // Threading.For's hand-off threshold is then 4,096 vectors a chunk; smaller parameters run in
        // one piece); each element still gets the same arithmetic, so the result does not depend on
        // the thread count.
        int vectors = p.Length / Vector<T>.Count;
        var r = rule;
        int length = p.Length, width = Vector<T>.Count;
        fixed (T* pp = p, gp = g, p0 = s0, p1 = s1, p2 = s2)
        {
            nint ap = (nint)pp, ag = (nint)gp, a0 = (nint)p0, a1 = (nint)p1, a2 = (nint)p2;
            bool has0 = !s0.IsEmpty, has1 = !s1.IsEmpty, has2 = !s2.IsEmpty;
            Threading.For(vectors, 16, (startVector, endVector) =>
            {
                int start = startVector * width;
                int end = endVector == vectors ? length : endVector * width;
                int n = end - start;
                RunSerial(
                    r,
                    new Span<T>((T*)ap + start, n),
                    new ReadOnlySpan<T>((T*)ag + start, n),
                    has0 ? new Span<T>((T*)a0 + start, n) : default,
                    has1 ? new Span<T>((T*)a1 + start, n) : default,
                    has2 ? new Span<T>((T*)a2 + start, n) : default);
            });
        }
    }

    private static void RunSerial<T, TRule>(in TRule rule, Span<T> p, ReadOnlySpan<T> g, Span<T> s0, Span<T> s1, Span<T> s2)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TRule : struct, IUpdateRule<T>
    {
        var pv = MemoryMarshal.Cast<T, Vector<T>>(p);
        var gv = MemoryMarshal.Cast<T, Vector<T>>(g);
        var s0v = MemoryMarshal.Cast<T, Vector<T>>(s0);
        var s1v = MemoryMarshal.Cast<T, Vector<T>>(s1);
        var s2v = MemoryMarshal.Cast<T, Vector<T>>(s2);
        Vector<T> scratch0 = default, scratch1 = default, scratch2 = default;
        for (int k = 0; k < pv.Length; k++)
        {
            rule.Apply(
                ref pv[k],
                gv[k],
                ref s0.IsEmpty ? ref scratch0 : ref s0v[k],
                ref s1.IsEmpty ? ref scratch1 : ref s1v[k],
                ref s2.IsEmpty ? ref scratch2 : ref s2v[k]);
        }

        int done = pv.Length * Vector<T>.Count;
        int rest = p.Length - done;
        if (rest == 0)
        {
            return;
        }

        Span<Vector<T>> tail = stackalloc Vector<T>[5];
        tail.Clear();
        var lanes = MemoryMarshal.Cast<Vector<T>, T>(tail);
        int w = Vector<T>.Count;
        p[done..].CopyTo(lanes);
        g[done..].CopyTo(lanes[w..]);
        CopyTail(s0, done, lanes.Slice(2 * w, w));
        CopyTail(s1, done, lanes.Slice(3 * w, w));
        CopyTail(s2, done, lanes.Slice(4 * w, w));
        rule.Apply(ref tail[0], tail[1], ref tail[2], ref tail[3], ref tail[4]);
        lanes[..rest].CopyTo(p[done..]);
        CopyBack(lanes.Slice(2 * w, rest), s0, done);
        CopyBack(lanes.Slice(3 * w, rest), s1, done);
        CopyBack(lanes.Slice(4 * w, rest), s2, done);
    }

    private static void CopyTail<T>(Span<T> source, int start, Span<T> destination)
    {
        if (!source.IsEmpty)
        {
            source[start..].CopyTo(destination);
        }
    }

    private static void CopyBack<T>(Span<T> source, Span<T> destination, int start)
    {
        if (!destination.IsEmpty)
        {
            source.CopyTo(destination[start..]);
        }
    }

    /// <summary>
    /// PyTorch's <c>torch.lerp(start, end, weight)</c> as its CPU kernel evaluates it: from the nearer
    /// end, so a weight of 1 gives exactly <paramref name="end"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Lerp<T>(Vector<T> start, Vector<T> end, Vector<T> weight, Vector<T> oneMinusWeight, bool smallWeight)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        smallWeight ? start + (weight * (end - start)) : end - ((end - start) * oneMinusWeight);

    /// <summary><paramref name="value"/> rounded to <typeparamref name="T"/> in every lane.</summary>
    public static Vector<T> Splat<T>(double value)
        where T : unmanaged, IFloatingPointIeee754<T> => new(T.CreateTruncating(value));
}
