namespace Backprop;

public static partial class Autograd
{
    /// <summary>
    /// A differentiable operation with a hand-written backward (<c>torch.autograd.Function</c>):
    /// subclass it, write <see cref="Forward"/> (which runs without recording, and saves on the context
    /// what the backward needs) and <see cref="Backward"/> (one gradient per input), and call
    /// <see cref="Apply"/>. The result is recorded as one node of the graph, usable with every other
    /// op, in <see cref="Tensor.Backward"/>, <see cref="Grad(Tensor, IReadOnlyList{Tensor}, Tensor?, bool, BackwardVersion, bool)"/> and <see cref="GradCheck"/>.
    /// <code>
    /// sealed class Exp : Autograd.Function
    /// {
    ///     protected override Tensor Forward(FunctionContext ctx, Tensor[] inputs)
    ///     {
    ///         var y = inputs[0].Exp();
    ///         ctx.SaveForBackward(y);
    ///         return y;
    ///     }
    ///
    ///     protected override Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput) =>
    ///         [gradOutput * ctx.SavedTensors[0]];
    /// }
    ///
    /// var y = new Exp().Apply(x);
    /// </code>
    /// One instance may be applied any number of times: keep per-call state on the context, not in fields.
    /// </summary>
    public abstract class Function
    {
        /// <summary>
        /// The name the graph shows for this function's nodes (<see cref="Node.Name"/>): the class name
        /// unless overridden.
        /// </summary>
        public virtual string Name => GetType().Name;

        /// <summary>
        /// Runs <see cref="Forward"/> on <paramref name="inputs"/> with recording off and, when grad
        /// mode is on and some input requires grad, records the result as one node whose backward is
        /// <see cref="Backward"/> (<c>Function.apply</c>).
        /// </summary>
        /// <param name="inputs">The tensors the function is differentiated with respect to, in the order <see cref="Backward"/> returns their gradients.</param>
        /// <returns>The output of <see cref="Forward"/>, attached to the graph.</returns>
        /// <exception cref="ArgumentException">An input is null.</exception>
        /// <exception cref="InvalidOperationException"><see cref="Forward"/> returned null, or returned one of its inputs unchanged.</exception>
        public Tensor Apply(params Tensor[] inputs)
        {
            ArgumentNullException.ThrowIfNull(inputs);
            for (int i = 0; i < inputs.Length; i++)
            {
                if (inputs[i] is null)
                {
                    throw new ArgumentException($"{Name}: input {i} is null", nameof(inputs));
                }
            }

            var context = new FunctionContext(Array.ConvertAll(inputs, input => input.RequiresGrad && IsGradEnabled));
            Tensor result;
            using (NoGrad())
            {
                result = Forward(context, (Tensor[])inputs.Clone())
                    ?? throw new InvalidOperationException($"{Name}: Forward returned null");
            }

            if (Array.Exists(inputs, input => ReferenceEquals(input, result)))
            {
                // The node would be attached to the caller's own tensor: return a view as PyTorch does.
                result = result.Detach();
            }

            if (result.GradFn is not null)
            {
                // Made under NoGrad it has no node; one it had before (a tensor Forward kept from
                // elsewhere) must not be overwritten.
                result = result.Detach();
            }

            var definition = new FunctionDefinition(this);
            var shapes = Array.ConvertAll(inputs, input => input.Shape);
            return Tensor.Record(definition, result, inputs, gradOutput =>
            {
                var grads = Backward(context, gradOutput)
                    ?? throw new InvalidOperationException($"{Name}: Backward returned null instead of one gradient per input");
                if (grads.Length != shapes.Length)
                {
                    throw new InvalidOperationException($"{Name}: Backward returned {grads.Length} gradients for {shapes.Length} inputs");
                }

                for (int i = 0; i < grads.Length; i++)
                {
                    if (grads[i] is { } g && !g.Shape.AsSpan().SequenceEqual(shapes[i]))
                    {
                        throw new InvalidOperationException(
                            $"{Name}: Backward returned a gradient of shape ({string.Join(", ", g.Shape)}) for input {i} of shape ({string.Join(", ", shapes[i])})");
                    }
                }

                return grads;
            });
        }

        /// <summary>
        /// Computes the output from <paramref name="inputs"/> (<c>Function.forward</c>). Runs with
        /// recording off; save what <see cref="Backward"/> needs with <see cref="FunctionContext.SaveForBackward"/>.
        /// </summary>
        /// <param name="ctx">This call's context, handed to <see cref="Backward"/>.</param>
        /// <param name="inputs">The inputs given to <see cref="Apply"/>.</param>
        /// <returns>The output (a new tensor).</returns>
        protected abstract Tensor Forward(FunctionContext ctx, Tensor[] inputs);

        /// <summary>
        /// Maps dL/d(output) to dL/d(each input), in the inputs' order and shapes (<c>Function.backward</c>);
        /// null for an input that gets no gradient (check <see cref="FunctionContext.NeedsInputGrad"/> to
        /// skip work). Ops used here are not recorded.
        /// </summary>
        /// <param name="ctx">The context <see cref="Forward"/> filled.</param>
        /// <param name="gradOutput">dL/d(output), of the output's shape.</param>
        /// <returns>One gradient (or null) per input.</returns>
        protected abstract Tensor?[] Backward(FunctionContext ctx, Tensor gradOutput);
    }

    /// <summary>What one call of a <see cref="Function"/> keeps between its forward and its backward (PyTorch's <c>ctx</c>).</summary>
    public sealed class FunctionContext
    {
        private readonly bool[] _needsInputGrad;
        private readonly Dictionary<string, object?> _values = new(StringComparer.Ordinal);
        private Tensor[] _saved = [];

        internal FunctionContext(bool[] needsInputGrad) => _needsInputGrad = needsInputGrad;

        /// <summary>The tensors passed to <see cref="SaveForBackward"/> (<c>ctx.saved_tensors</c>).</summary>
        public IReadOnlyList<Tensor> SavedTensors => _saved;

        /// <summary>Keeps <paramref name="tensors"/> for the backward (<c>ctx.save_for_backward</c>); a later call replaces them.</summary>
        /// <param name="tensors">Inputs, the output or intermediate values the backward needs.</param>
        public void SaveForBackward(params Tensor[] tensors)
        {
            ArgumentNullException.ThrowIfNull(tensors);
            _saved = (Tensor[])tensors.Clone();
        }

        /// <summary>Whether input <paramref name="index"/> will receive a gradient (<c>ctx.needs_input_grad[index]</c>).</summary>
        /// <param name="index">The input's position in <see cref="Function.Apply"/>'s arguments.</param>
        /// <returns>True when that input requires grad and grad mode was on at the call.</returns>
        public bool NeedsInputGrad(int index) => _needsInputGrad[index];

        /// <summary>Keeps a value that is not a tensor (a dim, a flag) for the backward, as <c>ctx.dim = dim</c> does.</summary>
        /// <param name="name">The value's name.</param>
        /// <param name="value">The value.</param>
        public void Set(string name, object? value) => _values[name] = value;

        /// <summary>A value kept with <see cref="Set"/>.</summary>
        /// <typeparam name="T">The value's type.</typeparam>
        /// <param name="name">The name it was kept under.</param>
        /// <returns>The value kept under <paramref name="name"/>, cast to <typeparamref name="T"/>.</returns>
        /// <exception cref="KeyNotFoundException">Nothing was kept under <paramref name="name"/>; the message names it.</exception>
        public T Get<T>(string name) => _values.TryGetValue(name, out var value)
            ? (T)value!
            : throw new KeyNotFoundException($"FunctionContext: no value was kept under '{name}' (call ctx.Set in Forward)");
    }
}

/// <summary>
/// The definition recorded for a user's <see cref="Autograd.Function"/>: its name is the function's
/// <see cref="Autograd.Function.Name"/>. It has no ONNX lowering, so export refuses it by name.
/// </summary>
public sealed class FunctionDefinition : OpDefinition, IGradCheckSamples
{
    internal FunctionDefinition(Autograd.Function function)
        : base(function.Name, "user-defined: the function's own Forward and Backward")
    {
        Function = function;
    }

    /// <summary>The function whose call made the node.</summary>
    public Autograd.Function Function { get; }

    /// <summary>
    /// The inputs the plumbing is gradient-checked on: a function y = a²·b written by hand, with b
    /// broadcast over a's rows, so saved tensors, one gradient per input and broadcasting are all exercised.
    /// </summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("function", x => new SquareTimes().Apply(x[0], x[1]), OpRegistry.In([3, 4]), OpRegistry.In([4])),
    ];

    /// <summary>y = a²·b: ∂y/∂a = 2ab, ∂y/∂b = a² (summed over a's rows).</summary>
    private sealed class SquareTimes : Autograd.Function
    {
        public override string Name => "square_times";

        protected override Tensor Forward(Autograd.FunctionContext ctx, Tensor[] inputs)
        {
            ctx.SaveForBackward(inputs[0], inputs[1]);
            return inputs[0] * inputs[0] * inputs[1];
        }

        protected override Tensor?[] Backward(Autograd.FunctionContext ctx, Tensor gradOutput)
        {
            var (a, b) = (ctx.SavedTensors[0], ctx.SavedTensors[1]);
            return [2.0 * gradOutput * a * b, ctx.NeedsInputGrad(1) ? (gradOutput * a * a).Sum(0) : null];
        }
    }
}
