using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Backprop.Distributed;

/// <summary>
/// The processes of an MPI job as one group (<c>torch.distributed</c>'s default process group over
/// MPI_COMM_WORLD): this process's <see cref="Rank"/>, the <see cref="WorldSize"/>, and the collective
/// operations on tensors, in place: <see cref="AllReduce(Tensor, ReduceOp)"/>, <see cref="Broadcast"/>,
/// <see cref="Barrier"/>. Every rank must call the same collectives in the same order.
/// <para>
/// All MPI calls run on one communication thread of the group, in the order they were issued, so
/// <see cref="AllReduceAsync"/> can reduce gradients while the caller's thread computes; the blocking
/// operations queue behind it and wait. MPI is initialized with MPI_THREAD_SERIALIZED (or more) and
/// the communicator set to MPI_ERRORS_RETURN, so a failed call becomes a
/// <see cref="DistributedException"/> naming the rank and the call instead of MPI's default abort.
/// A call that does not complete within <see cref="Timeout"/> (a rank died or stopped answering) ends
/// the job with MPI_Abort and one message, instead of hanging.
/// </para>
/// <para>
/// Start the program with Open MPI's launcher: <c>mpirun -np 4 dotnet MyTrainer.dll</c>; as root add
/// <c>--allow-run-as-root</c>, and with more ranks than cores <c>--oversubscribe</c>.
/// </para>
/// </summary>
public sealed unsafe class ProcessGroup : IDisposable
{
    /// <summary>The environment variable that overrides the default <see cref="Timeout"/>, in seconds.</summary>
    public const string TimeoutVariable = "BACKPROP_DISTRIBUTED_TIMEOUT";

    private static readonly Lock s_initLock = new();
    private static ProcessGroup? s_world;
    private static bool s_finalized;

    private readonly BlockingCollection<Work> _queue = [];
    private readonly Thread _thread;
    private int _disposed;

    private ProcessGroup(int rank, int worldSize)
    {
        Rank = rank;
        WorldSize = worldSize;
        Timeout = DefaultTimeout();
        _thread = new Thread(Loop) { IsBackground = true, Name = $"MPI rank {rank}" };
        _thread.Start();
    }

    /// <summary>This process's rank, 0 … <see cref="WorldSize"/> − 1 (<c>dist.get_rank()</c>).</summary>
    public int Rank { get; }

    /// <summary>The number of processes in the job (<c>dist.get_world_size()</c>).</summary>
    public int WorldSize { get; }

    /// <summary>
    /// How long a collective may take before the job is ended as hung (default 300 s, or the seconds in
    /// the <c>BACKPROP_DISTRIBUTED_TIMEOUT</c> environment variable; <c>timeout</c> of
    /// <c>init_process_group</c>). It must exceed the longest time one rank can be ahead of another,
    /// such as a slow rank's data loading before the first collective.
    /// </summary>
    public TimeSpan Timeout { get; set; }

    /// <summary>
    /// The world size mpirun (Open MPI) started this process in, from its environment variable
    /// <c>OMPI_COMM_WORLD_SIZE</c>; null when the process was not started by mpirun. Reading it loads no MPI.
    /// </summary>
    public static int? LaunchedWorldSize =>
        int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE"), NumberStyles.None, CultureInfo.InvariantCulture, out int size) && size >= 1
            ? size
            : null;

    /// <summary>
    /// The rank mpirun gave this process (<c>OMPI_COMM_WORLD_RANK</c>), or null when it was not started by
    /// mpirun; known before <see cref="Init"/>, so a program can tell rank 0 before MPI starts.
    /// </summary>
    public static int? LaunchedRank =>
        int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_RANK"), NumberStyles.None, CultureInfo.InvariantCulture, out int rank)
            ? rank
            : null;

    /// <summary>
    /// Initializes MPI (once per process) and returns the group of all processes of the job
    /// (<c>dist.init_process_group("mpi")</c>); later calls return the same group until it is disposed.
    /// A process not started by mpirun is a world of one.
    /// </summary>
    /// <returns>The world group.</returns>
    /// <exception cref="DistributedException">Open MPI is not installed, or MPI could not start (the message says which).</exception>
    public static ProcessGroup Init()
    {
        lock (s_initLock)
        {
            if (s_world is not null)
            {
                return s_world;
            }

            if (s_finalized)
            {
                throw new DistributedException("MPI was finalized in this process and cannot be initialized again (MPI allows one MPI_Init per process)", -1, "MPI_Init");
            }

            Mpi.Load();
            int initialized = 0;
            Check(Mpi.Initialized(&initialized), -1, "MPI_Initialized");
            if (initialized == 0)
            {
                int provided = 0;
                Check(Mpi.InitThread(null, 0, Mpi.ThreadMultiple, &provided), -1, "MPI_Init_thread");
                if (provided < Mpi.ThreadSerialized)
                {
                    throw new DistributedException($"this MPI provides thread level {provided}; the process group needs MPI_THREAD_SERIALIZED ({Mpi.ThreadSerialized}) or more", -1, "MPI_Init_thread");
                }
            }

            Check(Mpi.CommSetErrhandler(Mpi.CommWorld, Mpi.ErrorsReturn), -1, "MPI_Comm_set_errhandler");
            int rank = 0, size = 0;
            Check(Mpi.CommRank(Mpi.CommWorld, &rank), -1, "MPI_Comm_rank");
            Check(Mpi.CommSize(Mpi.CommWorld, &size), rank, "MPI_Comm_size");
            s_world = new ProcessGroup(rank, size);
            return s_world;
        }
    }

    /// <summary>
    /// Reduces <paramref name="tensor"/> element by element over all ranks, in place: afterwards every
    /// rank holds the same result (<c>dist.all_reduce(tensor, op)</c>). Float32, float64 and int64
    /// tensors (<see cref="ReduceOp.Average"/> only for floating point).
    /// </summary>
    /// <param name="tensor">This rank's values, replaced by the result; the same shape and dtype on every rank.</param>
    /// <param name="op">How the values are combined (default the sum).</param>
    /// <exception cref="DistributedException">The MPI call failed.</exception>
    public void AllReduce(Tensor tensor, ReduceOp op = ReduceOp.Sum) => AllReduceAsync(tensor, op).Wait();

    /// <summary>
    /// <see cref="AllReduce(Tensor, ReduceOp)"/> without waiting (<c>async_op=True</c>): the reduction
    /// runs on the group's communication thread while the caller goes on; the tensor must not be used
    /// until <see cref="Work.Wait"/> has returned.
    /// </summary>
    /// <param name="tensor">This rank's values, replaced by the result.</param>
    /// <param name="op">How the values are combined (default the sum).</param>
    /// <returns>The queued operation; call <see cref="Work.Wait"/> before reading the tensor.</returns>
    public Work AllReduceAsync(Tensor tensor, ReduceOp op = ReduceOp.Sum)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return AllReduceArrayAsync(tensor._data, 0, tensor.Numel, op);
    }

    /// <summary>
    /// Reduces a few doubles over all ranks and returns the result (for metrics, counts and flags).
    /// </summary>
    /// <param name="values">This rank's values (not modified).</param>
    /// <param name="op">How the values are combined.</param>
    /// <returns>A new array with the combined values, the same on every rank.</returns>
    public double[] AllReduce(double[] values, ReduceOp op = ReduceOp.Sum)
    {
        ArgumentNullException.ThrowIfNull(values);
        var result = (double[])values.Clone();
        AllReduceArrayAsync(result, 0, result.Length, op).Wait();
        return result;
    }

    /// <summary>
    /// Copies <paramref name="tensor"/> from rank <paramref name="root"/> to every other rank, in place
    /// (<c>dist.broadcast(tensor, src)</c>).
    /// </summary>
    /// <param name="tensor">The data on the root; on the other ranks a tensor of the same shape and dtype that is overwritten.</param>
    /// <param name="root">The rank whose values are sent (default 0).</param>
    /// <exception cref="DistributedException">The MPI call failed.</exception>
    public void Broadcast(Tensor tensor, int root = 0)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if ((uint)root >= (uint)WorldSize)
        {
            throw new ArgumentOutOfRangeException(nameof(root), $"Broadcast: root {root} is not a rank of this group of {WorldSize}");
        }

        Array data = tensor._data;
        nint type = TypeOf(data, "MPI_Bcast");
        int count = tensor.Numel;
        Submit("MPI_Bcast", () =>
        {
            var pin = GCHandle.Alloc(data, GCHandleType.Pinned);
            try
            {
                return Mpi.Bcast((void*)pin.AddrOfPinnedObject(), count, type, root, Mpi.CommWorld);
            }
            finally
            {
                pin.Free();
            }
        }).Wait();
    }

    /// <summary>Waits until every rank has called it (<c>dist.barrier()</c>).</summary>
    /// <exception cref="DistributedException">The MPI call failed.</exception>
    public void Barrier() => Submit("MPI_Barrier", () => Mpi.Barrier(Mpi.CommWorld)).Wait();

    /// <summary>
    /// Ends every process of the job at once (MPI_Abort) with <paramref name="exitCode"/>: for an error on
    /// one rank that the others, waiting in a collective, cannot learn of. Print the message before.
    /// </summary>
    /// <param name="exitCode">The exit status mpirun reports.</param>
    public void Abort(int exitCode)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        Mpi.Abort(Mpi.CommWorld, exitCode);
        Environment.Exit(exitCode);
    }

    /// <summary>
    /// Finalizes MPI (<c>dist.destroy_process_group()</c>) after the queued operations have run. Every
    /// rank must call it; MPI cannot be initialized again in this process.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.CompleteAdding();
        _thread.Join();
        lock (s_initLock)
        {
            int finalized = 0;
            if (Mpi.Finalized(&finalized) == Mpi.Success && finalized == 0)
            {
                Mpi.Finalize();
            }

            s_world = null;
            s_finalized = true;
        }
    }

    /// <summary>Queues an all-reduce of <paramref name="count"/> elements of a float[], double[] or long[] from <paramref name="offset"/>.</summary>
    internal Work AllReduceArrayAsync(Array data, int offset, int count, ReduceOp op)
    {
        nint type = TypeOf(data, "MPI_Allreduce");
        if (op == ReduceOp.Average && data is long[])
        {
            throw new ArgumentException("AllReduce: ReduceOp.Average needs a float32 or float64 tensor, not int64");
        }

        nint mpiOp = op switch
        {
            ReduceOp.Sum or ReduceOp.Average => Mpi.OpSum,
            ReduceOp.Min => Mpi.OpMin,
            ReduceOp.Max => Mpi.OpMax,
            _ => throw new ArgumentOutOfRangeException(nameof(op), $"AllReduce: unknown ReduceOp {op}"),
        };
        int worldSize = WorldSize;
        Action? average = op != ReduceOp.Average ? null : data switch
        {
            float[] f => () => Divide(f.AsSpan(offset, count), worldSize),
            double[] d => () => Divide(d.AsSpan(offset, count), worldSize),
            _ => null,
        };
        return Submit(
            "MPI_Allreduce",
            () =>
            {
                var pin = GCHandle.Alloc(data, GCHandleType.Pinned);
                try
                {
                    int size = data is float[] ? sizeof(float) : sizeof(double);
                    return Mpi.Allreduce(Mpi.InPlace, (byte*)pin.AddrOfPinnedObject() + ((long)offset * size), count, type, mpiOp, Mpi.CommWorld);
                }
                finally
                {
                    pin.Free();
                }
            },
            average);
    }

    /// <summary>The message and MPI_Abort of a collective that did not complete in time.</summary>
    internal void AbortOnTimeout(string call)
    {
        Console.Error.WriteLine(
            $"error: rank {Rank}: {call} did not complete within {Timeout.TotalSeconds:0.#} s: another rank died or stopped answering; ending the job");
        Abort(1);
    }

    private Work Submit(string name, Func<int> call, Action? after = null)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new ObjectDisposedException(nameof(ProcessGroup), $"rank {Rank}: {name}: the process group was disposed (MPI finalized)");
        }

        var work = new Work(this, name, call, after);
        _queue.Add(work);
        return work;
    }

    private void Loop()
    {
        foreach (var work in _queue.GetConsumingEnumerable())
        {
            work.Execute();
        }
    }

    private static void Divide(Span<float> values, int n)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] /= n;
        }
    }

    private static void Divide(Span<double> values, int n)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] /= n;
        }
    }

    private nint TypeOf(Array data, string call) => data switch
    {
        float[] => Mpi.Float,
        double[] => Mpi.Double,
        long[] => Mpi.Int64,
        _ => throw new DistributedException($"unsupported storage {data.GetType().Name}", Rank, call),
    };

    private static void Check(int code, int rank, string call)
    {
        if (code != Mpi.Success)
        {
            throw new DistributedException(Mpi.Describe(code), rank, call);
        }
    }

    private static TimeSpan DefaultTimeout() =>
        double.TryParse(Environment.GetEnvironmentVariable(TimeoutVariable), NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromSeconds(300);
}
