namespace Backprop;

/// <summary>
/// Moves the runtime's generation-0 collections to the boundaries between training steps. A step
/// allocates its activations and gradients and drops them all when it ends; a collection that falls
/// inside a step finds the step's tensors alive, copies them to generation 1, and generation 1 then
/// fills and is collected in turn (bench cnn: 288 generation-1 collections per epoch, 0.69 s of
/// pauses). Called after each step, this learns how many bytes the runtime lets a program allocate
/// between two collections (its generation-0 budget) and how many a step allocates, and collects
/// generation 0 itself when the next step would not fit: at that moment only the model, the
/// optimizer's state and the next batch are alive, so the collection copies almost nothing.
/// </summary>
/// <remarks>
/// It only ever adds generation-0 collections at step boundaries; the runtime still collects on its
/// own whenever its budget runs out. One instance per training loop, called from that loop's thread.
/// </remarks>
public sealed class StepCollector
{
    private readonly Func<long> _allocatedBytes;
    private readonly Func<int> _collections;
    private readonly Action _collect;
    private long _lastAllocated;
    private int _lastCollections;
    private long _sinceCollection; // bytes in the runtime's current window, at most (for deciding)
    private long _measured;        // bytes in it, at least (for learning the budget)
    private bool _counting;
    private long _budget;

    /// <summary>A collector for this process's garbage collector.</summary>
    public StepCollector()
        : this(() => GC.GetTotalAllocatedBytes(precise: false), () => GC.CollectionCount(0), () => GC.Collect(0, GCCollectionMode.Forced, blocking: true))
    {
    }

    /// <summary>A collector over the given counters and collection (for tests).</summary>
    internal StepCollector(Func<long> allocatedBytes, Func<int> collections, Action collect)
    {
        _allocatedBytes = allocatedBytes;
        _collections = collections;
        _collect = collect;
        _lastAllocated = allocatedBytes();
        _lastCollections = collections();
    }

    /// <summary>The generation-0 budget learned so far, in bytes (0 until the runtime has collected once during a step).</summary>
    public long Budget => _budget;

    /// <summary>How many collections this collector has made.</summary>
    public int Collections { get; private set; }

    /// <summary>Call after each training step (after the optimizer's step); collects generation 0 when the next step would overflow it.</summary>
    public void StepCompleted()
    {
        long allocated = _allocatedBytes();
        long step = allocated - _lastAllocated;
        _lastAllocated = allocated;
        int collections = _collections();
        if (collections != _lastCollections)
        {
            // The runtime collected during the step: the bytes counted since the last collection seen
            // here, plus this step's, held that many budgets (from a collection made here the count is
            // exact at its start; after one of the runtime's, it starts at the end of that step and
            // understates by up to a step; before any, it starts at an unknown point and is not used).
            if (_counting)
            {
                _budget = (_measured + step) / (collections - _lastCollections);
            }

            // What the step allocated after the collection is already in the runtime's new window: for
            // deciding, count all of the step, so that when the next step cannot fit either, the
            // collection below happens now rather than inside the next step again.
            _counting = true;
            _lastCollections = collections;
            _measured = 0;
            _sinceCollection = step;
        }
        else
        {
            _measured += step;
            _sinceCollection += step;
        }

        // A quarter of a step of headroom: steps differ a little (the first of an epoch, a last short batch).
        // A step that cannot fit a whole budget is collected inside whatever happens here.
        long next = step + (step / 4);
        if (_budget > 0 && next <= _budget && _sinceCollection + next > _budget)
        {
            _collect();
            Collections++;
            _lastCollections = _collections();
            _counting = true;
            _measured = 0;
            _sinceCollection = 0;
        }
    }
}
