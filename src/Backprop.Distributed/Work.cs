namespace Backprop.Distributed;

/// <summary>
/// A collective operation queued on the process group's communication thread
/// (<c>torch.distributed.Work</c>, what <c>async_op=True</c> returns): <see cref="Wait"/> blocks until it
/// has completed on this rank and throws if it failed. A wait that outlasts the group's
/// <see cref="ProcessGroup.Timeout"/> means a rank died or stopped answering: the job is then ended
/// with MPI_Abort and one message naming the call, rather than hanging.
/// </summary>
public sealed class Work
{
    private readonly ManualResetEventSlim _done = new();
    private readonly ProcessGroup _group;
    private readonly Func<int> _call;
    private readonly Action? _after;
    private int _code;
    private Exception? _exception;

    internal Work(ProcessGroup group, string name, Func<int> call, Action? after)
    {
        _group = group;
        Name = name;
        _call = call;
        _after = after;
    }

    /// <summary>The MPI call this work runs (<c>MPI_Allreduce</c>).</summary>
    public string Name { get; }

    /// <summary>How long the MPI call itself took on the communication thread (zero until it has completed).</summary>
    public TimeSpan Duration { get; private set; }

    /// <summary>Whether the operation has finished on this rank (successfully or not).</summary>
    public bool IsCompleted => _done.IsSet;

    /// <summary>
    /// Waits until the operation has completed on this rank. On success the tensor or buffer it was
    /// given holds the result.
    /// </summary>
    /// <exception cref="DistributedException">The MPI call returned an error (the message names the rank and the call).</exception>
    public void Wait()
    {
        if (!_done.Wait(_group.Timeout))
        {
            _group.AbortOnTimeout(Name);
        }

        if (_exception is not null)
        {
            throw _exception is DistributedException ? _exception : new DistributedException(_exception.Message, _group.Rank, Name);
        }

        if (_code != Mpi.Success)
        {
            throw new DistributedException(Mpi.Describe(_code), _group.Rank, Name);
        }
    }

    /// <summary>Runs the call on the communication thread.</summary>
    internal void Execute()
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            _code = _call();
            if (_code == Mpi.Success)
            {
                _after?.Invoke();
            }
        }
        catch (Exception ex)
        {
            _exception = ex;
        }
        finally
        {
            Duration = System.Diagnostics.Stopwatch.GetElapsedTime(start);
            _done.Set();
        }
    }
}
