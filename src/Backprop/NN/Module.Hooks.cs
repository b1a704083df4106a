namespace Backprop.NN;

/// <summary>
/// Module hooks (PyTorch's <c>register_forward_pre_hook</c>, <c>register_forward_hook</c> and
/// <c>register_full_backward_hook</c>) and <see cref="Call"/>, the call that runs them
/// (<c>module(input)</c>). As in PyTorch, where <c>module.forward(x)</c> skips hooks, calling
/// <see cref="Forward"/> directly runs none: the built-in containers call their children with
/// <see cref="Call"/>, and a module of your own should too for hooks (and <c>ModelSummary</c>) to
/// see its children.
/// </summary>
public abstract partial class Module
{
    private Func<Module, Tensor, Tensor?>[] _forwardPreHooks = [];
    private Func<Module, Tensor, Tensor, Tensor?>[] _forwardHooks = [];
    private Func<Module, Tensor?, Tensor, Tensor?>[] _backwardHooks = [];

    /// <summary>True when any forward pre-hook, forward hook or backward hook is registered (then <see cref="Call"/> is more than <see cref="Forward"/>).</summary>
    internal bool HasHooks => _forwardPreHooks.Length != 0 || _forwardHooks.Length != 0 || _backwardHooks.Length != 0;

    /// <summary>
    /// Runs the module as PyTorch's <c>module(input)</c> does: the forward pre-hooks (each may replace
    /// the input), <see cref="Forward"/>, the forward hooks (each may replace the output), and, when
    /// backward hooks are registered and grad mode is on, marks the input and output so that the
    /// backward pass calls them. Without hooks it is <see cref="Forward"/> and costs nothing more.
    /// </summary>
    /// <param name="input">The module's input.</param>
    /// <returns>The output of <see cref="Forward"/>, or what a forward hook replaced it with.</returns>
    public Tensor Call(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var pre = _forwardPreHooks;
        var post = _forwardHooks;
        var backward = _backwardHooks;
        if (pre.Length == 0 && post.Length == 0 && backward.Length == 0)
        {
            return Forward(input);
        }

        foreach (var hook in pre)
        {
            input = hook(this, input) ?? input;
        }

        BackwardHookCall? call = backward.Length > 0 && Autograd.IsGradEnabled ? new BackwardHookCall(this, backward) : null;
        if (call is not null && input.RequiresGrad)
        {
            call.InputMarked = true;
            input = new InputMark(call).Apply(input);
        }

        var output = Forward(input) ?? throw new InvalidOperationException($"{TypeName}: Forward returned null");
        foreach (var hook in post)
        {
            output = hook(this, input, output) ?? output;
        }

        if (call is not null && output.RequiresGrad)
        {
            output = new OutputMark(call).Apply(output);
        }

        return output;
    }

    /// <summary>
    /// Registers <paramref name="hook"/>(module, input) to run before every <see cref="Call"/>'s
    /// <see cref="Forward"/>; a non-null result replaces the input (<c>module.register_forward_pre_hook</c>).
    /// Hooks run in registration order.
    /// </summary>
    /// <param name="hook">Called with this module and its input; returns the replacement input, or null to keep it.</param>
    /// <returns>The handle whose <see cref="RemovableHandle.Remove"/> unregisters the hook.</returns>
    public RemovableHandle RegisterForwardPreHook(Func<Module, Tensor, Tensor?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return AddHook(ref _forwardPreHooks, hook, () => RemoveHook(ref _forwardPreHooks, hook));
    }

    /// <summary>Registers <paramref name="hook"/>(module, input) to run before every <see cref="Call"/>'s <see cref="Forward"/>, observing only (<c>module.register_forward_pre_hook</c>).</summary>
    /// <param name="hook">Called with this module and its input.</param>
    /// <returns>The handle whose <see cref="RemovableHandle.Remove"/> unregisters the hook.</returns>
    public RemovableHandle RegisterForwardPreHook(Action<Module, Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return RegisterForwardPreHook((module, input) =>
        {
            hook(module, input);
            return null;
        });
    }

    /// <summary>
    /// Registers <paramref name="hook"/>(module, input, output) to run after every <see cref="Call"/>'s
    /// <see cref="Forward"/>; a non-null result replaces the output (<c>module.register_forward_hook</c>).
    /// Hooks run in registration order, each seeing the output the one before returned.
    /// </summary>
    /// <param name="hook">Called with this module, its input and its output; returns the replacement output, or null to keep it.</param>
    /// <returns>The handle whose <see cref="RemovableHandle.Remove"/> unregisters the hook.</returns>
    public RemovableHandle RegisterForwardHook(Func<Module, Tensor, Tensor, Tensor?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return AddHook(ref _forwardHooks, hook, () => RemoveHook(ref _forwardHooks, hook));
    }

    /// <summary>Registers <paramref name="hook"/>(module, input, output) to run after every <see cref="Call"/>'s <see cref="Forward"/>, observing only (<c>module.register_forward_hook</c>).</summary>
    /// <param name="hook">Called with this module, its input and its output.</param>
    /// <returns>The handle whose <see cref="RemovableHandle.Remove"/> unregisters the hook.</returns>
    public RemovableHandle RegisterForwardHook(Action<Module, Tensor, Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return RegisterForwardHook((module, input, output) =>
        {
            hook(module, input, output);
            return null;
        });
    }

    /// <summary>
    /// Registers <paramref name="hook"/>(module, gradInput, gradOutput), called in the backward pass of
    /// every output made by <see cref="Call"/> while grad mode was on (<c>module.register_full_backward_hook</c>):
    /// gradOutput is dL/d(output), gradInput dL/d(input), or null when the input does not require grad
    /// (then the hook runs as soon as gradOutput is known). A non-null result replaces gradInput in the
    /// rest of the backward pass. The marks it needs are nodes of the graph, so a pass with
    /// <c>createGraph: true</c> through a hooked module is refused.
    /// </summary>
    /// <param name="hook">Called with this module, dL/d(input) (or null) and dL/d(output); returns a replacement dL/d(input), or null to keep it.</param>
    /// <returns>The handle whose <see cref="RemovableHandle.Remove"/> unregisters the hook.</returns>
    public RemovableHandle RegisterFullBackwardHook(Func<Module, Tensor?, Tensor, Tensor?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return AddHook(ref _backwardHooks, hook, () => RemoveHook(ref _backwardHooks, hook));
    }

    /// <summary>Registers <paramref name="hook"/>(module, gradInput, gradOutput) for the backward pass, observing only (<c>module.register_full_backward_hook</c>); see the other overload.</summary>
    /// <param name="hook">Called with this module, dL/d(input) (null when the input does not require grad) and dL/d(output).</param>
    /// <returns>The handle whose <see cref="RemovableHandle.Remove"/> unregisters the hook.</returns>
    public RemovableHandle RegisterFullBackwardHook(Action<Module, Tensor?, Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return RegisterFullBackwardHook((module, gradInput, gradOutput) =>
        {
            hook(module, gradInput, gradOutput);
            return null;
        });
    }

    // Copy on write: a Call that is running keeps the array it started with, so a hook may remove itself.
    private RemovableHandle AddHook<T>(ref T[] hooks, T hook, Action remove)
        where T : Delegate
    {
        lock (_registered)
        {
            hooks = [.. hooks, hook];
        }

        return new RemovableHandle(remove);
    }

    private void RemoveHook<T>(ref T[] hooks, T hook)
        where T : Delegate
    {
        lock (_registered)
        {
            int index = Array.FindIndex(hooks, h => ReferenceEquals(h, hook));
            if (index >= 0)
            {
                hooks = [.. hooks[..index], .. hooks[(index + 1)..]];
            }
        }
    }

    /// <summary>One <see cref="Call"/>'s backward hooks and the gradient of its output, once the backward pass has reached it.</summary>
    private sealed class BackwardHookCall(Module module, Func<Module, Tensor?, Tensor, Tensor?>[] hooks)
    {
        public bool InputMarked { get; set; }

        public Tensor? GradOutput { get; set; }

        public Tensor? Fire(Tensor? gradInput)
        {
            var gradOutput = GradOutput ?? throw new InvalidOperationException($"{module.TypeName}: backward hook reached the input before the output");
            foreach (var hook in hooks)
            {
                gradInput = hook(module, gradInput, gradOutput) ?? gradInput;
            }

            return gradInput;
        }
    }

    /// <summary>The identity on the module's output; its backward keeps dL/d(output) (and fires the hooks when the input is not marked).</summary>
    private sealed class OutputMark(BackwardHookCall call) : Autograd.Function
    {
        public override string Name => "backward_hook";

        protected override Tensor Forward(Autograd.FunctionContext ctx, Tensor[] inputs) => inputs[0];

        protected override Tensor?[] Backward(Autograd.FunctionContext ctx, Tensor gradOutput)
        {
            call.GradOutput = gradOutput;
            if (!call.InputMarked)
            {
                call.Fire(null);
            }

            return [gradOutput];
        }
    }

    /// <summary>The identity on the module's input; its backward receives dL/d(input) and fires the hooks.</summary>
    private sealed class InputMark(BackwardHookCall call) : Autograd.Function
    {
        public override string Name => "backward_hook";

        protected override Tensor Forward(Autograd.FunctionContext ctx, Tensor[] inputs) => inputs[0];

        protected override Tensor?[] Backward(Autograd.FunctionContext ctx, Tensor gradOutput)
        {
            var replaced = call.Fire(gradOutput);
            if (replaced is not null && !replaced.Shape.AsSpan().SequenceEqual(gradOutput.Shape))
            {
                throw new InvalidOperationException($"backward hook returned a gradient of shape {Shapes.Format(replaced.Shape)} for an input of shape {Shapes.Format(gradOutput.Shape)}");
            }

            return [replaced];
        }
    }
}
