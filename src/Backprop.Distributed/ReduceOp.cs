namespace Backprop.Distributed;

/// <summary>How an all-reduce combines the ranks' values element by element (<c>torch.distributed.ReduceOp</c>).</summary>
public enum ReduceOp
{
    /// <summary>The sum over ranks (MPI_SUM).</summary>
    Sum,

    /// <summary>The mean over ranks: the sum divided by the world size (for floating-point tensors only).</summary>
    Average,

    /// <summary>The smallest value over ranks (MPI_MIN).</summary>
    Min,

    /// <summary>The largest value over ranks (MPI_MAX).</summary>
    Max,
}
