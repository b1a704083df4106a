using System.Diagnostics;
using Backprop.NN;

namespace Backprop.Distributed;

/// <summary>
/// Data-parallel training of <see cref="Module"/> over a <see cref="ProcessGroup"/>
/// (<c>torch.nn.parallel.DistributedDataParallel</c>): every rank holds a replica, runs forward and
/// backward on its own part of each batch, and the gradients are averaged over the ranks, so each
/// optimizer step is the same on every rank and the replicas stay identical.
/// <list type="bullet">
/// <item>At construction rank 0's parameters and buffers are broadcast to every rank.</item>
/// <item>The parameters that require grad are grouped into buckets of about
/// <c>bucketCapMB</c> megabytes (25 by default) in reverse registration order, which is roughly the
/// order backward produces their gradients. A post-accumulate-grad hook
/// (<see cref="Tensor.RegisterPostAccumulateGradHook"/>) copies each gradient into its bucket as
/// soon as backward has accumulated it; when a bucket is complete (and every bucket before it has
/// been started) its all-reduce starts on the group's communication thread while backward goes on
/// with the earlier layers, so communication hides behind computation.</item>
/// <item>When the last bucket has started, the end of backward waits for all of them and writes
/// the averages (sum / world size) into each <see cref="Tensor.Grad"/>. If some parameter got no
/// gradient in this backward (a branch not taken), call <see cref="FinishGradientSync"/> before the
/// optimizer step: it reduces the rest, counting the missing gradients as zeros. Calling it when
/// the sync already finished does nothing, so a training loop may always call it.</item>
/// <item>With <c>broadcastBuffers</c> (the default, as PyTorch) each training-mode
/// <see cref="Forward"/> first copies rank 0's buffers to every rank: batch-norm layers normalize
/// with each rank's own batch statistics (as PyTorch's DDP without SyncBatchNorm), while the running
/// statistics all ranks carry are rank 0's.</item>
/// </list>
/// Averaging means each rank's loss should be the mean over its own samples, with equal sample
/// counts on every rank: then the averaged gradient is that of the mean loss over the global batch.
/// Use <see cref="NoSync"/> to accumulate gradients over several backward passes without
/// communication. The state dict keys carry the prefix <c>module.</c>, as PyTorch's; save
/// <see cref="Module"/>'s own state dict for a model file that loads without it.
/// </summary>
public sealed class DistributedDataParallel : Module, IDisposable
{
    /// <summary>The default bucket size in megabytes (PyTorch's <c>bucket_cap_mb</c>).</summary>
    public const double DefaultBucketCapMB = 25;

    private readonly List<Bucket> _buckets = [];
    private readonly List<IDisposable> _hooks = [];
    private readonly bool _broadcastBuffers;
    private int _nextToLaunch;
    private int _readyInStep;
    private bool _noSync;

    /// <summary>
    /// Wraps <paramref name="module"/>: broadcasts rank 0's parameters and buffers to every rank (a
    /// collective: every rank must construct it), builds the buckets and registers the gradient hooks.
    /// </summary>
    /// <param name="module">The replica on this rank; its parameters are overwritten with rank 0's.</param>
    /// <param name="group">The ranks that train together.</param>
    /// <param name="bucketCapMB">The size of a bucket in megabytes (default 25); a parameter larger than it gets a bucket of its own.</param>
    /// <param name="broadcastBuffers">Whether each training-mode forward first copies rank 0's buffers to every rank (default true).</param>
    public DistributedDataParallel(Module module, ProcessGroup group, double bucketCapMB = DefaultBucketCapMB, bool broadcastBuffers = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(group);
        if (!(bucketCapMB > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(bucketCapMB), $"DistributedDataParallel: bucketCapMB must be positive, got {bucketCapMB}");
        }

        Module = module;
        Group = group;
        _broadcastBuffers = broadcastBuffers;
        foreach (var parameter in module.Parameters())
        {
            group.Broadcast(parameter, 0);
        }

        foreach (var buffer in module.Buffers())
        {
            group.Broadcast(buffer, 0);
        }

        long capBytes = Math.Max(1, (long)(bucketCapMB * 1024 * 1024));
        Bucket? current = null;
        foreach (var parameter in module.Parameters().Where(p => p.RequiresGrad).Reverse())
        {
            long bytes = (long)parameter.Numel * (parameter.DType == DType.Float32 ? sizeof(float) : sizeof(double));
            if (current is null || current.DType != parameter.DType || (current.Bytes > 0 && current.Bytes + bytes > capBytes))
            {
                current = new Bucket(_buckets.Count, parameter.DType);
                _buckets.Add(current);
            }

            current.Add(parameter, bytes);
        }

        foreach (var bucket in _buckets)
        {
            bucket.Allocate();
            for (int i = 0; i < bucket.Parameters.Count; i++)
            {
                var b = bucket;
                int index = i;
                _hooks.Add(bucket.Parameters[i].RegisterPostAccumulateGradHook(_ => OnGradientReady(b, index)));
            }
        }
    }

    /// <summary>The wrapped replica (<c>ddp.module</c>); its state dict has no <c>module.</c> prefix.</summary>
    public Module Module { get; }

    /// <summary>The ranks this model trains with.</summary>
    public ProcessGroup Group { get; }

    /// <summary>The number of parameters in each bucket, in the order the buckets are reduced (the last parameters first).</summary>
    public IReadOnlyList<int> BucketParameterCounts => _buckets.Select(b => b.Parameters.Count).ToList();

    /// <summary>
    /// How long the last gradient sync kept the training thread waiting for communication after
    /// backward had produced every gradient: the all-reduce time not hidden behind backward.
    /// </summary>
    public TimeSpan LastExposedCommunication { get; private set; }

    /// <summary>The time the last sync's all-reduces took on the communication thread, hidden or not.</summary>
    public TimeSpan LastCommunication { get; private set; }

    /// <summary>
    /// Runs the wrapped module (<c>ddp(input)</c>); in training mode with <c>broadcastBuffers</c> it first
    /// copies rank 0's buffers to every rank (a collective).
    /// </summary>
    /// <param name="input">This rank's part of the batch.</param>
    /// <returns>The module's output.</returns>
    public override Tensor Forward(Tensor input)
    {
        if (_broadcastBuffers && IsTraining && Group.WorldSize > 1)
        {
            foreach (var buffer in Module.Buffers())
            {
                Group.Broadcast(buffer, 0);
            }
        }

        return Module.Call(input);
    }

    /// <summary>
    /// Turns gradient synchronization off until the returned scope is disposed (<c>with ddp.no_sync():</c>):
    /// backward passes inside it only accumulate into <see cref="Tensor.Grad"/>; the first backward after
    /// it averages the accumulated gradients.
    /// </summary>
    /// <returns>A scope whose disposal turns synchronization back on.</returns>
    public IDisposable NoSync()
    {
        if (_readyInStep > 0)
        {
            throw new InvalidOperationException("DistributedDataParallel.NoSync: a gradient sync is under way; call FinishGradientSync first");
        }

        _noSync = true;
        return new Scope(() => _noSync = false);
    }

    /// <summary>
    /// Completes the gradient sync of the last backward: reduces the buckets not yet started (a
    /// parameter that got no gradient counts as zero and receives the average of the others), waits
    /// for every bucket, and writes the averages into the gradients. Does nothing when there is no
    /// sync under way (it finishes by itself at the end of a backward that reached every parameter).
    /// Every rank must call it at the same point.
    /// </summary>
    /// <exception cref="DistributedException">An all-reduce failed.</exception>
    public void FinishGradientSync()
    {
        if (_readyInStep == 0)
        {
            return;
        }

        while (_nextToLaunch < _buckets.Count)
        {
            _buckets[_nextToLaunch].FillMissingWithZeros();
            Launch(_buckets[_nextToLaunch++]);
        }

        Complete();
    }

    /// <summary>Removes the gradient hooks from the module's parameters (the module then trains alone).</summary>
    public void Dispose()
    {
        foreach (var hook in _hooks)
        {
            hook.Dispose();
        }

        _hooks.Clear();
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"world_size={Group.WorldSize}, buckets={_buckets.Count}";

    private void OnGradientReady(Bucket bucket, int index)
    {
        if (_noSync)
        {
            return;
        }

        if (bucket.Launched || bucket.Ready[index])
        {
            throw new InvalidOperationException(
                $"DistributedDataParallel: rank {Group.Rank}: a second backward reached a parameter before the gradients of the first were synchronized; call FinishGradientSync between backward passes, or accumulate inside NoSync()");
        }

        bucket.Take(index);
        _readyInStep++;
        while (_nextToLaunch < _buckets.Count && _buckets[_nextToLaunch].Pending == 0)
        {
            Launch(_buckets[_nextToLaunch++]);
        }

        if (_nextToLaunch == _buckets.Count)
        {
            Complete();
        }
    }

    private void Launch(Bucket bucket)
    {
        bucket.Launched = true;
        bucket.Work = Group.AllReduceArrayAsync(bucket.Buffer, 0, bucket.Elements, ReduceOp.Sum);
    }

    private void Complete()
    {
        long start = Stopwatch.GetTimestamp();
        var communication = TimeSpan.Zero;
        try
        {
            foreach (var bucket in _buckets)
            {
                bucket.Work!.Wait();
                communication += bucket.Work.Duration;
            }
        }
        finally
        {
            LastExposedCommunication = Stopwatch.GetElapsedTime(start);
            LastCommunication = communication;
        }

        foreach (var bucket in _buckets)
        {
            bucket.WriteAverages(Group.WorldSize);
            bucket.Reset();
        }

        _nextToLaunch = 0;
        _readyInStep = 0;
    }

    /// <summary>Parameters whose gradients are reduced together, and the flat buffer they are copied into.</summary>
    private sealed class Bucket(int index, DType dtype)
    {
        private readonly List<int> _offsets = [];

        public int Index { get; } = index;

        public DType DType { get; } = dtype;

        public List<Tensor> Parameters { get; } = [];

        public long Bytes { get; private set; }

        public int Elements { get; private set; }

        public Array Buffer { get; private set; } = Array.Empty<float>();

        public bool[] Ready { get; private set; } = [];

        public int Pending { get; private set; }

        public bool Launched { get; set; }

        public Work? Work { get; set; }

        public void Add(Tensor parameter, long bytes)
        {
            _offsets.Add(Elements);
            Parameters.Add(parameter);
            Bytes += bytes;
            Elements = checked(Elements + parameter.Numel);
        }

        public void Allocate()
        {
            Buffer = DType == DType.Float32 ? new float[Elements] : new double[Elements];
            Ready = new bool[Parameters.Count];
            Pending = Parameters.Count;
        }

        /// <summary>Copies parameter <paramref name="index"/>'s gradient into the buffer.</summary>
        public void Take(int index)
        {
            var grad = Parameters[index].Grad!;
            Array.Copy(grad._data, 0, Buffer, _offsets[index], grad.Numel);
            Ready[index] = true;
            Pending--;
        }

        public void FillMissingWithZeros()
        {
            for (int i = 0; i < Parameters.Count; i++)
            {
                if (!Ready[i])
                {
                    Array.Clear(Buffer, _offsets[i], Parameters[i].Numel);
                    Ready[i] = true;
                    Pending--;
                }
            }
        }

        /// <summary>Writes sum / worldSize into each parameter's gradient (a new one where it had none).</summary>
        public void WriteAverages(int worldSize)
        {
            for (int i = 0; i < Parameters.Count; i++)
            {
                var p = Parameters[i];
                int offset = _offsets[i];
                p.Grad ??= Tensor.Zeros(p.Shape, p.DType);
                if (Buffer is float[] f)
                {
                    var g = p.Grad.F32.AsSpan(0, p.Numel);
                    var s = f.AsSpan(offset, p.Numel);
                    for (int k = 0; k < s.Length; k++)
                    {
                        g[k] = s[k] / worldSize;
                    }
                }
                else
                {
                    var g = p.Grad.F64.AsSpan(0, p.Numel);
                    var s = ((double[])Buffer).AsSpan(offset, p.Numel);
                    for (int k = 0; k < s.Length; k++)
                    {
                        g[k] = s[k] / worldSize;
                    }
                }
            }
        }

        public void Reset()
        {
            Array.Clear(Ready);
            Pending = Parameters.Count;
            Launched = false;
            Work = null;
        }
    }

    private sealed class Scope(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;

        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
