namespace Backprop;

/// <summary>
/// Forward-mode automatic differentiation (<c>torch.autograd.forward_ad</c>): a tensor may carry a
/// tangent, a direction ẋ of its own shape, and every op computes its output's tangent from its
/// inputs' as the forward pass runs (its forward derivative, <see cref="OpDefinition.ForwardDerivative"/>,
/// beside its backward in the op's one home). One forward pass gives ∂f/∂x·ẋ, a Jacobian-vector
/// product, with no graph and no backward pass:
/// <code>
/// using (ForwardAD.DualLevel())
/// {
///     var x = ForwardAD.MakeDual(primal, direction);
///     var (y, jvp) = ForwardAD.UnpackDual(f(x));
/// }
/// </code>
/// Tangents belong to the level they were made in: after it ends, <see cref="UnpackDual"/> sees none.
/// Grad mode does not matter (it works inside <see cref="Autograd.NoGrad"/>); an op without a forward
/// derivative is refused naming it. Levels do not nest, as in PyTorch 1.13.
/// </summary>
public static class ForwardAD
{
    /// <summary>The level this thread is in, 0 outside any; each level gets a new number, so old tangents are never read.</summary>
    [ThreadStatic]
    private static long t_level;

    /// <summary>True while an op's forward derivative is being computed: its own ops carry no tangents.</summary>
    [ThreadStatic]
    private static bool t_inRule;

    private static long s_lastLevel;

    /// <summary>True inside a <see cref="DualLevel"/> (outside the computation of a forward derivative).</summary>
    internal static bool IsActive => t_level != 0 && !t_inRule;

    /// <summary>
    /// Starts a level in which tensors may carry tangents (<c>with fwAD.dual_level():</c>); disposing it
    /// ends the level and every tangent made in it.
    /// </summary>
    /// <returns>The scope; dispose it (<c>using</c>) to end the level.</returns>
    /// <exception cref="InvalidOperationException">A level is already open on this thread.</exception>
    public static IDisposable DualLevel()
    {
        if (t_level != 0)
        {
            throw new InvalidOperationException("ForwardAD.DualLevel: a dual level is already open on this thread; levels do not nest");
        }

        t_level = Interlocked.Increment(ref s_lastLevel);
        return new LevelScope(t_level);
    }

    /// <summary>
    /// A tensor with <paramref name="primal"/>'s values (sharing its storage, and its graph when it
    /// requires grad) carrying <paramref name="tangent"/> (<c>fwAD.make_dual</c>).
    /// </summary>
    /// <param name="primal">The value, a float tensor.</param>
    /// <param name="tangent">The direction, of the primal's shape and dtype.</param>
    /// <returns>The dual tensor; ops on it carry tangents to their outputs while the level lasts.</returns>
    /// <exception cref="InvalidOperationException">No dual level is open.</exception>
    /// <exception cref="ArgumentException">The tangent's shape or dtype differs from the primal's, or the primal is not a float tensor.</exception>
    public static Tensor MakeDual(Tensor primal, Tensor tangent)
    {
        ArgumentNullException.ThrowIfNull(primal);
        ArgumentNullException.ThrowIfNull(tangent);
        if (t_level == 0)
        {
            throw new InvalidOperationException("ForwardAD.MakeDual: no dual level is open; call it inside using (ForwardAD.DualLevel()) { ... }");
        }

        if (!primal.DType.IsFloatingPoint())
        {
            throw new ArgumentException($"ForwardAD.MakeDual: the primal is {primal.DType.Name()}; only float tensors carry tangents", nameof(primal));
        }

        if (!tangent.Shape.AsSpan().SequenceEqual(primal.Shape) || tangent.DType != primal.DType)
        {
            throw new ArgumentException(
                $"ForwardAD.MakeDual: the tangent is {Shapes.Format([.. tangent.Shape])} {tangent.DType.Name()} but the primal is {Shapes.Format([.. primal.Shape])} {primal.DType.Name()}; they must match",
                nameof(tangent));
        }

        var dual = primal.RequiresGrad ? primal.View([.. primal.Shape]) : primal.Detach();
        dual.SetTangent(tangent.Detach(), t_level);
        return dual;
    }

    /// <summary>The value and, in the open level, the tangent of <paramref name="tensor"/> (<c>fwAD.unpack_dual</c>).</summary>
    /// <param name="tensor">A tensor computed inside the level (or any tensor).</param>
    /// <returns>The tensor itself as the primal, and its tangent (null when it has none in the open level: a zero tangent).</returns>
    public static (Tensor Primal, Tensor? Tangent) UnpackDual(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return (tensor, TangentOf(tensor));
    }

    /// <summary>The tangent <paramref name="tensor"/> carries in the open level, or null.</summary>
    internal static Tensor? TangentOf(Tensor tensor) => t_level != 0 ? tensor.TangentAt(t_level) : null;

    /// <summary>
    /// Gives <paramref name="output"/> its tangent when any input carries one: the op's forward
    /// derivative, computed with tangents off, broadcast to the output's shape.
    /// </summary>
    internal static void Propagate(OpDefinition op, Tensor output, Tensor[] inputs)
    {
        if (InputTangents(inputs) is not { } tangents)
        {
            return;
        }

        Tensor? tangent;
        t_inRule = true;
        try
        {
            tangent = op.ForwardDerivative(inputs, output, tangents);
            if (tangent is not null && !tangent.Shape.AsSpan().SequenceEqual(output.Shape))
            {
                tangent = tangent.BroadcastTo([.. output.Shape]);
            }
        }
        finally
        {
            t_inRule = false;
        }

        if (tangent is null)
        {
            throw NoForwardDerivative(op);
        }

        output.SetTangent(tangent.Detach(), t_level);
    }

    /// <summary>The tangents <paramref name="inputs"/> carry at the current level (null for one without), or null when none does.</summary>
    private static Tensor?[]? InputTangents(Tensor[] inputs)
    {
        Tensor?[]? tangents = null;
        for (int i = 0; i < inputs.Length; i++)
        {
            if (TangentOf(inputs[i]) is { } t)
            {
                tangents ??= new Tensor?[inputs.Length];
                tangents[i] = t;
            }
        }

        return tangents;
    }

    /// <summary>
    /// Gives each output of an op with several outputs (the recurrent layers) its tangent when any input
    /// carries one: the op's <see cref="OpDefinition.ForwardDerivatives"/>, computed with tangents off.
    /// </summary>
    internal static void PropagateSeveral(OpDefinition op, Tensor[] outputs, Tensor[] inputs)
    {
        if (InputTangents(inputs) is not { } tangents)
        {
            return;
        }

        Tensor?[]? outputTangents;
        t_inRule = true;
        try
        {
            outputTangents = op.ForwardDerivatives(inputs, outputs, tangents);
        }
        finally
        {
            t_inRule = false;
        }

        if (outputTangents is null || outputTangents.Length != outputs.Length)
        {
            throw NoForwardDerivative(op);
        }

        for (int k = 0; k < outputs.Length; k++)
        {
            if (outputTangents[k] is { } tangent)
            {
                outputs[k].SetTangent((tangent.Shape.AsSpan().SequenceEqual(outputs[k].Shape) ? tangent : tangent.BroadcastTo([.. outputs[k].Shape])).Detach(), t_level);
            }
        }
    }

    /// <summary>
    /// The tangents of <paramref name="function"/>'s outputs at <paramref name="primals"/> in the directions
    /// <paramref name="tangents"/> (null: zero), by running it with tangents on in the open level, grad mode
    /// off: the forward derivative of an op that is a composite of ops with forward derivatives (a fused
    /// recurrent layer, recomputed step by step). Called from inside a forward derivative.
    /// </summary>
    internal static Tensor?[] CompositeJvp(Func<Tensor[], Tensor[]> function, IReadOnlyList<Tensor> primals, IReadOnlyList<Tensor?> tangents)
    {
        bool wasInRule = t_inRule;
        t_inRule = false;
        try
        {
            using (Autograd.NoGrad())
            {
                var duals = new Tensor[primals.Count];
                for (int i = 0; i < duals.Length; i++)
                {
                    duals[i] = tangents[i] is { } t ? MakeDual(primals[i].Detach(), t) : primals[i].Detach();
                }

                return Array.ConvertAll(function(duals), TangentOf);
            }
        }
        finally
        {
            t_inRule = wasInRule;
        }
    }

    private static NotSupportedException NoForwardDerivative(OpDefinition op) => new(
        $"forward-mode AD: the op '{op}' has no forward derivative yet, so a tangent cannot pass through it; use reverse mode for this part (Autograd.Functional with DifferentiationMode.Reverse)");

    private sealed class LevelScope(long level) : IDisposable
    {
        public void Dispose()
        {
            if (t_level == level)
            {
                t_level = 0;
            }
        }
    }
}

/// <summary>How a Jacobian-vector product or a Jacobian is computed (PyTorch's <c>strategy</c> of <c>jacobian</c>).</summary>
public enum DifferentiationMode
{
    /// <summary>Reverse mode: one backward pass per output element (or, for a Jacobian-vector product, the backward pass differentiated again).</summary>
    Reverse,

    /// <summary>Forward mode: tangents carried with the forward pass, one pass per input element (or one pass for a Jacobian-vector product).</summary>
    Forward,
}
