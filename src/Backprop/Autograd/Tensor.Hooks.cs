namespace Backprop;

public sealed partial class Tensor
{
    // Registration is rare; one lock for all tensors keeps a tensor free of a lock object of its own.
    private static readonly Lock s_hookLock = new();

    private Action<Tensor>[] _postAccumulateGradHooks = [];

    /// <summary>
    /// Registers <paramref name="hook"/>(tensor) to run during <see cref="Backward"/> right after this
    /// leaf's gradient of the pass has been added into <see cref="Grad"/>
    /// (<c>tensor.register_post_accumulate_grad_hook(hook)</c>). The hook sees the accumulated
    /// <see cref="Grad"/> and may read or modify it in place; it runs on the thread of the backward
    /// pass, while the rest of the graph is still being walked, which is what lets data-parallel
    /// training start sending a layer's gradients while earlier layers' are still computed. It runs
    /// once per backward pass that reaches this tensor (never for a pass that does not), also in
    /// <c>Backward(createGraph: true)</c>; <see cref="Autograd.Grad(Tensor, IReadOnlyList{Tensor}, Tensor?, bool, BackwardVersion, bool)"/>,
    /// which touches no <see cref="Grad"/>, does not run it. Hooks run in registration order.
    /// </summary>
    /// <param name="hook">Called with this tensor once its <see cref="Grad"/> holds the pass's contribution.</param>
    /// <returns>A handle whose <see cref="IDisposable.Dispose"/> unregisters the hook (later calls do nothing).</returns>
    /// <exception cref="InvalidOperationException">This tensor is not a leaf that requires grad.</exception>
    public IDisposable RegisterPostAccumulateGradHook(Action<Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (!IsLeaf || !RequiresGrad)
        {
            throw new InvalidOperationException(
                "RegisterPostAccumulateGradHook: only a leaf tensor that requires grad accumulates a gradient (a parameter, or a tensor made with RequiresGrad = true)");
        }

        lock (s_hookLock)
        {
            _postAccumulateGradHooks = [.. _postAccumulateGradHooks, hook];
        }

        return new HookRegistration(() =>
        {
            lock (s_hookLock)
            {
                int index = Array.FindIndex(_postAccumulateGradHooks, h => ReferenceEquals(h, hook));
                if (index >= 0)
                {
                    _postAccumulateGradHooks = [.. _postAccumulateGradHooks[..index], .. _postAccumulateGradHooks[(index + 1)..]];
                }
            }
        });
    }

    /// <summary>Runs the post-accumulate-grad hooks of a leaf whose <see cref="Grad"/> has just been updated.</summary>
    private void RunPostAccumulateGradHooks()
    {
        // Copy on write: a hook that removes itself does not disturb this loop.
        foreach (var hook in _postAccumulateGradHooks)
        {
            hook(this);
        }
    }

    /// <summary>Unregisters a hook once, on the first <see cref="Dispose"/>.</summary>
    private sealed class HookRegistration(Action remove) : IDisposable
    {
        private Action? _remove = remove;

        public void Dispose() => Interlocked.Exchange(ref _remove, null)?.Invoke();
    }
}
