namespace Backprop.Explain;

/// <summary>
/// The scalar computational graph of an <see cref="ExplainProgram"/> evaluated at given input
/// values: every intermediate variable u = g(v₁..vₙ) is an <see cref="ExpressionNode"/>, listed in
/// topological order (inputs first, each node after the nodes it is computed from), with the value
/// of the forward pass and its local derivatives. <see cref="Backward"/> and
/// <see cref="BackwardByConsumers"/> compute ∂output/∂node for every node, the two ways of docs/design.md §1.2.
/// </summary>
public sealed class ExpressionGraph
{
    private readonly bool[] _onPathToOutput;

    private ExpressionGraph(List<ExpressionNode> nodes, ExpressionNode output, List<ExpressionNode> inputs)
    {
        Nodes = nodes;
        Output = output;
        Inputs = inputs;

        // Nodes the output depends on: the backward pass visits only these (an assigned but unused
        // variable gets no gradient step). Walking from the output down the topological order.
        _onPathToOutput = new bool[nodes.Count];
        _onPathToOutput[output.Index] = true;
        for (int i = output.Index; i >= 0; i--)
        {
            if (_onPathToOutput[i])
            {
                foreach (var input in nodes[i].Inputs)
                {
                    _onPathToOutput[input.Index] = true;
                }
            }
        }
    }

    /// <summary>Every node in topological order: inputs first, then constants and operations in program order.</summary>
    public IReadOnlyList<ExpressionNode> Nodes { get; }

    /// <summary>The inputs, in the order their values were given.</summary>
    public IReadOnlyList<ExpressionNode> Inputs { get; }

    /// <summary>The output: the node of the program's last statement.</summary>
    public ExpressionNode Output { get; }

    /// <summary>
    /// Parses nothing: evaluates an already parsed <paramref name="program"/> at <paramref name="inputs"/>
    /// (name → value, in the order to list them), building one node per operation.
    /// </summary>
    /// <param name="program">The parsed program.</param>
    /// <param name="inputs">The value of each input variable, by name.</param>
    /// <returns>The graph: its inputs, constants and operations in evaluation order, the last being the output.</returns>
    /// <exception cref="ExplainException">
    /// A variable has no value, an input is not used or is also assigned, a name is assigned twice,
    /// or a value is outside a function's domain (log of −1, division by zero).
    /// </exception>
    public static ExpressionGraph Build(ExplainProgram program, IEnumerable<KeyValuePair<string, double>> inputs)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(inputs);
        var builder = new Builder(program);
        foreach (var (name, value) in inputs)
        {
            builder.AddInput(name, value);
        }

        foreach (string name in builder.InputNames)
        {
            if (!program.Inputs.Contains(name))
            {
                var assignment = program.Statements.FirstOrDefault(s => s.Name == name);
                throw assignment is not null
                    ? assignment.Position.Error($"'{name}' is given a value from outside and also assigned")
                    : new ExplainException($"'{name}' is given a value but the program does not use it (it uses: {string.Join(", ", program.Inputs)})", 0, 0);
            }
        }

        var missing = program.Inputs.Where(name => !builder.InputNames.Contains(name)).ToList();
        if (missing.Count > 0)
        {
            string list = string.Join(", ", missing.Select(m => $"'{m}'"));
            throw program.FirstUse[missing[0]].Error(
                $"undefined variable{(missing.Count > 1 ? "s" : "")} {list} (give {(missing.Count > 1 ? "them values" : "it a value")}, e.g. --at {string.Join(",", missing.Select(m => m + "=1"))})");
        }

        ExpressionNode? last = null;
        foreach (var statement in program.Statements)
        {
            last = builder.AddStatement(statement);
        }

        return new ExpressionGraph(builder.Nodes, last!, builder.Inputs);
    }

    /// <summary>True if the output depends on <paramref name="node"/> through nodes that require grad.</summary>
    /// <param name="node">A node of this graph.</param>
    /// <returns>True if the output depends on it.</returns>
    public bool IsOnPathToOutput(ExpressionNode node) => node.RequiresGrad && _onPathToOutput[node.Index];

    /// <summary>
    /// The backward pass, "version B": seeds ∂y/∂y = 1 at the output, then visits nodes in reverse
    /// topological order; each node u adds (∂y/∂u)(∂u/∂vⱼ) into the gradient of each input vⱼ.
    /// Every step is recorded for <c>explain</c> to print.
    /// </summary>
    /// <returns>The gradient of the output with respect to every node, and the recorded steps.</returns>
    public GradientPass Backward()
    {
        var gradients = new double[Nodes.Count];
        gradients[Output.Index] = 1;
        var steps = new List<BackwardStep>();
        for (int i = Nodes.Count - 1; i >= 0; i--)
        {
            ExpressionNode u = Nodes[i];
            if (u.Kind != ExpressionNodeKind.Operation || !IsOnPathToOutput(u))
            {
                continue;
            }

            double upstream = gradients[i]; // complete: every consumer of u comes later in the order
            var edges = new List<BackwardEdge>();
            for (int j = 0; j < u.Inputs.Count; j++)
            {
                ExpressionNode v = u.Inputs[j];
                if (!v.RequiresGrad)
                {
                    continue;
                }

                double product = upstream * u.LocalDerivatives[j];
                gradients[v.Index] += product;
                edges.Add(new BackwardEdge(v, j, u.LocalDerivativeFormulas[j], u.LocalDerivatives[j], product, gradients[v.Index]));
            }

            steps.Add(new BackwardStep(u, upstream, edges));
        }

        return new GradientPass(this, steps, gradients);
    }

    /// <summary>
    /// The same gradients gathered the other way, "version A": for each node v in reverse
    /// topological order, ∂y/∂v = Σ over consumers u of v of ∂y/∂u · ∂u/∂v, with every term kept.
    /// The terms are summed in the order <see cref="Backward"/> adds them, so both agree bit for bit.
    /// </summary>
    /// <returns>The gradient of the output with respect to every node, and each node's terms.</returns>
    public ConsumerPass BackwardByConsumers()
    {
        var consumers = new List<(ExpressionNode Consumer, int Input)>[Nodes.Count];
        for (int i = Nodes.Count - 1; i >= 0; i--)
        {
            ExpressionNode u = Nodes[i];
            if (u.Kind != ExpressionNodeKind.Operation || !IsOnPathToOutput(u))
            {
                continue;
            }

            for (int j = 0; j < u.Inputs.Count; j++)
            {
                if (u.Inputs[j].RequiresGrad)
                {
                    (consumers[u.Inputs[j].Index] ??= []).Add((u, j));
                }
            }
        }

        var gradients = new double[Nodes.Count];
        var sums = new List<ConsumerSum>();
        for (int i = Nodes.Count - 1; i >= 0; i--)
        {
            ExpressionNode v = Nodes[i];
            if (!IsOnPathToOutput(v) && v != Output)
            {
                continue;
            }

            double sum = v == Output ? 1 : 0; // ∂y/∂y = 1, even for a constant output
            var terms = new List<ConsumerTerm>();
            foreach (var (u, j) in consumers[i] ?? [])
            {
                double product = gradients[u.Index] * u.LocalDerivatives[j];
                sum += product;
                terms.Add(new ConsumerTerm(u, j, gradients[u.Index], u.LocalDerivativeFormulas[j], u.LocalDerivatives[j], product));
            }

            gradients[i] = sum;
            sums.Add(new ConsumerSum(v, terms, sum));
        }

        return new ConsumerPass(this, sums, gradients);
    }

    /// <summary>Builds nodes statement by statement; expressions are walked with an explicit stack (no recursion).</summary>
    private sealed class Builder
    {
        private readonly ExplainScope<ExpressionNode> _scope;

        public Builder(ExplainProgram program) => _scope = new ExplainScope<ExpressionNode>(program);

        public List<ExpressionNode> Nodes { get; } = [];

        public List<ExpressionNode> Inputs { get; } = [];

        public IEnumerable<string> InputNames => Inputs.Select(i => i.Name);

        public void AddInput(string name, double value)
        {
            _scope.RequireNewInputName(name);

            if (!double.IsFinite(value))
            {
                throw new ExplainException($"'{name}' must be a finite number, got {ExplainNumber.Format(value)}", 0, 0);
            }

            var node = new ExpressionNode(Nodes.Count, name, true, ExpressionNodeKind.Input, "input", [], Formula.Symbol(name), value, [], [], default);
            Nodes.Add(node);
            Inputs.Add(node);
            _scope.DefineInput(name, node);
        }

        public ExpressionNode AddStatement(Statement statement)
        {
            // A bare last expression is named f (or out, out1, … if f is taken), so the output has a name.
            string name = _scope.StatementName(statement);

            ExpressionNode node = statement.Value switch
            {
                // y = x: a copy node, so y appears in the graph with ∂y/∂x = 1.
                VariableExpr v => AddOperation("=", [Lookup(v)], name, true, v.Position),
                _ => Build(statement.Value, name),
            };
            _scope.Assign(name, node, statement.Position);

            return node;
        }

        private ExpressionNode Lookup(VariableExpr v) => _scope.Lookup(v, "1");

        /// <summary>Post-order walk of <paramref name="root"/> (<see cref="ExpressionWalk"/>); the root node gets <paramref name="rootName"/> when given.</summary>
        private ExpressionNode Build(Expr root, string? rootName) => ExpressionWalk.PostOrder<ExpressionNode>(
            root,
            (expr, isRoot) =>
            {
                string? name = isRoot ? rootName : null;
                return expr switch
                {
                    NumberExpr n => AddConstant(n.Value, name, n.Position),
                    ArrayExpr a => throw a.Position.Error($"{a.Value.Text} is an array: vectors and matrices are explained in the matrix form (MatrixExplanation; backprop explain uses it for such programs)"),
                    NegateExpr { Operand: NumberExpr n } neg => AddConstant(-n.Value, name, neg.Position), // −2 is a number, not neg(2)
                    _ => Lookup((VariableExpr)expr),
                };
            },
            (op, operands, expr, isRoot) => AddOperation(op, operands, isRoot ? rootName : null, isRoot && rootName is not null, expr.Position));

        private ExpressionNode AddConstant(double value, string? name, SourcePosition position)
        {
            string shown = name ?? ExplainNumber.Format(value);
            var node = new ExpressionNode(Nodes.Count, shown, name is not null, ExpressionNodeKind.Constant, "const", [], Formula.Number(value), value, [], [], position);
            Nodes.Add(node);
            return node;
        }

        private ExpressionNode AddOperation(string op, ExpressionNode[] inputs, string? name, bool isNamed, SourcePosition position)
        {
            if (op == "@" || Parser.MatrixFunctions.Contains(op))
            {
                throw position.Error($"'{op}' works on vectors and matrices: it is explained in the matrix form (MatrixExplanation; backprop explain uses it for such programs)");
            }

            name ??= _scope.GenerateName();
            Formula formula = FormulaOf(op, inputs);
            var result = ExpressionOps.Apply(op, inputs, name, formula, position);
            if (!double.IsFinite(result.Value))
            {
                throw position.Error($"{name} = {formula.ToText()} is {ExplainNumber.Format(result.Value)} (overflow)");
            }

            for (int j = 0; j < inputs.Length; j++)
            {
                if (inputs[j].RequiresGrad && !double.IsFinite(result.Local[j]))
                {
                    throw position.Error($"the derivative of {name} = {formula.ToText()} with respect to {inputs[j].Name} is {ExplainNumber.Format(result.Local[j])} at {inputs[j].Name} = {ExplainNumber.Format(inputs[j].Value)}");
                }
            }

            var node = new ExpressionNode(Nodes.Count, name, isNamed, ExpressionNodeKind.Operation, op, inputs, formula, result.Value, result.Local, result.LocalFormulas, position);
            Nodes.Add(node);
            return node;
        }

        private static Formula FormulaOf(string op, ExpressionNode[] inputs)
        {
            Formula a = inputs[0].Reference;
            return op switch
            {
                "+" => Formula.Add(a, inputs[1].Reference),
                "-" => Formula.Subtract(a, inputs[1].Reference),
                "*" => Formula.Multiply(a, inputs[1].Reference),
                "/" => Formula.Divide(a, inputs[1].Reference),
                "^" => Formula.Power(a, inputs[1].Reference),
                "neg" => Formula.Negate(a),
                "=" => a,
                _ => Formula.Call(op, a),
            };
        }
    }
}
