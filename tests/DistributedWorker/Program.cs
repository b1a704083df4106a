using System.Globalization;
using Backprop;
using Backprop.Distributed;
using Backprop.NN;
using Backprop.Optim;

// Scenarios the distributed tests run under mpirun; each rank prints "rank R: ..." lines that the
// tests read. Usage: DistributedWorker collectives | train f32|f64 ROWS BATCH STEPS [bucketMB] | hang-rank R
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string scenario = args.Length > 0 ? args[0] : "collectives";
using var group = ProcessGroup.Init();
int rank = group.Rank, world = group.WorldSize;
switch (scenario)
{
    case "collectives":
        Collectives();
        break;
    case "train":
        Train(args[1] == "f64" ? DType.Float64 : DType.Float32, int.Parse(args[2]), int.Parse(args[3]), int.Parse(args[4]), args.Length > 5 ? double.Parse(args[5]) : DistributedDataParallel.DefaultBucketCapMB);
        break;
    case "hang-rank":
        // One rank stops answering before the all-reduce the others wait in.
        if (rank == int.Parse(args[1]))
        {
            Thread.Sleep(Timeout.Infinite);
        }

        group.AllReduce(Tensor.Ones([4]));
        break;
    default:
        throw new ArgumentException($"unknown scenario {scenario}");
}

Console.WriteLine($"rank {rank}: done");
return 0;

void Collectives()
{
    var t = Tensor.Full([5], rank + 1, DType.Float64);
    group.AllReduce(t);
    Console.WriteLine($"rank {rank}: world {world} sum {t[0].Item()}");
    var f = Tensor.Full([3], rank + 1);
    group.AllReduce(f, ReduceOp.Average);
    Console.WriteLine($"rank {rank}: avg {f[0].Item()}");
    var m = group.AllReduce([rank, -rank], ReduceOp.Max);
    Console.WriteLine($"rank {rank}: max {m[0]} {m[1]}");
    var b = rank == 0 ? Tensor.Arange(4, DType.Float32) : Tensor.Zeros([4]);
    group.Broadcast(b);
    Console.WriteLine($"rank {rank}: bcast {string.Join(",", b.ToArray<float>())}");
    var i = Tensor.FromArray(new long[] { rank, 1 }, 2);
    group.AllReduce(i);
    Console.WriteLine($"rank {rank}: int64 {i[0].Item()} {i[1].Item()}");
    group.Barrier();
}

// N ranks with DDP on a global batch vs one process (computed on rank 0) with the same batches:
// prints the largest weight difference after STEPS steps.
void Train(DType dtype, int rows, int batch, int steps, double bucketMB)
{
    var data = new Generator(7);
    var x = Tensor.Randn([rows, 10], data, dtype);
    var y = Tensor.RandInt(0, 4, [rows], data);
    var replica = Model(new Generator(100 + rank), dtype);   // different on each rank: DDP broadcasts rank 0's
    using var ddp = new DistributedDataParallel(replica, group, bucketMB);
    var optimizer = new SGD(replica.Parameters(), 0.1, momentum: 0.9);
    var reference = rank == 0 ? Model(new Generator(100), dtype) : null;
    var refOptimizer = reference is null ? null : new SGD(reference.Parameters(), 0.1, momentum: 0.9);
    double exposed = 0, communication = 0;
    for (int step = 0; step < steps; step++)
    {
        int start = (step * batch) % rows;
        int count = Math.Min(batch, rows - start);
        var (part, length) = GlobalBatch.Part(count, world, rank);
        optimizer.ZeroGrad();
        if (length > 0)
        {
            var loss = Tensor.CrossEntropy(ddp.Call(x[(start + part)..(start + part + length)]), y[(start + part)..(start + part + length)]);
            (loss * GlobalBatch.LossScale(count, world, rank)).Backward();
        }

        ddp.FinishGradientSync();
        optimizer.Step();
        exposed += ddp.LastExposedCommunication.TotalMilliseconds;
        communication += ddp.LastCommunication.TotalMilliseconds;
        if (reference is not null)
        {
            refOptimizer!.ZeroGrad();
            Tensor.CrossEntropy(reference.Call(x[start..(start + count)]), y[start..(start + count)]).Backward();
            refOptimizer.Step();
        }
    }

    Console.WriteLine($"rank {rank}: buckets {ddp.BucketParameterCounts.Count} comm_ms {communication:F3} exposed_ms {exposed:F3}");
    var mine = replica.Parameters().SelectMany(p => Values(p)).ToArray();
    var all = group.AllReduce(mine, ReduceOp.Max);
    var least = group.AllReduce(mine, ReduceOp.Min);
    double spread = all.Zip(least, (a, b) => a - b).Max();
    Console.WriteLine($"rank {rank}: replica_spread {spread:R}");
    if (reference is not null)
    {
        var expected = reference.Parameters().SelectMany(p => Values(p)).ToArray();
        double diff = mine.Zip(expected, (a, b) => Math.Abs(a - b)).Max();
        Console.WriteLine($"rank {rank}: max_weight_diff {diff:R}");
    }
}

static Sequential Model(Generator g, DType dtype) =>
    new(new Linear(10, 16, generator: g, dtype: dtype), new Tanh(), new Linear(16, 16, generator: g, dtype: dtype), new Tanh(), new Linear(16, 4, generator: g, dtype: dtype));

static IEnumerable<double> Values(Tensor t) => Enumerable.Range(0, t.Numel).Select(i => t.Reshape(-1)[i].Item());
