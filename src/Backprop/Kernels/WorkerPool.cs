using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Backprop.Kernels;

/// <summary>
/// Runs the chunks of one parallel kernel on the calling thread plus long-lived worker threads that
/// spin for a short while after each job before they sleep. A training step calls a dozen small
/// parallel kernels (the GEMMs of a 128-row batch take 0.05–0.5 ms each); handing each to the
/// thread pool wakes a sleeping thread every time, which costs a noticeable part of such a kernel,
/// while a worker still spinning from the previous kernel starts at once (OpenMP's active wait).
/// </summary>
internal static class WorkerPool
{
    /// <summary>How long an idle worker spins before it blocks, in stopwatch ticks (about 0.2 ms).</summary>
    private static readonly long s_spinTicks = Stopwatch.Frequency / 5000;

    // One job at a time; a caller that finds the pool busy (kernels called from two threads at once)
    // falls back to the thread pool.
    private static readonly object s_gate = new();
    private static Worker[] s_workers = [];
    private static int s_pending;
    private static Exception? s_error;

    // True on a thread while it runs chunks of a job (the caller and the workers): a kernel started
    // from inside a chunk runs its chunks serially on that thread (the gate is re-entrant, and the
    // workers are busy with the outer job).
    [ThreadStatic]
    private static bool t_inJob;

    /// <summary>True while the current thread runs a chunk of a job (<see cref="Threading.Available"/> is 1 there).</summary>
    public static bool InJob => t_inJob;

    /// <summary>Runs body(0) … body(chunks − 1), chunk 0 on the calling thread, and returns when all are done.</summary>
    public static void Run(int chunks, Action<int> body)
    {
        if (chunks <= 1 || t_inJob)
        {
            for (int c = 0; c < chunks; c++)
            {
                body(c);
            }

            return;
        }

        if (!Monitor.TryEnter(s_gate))
        {
            // Another caller holds the workers: run on the thread pool. A failing chunk's exception is
            // rethrown as it is, as on the workers, not wrapped in Parallel's AggregateException.
            try
            {
                Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = chunks }, c =>
                {
                    bool outer = t_inJob;
                    t_inJob = true;
                    try
                    {
                        body(c);
                    }
                    finally
                    {
                        t_inJob = outer;
                    }
                });
            }
            catch (AggregateException aggregate) when (aggregate.InnerExceptions.Count > 0)
            {
                ExceptionDispatchInfo.Throw(aggregate.InnerExceptions[0]);
            }

            return;
        }

        try
        {
            var workers = EnsureWorkers(chunks - 1);
            s_error = null;
            Volatile.Write(ref s_pending, chunks - 1);
            for (int i = 1; i < chunks; i++)
            {
                workers[i - 1].Post(body, i);
            }

            t_inJob = true;
            try
            {
                body(0);
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref s_error, ex, null);
            }
            finally
            {
                t_inJob = false;
            }

            // Spin briefly, then yield the core: on a machine with more runnable threads than cores the
            // worker still owing a chunk may be waiting for this very core.
            var spinner = default(SpinWait);
            while (Volatile.Read(ref s_pending) != 0)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }

            if (s_error is { } error)
            {
                ExceptionDispatchInfo.Throw(error);
            }
        }
        finally
        {
            Monitor.Exit(s_gate);
        }
    }

    /// <summary>
    /// Runs body(0) … body(pieces − 1) on <paramref name="threads"/> threads (the caller's included), each
    /// piece taken by whichever thread is free next, and returns when all are done: a thread the machine
    /// slows down takes fewer pieces instead of holding the others up.
    /// </summary>
    public static void RunPieces(int threads, int pieces, Action<int> body)
    {
        int next = -1;
        Run(threads, _ =>
        {
            for (int piece = Interlocked.Increment(ref next); piece < pieces; piece = Interlocked.Increment(ref next))
            {
                body(piece);
            }
        });
    }

    private static Worker[] EnsureWorkers(int count)
    {
        if (s_workers.Length < count)
        {
            var grown = new Worker[count];
            s_workers.CopyTo(grown, 0);
            for (int i = s_workers.Length; i < count; i++)
            {
                grown[i] = new Worker(i + 1);
            }

            s_workers = grown;
        }

        return s_workers;
    }

    private sealed class Worker
    {
        private readonly SemaphoreSlim _wake = new(0);
        private Action<int>? _body;
        private int _chunk;
        private int _generation;
        private int _sleeping;

        public Worker(int index)
        {
            new Thread(Loop) { IsBackground = true, Name = $"Backprop worker {index}" }.Start();
        }

        /// <summary>Hands the worker one chunk (called only while the previous job is complete).</summary>
        public void Post(Action<int> body, int chunk)
        {
            _body = body;
            _chunk = chunk;
            // Both sides fence between their write and their read (Dekker's pattern): the worker writes
            // _sleeping then reads _generation, the caller writes _generation then reads _sleeping, so at
            // least one of them sees the other's write and a posted job never meets a sleeping worker
            // that was not woken.
            Interlocked.Increment(ref _generation);
            if (Volatile.Read(ref _sleeping) != 0)
            {
                _wake.Release();
            }
        }

        private void Loop()
        {
            t_inJob = true;
            int seen = 0;
            while (true)
            {
                long idleSince = Stopwatch.GetTimestamp();
                while (Volatile.Read(ref _generation) == seen)
                {
                    if (Stopwatch.GetTimestamp() - idleSince < s_spinTicks)
                    {
                        Thread.SpinWait(8);
                        continue;
                    }

                    // Announce the sleep, then look once more: a job posted in between is not missed,
                    // and a wake-up without a new job just loops back here.
                    Interlocked.Exchange(ref _sleeping, 1);
                    if (Volatile.Read(ref _generation) == seen)
                    {
                        _wake.Wait();
                    }

                    Volatile.Write(ref _sleeping, 0);
                    idleSince = Stopwatch.GetTimestamp();
                }

                seen = Volatile.Read(ref _generation);
                try
                {
                    _body!(_chunk);
                }
                catch (Exception ex)
                {
                    Interlocked.CompareExchange(ref s_error, ex, null);
                }

                Interlocked.Decrement(ref s_pending);
            }
        }
    }
}
