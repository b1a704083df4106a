using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Backprop.Optim;

/// <summary>Runs the <see cref="IUpdateRule{T}"/> updates of an <see cref="UpdatePlan"/> over the parameters, their gradients and their state buffers in one pass.</summary>
internal static class UpdateKernel
{
    /// <summary>
    /// Every update as whole vectors in one index space (16 units of work per vector: Threading.For's
    /// hand-off threshold is then 4,096 vectors); a piece of that space may cover the end of one
    /// parameter and the start of the next. Each element gets the same arithmetic whatever the split,
    /// so results do not depend on the thread count. Updates that share a buffer run one after another.
    /// </summary>
    public static void RunJobs(List<IJob> jobs)
    {
        if (jobs.Count == 0)
        {
            return;
        }

        if (SharesBuffers(jobs))
        {
            foreach (var job in jobs)
            {
                RunJobs([job]);
            }

            return;
        }

        // starts[j]: the first unit of job j; a job's last unit also covers its tail of < 1 vector.
        var starts = new int[jobs.Count + 1];
        for (int j = 0; j < jobs.Count; j++)
        {
            starts[j + 1] = starts[j] + jobs[j].Units;
        }

        Threading.For(starts[^1], 16, (start, end) =>
        {
            int j = Array.BinarySearch(starts, start);
            j = j >= 0 ? j : ~j - 1;
            for (; j < jobs.Count && starts[j] < end; j++)
            {
                jobs[j].Run(Math.Max(start, starts[j]) - starts[j], Math.Min(end, starts[j + 1]) - starts[j]);
            }
        });
    }

    private static bool SharesBuffers(List<IJob> jobs)
    {
        if (jobs.Count == 1)
        {
            return false;
        }

        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        foreach (var job in jobs)
        {
            foreach (var buffer in job.Buffers)
            {
                if (!seen.Add(buffer))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>One parameter's update, as <see cref="UpdatePlan"/> holds it.</summary>
    internal interface IJob
    {
        /// <summary>Whole vectors, at least 1 (the last one also covers the tail).</summary>
        int Units { get; }

        IEnumerable<object> Buffers { get; }

        void Run(int startUnit, int endUnit);
    }

    /// <summary><typeparamref name="TRule"/> over a parameter, its gradient and up to three state buffers.</summary>
    internal sealed class Job<T, TRule>(TRule rule, T[] p, T[] g, T[]? s0, T[]? s1, T[]? s2) : IJob
        where T : unmanaged, IFloatingPointIeee754<T>
        where TRule : struct, IUpdateRule<T>
    {
        public int Units { get; } = Math.Max(1, p.Length / Vector<T>.Count);

        public IEnumerable<object> Buffers
        {
            get
            {
                foreach (var buffer in (T[]?[])[p, g, s0, s1, s2])
                {
                    if (buffer is not null)
                    {
                        yield return buffer;
                    }
                }
            }
        }

        public void Run(int startUnit, int endUnit)
        {
            int width = Vector<T>.Count;
            int start = startUnit * width;
            int end = endUnit == Units ? p.Length : endUnit * width;
            RunSerial(
                rule,
                p.AsSpan(start..end),
                g.AsSpan(start..end),
                s0 is null ? default : s0.AsSpan(start..end),
                s1 is null ? default : s1.AsSpan(start..end),
                s2 is null ? default : s2.AsSpan(start..end));
        }
    }

    /// <summary>
    /// Applies <paramref name="rule"/> to every element of one range. Buffers the rule does not use are
    /// passed empty. The tail that does not fill a whole vector goes through the same vector code on a
    /// zero-padded copy, so the formula exists once and every element gets bit-identical arithmetic
    /// whatever its position (the results do not depend on the tensor's length modulo the vector width).
    /// </summary>
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
