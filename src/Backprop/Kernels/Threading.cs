namespace Backprop;

/// <summary>
/// How many threads the CPU kernels may use (<c>torch.set_num_threads</c> /
/// <c>torch.get_num_threads</c>). Results do not depend on it: work is split so each output
/// element is computed the same way whatever the thread count.
/// </summary>
public static class Threading
{
    private static int s_numThreads = Environment.ProcessorCount;

    // Set on a thread while it runs one chunk of For: kernels it calls (a GEMM inside a per-row
    // loop) then run serially instead of splitting again, as OpenMP does with nested regions.
    [ThreadStatic]
    private static bool t_inParallelRegion;

    /// <summary>
    /// The number of threads kernels may use (default: the number of cores); 1 inside a chunk of a
    /// parallel loop, where nested kernels run serially.
    /// </summary>
    public static int NumThreads
    {
        get => t_inParallelRegion ? 1 : s_numThreads;
        set
        {
            if (value < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(value), $"threads must be at least 1, got {value}");
            }

            s_numThreads = value;
        }
    }

    /// <summary>Runs body(start, end) over [0, count) in at most <see cref="NumThreads"/> contiguous chunks.</summary>
    internal static void For(int count, long workPerItem, Action<int, int> body)
    {
        // Below ~64k multiply-adds a thread hand-off costs more than it saves.
        int chunks = (int)Math.Min(Math.Min(NumThreads, count), Math.Max(1, count * workPerItem / 65_536));
        if (chunks <= 1)
        {
            body(0, count);
            return;
        }

        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = chunks }, c =>
        {
            int start = (int)((long)count * c / chunks);
            int end = (int)((long)count * (c + 1) / chunks);
            bool outer = t_inParallelRegion;
            t_inParallelRegion = true;
            try
            {
                body(start, end);
            }
            finally
            {
                t_inParallelRegion = outer;
            }
        });
    }
}
