namespace Backprop;

/// <summary>
/// How many threads the CPU kernels may use (<c>torch.set_num_threads</c> /
/// <c>torch.get_num_threads</c>). Results do not depend on it: work is split so each output
/// element is computed the same way whatever the thread count.
/// </summary>
public static class Threading
{
    private static int s_numThreads = Environment.ProcessorCount;

    /// <summary>The number of threads kernels may use (default: the number of cores).</summary>
    public static int NumThreads
    {
        get => s_numThreads;
        set
        {
            if (value < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(value), $"threads must be at least 1, got {value}");
            }

            s_numThreads = value;
        }
    }

    /// <summary>
    /// The threads a kernel starting now may use: <see cref="NumThreads"/>, or 1 when called from inside
    /// a chunk of a parallel kernel (a GEMM per sample of a convolution: the outer loop already occupies
    /// the threads, so the inner kernel runs on its caller's thread instead of splitting again).
    /// </summary>
    internal static int Available => Kernels.WorkerPool.InJob ? 1 : s_numThreads;

    // Each thread's share is cut into this many pieces, handed out first come, first served.
    private const int PiecesPerThread = 4;

    /// <summary>
    /// Runs body(start, end) over contiguous pieces covering [0, count) on at most <see cref="Available"/>
    /// threads. The pieces (a few per thread) go to whichever thread is free next, so a thread the
    /// machine slows down (another process, a busy hypervisor) does not hold up the rest; a body must
    /// therefore give the same result for any split of the range, as every caller's does.
    /// </summary>
    internal static void For(int count, long workPerItem, Action<int, int> body) => For(count, workPerItem, PiecesPerThread, body);

    // Element-wise passes are cut into blocks of this many elements (a whole number of vectors of any width).
    private const int ElementBlock = 1 << 12;

    /// <summary>
    /// Runs body(start, end) over [0, length) for a memory-bound element-wise pass: on one thread below
    /// ~128K elements, else in pieces of whole 4,096-element blocks on several threads. Every element
    /// is computed the same way whatever the split.
    /// </summary>
    internal static void ForElements(int length, Action<int, int> body)
    {
        int blocks = (int)(((long)length + ElementBlock - 1) / ElementBlock);
        For(blocks, ElementBlock, (start, end) => body(start * ElementBlock, (int)Math.Min(length, (long)end * ElementBlock)));
    }

    /// <summary>
    /// <see cref="For(int, long, Action{int, int})"/> with <paramref name="piecesPerThread"/> pieces per
    /// thread; 1 gives each thread one contiguous share (for bodies whose cost per item falls as the
    /// range grows, such as a GEMM over the range's rows).
    /// </summary>
    internal static void For(int count, long workPerItem, int piecesPerThread, Action<int, int> body)
    {
        // Below ~64k multiply-adds a thread hand-off costs more than it saves.
        int threads = (int)Math.Min(Math.Min(Available, count), Math.Max(1, count * workPerItem / 65_536));
        if (threads <= 1)
        {
            body(0, count);
            return;
        }

        int pieces = (int)Math.Min(count, (long)threads * Math.Max(1, piecesPerThread));
        Kernels.WorkerPool.RunPieces(threads, pieces, piece => body((int)((long)count * piece / pieces), (int)((long)count * (piece + 1) / pieces)));
    }
}
