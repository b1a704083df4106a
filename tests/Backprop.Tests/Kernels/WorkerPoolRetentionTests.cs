using System.Runtime.CompilerServices;
using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

/// <summary>
/// What the worker pool keeps after a job. Alone in its collection: another test's job holding the
/// pool would send this one's chunks to the thread pool instead of the workers.
/// </summary>
[Collection(ThreadCountCollection.Name)]
public class WorkerPoolRetentionTests
{
    [Fact]
    public void ACompletedJobDoesNotKeepWhatItsBodyCaptured()
    {
        // The optimizer's last job captures the step's gradients; a worker that kept the body after the
        // job would keep them alive until the next job, so the collection between steps copied them.
        // Only a job a worker took counts (the caller may run chunk 1 itself).
        for (int attempt = 0; attempt < 50; attempt++)
        {
            var (ranOnWorker, captured) = RunCapturingAnArray();
            if (!ranOnWorker)
            {
                continue;
            }

            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Assert.False(captured.IsAlive, "the worker pool still holds the completed job's body and what it captured");
            return;
        }

        Assert.Fail("no chunk ran on a worker in 50 jobs");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (bool RanOnWorker, WeakReference Captured) RunCapturingAnArray()
    {
        // Chunk 0 (the caller's) waits up to 50 ms for chunk 1 to start, so that a worker takes it
        // rather than the caller, which claims a chunk no worker has started once its own is done.
        var array = new float[1 << 16];
        int onWorker = 0, started = 0;
        WorkerPool.Run(2, c =>
        {
            array[c] = c;
            if (c == 1)
            {
                if (Thread.CurrentThread.Name?.StartsWith("Backprop worker", StringComparison.Ordinal) == true)
                {
                    Volatile.Write(ref onWorker, 1);
                }

                Volatile.Write(ref started, 1);
                return;
            }

            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (Volatile.Read(ref started) == 0 && clock.ElapsedMilliseconds < 50)
            {
                Thread.SpinWait(20);
            }
        });
        return (Volatile.Read(ref onWorker) == 1, new WeakReference(array));
    }
}
