using Backprop.Kernels;

namespace Backprop.Tests.Kernels;

public class WorkerPoolTests
{
    // A lost wake-up hangs forever; the time limit only turns such a hang into a failure (TimeoutException).
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task EveryChunkRunsOnceThroughSpinningAndSleepingWorkers()
    {
        var run = Task.Run(() =>
        {
            var counts = new int[3];
            for (int job = 0; job < 20_000; job++)
            {
                int chunks = 2 + (job % 2);
                Array.Clear(counts);
                WorkerPool.Run(chunks, c => Interlocked.Increment(ref counts[c]));
                Assert.Equal(Enumerable.Repeat(1, chunks), counts.Take(chunks));
                if (job % 1000 == 0)
                {
                    Thread.Sleep(2); // long enough for the workers to stop spinning and sleep
                }
            }
        });
        await run.WaitAsync(HangLimit);
    }

    [Fact]
    public async Task ConcurrentCallersAndExceptionsAreHandled()
    {
        var callers = Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (int job = 0; job < 2_000; job++)
            {
                long sum = 0;
                WorkerPool.Run(2, c => Interlocked.Add(ref sum, c + 1));
                Assert.Equal(3, sum);
            }
        })).ToArray();
        await Task.WhenAll(callers).WaitAsync(HangLimit);

        var ex = Assert.Throws<InvalidOperationException>(() => WorkerPool.Run(2, c =>
        {
            if (c == 1)
            {
                throw new InvalidOperationException("chunk 1 failed");
            }
        }));
        Assert.Equal("chunk 1 failed", ex.Message);
        int after = 0;
        WorkerPool.Run(2, c => Interlocked.Increment(ref after));
        Assert.Equal(2, after);
    }

    [Fact]
    public async Task AChunkExceptionKeepsItsTypeWhileAnotherCallerHoldsTheWorkers()
    {
        // The first job holds the workers until released, so the second runs on the thread pool.
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = Task.Run(() => WorkerPool.Run(2, c =>
        {
            if (c == 0)
            {
                started.Set();
                release.Wait(HangLimit);
            }
        }));
        try
        {
            Assert.True(started.Wait(HangLimit));
            var ex = Assert.Throws<InvalidOperationException>(() => WorkerPool.Run(2, c =>
            {
                if (c == 1)
                {
                    throw new InvalidOperationException("chunk 1 failed");
                }
            }));
            Assert.Equal("chunk 1 failed", ex.Message);
        }
        finally
        {
            release.Set();
        }

        await holder.WaitAsync(HangLimit);
    }

    [Fact]
    public async Task AJobStartedInsideAChunkRunsSerially()
    {
        var run = Task.Run(() =>
        {
            var inner = new int[2, 3];
            WorkerPool.Run(2, outer => WorkerPool.Run(3, c => inner[outer, c]++));
            Assert.All(Enumerable.Range(0, 6), i => Assert.Equal(1, inner[i / 3, i % 3]));
        });
        await run.WaitAsync(HangLimit);
    }
}
