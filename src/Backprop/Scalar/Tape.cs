using System.Globalization;

namespace Backprop.Scalar;

/// <summary>
/// The scalar engine for speed: the same primitives and the same numbers as <see cref="Value"/>, but a
/// node is one slot of a few parallel arrays (its value, its gradient, its <see cref="TapeOp"/>, the
/// indices of at most two inputs and ∂node/∂input for each) instead of an object, and a
/// <see cref="Var"/> is a handle (this tape and a slot index), so recording a node allocates nothing.
/// </summary>
/// <remarks>
/// <para>
/// A node is appended when it is computed, after its inputs, so the tape is already in topological
/// order: <see cref="Var.Backward"/> is one loop from the output down to the first slot, with no graph
/// traversal. <see cref="Rewind"/> drops the nodes recorded after a mark (say, after the parameters)
/// and keeps the arrays, so a training step records into the same memory every time and, once the
/// tape has grown to the size of one step, allocates nothing.
/// </para>
/// <para>Not thread-safe: record on one tape from one thread at a time.</para>
/// </remarks>
/// <example>
/// <code>
/// var tape = new Tape();
/// Var w = tape.Leaf(0.5);
/// int parameters = tape.Count;
/// for (int step = 0; step &lt; 100; step++)
/// {
///     tape.Rewind(parameters);     // forget the previous step's nodes, keep w
///     Var loss = (w * 3 - 1).Pow(2);
///     w.Grad = 0;
///     loss.Backward();
///     w.Data -= 0.05 * w.Grad;
/// }
/// </code>
/// </example>
public sealed class Tape
{
    // Slot 0 is no node but a sink: a leaf or a one-input node names it as its missing input(s), with
    // local derivative 0, so the backward loop pushes into two inputs for every node without a branch.
    private const int Sink = 0;

    private double[] _data;
    private double[] _grad;

    // dy/dnode for the backward call in progress, kept apart from _grad as in Value, so that
    // gradients accumulate across calls without re-propagating the gradients of an earlier call.
    private double[] _upstream;
    private TapeOp[] _op;
    private int[] _left;
    private int[] _right;
    private double[] _leftDerivative;
    private double[] _rightDerivative;

    private int _length = 1; // slots in use, the sink included

    /// <summary>Creates an empty tape with room for <paramref name="capacity"/> nodes; it grows by doubling when full.</summary>
    /// <param name="capacity">Initial number of nodes, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is less than 1.</exception>
    public Tape(int capacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        int slots = capacity + 1;
        _data = new double[slots];
        _grad = new double[slots];
        _upstream = new double[slots];
        _op = new TapeOp[slots];
        _left = new int[slots];
        _right = new int[slots];
        _leftDerivative = new double[slots];
        _rightDerivative = new double[slots];
    }

    /// <summary>The number of nodes recorded (leaves included); pass it to <see cref="Rewind"/> later to keep them.</summary>
    public int Count => _length - 1;

    /// <summary>
    /// Records a leaf (an input, a parameter or a constant) holding <paramref name="data"/>, with gradient 0
    /// (PyTorch: <c>torch.tensor(data, requires_grad=True)</c>).
    /// </summary>
    /// <param name="data">The value.</param>
    /// <returns>The new leaf variable.</returns>
    public Var Leaf(double data) => Record(TapeOp.Leaf, data, Sink, 0, Sink, 0);

    /// <summary>
    /// Drops every node recorded after the first <paramref name="count"/>, keeping those (their values
    /// and gradients) and the memory of the arrays. A <see cref="Var"/> of a dropped node can no longer be
    /// read; once the tape records again, an old handle to a slot that is in use again reads the new node.
    /// </summary>
    /// <param name="count">The number of nodes to keep, from 0 to <see cref="Count"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative or more than <see cref="Count"/>.</exception>
    public void Rewind(int count)
    {
        if ((uint)count > (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count,
                $"Rewind keeps 0 to {Count} nodes (the tape holds {Count}), not {count}.");
        }

        _length = count + 1;
    }

    /// <summary>Sets the gradient of every node on the tape to 0 (PyTorch: <c>optimizer.zero_grad()</c>).</summary>
    public void ZeroGrad() => Array.Clear(_grad, 0, _length);

    /// <summary>Appends a node; its inputs and local derivatives are given by the op that computed <paramref name="data"/>.</summary>
    internal Var Record(TapeOp op, double data, int left, double leftDerivative, int right, double rightDerivative)
    {
        int i = _length;
        if (i == _data.Length)
        {
            Grow();
        }

        _data[i] = data;
        _grad[i] = 0;
        _op[i] = op;
        _left[i] = left;
        _right[i] = right;
        _leftDerivative[i] = leftDerivative;
        _rightDerivative[i] = rightDerivative;
        _length = i + 1;
        return new Var(this, i);
    }

    /// <summary>Appends a node with one input; its missing second input is the sink.</summary>
    internal Var Record(TapeOp op, double data, int input, double derivative) =>
        Record(op, data, input, derivative, Sink, 0);

    /// <summary>
    /// Back-propagates from <paramref name="output"/> y: seeds ∂y/∂y = 1, then for each slot u from y down
    /// adds ∂y/∂u · ∂u/∂v into each input v of u, and ∂y/∂u into u's gradient (as <see cref="Value.Backward"/>).
    /// </summary>
    internal void Backward(int output)
    {
        CheckLive(output);
        Array.Clear(_upstream, 0, output + 1);
        _upstream[output] = 1;

        // Local copies let the JIT keep the array references in registers across the loop.
        double[] upstream = _upstream, grad = _grad, leftDerivative = _leftDerivative, rightDerivative = _rightDerivative;
        int[] left = _left, right = _right;
        for (int u = output; u > Sink; u--)
        {
            double g = upstream[u]; // every consumer of u comes later on the tape and has pushed already
            upstream[left[u]] += leftDerivative[u] * g;
            upstream[right[u]] += rightDerivative[u] * g;
            grad[u] += g;
        }
    }

    internal double GetData(int index)
    {
        CheckLive(index);
        return _data[index];
    }

    internal void SetData(int index, double value)
    {
        CheckLive(index);
        _data[index] = value;
    }

    internal double GetGrad(int index)
    {
        CheckLive(index);
        return _grad[index];
    }

    internal void SetGrad(int index, double value)
    {
        CheckLive(index);
        _grad[index] = value;
    }

    internal TapeOp GetOp(int index)
    {
        CheckLive(index);
        return _op[index];
    }

    private void CheckLive(int index)
    {
        if (index >= _length)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"This Var is node {index - 1} of a tape that now holds {Count} nodes: Tape.Rewind dropped it."));
        }
    }

    private void Grow()
    {
        int slots = checked(_data.Length * 2);
        Array.Resize(ref _data, slots);
        Array.Resize(ref _grad, slots);
        Array.Resize(ref _upstream, slots);
        Array.Resize(ref _op, slots);
        Array.Resize(ref _left, slots);
        Array.Resize(ref _right, slots);
        Array.Resize(ref _leftDerivative, slots);
        Array.Resize(ref _rightDerivative, slots);
    }
}
