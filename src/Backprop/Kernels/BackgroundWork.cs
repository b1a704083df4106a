using System.Runtime.ExceptionServices;

namespace Backprop.Kernels;

/// <summary>
/// Work handed to idle workers with <see cref="WorkerPool.RunInBackground{T}(int, Action{int}, Func{T})"/>:
/// pieces 0 … n − 1, each run once, by a worker between two jobs or by the thread that waits for the
/// result. Small pieces let a worker fill the short idle gaps of a training step (while the caller
/// runs serial code) and still start the next job's chunk within one piece.
/// </summary>
internal abstract class BackgroundWork
{
    private readonly int _pieces;
    private readonly Action<int> _piece;
    private int _next = -1;
    private int _done;
    private Exception? _error;

    private protected BackgroundWork(int pieces, Action<int> piece)
    {
        _pieces = pieces;
        _piece = piece;
    }

    /// <summary>Whether every piece has run (it may still be queued or running when false).</summary>
    public bool IsCompleted => Volatile.Read(ref _done) == _pieces;

    /// <summary>Runs the next piece no thread has taken; false when none is left.</summary>
    internal bool RunPiece()
    {
        int piece = Interlocked.Increment(ref _next);
        if (piece >= _pieces)
        {
            return false;
        }

        try
        {
            _piece(piece);
        }
        catch (Exception ex)
        {
            Interlocked.CompareExchange(ref _error, ex, null);
        }
        finally
        {
            Interlocked.Increment(ref _done);
        }

        return true;
    }

    /// <summary>Runs every piece not yet taken here, waits for those other threads run, and rethrows the first exception.</summary>
    protected void Complete()
    {
        while (RunPiece())
        {
        }

        var spinner = default(SpinWait);
        while (Volatile.Read(ref _done) != _pieces)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }

        if (_error is { } error)
        {
            ExceptionDispatchInfo.Throw(error);
        }
    }
}

/// <summary>Background work whose result, of type <typeparamref name="T"/>, is made once all its pieces have run.</summary>
internal sealed class BackgroundWork<T>(int pieces, Action<int> piece, Func<T> result) : BackgroundWork(pieces, piece)
{
    /// <summary>The result, after running here whatever pieces no worker has started; rethrows a piece's exception.</summary>
    public T Wait()
    {
        Complete();
        return result();
    }
}
