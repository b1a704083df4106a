namespace Backprop.Explain;

/// <summary>∂L/∂x for one input x of the matrix form, with its entry-by-entry finite-difference check.</summary>
/// <param name="Input">The input node.</param>
/// <param name="Gradient">∂L/∂x from <see cref="Autograd.Grad(Tensor, IReadOnlyList{Tensor}, Tensor?, bool, BackwardVersion, bool)"/>, of x's shape.</param>
/// <param name="FiniteDifference">The central difference of every entry (null when not computed).</param>
/// <param name="MaxRelativeError">The largest <see cref="Explain.FiniteDifference.RelativeError"/> over the entries (NaN when not computed or undefined).</param>
public sealed record MatrixInputGradient(MatrixNode Input, Tensor Gradient, Tensor? FiniteDifference, double MaxRelativeError);

/// <summary>One input's gradient-descent update x ← x − η ∂L/∂x.</summary>
/// <param name="Input">The input node (its value is the value before the step).</param>
/// <param name="NewValue">x − η ∂L/∂x.</param>
public sealed record MatrixUpdate(MatrixNode Input, Tensor NewValue);

/// <summary>
/// <c>backprop explain</c> for vectors and matrices: a program such as
/// <c>h = sigmoid(W1 @ x + b1); y = W2 @ h + b2; L = sum((y - t)^2)</c> evaluated with the library's
/// tensor ops in float64, differentiated by <see cref="Autograd.Grad(Tensor, IReadOnlyList{Tensor}, Tensor?, bool, BackwardVersion, bool)"/>,
/// and explained node by node in reverse order with the matrix-form rule of each op (∂L/∂W = δ·xᵀ,
/// ∂L/∂x = Wᵀ·δ, δ ⊙ f'(u) for an elementwise f, a sum over broadcast dims) beside the scalar chain
/// rule it stands for; every input's gradient is checked by finite differences entry by entry.
/// </summary>
public sealed class MatrixExplanation
{
    /// <summary>Finite differences are taken only when the inputs have at most this many entries in all (two forward passes each).</summary>
    public const int MaxFiniteDifferenceEntries = 2000;

    private readonly Dictionary<int, Tensor> _gradients;

    private MatrixExplanation(
        ExplainProgram program,
        MatrixGraph graph,
        Dictionary<int, Tensor> gradients,
        List<MatrixStep> steps,
        List<MatrixInputGradient> inputGradients,
        double ruleDifference,
        double? learningRate,
        List<MatrixUpdate> updates,
        double outputAfter,
        ExplainLoss loss)
    {
        Program = program;
        Nodes = graph.Nodes;
        Inputs = graph.Inputs;
        Output = graph.Output;
        ProgramOutput = graph.ProgramOutput;
        Target = graph.Target;
        Loss = loss;
        _gradients = gradients;
        Steps = steps;
        Gradients = inputGradients;
        LargestRuleDifference = ruleDifference;
        LearningRate = learningRate;
        Updates = updates;
        OutputAfter = outputAfter;
    }

    /// <summary>The program explained.</summary>
    public ExplainProgram Program { get; }

    /// <summary>Every node in topological order: inputs first, then constants and operations in program order.</summary>
    public IReadOnlyList<MatrixNode> Nodes { get; }

    /// <summary>The inputs, in the order their values were given.</summary>
    public IReadOnlyList<MatrixNode> Inputs { get; }

    /// <summary>The output: the last statement's node, or with a target the loss put on top of it; a scalar.</summary>
    public MatrixNode Output { get; }

    /// <summary>The program's output y: the last statement's node (the same as <see cref="Output"/> without a target).</summary>
    public MatrixNode ProgramOutput { get; }

    /// <summary>The target T (a constant node of y's shape, or a number), or null without a target.</summary>
    public MatrixNode? Target { get; }

    /// <summary>The loss on top of <see cref="ProgramOutput"/> with a target: sum((T − y)²) or sum(T − y).</summary>
    public ExplainLoss Loss { get; }

    /// <summary>The operations the output depends on, in reverse topological order, each with what it sends to its inputs.</summary>
    public IReadOnlyList<MatrixStep> Steps { get; }

    /// <summary>∂L/∂x for every input, in input order, with finite differences.</summary>
    public IReadOnlyList<MatrixInputGradient> Gradients { get; }

    /// <summary>
    /// The largest difference, over all nodes and entries, between the gradient from
    /// <see cref="Autograd.Grad(Tensor, IReadOnlyList{Tensor}, Tensor?, bool, BackwardVersion, bool)"/> and the sum of the matrix-form rules' values sent to that node.
    /// </summary>
    public double LargestRuleDifference { get; }

    /// <summary>η of the gradient-descent step, or null for none.</summary>
    public double? LearningRate { get; }

    /// <summary>The step's new values, one per input (empty without a learning rate).</summary>
    public IReadOnlyList<MatrixUpdate> Updates { get; }

    /// <summary>The output evaluated at the new values (NaN without a step, or where it is undefined).</summary>
    public double OutputAfter { get; }

    /// <summary>The output's name (<c>f</c> for a program ending in a bare expression).</summary>
    public string OutputName => Output.Name;

    /// <summary>∂L/∂<paramref name="node"/> from the engine, of the node's shape; null for a node the output does not depend on through an input.</summary>
    /// <param name="node">A node of this explanation.</param>
    /// <returns>The gradient, or null.</returns>
    public Tensor? GradientOf(MatrixNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return _gradients.GetValueOrDefault(node.Index);
    }

    /// <summary>∂L/∂x for the input or assigned variable called <paramref name="name"/>.</summary>
    /// <param name="name">An input's or assigned variable's name.</param>
    /// <returns>The gradient, of the variable's shape.</returns>
    /// <exception cref="ArgumentException">No node has that name, or the output does not depend on it.</exception>
    public Tensor GradientOf(string name)
    {
        var node = Nodes.LastOrDefault(n => n.Name == name && n.IsNamed)
            ?? throw new ArgumentException($"'{name}' is not a variable of the program (inputs: {string.Join(", ", Inputs.Select(i => i.Name))})");
        return GradientOf(node) ?? throw new ArgumentException($"the output does not depend on '{name}' through an input");
    }

    /// <summary>Parses <paramref name="source"/> and explains it; see <see cref="Create(ExplainProgram, IEnumerable{KeyValuePair{string, Tensor}}, ExplainOptions?)"/>.</summary>
    /// <param name="source">The program's text.</param>
    /// <param name="inputs">The value of each input: a number, vector or matrix (rank 0, 1 or 2; converted to float64).</param>
    /// <param name="options">The learning rate of an optional step and whether to take finite differences; with a target (<see cref="ExplainOptions.TargetArray"/> or <see cref="ExplainOptions.Target"/>) the loss on top of the output.</param>
    /// <returns>The explanation.</returns>
    public static MatrixExplanation Create(string source, IEnumerable<KeyValuePair<string, Tensor>> inputs, ExplainOptions? options = null) =>
        Create(ExplainProgram.Parse(source), inputs, options);

    /// <summary>
    /// Runs the forward pass, the backward pass by <see cref="Autograd.Grad(Tensor, IReadOnlyList{Tensor}, Tensor?, bool, BackwardVersion, bool)"/>, each
    /// node's matrix-form rules, the finite-difference checks and the optional step.
    /// </summary>
    /// <param name="program">The parsed program; its output must be a scalar (end with e.g. <c>L = sum((y - t)^2)</c>), unless a target puts a loss on top of it.</param>
    /// <param name="inputs">The value of each input: a number, vector or matrix (rank 0, 1 or 2; converted to float64).</param>
    /// <param name="options">The learning rate of an optional step and whether to take finite differences; with a target (<see cref="ExplainOptions.TargetArray"/> or <see cref="ExplainOptions.Target"/>) the loss on top of the output.</param>
    /// <returns>The explanation.</returns>
    /// <exception cref="ExplainException">The program cannot be evaluated at these inputs: shapes do not match (the target's and the output's too), a value leaves a function's domain, the output is not a scalar.</exception>
    /// <exception cref="ArgumentException">The target is not finite or not of rank 0, 1 or 2, or the learning rate is not a positive number.</exception>
    public static MatrixExplanation Create(ExplainProgram program, IEnumerable<KeyValuePair<string, Tensor>> inputs, ExplainOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(inputs);
        options ??= new ExplainOptions();
        if (options.Target is double t && !double.IsFinite(t))
        {
            throw new ArgumentException($"the target must be a finite number, got {t}");
        }

        Tensor? target = options.TargetArray ?? (options.Target is double number ? Tensor.Scalar(number, DType.Float64) : null);
        if (target is not null && target.Rank > 2)
        {
            throw new ArgumentException($"the target has shape {Shapes.Format(target.Shape)}: give a number, a vector or a matrix");
        }

        if (options.LearningRate is double lr && !(lr > 0 && double.IsFinite(lr)))
        {
            throw new ArgumentException($"the learning rate must be a positive number, got {lr}");
        }

        var values = inputs.ToList();
        var graph = MatrixGraph.Build(program, values, withGrad: true, options.MaxEntries, target, options.Loss);
        MatrixNode output = graph.Output;
        if (output.Shape.Count != 0)
        {
            var last = program.Statements[^1];
            throw last.Position.Error(
                $"the output {output.Name} is a {(output.Shape.Count == 1 ? "vector" : "matrix")} ({ExplainArray.FormatShape(output.Shape)}); explain differentiates a scalar: end with e.g. L = sum({output.Name}) or L = sum(({output.Name} - t)^2), or give a target (--target) of its shape");
        }

        var loss = new MatrixLossTarget(target, options.Loss);

        var onPath = OnPath(graph.Nodes, output);
        var gradients = EngineGradients(graph.Nodes, output, onPath);
        var steps = new List<MatrixStep>();
        var sums = new Dictionary<int, Tensor>();
        using (Autograd.NoGrad())
        {
            for (int i = graph.Nodes.Count - 1; i >= 0; i--)
            {
                MatrixNode u = graph.Nodes[i];
                if (u.Kind != ExpressionNodeKind.Operation || !onPath[i])
                {
                    continue;
                }

                Tensor delta = gradients[i];
                var edges = new List<MatrixEdge>();
                for (int j = 0; j < u.Inputs.Count; j++)
                {
                    MatrixNode v = u.Inputs[j];
                    if (!v.RequiresGrad)
                    {
                        continue;
                    }

                    var edge = MatrixRules.Edge(u, j, delta, output.Name);
                    int bad = Array.FindIndex(edge.Contribution.ToArray(), x => !double.IsFinite(x));
                    if (bad >= 0)
                    {
                        throw u.Position.Error($"the derivative of {u.Name} = {u.Formula} with respect to {v.Name} is not finite{MatrixGraph.EntryText(v.Value.Shape, bad)}");
                    }

                    edges.Add(edge);
                    sums[v.Index] = sums.TryGetValue(v.Index, out var sum) ? sum.Add(edge.Contribution) : edge.Contribution;
                }

                steps.Add(new MatrixStep(u, delta, edges));
            }
        }

        double ruleDifference = 0;
        foreach (var (index, sum) in sums)
        {
            double[] engine = gradients[index].ToArray(), rules = sum.ToArray();
            for (int k = 0; k < engine.Length; k++)
            {
                ruleDifference = Math.Max(ruleDifference, Math.Abs(engine[k] - rules[k]));
            }
        }

        bool differences = options.FiniteDifferences && values.Sum(v => v.Value.Numel) <= MaxFiniteDifferenceEntries;
        var inputGradients = graph.Inputs.Select(input =>
        {
            Tensor g = gradients.GetValueOrDefault(input.Index) ?? Tensor.ZerosLike(input.Value.Detach());
            if (!differences)
            {
                return new MatrixInputGradient(input, g, null, double.NaN);
            }

            Tensor fd = Central(program, graph.Inputs, input, loss);
            double[] ga = g.ToArray(), fa = fd.ToArray();
            double worst = ga.Length == 0 ? 0 : ga.Select((x, k) => double.IsNaN(fa[k]) ? double.NaN : FiniteDifference.RelativeError(x, fa[k])).Max();
            return new MatrixInputGradient(input, g, fd, worst);
        }).ToList();

        var updates = new List<MatrixUpdate>();
        double outputAfter = double.NaN;
        if (options.LearningRate is double eta)
        {
            using (Autograd.NoGrad())
            {
                foreach (var input in inputGradients)
                {
                    updates.Add(new MatrixUpdate(input.Input, input.Input.Value.Detach().Sub(input.Gradient.Mul(Tensor.Scalar(eta, DType.Float64)))));
                }
            }

            outputAfter = Evaluate(program, updates.Select(u => KeyValuePair.Create(u.Input.Name, u.NewValue)), loss);
        }

        return new MatrixExplanation(program, graph, gradients, steps, inputGradients, ruleDifference, options.LearningRate, updates, outputAfter, options.Loss);
    }

    /// <summary>The explanation laid out as headings, paragraphs and tables; see <see cref="MatrixExplanationReport"/>.</summary>
    /// <returns>A new report.</returns>
    public Report ToReport() => MatrixExplanationReport.Create(this);

    /// <summary>Which nodes the output depends on through nodes that require grad.</summary>
    private static bool[] OnPath(IReadOnlyList<MatrixNode> nodes, MatrixNode output)
    {
        var onPath = new bool[nodes.Count];
        onPath[output.Index] = output.RequiresGrad;
        for (int i = output.Index; i >= 0; i--)
        {
            if (onPath[i])
            {
                foreach (var input in nodes[i].Inputs)
                {
                    onPath[input.Index] |= input.RequiresGrad;
                }
            }
        }

        return onPath;
    }

    /// <summary>∂L/∂node for every node on the path, by one call of the engine's Autograd.Grad; ∂L/∂L = 1.</summary>
    private static Dictionary<int, Tensor> EngineGradients(IReadOnlyList<MatrixNode> nodes, MatrixNode output, bool[] onPath)
    {
        var result = new Dictionary<int, Tensor>();
        if (!onPath[output.Index])
        {
            return result;
        }

        result[output.Index] = Tensor.OnesLike(output.Value.Detach());
        var wanted = nodes.Where(n => onPath[n.Index] && n != output).ToList();
        if (wanted.Count == 0)
        {
            return result;
        }

        var grads = Autograd.Grad(output.Value, wanted.Select(n => n.Value).ToList());
        for (int k = 0; k < wanted.Count; k++)
        {
            result[wanted[k].Index] = grads[k]?.Detach() ?? Tensor.ZerosLike(wanted[k].Value.Detach());
        }

        return result;
    }

    /// <summary>(f(x + h·e_k) − f(x − h·e_k)) / 2h for every entry k of <paramref name="input"/>, h = 10⁻⁶·max(1, |x_k|); NaN where undefined.</summary>
    private static Tensor Central(ExplainProgram program, IReadOnlyList<MatrixNode> inputs, MatrixNode input, MatrixLossTarget loss)
    {
        double[] x = input.Value.Detach().ToArray();
        var result = new double[x.Length];
        for (int k = 0; k < x.Length; k++)
        {
            double h = 1e-6 * Math.Max(1, Math.Abs(x[k]));
            double plus = Evaluate(program, Shifted(inputs, input, x, k, x[k] + h), loss);
            double minus = Evaluate(program, Shifted(inputs, input, x, k, x[k] - h), loss);
            result[k] = (plus - minus) / (2 * h);
        }

        return ExplainArray.Create(result, input.Value.Shape);
    }

    private static IEnumerable<KeyValuePair<string, Tensor>> Shifted(IReadOnlyList<MatrixNode> inputs, MatrixNode input, double[] x, int k, double value) =>
        inputs.Select(i =>
        {
            if (i != input)
            {
                return KeyValuePair.Create(i.Name, i.Value.Detach());
            }

            double[] shifted = (double[])x.Clone();
            shifted[k] = value;
            return KeyValuePair.Create(i.Name, ExplainArray.Create(shifted, i.Value.Shape));
        });

    /// <summary>The output at <paramref name="values"/>, or NaN where the program is undefined.</summary>
    private static double Evaluate(ExplainProgram program, IEnumerable<KeyValuePair<string, Tensor>> values, MatrixLossTarget loss)
    {
        try
        {
            return MatrixGraph.Build(program, values, withGrad: false, target: loss.Target, loss: loss.Loss).Output.Value.Item();
        }
        catch (ExplainException)
        {
            return double.NaN;
        }
    }

    /// <summary>The target and loss put on top of the output in every evaluation (the finite differences' and the step's too).</summary>
    private sealed record MatrixLossTarget(Tensor? Target, ExplainLoss Loss);
}
