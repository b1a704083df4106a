namespace Backprop.Distributed;

/// <summary>
/// How the ranks share one global batch so that data-parallel training takes the same steps as one
/// process with that batch (what <c>backprop train</c> does under mpirun): every rank draws the same
/// global batch of B rows from the same order and keeps its own contiguous part of it; each rank's
/// mean loss is weighted by <see cref="LossScale"/>, so the average of the ranks' gradients is the
/// gradient of the mean loss over all B rows even when B is not a multiple of the world size (a last,
/// smaller batch).
/// </summary>
public static class GlobalBatch
{
    /// <summary>
    /// Rank <paramref name="rank"/>'s rows of a global batch of <paramref name="rows"/>: ⌊rows/N⌋ each,
    /// and one more for each of the first rows mod N ranks, in rank order. A rank's part is empty only
    /// when rows &lt; N; rank 0's never is.
    /// </summary>
    /// <param name="rows">The global batch's number of rows, ≥ 1.</param>
    /// <param name="worldSize">The number of ranks N.</param>
    /// <param name="rank">The rank.</param>
    /// <returns>The first row of the rank's part and its number of rows.</returns>
    public static (int Start, int Length) Part(int rows, int worldSize, int rank)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(worldSize, 1);
        if ((uint)rank >= (uint)worldSize)
        {
            throw new ArgumentOutOfRangeException(nameof(rank), $"GlobalBatch.Part: rank {rank} is not in 0 … {worldSize - 1}");
        }

        int each = rows / worldSize, extra = rows % worldSize;
        return ((rank * each) + Math.Min(rank, extra), each + (rank < extra ? 1 : 0));
    }

    /// <summary>
    /// The factor by which a rank multiplies its mean loss, (its rows) × N / rows, so that averaging
    /// the ranks' gradients gives the gradient of the global batch's mean loss; 1 when the rows split
    /// evenly, 0 for an empty part.
    /// </summary>
    /// <param name="rows">The global batch's number of rows.</param>
    /// <param name="worldSize">The number of ranks N.</param>
    /// <param name="rank">The rank.</param>
    /// <returns>The weight of the rank's mean loss.</returns>
    public static double LossScale(int rows, int worldSize, int rank) =>
        (double)Part(rows, worldSize, rank).Length * worldSize / rows;
}
