using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

/// <summary>
/// Background work on idle workers, and chunks a busy worker has not started running on the caller.
/// Alone in their collection: they hold the workers, and other tests' data loaders post background work.
/// </summary>
[Collection(ThreadCountCollection.Name)]
public class BackgroundWorkTests
{
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);

    private static bool OnWorker => Thread.CurrentThread.Name?.StartsWith("Backprop worker", StringComparison.Ordinal) == true;

    [Fact]
    public void WorkRunsOnAnIdleWorkerWithoutBeingWaitedFor()
    {
        ThreadCount.With(2, () =>
        {
            WorkerPool.Run(2, _ => { }); // the workers exist and spin
            bool ranOnWorker = false;
            var work = WorkerPool.RunInBackground(() =>
            {
                ranOnWorker = OnWorker;
                return 42;
            });

            Assert.True(SpinWait.SpinUntil(() => work.IsCompleted, HangLimit));
            Assert.True(ranOnWorker);
            Assert.Equal(42, work.Wait());
        });
    }

    [Fact]
    public void WithOneThreadTheWorkRunsBeforeRunInBackgroundReturns()
    {
        ThreadCount.With(1, () =>
        {
            int caller = Environment.CurrentManagedThreadId;
            int ranOn = -1;
            var work = WorkerPool.RunInBackground(() =>
            {
                ranOn = Environment.CurrentManagedThreadId;
                return "done";
            });

            Assert.True(work.IsCompleted);
            Assert.Equal(caller, ranOn);
            Assert.Equal("done", work.Wait());
        });
    }

    [Fact]
    public void AnExceptionIsRethrownWithItsTypeByWait()
    {
        ThreadCount.With(2, () =>
        {
            var work = WorkerPool.RunInBackground<int>(() => throw new InvalidDataException("batch 3 is corrupt"));
            var ex = Assert.Throws<InvalidDataException>(() => work.Wait());
            Assert.Equal("batch 3 is corrupt", ex.Message);

            // The pool keeps working afterwards.
            Assert.Equal(7, WorkerPool.RunInBackground(() => 7).Wait());
        });
    }

    [Fact]
    public void WhileTheWorkerIsBusyJobsAndWaitedWorkRunOnTheCaller()
    {
        ThreadCount.With(2, () =>
        {
            WorkerPool.Run(2, _ => { });
            using var release = new ManualResetEventSlim();
            var blockers = new List<BackgroundWork<bool>>();
            try
            {
                // Hold every worker (earlier tests may have started more than one).
                while (blockers.Count < WorkerPool.WorkerCount)
                {
                    using var started = new ManualResetEventSlim();
                    blockers.Add(WorkerPool.RunInBackground(() =>
                    {
                        started.Set();
                        return release.Wait(HangLimit);
                    }));
                    Assert.True(started.Wait(HangLimit));
                }

                // The only worker is held: both chunks of a job run here, and the job returns.
                int caller = Environment.CurrentManagedThreadId;
                var ranOn = new int[2];
                WorkerPool.Run(2, c => ranOn[c] = Environment.CurrentManagedThreadId);
                Assert.Equal([caller, caller], ranOn);

                // Work no worker has taken runs on the thread that waits for it.
                int queuedOn = -1;
                var queued = WorkerPool.RunInBackground(() => queuedOn = Environment.CurrentManagedThreadId);
                Assert.Equal(caller, queued.Wait());
                Assert.Equal(caller, queuedOn);
            }
            finally
            {
                release.Set();
            }

            Assert.All(blockers, blocker => Assert.True(blocker.Wait()));

            // The worker goes back to taking its chunks: every chunk of many jobs runs exactly once.
            var counts = new int[2];
            for (int job = 0; job < 1000; job++)
            {
                WorkerPool.Run(2, c => Interlocked.Increment(ref counts[c]));
            }

            Assert.Equal([1000, 1000], counts);
        });
    }

    [Fact]
    public async Task JobsAndBackgroundWorkInterleavedRunEachChunkOnce()
    {
        var run = Task.Run(() => ThreadCount.With(3, () =>
        {
            var counts = new int[3];
            for (int job = 0; job < 5_000; job++)
            {
                int value = job;
                var work = WorkerPool.RunInBackground(() => value * 2);
                int chunks = 2 + (job % 2);
                Array.Clear(counts);
                WorkerPool.Run(chunks, c => Interlocked.Increment(ref counts[c]));
                Assert.Equal(Enumerable.Repeat(1, chunks), counts.Take(chunks));
                Assert.Equal(2 * job, work.Wait());
                if (job % 1000 == 0)
                {
                    Thread.Sleep(2); // long enough for the workers to stop spinning and sleep
                }
            }
        }));
        await run.WaitAsync(HangLimit);
    }
}
