namespace Backprop.NN;

public abstract partial class Module
{
    /// <summary>
    /// An inference-only snapshot of this module, for serving predictions (as <c>torch.jit.freeze</c>
    /// or an ONNX Runtime session): the weights of every layer it knows (<see cref="Linear"/>,
    /// <see cref="Conv2d"/>, <see cref="BatchNorm1d"/>, <see cref="BatchNorm2d"/>, inside
    /// <see cref="Sequential"/> chains, nested or not) are copied now and laid out once in the form
    /// their kernels read (a Linear's Wᵀ in the GEMM's packed panels for the instruction set this
    /// process runs, a convolution's kernels in the direct convolution's panels), instead of on every
    /// forward call.
    /// </summary>
    /// <remarks>
    /// <para>Its output is bit-identical to <c>Eval()</c> then a forward under <see cref="Autograd.NoGrad"/>
    /// of this module as it is now, on any batch size and thread count. It always runs in evaluation
    /// mode (dropout is the identity, batch normalization uses the running statistics) whatever
    /// <see cref="Train"/> is called on it or on this module, and it never records a graph: its output
    /// has no gradient function even with grad mode on (train this module, not the snapshot).</para>
    /// <para>It is a snapshot: training this module further, <see cref="LoadStateDict"/> or assigning
    /// its weights afterwards does not change the frozen module's output; freeze again to serve the
    /// new weights. It has no parameters or buffers of its own (<see cref="StateDict"/> is empty), and
    /// ONNX export refuses it (export the module it was frozen from).</para>
    /// <para>A module it does not know (one you wrote, an LSTM, …) and any layer with hooks are kept
    /// as they are, by reference, and called under <see cref="Autograd.NoGrad"/> with their hooks:
    /// they see later changes to their own weights and mode, so they must be in evaluation mode when
    /// frozen (an <see cref="ArgumentException"/> says which one is not). Hooks registered on this
    /// module itself are not carried over. Freezing a frozen module returns it.</para>
    /// </remarks>
    /// <returns>A new module that computes this one's evaluation-mode forward from copies of its weights.</returns>
    /// <exception cref="ArgumentException">A module kept by reference is in training mode; the message names it.</exception>
    public Module Freeze() => this as FrozenModule ?? FrozenModule.Create(this);
}
