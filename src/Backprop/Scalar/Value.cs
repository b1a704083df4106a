using System.Globalization;
using R = Backprop.Scalar.ScalarRules<double, Backprop.Scalar.Numbers>;

namespace Backprop.Scalar;

/// <summary>
/// A scalar node of a computational graph with reverse-mode automatic differentiation
/// (micrograd-sized, for teaching). Every operation returns a new <see cref="Value"/> that
/// remembers its inputs (<see cref="Children"/>) and, computed right beside the forward value,
/// its local derivatives ∂out/∂input (<see cref="LocalDerivatives"/>).
/// <see cref="Backward"/> then applies the chain rule in reverse topological order.
/// </summary>
/// <example>
/// <c>var f = a * b + c; f.Backward();</c> leaves ∂f/∂a = b in <c>a.Grad</c>, ∂f/∂b = a in <c>b.Grad</c>, 1 in <c>c.Grad</c>.
/// </example>
public sealed class Value
{
    private readonly Value[] _children;
    private readonly double[] _localDerivatives;

    // dy/dv for the Backward call in progress, kept apart from Grad so that a second call
    // adds its gradient exactly once instead of re-propagating the gradient of the first.
    private double _upstream;

    // Marks nodes visited by the traversal numbered s_traversal (see TopologicalOrder).
    private static int s_traversal;
    private int _visitMark;

    /// <summary>Creates a leaf (an input or a parameter) holding <paramref name="data"/>, with gradient 0.</summary>
    /// <param name="data">The value.</param>
    /// <param name="label">An optional name shown by teaching tools, e.g. "w1".</param>
    public Value(double data, string? label = null) : this(data, "", [], []) => Label = label;

    private Value(double data, string op, Value[] children, double[] localDerivatives)
    {
        Data = data;
        Op = op;
        _children = children;
        _localDerivatives = localDerivatives;
    }

    /// <summary>The value computed by the forward pass; on a leaf, set it to update a parameter (<c>w.Data -= η * w.Grad</c>).</summary>
    public double Data { get; set; }

    /// <summary>∂y/∂this, accumulated by <see cref="Backward"/> (PyTorch: <c>tensor.grad</c>). Reset with <see cref="ZeroGrad"/>.</summary>
    public double Grad { get; set; }

    /// <summary>An optional name shown by teaching tools.</summary>
    public string? Label { get; set; }

    /// <summary>The operation that produced this value ("+", "*", "**2", "exp", "log", "tanh", "sigmoid", "relu"), or "" for a leaf.</summary>
    public string Op { get; }

    /// <summary>The inputs of the operation that produced this value; empty for a leaf.</summary>
    public IReadOnlyList<Value> Children => _children;

    /// <summary>∂this/∂Children[i] for each input i, evaluated at the forward values.</summary>
    public IReadOnlyList<double> LocalDerivatives => _localDerivatives;

    /// <summary>Wraps a constant as a leaf, so <c>a * 2</c> and <c>2 - a</c> work.</summary>
    /// <param name="data">The constant.</param>
    /// <returns>A new leaf holding <paramref name="data"/>.</returns>
    public static implicit operator Value(double data) => new(data);

    // ---- Primitive ops: the forward value, then ∂out/∂input for each input from the one rule table (ScalarRules). ----

    /// <summary>a + b; ∂/∂a = 1, ∂/∂b = 1 (PyTorch: <c>torch.add</c>).</summary>
    /// <param name="a">Left operand.</param>
    /// <param name="b">Right operand.</param>
    /// <returns>A new node holding a + b, with a and b as its children.</returns>
    public static Value operator +(Value a, Value b) =>
        new(a.Data + b.Data, "+", [a, b], Pair(R.AddDerivatives()));

    /// <summary>a · b; ∂/∂a = b, ∂/∂b = a (PyTorch: <c>torch.mul</c>).</summary>
    /// <param name="a">Left operand.</param>
    /// <param name="b">Right operand.</param>
    /// <returns>A new node holding a · b, with a and b as its children.</returns>
    public static Value operator *(Value a, Value b) =>
        new(a.Data * b.Data, "*", [a, b], Pair(R.MultiplyDerivatives(a.Data, b.Data)));

    /// <summary>xᵖ for a constant p; d/dx = p·xᵖ⁻¹ (PyTorch: <c>torch.pow</c>).</summary>
    /// <param name="exponent">The constant exponent p.</param>
    /// <returns>A new node holding xᵖ.</returns>
    public Value Pow(double exponent) =>
        new(Math.Pow(Data, exponent), "**" + exponent.ToString(CultureInfo.InvariantCulture), [this],
            [R.PowerBaseDerivative(Data, exponent)]);

    /// <summary>eˣ; d/dx = eˣ, the output itself (PyTorch: <c>torch.exp</c>).</summary>
    /// <returns>A new node holding eˣ.</returns>
    public Value Exp()
    {
        double e = Math.Exp(Data);
        return new(e, "exp", [this], [R.ExpDerivative(e)]);
    }

    /// <summary>ln x for x &gt; 0; d/dx = 1/x (PyTorch: <c>torch.log</c>).</summary>
    /// <returns>A new node holding ln x.</returns>
    /// <exception cref="ArgumentOutOfRangeException">This value is zero or negative.</exception>
    public Value Log()
    {
        if (Data <= 0)
        {
            throw new ArgumentOutOfRangeException(Label ?? "value", Data,
                $"Log is defined for positive numbers only, but {(Label is null ? "the value" : $"'{Label}'")} is {Data.ToString(CultureInfo.InvariantCulture)}.");
        }

        return new(Math.Log(Data), "log", [this], [R.LogDerivative(Data)]);
    }

    /// <summary>tanh x; d/dx = 1 − tanh²x (PyTorch: <c>torch.tanh</c>).</summary>
    /// <returns>A new node holding tanh x, in (−1, 1).</returns>
    public Value Tanh()
    {
        double t = Math.Tanh(Data);
        return new(t, "tanh", [this], [R.TanhDerivative(t)]);
    }

    /// <summary>σ(x) = 1 / (1 + e⁻ˣ); d/dx = σ(1 − σ) (PyTorch: <c>torch.sigmoid</c>).</summary>
    /// <returns>A new node holding σ(x), in [0, 1].</returns>
    /// <remarks>
    /// A primitive rather than a composite of exp and division, for stability: e⁻ˣ is only
    /// evaluated for x ≥ 0, so no intermediate overflows, and the derivative reuses σ.
    /// </remarks>
    public Value Sigmoid()
    {
        double s = ScalarForward.Sigmoid(Data);
        return new(s, "sigmoid", [this], [R.SigmoidDerivative(s)]);
    }

    /// <summary>max(0, x); d/dx = 1 if x &gt; 0, else 0 (PyTorch: <c>torch.relu</c>).</summary>
    /// <returns>A new node holding max(0, x).</returns>
    public Value Relu() =>
        new(Math.Max(0, Data), "relu", [this], [R.ReluDerivative(Data)]);

    // ---- Composites: rewritten in terms of the primitives, so they need no derivative code. ----

    /// <summary>−a = a · (−1).</summary>
    /// <param name="a">The operand.</param>
    /// <returns>A new node holding −a.</returns>
    public static Value operator -(Value a) => a * -1;

    /// <summary>a − b = a + (−b).</summary>
    /// <param name="a">Left operand.</param>
    /// <param name="b">Right operand.</param>
    /// <returns>A new node holding a − b.</returns>
    public static Value operator -(Value a, Value b) => a + (-b);

    /// <summary>a / b = a · b⁻¹.</summary>
    /// <param name="a">Numerator.</param>
    /// <param name="b">Denominator.</param>
    /// <returns>A new node holding a / b.</returns>
    public static Value operator /(Value a, Value b) => a * b.Pow(-1);

    // ---- The backward pass. ----

    private static double[] Pair((double DA, double DB) d) => [d.DA, d.DB];


    /// <summary>
    /// Every node reachable from this one, inputs before the nodes that consume them, this node last.
    /// Iterative depth-first search with an explicit stack: linear time, no recursion, so
    /// deep graphs (a chain of 1,000,000 nodes) cannot overflow the call stack. Not safe to run
    /// concurrently on graphs that share nodes (the visit marks live on the nodes).
    /// </summary>
    /// <returns>A new list of the nodes, this one last.</returns>
    public IReadOnlyList<Value> TopologicalOrder()
    {
        var order = new List<Value>();

        // A fresh mark per traversal instead of a hash set of visited nodes: a field compare is
        // several times cheaper than hashing, and nothing needs clearing afterwards.
        int mark = Interlocked.Increment(ref s_traversal);
        _visitMark = mark;
        var stack = new Stack<(Value Node, int NextChild)>();
        stack.Push((this, 0));
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            if (next == node._children.Length)
            {
                order.Add(node); // all its inputs are already in the order
                continue;
            }

            stack.Push((node, next + 1));
            Value child = node._children[next];
            if (child._visitMark != mark)
            {
                child._visitMark = mark;
                stack.Push((child, 0));
            }
        }

        return order;
    }

    /// <summary>
    /// Back-propagates from this value y ("version B", push): seeds ∂y/∂y = 1, then visits
    /// nodes in reverse topological order and adds ∂y/∂u · ∂u/∂v into each input v of each node u.
    /// Every node's <see cref="Grad"/> is increased by ∂y/∂node, so gradients accumulate across
    /// calls (as in PyTorch's <c>loss.backward()</c>) until <see cref="ZeroGrad"/>.
    /// </summary>
    public void Backward()
    {
        IReadOnlyList<Value> order = TopologicalOrder();
        foreach (Value v in order)
        {
            v._upstream = 0;
        }

        _upstream = 1;
        for (int i = order.Count - 1; i >= 0; i--)
        {
            Value u = order[i]; // every consumer of u has already pushed into u._upstream
            for (int j = 0; j < u._children.Length; j++)
            {
                u._children[j]._upstream += u._localDerivatives[j] * u._upstream;
            }

            u.Grad += u._upstream;
        }
    }

    /// <summary>
    /// The same gradients as <see cref="Backward"/>, computed the other way round ("version A", pull):
    /// for each node v in reverse topological order, ∂y/∂v = Σ over consumers u of v of ∂y/∂u · ∂u/∂v.
    /// Adds into <see cref="Grad"/> like <see cref="Backward"/>; the two agree bit for bit.
    /// </summary>
    public void BackwardByConsumers()
    {
        IReadOnlyList<Value> order = TopologicalOrder();
        var consumers = new Dictionary<Value, List<(Value Consumer, int Input)>>(order.Count, ReferenceEqualityComparer.Instance);
        foreach (Value v in order)
        {
            consumers[v] = [];
        }

        // Listed in the order Backward pushes, so both add the same terms in the same order.
        for (int i = order.Count - 1; i >= 0; i--)
        {
            for (int j = 0; j < order[i]._children.Length; j++)
            {
                consumers[order[i]._children[j]].Add((order[i], j));
            }
        }

        for (int i = order.Count - 1; i >= 0; i--)
        {
            Value v = order[i];
            double sum = ReferenceEquals(v, this) ? 1 : 0;
            foreach (var (u, input) in consumers[v])
            {
                sum += u._localDerivatives[input] * u._upstream;
            }

            v._upstream = sum;
            v.Grad += sum;
        }
    }

    /// <summary>
    /// Sets <see cref="Grad"/> to 0 on this node and every node it was computed from
    /// (PyTorch: <c>optimizer.zero_grad()</c>). Call it before a fresh <see cref="Backward"/>
    /// on a graph whose gradients should not add to those of an earlier call.
    /// </summary>
    public void ZeroGrad()
    {
        foreach (Value v in TopologicalOrder())
        {
            v.Grad = 0;
        }
    }

    /// <summary>Formats as <c>Value(data=…, grad=…)</c>, like micrograd.</summary>
    /// <returns>The text, e.g. <c>Value(data=0.5, grad=1)</c>.</returns>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"Value(data={Data}, grad={Grad})");
}
