using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Backprop.Kernels;

/// <summary>
/// Runs the chunks of one parallel kernel on the calling thread plus long-lived worker threads that
/// spin for a short while after each job before they sleep. A training step calls a dozen small
/// parallel kernels (the GEMMs of a 128-row batch take 0.05–0.5 ms each); handing each to the
/// thread pool wakes a sleeping thread every time, which costs a noticeable part of such a kernel,
/// while a worker still spinning from the previous kernel starts at once (OpenMP's active wait).
/// An idle worker also runs work handed to it with <see cref="RunInBackground{T}(int, Action{int}, Func{T})"/> (the next batch
/// of a data loader) while the caller runs the serial parts of a step.
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

    // Work for the next idle worker (at most one item waits; see RunInBackground).
    private static BackgroundWork? s_background;

    // True on a thread while it runs chunks of a job (the caller and the workers): a kernel started
    // from inside a chunk runs its chunks serially on that thread (the gate is re-entrant, and the
    // workers are busy with the outer job).
    [ThreadStatic]
    private static bool t_inJob;

    /// <summary>How many worker threads have been started (for tests).</summary>
    internal static int WorkerCount => Volatile.Read(ref s_workers).Length;

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
            Span<int> posted = chunks <= 64 ? stackalloc int[chunks - 1] : new int[chunks - 1];
            for (int i = 1; i < chunks; i++)
            {
                posted[i - 1] = workers[i - 1].Post(body, i);
            }

            t_inJob = true;
            try
            {
                RunChunk(body, 0);

                // A chunk its worker has not started yet (the worker is asleep or busy with background
                // work) runs here instead of being waited for. Chunks are independent, so any thread may
                // run any of them.
                for (int i = 1; i < chunks; i++)
                {
                    if (workers[i - 1].TryClaim(posted[i - 1]))
                    {
                        RunChunk(body, i);
                        Interlocked.Decrement(ref s_pending);
                    }
                }
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

            // Every chunk has run and no worker reads its body again, so let go of it: a body's closure
            // can hold arrays (the optimizer's last one, the step's gradients) that would otherwise live
            // until the next job and be copied by a collection between steps.
            for (int i = 1; i < chunks; i++)
            {
                workers[i - 1].Release();
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

    private static void RunChunk(Action<int> body, int chunk)
    {
        try
        {
            body(chunk);
        }
        catch (Exception ex)
        {
            Interlocked.CompareExchange(ref s_error, ex, null);
        }
    }

    /// <summary>
    /// Hands pieces 0 … <paramref name="pieces"/> − 1 of some work to the idle workers and returns at
    /// once. A worker runs a piece at a time between jobs (a job posted meanwhile waits at most for the
    /// piece in hand, and its caller runs the chunk itself if the worker has not started it); the caller
    /// takes <paramref name="result"/> with <see cref="BackgroundWork{T}.Wait"/>, which first runs the
    /// pieces no worker has started, so it never waits for work that has not begun. A kernel started
    /// inside a piece runs serially on its thread. With one thread allowed (or the pool held by another
    /// caller) the pieces run here, before this returns. One item is offered at a time: a newer one
    /// replaces it, and the older one's remaining pieces run when it is waited for.
    /// </summary>
    public static BackgroundWork<T> RunInBackground<T>(int pieces, Action<int> piece, Func<T> result)
    {
        var item = new BackgroundWork<T>(pieces, piece, result);
        if (Threading.Available <= 1 || !Monitor.TryEnter(s_gate))
        {
            while (item.RunPiece())
            {
            }

            return item;
        }

        try
        {
            var workers = EnsureWorkers(1);
            Interlocked.Exchange(ref s_background, item);
            foreach (var worker in workers)
            {
                worker.WakeIfSleeping();
            }
        }
        finally
        {
            Monitor.Exit(s_gate);
        }

        return item;
    }

    /// <summary><see cref="RunInBackground{T}(int, Action{int}, Func{T})"/> with one piece that makes the result.</summary>
    public static BackgroundWork<T> RunInBackground<T>(Func<T> work)
    {
        T value = default!;
        return RunInBackground(1, _ => value = work(), () => value);
    }

    /// <summary>Runs one piece of the offered background work on a worker; false when there is none.</summary>
    private static bool RunBackgroundPiece()
    {
        var item = Volatile.Read(ref s_background);
        if (item is null)
        {
            return false;
        }

        if (item.RunPiece())
        {
            return true;
        }

        // Every piece is taken: withdraw the offer unless a newer item has replaced it.
        Interlocked.CompareExchange(ref s_background, null, item);
        return false;
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
        private int _claimed;
        private int _sleeping;

        public Worker(int index)
        {
            new Thread(Loop) { IsBackground = true, Name = $"Backprop worker {index}" }.Start();
        }

        /// <summary>
        /// Hands the worker one chunk (called only while the previous job is complete) and returns the
        /// post's number, for <see cref="TryClaim"/>.
        /// </summary>
        public int Post(Action<int> body, int chunk)
        {
            _body = body;
            _chunk = chunk;
            // Both sides fence between their write and their read (Dekker's pattern): the worker writes
            // _sleeping then reads _generation, the caller writes _generation then reads _sleeping, so at
            // least one of them sees the other's write and a posted job never meets a sleeping worker
            // that was not woken.
            int generation = Interlocked.Increment(ref _generation);
            WakeIfSleeping();
            return generation;
        }

        /// <summary>
        /// Claims post number <paramref name="generation"/> for the calling thread: true for exactly one
        /// caller (the worker or the thread that posted it). Posts are claimed in order, each once, so
        /// <see cref="_claimed"/> holds the previous number until this one is taken.
        /// </summary>
        public bool TryClaim(int generation) =>
            Interlocked.CompareExchange(ref _claimed, generation, generation - 1) == generation - 1;

        /// <summary>Drops the reference to the last job's body (called once the job is complete).</summary>
        public void Release() => _body = null;

        /// <summary>Wakes the worker if it sleeps (after the caller has published its work with a fence).</summary>
        public void WakeIfSleeping()
        {
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
                    if (RunBackgroundPiece())
                    {
                        idleSince = Stopwatch.GetTimestamp();
                        continue;
                    }

                    if (Stopwatch.GetTimestamp() - idleSince < s_spinTicks)
                    {
                        Thread.SpinWait(8);
                        continue;
                    }

                    // Announce the sleep, then look once more: a job or background work posted in between
                    // is not missed, and a wake-up without either just loops back here.
                    Interlocked.Exchange(ref _sleeping, 1);
                    if (Volatile.Read(ref _generation) == seen && Volatile.Read(ref s_background) is null)
                    {
                        _wake.Wait();
                    }

                    Volatile.Write(ref _sleeping, 0);
                    idleSince = Stopwatch.GetTimestamp();
                }

                // The caller may have run this chunk itself (it found the worker busy or asleep); then
                // it has also counted it done. Posts skipped that way are never seen here.
                seen = Volatile.Read(ref _generation);
                if (!TryClaim(seen))
                {
                    continue;
                }

                RunChunk(_body!, _chunk);
                Interlocked.Decrement(ref s_pending);
            }
        }
    }
}
