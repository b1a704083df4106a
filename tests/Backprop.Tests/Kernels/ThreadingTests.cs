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
        ThreadCount.With(2, () =>
        {
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
        });
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(1000)]
    public void ForCoversEveryItemExactlyOnceInContiguousPieces(int count)
    {
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var (hits, pieces) = Visit(count, threads, body => Threading.For(count, 1 << 20, body));

            Assert.All(hits, h => Assert.Equal(1, h));
            Assert.All(pieces, p => Assert.True(p.Start < p.End, $"empty piece {p}"));
            Assert.True(pieces.Length <= Math.Min(count, threads * 4), $"{pieces.Length} pieces for {count} items on {threads} threads");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(4096)]
    [InlineData(200_003)]
    [InlineData(1_000_000)]
    public void ForElementsCoversEveryElementOnceInWholeBlocks(int length)
    {
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var (hits, pieces) = Visit(length, threads, body => Threading.ForElements(length, body));

            Assert.All(hits, h => Assert.Equal(1, h));
            Assert.All(pieces, p => Assert.Equal(0, p.Start % 4096));

            // Large passes are split when there is more than one thread; small ones are not.
            Assert.Equal(threads > 1 && length >= 200_000, pieces.Length > 1);
        }
    }

    /// <summary>Runs <paramref name="loop"/> on <paramref name="threads"/> threads, counting the visits of each of <paramref name="length"/> items and recording the pieces.</summary>
    private static (int[] Hits, (int Start, int End)[] Pieces) Visit(int length, int threads, Action<Action<int, int>> loop)
    {
        var hits = new int[length];
        var pieces = new System.Collections.Concurrent.ConcurrentBag<(int Start, int End)>();
        ThreadCount.With(threads, () => loop((start, end) =>
        {
            pieces.Add((start, end));
            for (int i = start; i < end; i++)
            {
                Interlocked.Increment(ref hits[i]);
            }
        }));
        return (hits, pieces.ToArray());
    }
}
