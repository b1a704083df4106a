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
        // Only a job a worker took counts (another test may hold the pool, or the caller may run chunk 1).
        for (int attempt = 0; attempt < 500; attempt++)
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

        Assert.Fail("no chunk ran on a worker in 500 jobs");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (bool RanOnWorker, WeakReference Captured) RunCapturingAnArray()
    {
        var array = new float[1 << 16];
        int onWorker = 0;
        WorkerPool.Run(2, c =>
        {
            array[c] = c;
            if (Thread.CurrentThread.Name?.StartsWith("Backprop worker", StringComparison.Ordinal) == true)
            {
                Volatile.Write(ref onWorker, 1);
            }
        });
        return (Volatile.Read(ref onWorker) == 1, new WeakReference(array));
    }
}
