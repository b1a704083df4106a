namespace Backprop.NN;

/// <summary>
/// What a hook registration returns (<c>torch.utils.hooks.RemovableHandle</c>): <see cref="Remove"/>
/// or <see cref="Dispose"/> unregisters the hook, so <c>using var handle = module.RegisterForwardHook(...)</c>
/// keeps a hook for one scope. Removing twice does nothing.
/// </summary>
public sealed class RemovableHandle : IDisposable
{
    private Action? _remove;

    /// <summary>Creates a handle that runs <paramref name="remove"/> once, on the first <see cref="Remove"/>.</summary>
    /// <param name="remove">Unregisters the hook.</param>
    internal RemovableHandle(Action remove) => _remove = remove;

    /// <summary>Whether the hook is still registered (not yet removed through this handle).</summary>
    public bool IsRegistered => Volatile.Read(ref _remove) is not null;

    /// <summary>Unregisters the hook (<c>handle.remove()</c>); later calls do nothing.</summary>
    public void Remove() => Interlocked.Exchange(ref _remove, null)?.Invoke();

    /// <summary>Unregisters the hook, as <see cref="Remove"/>.</summary>
    public void Dispose() => Remove();
}
