namespace Backprop.Distributed;

/// <summary>
/// An MPI call failed, or a process group cannot be used: the message names this process's rank
/// and the call (<c>rank 1: MPI_Allreduce: ...</c>), so a job's output says which process saw what.
/// </summary>
public sealed class DistributedException : Exception
{
    /// <summary>Creates the exception; the message is prefixed with the rank (when known) and the call.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="rank">This process's rank, or −1 before it is known.</param>
    /// <param name="call">The MPI call or process-group operation that failed.</param>
    public DistributedException(string message, int rank, string call)
        : base(rank >= 0 ? $"rank {rank}: {call}: {message}" : $"{call}: {message}")
    {
        Rank = rank;
        Call = call;
    }

    /// <summary>The rank of the process that raised it, or −1 when MPI was not initialized yet.</summary>
    public int Rank { get; }

    /// <summary>The MPI call or operation that failed (<c>MPI_Allreduce</c>).</summary>
    public string Call { get; }
}
