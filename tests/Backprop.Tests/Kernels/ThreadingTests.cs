namespace Backprop.Tests.Kernels;

/// <summary>Tests that assert on the process-wide thread count run alone (other tests change it).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadCountCollection
{
    public const string Name = "ThreadCount";
}

[Collection(ThreadCountCollection.Name)]
public class ThreadingTests
{
    [Fact]
    public void KernelsStartedInsideAParallelChunkRunOnOneThread()
    {
        int saved = Threading.NumThreads;
        try
        {
            Threading.NumThreads = 2;
            Assert.Equal(2, Threading.Available);
            var seen = new int[2];

            // Enough work per item for two chunks; each chunk records what a nested kernel would get.
            Threading.For(2, 1 << 20, (start, end) =>
            {
                for (int i = start; i < end; i++)
                {
                    seen[i] = Threading.Available;
                }
            });

            Assert.Equal([1, 1], seen);
            Assert.Equal(2, Threading.Available);
        }
        finally
        {
            Threading.NumThreads = saved;
        }
    }
}
