using Backprop.Distributed;

namespace Backprop.Tests.Distributed;

public class DistributedSamplerTests
{
    [Theory]
    [InlineData(10, 2)]
    [InlineData(10, 3)]
    [InlineData(2, 3)]
    [InlineData(97, 4)]
    public void ShardsAreDisjointCoverTheDataAndArePaddedFromTheStart(int n, int world)
    {
        var samplers = Enumerable.Range(0, world).Select(r => new DistributedSampler(n, world, r, shuffle: true, seed: 5)).ToArray();
        var shards = samplers.Select(s => s.Indices()).ToArray();
        int each = (n + world - 1) / world;
        Assert.All(shards, s => Assert.Equal(each, s.Length));

        // Interleaved back into the epoch's order: the permutation, then its first samples again.
        var order = Enumerable.Range(0, each * world).Select(p => shards[p % world][p / world]).ToArray();
        Assert.Equal(Enumerable.Range(0, n), order.Take(n).Order());
        Assert.Equal(Enumerable.Range(0, (each * world) - n).Select(i => order[i % n]), order.Skip(n));
    }

    [Fact]
    public void SetEpochReshufflesFromTheSeedAndRepeats()
    {
        var a = new DistributedSampler(50, 2, 1, seed: 3);
        int[] epoch0 = a.Indices();
        a.SetEpoch(1);
        int[] epoch1 = a.Indices();
        Assert.NotEqual(epoch0, epoch1);
        var b = new DistributedSampler(50, 2, 1, seed: 3);
        b.SetEpoch(1);
        Assert.Equal(epoch1, b.Indices());
        Assert.Equal(Enumerable.Range(0, 25).Select(i => (2 * i) + 1), new DistributedSampler(50, 2, 1, shuffle: false).Indices());
    }

    [Fact]
    public void DropLastCutsTheOrder()
    {
        var s = new DistributedSampler(10, 3, 2, shuffle: false, dropLast: true);
        Assert.Equal([2, 5, 8], s.Indices());
    }

    [Fact]
    public void BadArgumentsAreRefusedByName()
    {
        Assert.Contains("rank 3", Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(10, 3, 3)).Message, StringComparison.Ordinal);
        Assert.Contains("worldSize", Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(10, 0, 0)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(12, 3, new[] { 0, 4, 8 }, new[] { 4, 4, 4 })]
    [InlineData(4, 3, new[] { 0, 2, 3 }, new[] { 2, 1, 1 })]
    [InlineData(1, 2, new[] { 0, 1 }, new[] { 1, 0 })]
    public void GlobalBatchPartsAreContiguousAndWeighted(int rows, int world, int[] starts, int[] lengths)
    {
        for (int r = 0; r < world; r++)
        {
            Assert.Equal((starts[r], lengths[r]), GlobalBatch.Part(rows, world, r));
        }

        // The average over ranks of scale_r · (mean of rank r's rows) is the mean over all rows (row i holds i²).
        double average = Enumerable.Range(0, world)
            .Where(r => lengths[r] > 0)
            .Sum(r => GlobalBatch.LossScale(rows, world, r) * Enumerable.Range(starts[r], lengths[r]).Average(i => (double)i * i)) / world;
        Assert.Equal(Enumerable.Range(0, rows).Average(i => (double)i * i), average, 12);
    }
}
