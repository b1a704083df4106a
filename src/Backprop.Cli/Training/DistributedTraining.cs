using Backprop.Cli.Commands;
using Backprop.Data;
using Backprop.Distributed;
using Backprop.NN;

namespace Backprop.Cli.Training;

/// <summary>
/// <c>mpirun -np N backprop train ...</c> (and <c>bench mlp|cnn|lstm</c>): data-parallel training
/// (docs/distributed.md). Started when Open MPI's launcher says the world has more than one process
/// (OMPI_COMM_WORLD_SIZE &gt; 1).
/// <list type="bullet">
/// <item>Every rank builds the same model from the seed and draws the same global batches of
/// <c>--batch-size</c> rows from the same shuffled order; each keeps its own contiguous part
/// (<see cref="GlobalBatch.Part"/>), weights its mean loss by <see cref="GlobalBatch.LossScale"/>,
/// and DistributedDataParallel averages the gradients, so each step is the single process's step.
/// The checkpoint (loader state and position in the epoch) is therefore the single process's too:
/// a run written with N ranks resumes with M ranks or alone.</item>
/// <item>Rank 0 alone prints and writes the model, checkpoints, history and plots; the others write
/// nothing. The batch loss is the global batch's (one small all-reduce per step, which also carries
/// a stop request, so a signal stops every rank after the same batch). Evaluation runs on every
/// rank over the whole test set (the replicas are identical, so are the numbers).</item>
/// <item>A failure before training (a missing file, a bad option, on any rank) is agreed on: the
/// lowest failing rank reports it and every rank exits 1. A failure during training on one rank
/// prints its message and ends the job with MPI_Abort. A rank that dies ends the job through
/// mpirun; one that hangs through the process group's watchdog.</item>
/// </list>
/// </summary>
internal sealed class DistributedTraining : IDisposable
{
    private bool _ready;

    private DistributedTraining(ProcessGroup group)
    {
        Group = group;
    }

    /// <summary>The run's distributed state, or null when training alone.</summary>
    public static DistributedTraining? Current { get; private set; }

    public ProcessGroup Group { get; }

    public int Rank => Group.Rank;

    public int WorldSize => Group.WorldSize;

    /// <summary>Rank 0: the one that prints and writes files.</summary>
    public bool IsRoot => Rank == 0;

    public DistributedDataParallel? Ddp { get; private set; }

    /// <summary>
    /// Runs <paramref name="body"/> (the train or bench command, named <paramref name="command"/> in
    /// messages) on this rank: alone when not started by mpirun with several processes, else inside
    /// the MPI world with the failure rules above.
    /// </summary>
    public static int Run(string command, Func<int> body)
    {
        if (ProcessGroup.LaunchedWorldSize is not > 1)
        {
            return body();
        }

        var group = ProcessGroup.Init();
        using var run = Current = new DistributedTraining(group);
        if (!run.IsRoot)
        {
            // Only rank 0 talks: the others' stdout is dropped (their errors still reach stderr).
            Console.SetOut(TextWriter.Null);
        }

        try
        {
            return body();
        }
        catch (Exception ex) when (!run._ready)
        {
            // Before training: tell every rank; the lowest failing one prints the message as the
            // command would, and a barrier keeps the others from exiting (which makes mpirun end the
            // job) until it has.
            int first = (int)group.AllReduce([run.Rank], ReduceOp.Min)[0];
            int code = 1;
            if (first == run.Rank)
            {
                code = CommandRunner.Run(command, () =>
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex).Throw();
                    return 0;
                });
                Console.Error.Flush();
            }

            group.Barrier();
            return code;
        }

        catch (Exception ex)
        {
            // During training the others wait in a collective this rank will never join.
            Console.Error.WriteLine($"{command}: rank {run.Rank}: {ex.Message}");
            group.Abort(1);
            return 1;
        }
        finally
        {
            Current = null;
        }
    }

    /// <summary>
    /// The agreement point before training: called by every rank once its setup succeeded. If some
    /// other rank failed, this one exits quietly (the failing rank reports). Then rank 0's weights are
    /// broadcast and the gradient hooks attached, in buckets of <paramref name="bucketCapMB"/> megabytes.
    /// </summary>
    public void Ready(Module model, double bucketCapMB = DistributedDataParallel.DefaultBucketCapMB)
    {
        // Every rank reaches here or fails before it: a failed rank sends its rank, a ready one the world size.
        int first = (int)Group.AllReduce([WorldSize], ReduceOp.Min)[0];
        if (first < WorldSize)
        {
            Group.Barrier();
            Dispose();
            Environment.Exit(1);
        }

        _ready = true;
        Ddp = new DistributedDataParallel(model, Group, bucketCapMB, broadcastBuffers: false);
    }

    /// <summary>This rank's view of the training set: each global batch the loader draws is cut to this rank's part.</summary>
    public Dataset Shard(Dataset train) => new RankShard(train, WorldSize, Rank);

    /// <summary>The rows of global batch <paramref name="batch"/> (0-based) of an epoch.</summary>
    public static int GlobalRows(int datasetCount, int batchSize, int batch) => Math.Min(batchSize, datasetCount - (batch * batchSize));

    /// <summary>
    /// The global batch's mean loss from this rank's (weighted) loss, the rows all ranks predicted
    /// right, and whether any rank was asked to stop: one all-reduce of [loss·scale/N, correct, stop].
    /// </summary>
    public (double Loss, long Correct, bool Stop) Agree(double scaledLoss, long correct, bool stop)
    {
        var sums = Group.AllReduce([scaledLoss / WorldSize, correct, stop ? 1 : 0]);
        return (sums[0], (long)Math.Round(sums[1]), sums[2] > 0);
    }

    public void Dispose()
    {
        Ddp?.Dispose();
        Group.Dispose();
    }

    /// <summary>The training set as one rank sees it: a batch of global indices becomes this rank's contiguous part of them.</summary>
    private sealed class RankShard(Dataset inner, int worldSize, int rank) : Dataset
    {
        public override int Count => inner.Count;

        public override (Tensor X, Tensor Y) this[int index] => inner[index];

        public override (Tensor X, Tensor Y) GetBatch(ReadOnlySpan<int> indices)
        {
            var (start, length) = GlobalBatch.Part(indices.Length, worldSize, rank);

            // A last batch smaller than the world leaves some ranks nothing: they run on its first row
            // with a loss weight of 0, which takes part in the all-reduce and adds nothing.
            return length > 0 ? inner.GetBatch(indices.Slice(start, length)) : inner.GetBatch(indices[..1]);
        }
    }
}
