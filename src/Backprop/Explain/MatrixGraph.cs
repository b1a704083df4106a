using System.Globalization;

namespace Backprop.Explain;

/// <summary>
/// The forward pass of a program in explain's matrix form: one <see cref="MatrixNode"/> per input,
/// constant and operation, in topological order, each value computed by the library's tensor ops in
/// float64. Shapes are checked before each op, so a mismatch is reported with the operator's position
/// and both shapes.
/// </summary>
internal sealed class MatrixGraph
{
    private readonly ExplainScope<MatrixNode> _scope;
    private readonly bool _withGrad;
    private readonly int _maxEntries;

    private MatrixGraph(ExplainProgram program, bool withGrad, int maxEntries)
    {
        _scope = new ExplainScope<MatrixNode>(program);
        _withGrad = withGrad;
        _maxEntries = maxEntries;
    }

    public List<MatrixNode> Nodes { get; } = [];

    public List<MatrixNode> Inputs { get; } = [];

    public MatrixNode Output { get; private set; } = null!;

    /// <summary>
    /// Evaluates <paramref name="program"/> at <paramref name="inputs"/>; with <paramref name="withGrad"/>
    /// the inputs are leaves that require grad, so the output can be differentiated by <see cref="Autograd.Grad(Tensor, IReadOnlyList{Tensor}, Tensor?, bool, BackwardVersion, bool)"/>.
    /// An operation whose value would have more than <paramref name="maxEntries"/> entries is refused before it is computed.
    /// With a <paramref name="target"/> T, the loss L = sum((T − y)²) (or sum(T − y)) is added on top of the program's output y
    /// and becomes the output.
    /// </summary>
    public static MatrixGraph Build(
        ExplainProgram program, IEnumerable<KeyValuePair<string, Tensor>> inputs, bool withGrad, int maxEntries = int.MaxValue,
        Tensor? target = null, ExplainLoss loss = ExplainLoss.Squared)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(inputs);
        var graph = new MatrixGraph(program, withGrad, maxEntries);
        foreach (var (name, value) in inputs)
        {
            graph.AddInput(name, value);
        }

        foreach (var input in graph.Inputs)
        {
            if (!program.Inputs.Contains(input.Name))
            {
                var assignment = program.Statements.FirstOrDefault(s => s.Name == input.Name);
                throw assignment is not null
                    ? assignment.Position.Error($"'{input.Name}' is given a value from outside and also assigned")
                    : new ExplainException($"'{input.Name}' is given a value but the program does not use it (it uses: {string.Join(", ", program.Inputs)})", 0, 0);
            }
        }

        var missing = program.Inputs.Where(name => !graph._scope.IsDefined(name)).ToList();
        if (missing.Count > 0)
        {
            string list = string.Join(", ", missing.Select(m => $"'{m}'"));
            throw program.FirstUse[missing[0]].Error(
                $"undefined variable{(missing.Count > 1 ? "s" : "")} {list} (give {(missing.Count > 1 ? "them values" : "it a value")}, e.g. --at \"{string.Join(",", missing.Select(m => m + "=[1,2]"))}\")");
        }

        using (withGrad ? null : Autograd.NoGrad())
        {
            foreach (var statement in program.Statements)
            {
                graph.Output = graph.AddStatement(statement);
            }

            graph.ProgramOutput = graph.Output;
            if (target is not null)
            {
                graph.AddLoss(target, loss);
            }
        }

        return graph;
    }

    private void AddInput(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        _scope.RequireNewInputName(name);

        if (value.Rank > 2)
        {
            throw new ExplainException($"'{name}' has shape {Shapes.Format(value.Shape)}: explain takes numbers, vectors and matrices (rank 0, 1 or 2)", 0, 0);
        }

        Tensor data = ExplainArray.Create(value.To(DType.Float64).ToArray(), value.Shape);
        if (data.ToArray().Any(v => !double.IsFinite(v)))
        {
            throw new ExplainException($"'{name}' must hold finite numbers, got {ExplainArray.Format(data)}", 0, 0);
        }

        if (_withGrad)
        {
            data.RequiresGrad_();
        }

        var node = new MatrixNode(Nodes.Count, name, true, ExpressionNodeKind.Input, "input", [], "input", data, default);
        Nodes.Add(node);
        Inputs.Add(node);
        _scope.DefineInput(name, node);
    }

    /// <summary>The program's output y before a loss was put on top of it (the output itself without a target).</summary>
    public MatrixNode ProgramOutput { get; private set; } = null!;

    /// <summary>The target's node T, or null without a target.</summary>
    public MatrixNode? Target { get; private set; }

    /// <summary>
    /// Adds the target T as a named constant and L = sum((T − y)²), or sum(T − y), on the output y as one
    /// operation (op <c>squared-loss</c> or <c>difference-loss</c>, inputs y and T), which becomes the output.
    /// T is a number (standing for every entry) or an array of y's shape.
    /// </summary>
    private void AddLoss(Tensor target, ExplainLoss loss)
    {
        MatrixNode y = Output;
        if (target.Rank != 0 && !target.Shape.SequenceEqual(y.Shape))
        {
            throw new ExplainException(y.Shape.Count == 0
                ? $"the target T has shape {Shape(target.Shape)} but the output {y.Name} is a scalar: give a number"
                : $"the target T has shape {Shape(target.Shape)} but the output {y.Name} has shape {Shape(y.Shape)}: give a number or an array of shape {Shape(y.Shape)}", 0, 0);
        }

        Tensor t = ExplainArray.Create(target.To(DType.Float64).ToArray(), target.Shape);
        if (t.ToArray().Any(v => !double.IsFinite(v)))
        {
            throw new ExplainException($"the target T must hold finite numbers, got {ExplainArray.Format(t)}", 0, 0);
        }

        string tName = _scope.GenerateName(["T", "target"]);
        var tNode = new MatrixNode(Nodes.Count, tName, true, ExpressionNodeKind.Constant, "const", [], "target", t, default);
        Nodes.Add(tNode);
        Target = tNode;

        string name = _scope.GenerateName(["L", "loss"]);
        string op = loss == ExplainLoss.Squared ? "squared-loss" : "difference-loss";
        Tensor difference = t.Sub(y.Value);
        Tensor value = loss == ExplainLoss.Squared ? difference.Pow(2.0).Sum() : difference.Sum();
        if (!double.IsFinite(value.Item()))
        {
            throw new ExplainException($"the loss {name} = {FormulaOf(op, [y, tNode])} is {ExplainNumber.Format(value.Item())} (overflow)", 0, 0);
        }

        var node = new MatrixNode(Nodes.Count, name, true, ExpressionNodeKind.Operation, op, [y, tNode], FormulaOf(op, [y, tNode]), value, default);
        Nodes.Add(node);
        Output = node;
    }

    private MatrixNode AddStatement(Statement statement)
    {
        string name = _scope.StatementName(statement);

        MatrixNode node = statement.Value switch
        {
            VariableExpr v => AddOperation("=", [Lookup(v)], name, true, v.Position),
            _ => Build(statement.Value, name),
        };
        _scope.Assign(name, node, statement.Position);
        return node;
    }

    private MatrixNode Lookup(VariableExpr v) => _scope.Lookup(v, "[1,2]");

    /// <summary>Post-order walk (<see cref="ExpressionWalk"/>); the root node gets <paramref name="rootName"/>.</summary>
    private MatrixNode Build(Expr root, string rootName) => ExpressionWalk.PostOrder<MatrixNode>(
        root,
        (expr, isRoot) =>
        {
            string? name = isRoot ? rootName : null;
            return expr switch
            {
                NumberExpr n => AddConstant(Tensor.Scalar(n.Value, DType.Float64), ExplainNumber.Format(n.Value), name, n.Position),
                NegateExpr { Operand: NumberExpr n } neg => AddConstant(Tensor.Scalar(-n.Value, DType.Float64), ExplainNumber.Format(-n.Value), name, neg.Position),
                ArrayExpr a => AddConstant(ExplainArray.Create(a.Value.Data, a.Value.Shape), ExplainArray.Compact(a.Value), name, a.Position),
                _ => Lookup((VariableExpr)expr),
            };
        },
        (op, operands, expr, isRoot) => AddOperation(op, operands, isRoot ? rootName : null, isRoot, expr.Position));

    private MatrixNode AddConstant(Tensor value, string text, string? name, SourcePosition position)
    {
        var node = new MatrixNode(Nodes.Count, name ?? text, name is not null, ExpressionNodeKind.Constant, "const", [], name is null ? text : "constant", value, position);
        Nodes.Add(node);
        return node;
    }

    /// <summary>How an operation reads, e.g. <c>W1 @ x</c>, <c>sigmoid(u1)</c>, <c>u1ᵀ</c>.</summary>
    internal static string FormulaOf(string op, IReadOnlyList<MatrixNode> inputs)
    {
        string a = inputs[0].Name;
        return op switch
        {
            "+" or "-" or "/" or "@" => $"{a} {(op == "-" ? "−" : op)} {inputs[1].Name}",
            "*" => inputs[0].Shape.Count == 0 || inputs[1].Shape.Count == 0 ? $"{a}·{inputs[1].Name}" : $"{a} ⊙ {inputs[1].Name}",
            "^" => $"{a}^{inputs[1].Name}",
            "neg" => $"−{a}",
            "=" => a,
            "T" => $"{a}ᵀ",
            "squared-loss" => $"sum(({inputs[1].Name} − {a})²)",
            "difference-loss" => $"sum({inputs[1].Name} − {a})",
            _ => $"{op}({a})",
        };
    }

    private MatrixNode AddOperation(string op, MatrixNode[] inputs, string? name, bool isNamed, SourcePosition position)
    {
        name ??= _scope.GenerateName();
        string formula = FormulaOf(op, inputs);
        Tensor value = Apply(op, inputs, name, formula, position);
        double[] data = value.ToArray();
        int bad = Array.FindIndex(data, v => !double.IsFinite(v));
        if (bad >= 0)
        {
            throw position.Error($"{name} = {formula} is {ExplainNumber.Format(data[bad])}{EntryText(value.Shape, bad)} (overflow or outside the function's domain)");
        }

        var node = new MatrixNode(Nodes.Count, name, isNamed, ExpressionNodeKind.Operation, op, inputs, formula, value, position);
        Nodes.Add(node);
        return node;
    }

    /// <summary><c> at entry [1, 0]</c> for a matrix, <c> at entry [1]</c> for a vector, nothing for a scalar.</summary>
    internal static string EntryText(int[] shape, int flat) => shape.Length switch
    {
        0 => "",
        1 => $" at entry [{flat.ToString(CultureInfo.InvariantCulture)}]",
        _ => $" at entry [{(flat / shape[1]).ToString(CultureInfo.InvariantCulture)}, {(flat % shape[1]).ToString(CultureInfo.InvariantCulture)}]",
    };

    private static string Shape(MatrixNode node) => Shape(node.Shape);

    private static string Shape(IReadOnlyList<int> shape) => $"({ExplainArray.FormatShape(shape)})";

    /// <summary>Refuses a value of <paramref name="shape"/> with more entries than the graph allows, before it is computed.</summary>
    private void CheckSize(int[] shape, string name, string formula, SourcePosition at)
    {
        long entries = shape.Aggregate(1L, (n, size) => n * size);
        if (entries > _maxEntries)
        {
            throw at.Error($"{name} = {formula} would have {entries.ToString("N0", CultureInfo.InvariantCulture)} entries ({ExplainArray.FormatShape(shape)}); the limit is {_maxEntries.ToString("N0", CultureInfo.InvariantCulture)}");
        }
    }

    private Tensor Apply(string op, MatrixNode[] inputs, string name, string formula, SourcePosition at)
    {
        Tensor a = inputs[0].Value;
        switch (op)
        {
            case "+":
            case "-":
            case "*":
            case "/":
            case "^":
                {
                    MatrixNode left = inputs[0], right = inputs[1];
                    if (BroadcastShape(left.Shape, right.Shape) is null)
                    {
                        throw at.Error(
                            $"shapes do not match in {name} = {formula}: {left.Name} is {Shape(left)} and {right.Name} is {Shape(right)} " +
                            "(elementwise operations need equal shapes, a scalar on one side, or a vector of n against a matrix of n columns)");
                    }

                    CheckSize(BroadcastShape(left.Shape, right.Shape)!, name, formula, at);

                    Tensor b = right.Value;
                    switch (op)
                    {
                        case "+":
                            return a.Add(b);
                        case "-":
                            return a.Sub(b);
                        case "*":
                            return a.Mul(b);
                        case "/":
                            {
                                int zero = Array.IndexOf(b.ToArray(), 0.0);
                                if (zero >= 0)
                                {
                                    throw at.Error($"division by zero in {name} = {formula}: {right.Name} is 0{EntryText(b.Shape, zero)}");
                                }

                                return a.Div(b);
                            }

                        default:
                            return Power(left, right, name, formula, at);
                    }
                }

            case "@":
                return MatrixProduct(inputs[0], inputs[1], name, formula, at);
            case "neg":
                return a.Neg();
            case "=":
                return a.Clone();
            case "exp":
                return a.Exp();
            case "log":
                {
                    int bad = Array.FindIndex(a.ToArray(), v => v <= 0);
                    if (bad >= 0)
                    {
                        throw at.Error($"log of {ExplainNumber.Format(a.ToArray()[bad])}{EntryText(a.Shape, bad)} is undefined (log needs positive arguments) in {name} = {formula}");
                    }

                    return a.Log();
                }

            case "sqrt":
                {
                    int bad = Array.FindIndex(a.ToArray(), v => v < 0);
                    if (bad >= 0)
                    {
                        throw at.Error($"sqrt of {ExplainNumber.Format(a.ToArray()[bad])}{EntryText(a.Shape, bad)} is undefined (sqrt needs non-negative arguments) in {name} = {formula}");
                    }

                    return a.Sqrt();
                }

            case "tanh":
                return a.Tanh();
            case "sigmoid":
                return a.Sigmoid();
            case "relu":
                return a.Relu();
            case "abs":
                return a.Abs();
            case "sum":
                return a.Sum();
            case "mean":
                return a.Mean();
            case "T":
                return a.Rank == 2 ? a.Transpose(0, 1) : a.Clone();
            default:
                throw new InvalidOperationException($"explain: unknown operation '{op}'");
        }
    }

    private static Tensor Power(MatrixNode baseNode, MatrixNode exponent, string name, string formula, SourcePosition at)
    {
        int[] shape = BroadcastShape(baseNode.Shape, exponent.Shape)!;
        double[] x = baseNode.Value.Detach().Expand(shape).ToArray();
        double[] p = exponent.Value.Detach().Expand(shape).ToArray();
        for (int k = 0; k < x.Length; k++)
        {
            if (x[k] == 0 && p[k] < 0)
            {
                throw at.Error($"division by zero in {name} = {formula}: {baseNode.Name} is 0{EntryText(shape, k)} and the exponent is negative");
            }

            if (x[k] < 0 && p[k] != Math.Round(p[k]))
            {
                throw at.Error($"{ExplainNumber.Format(x[k])}^{ExplainNumber.Format(p[k])}{EntryText(shape, k)} is undefined (a negative base needs an integer exponent) in {name} = {formula}");
            }

            if (exponent.RequiresGrad && x[k] <= 0)
            {
                throw at.Error($"the exponent of {name} = {formula} depends on the inputs, so its derivative a^b·log(a) needs a positive base, but {baseNode.Name} is {ExplainNumber.Format(x[k])}{EntryText(shape, k)}");
            }
        }

        return exponent.Kind == ExpressionNodeKind.Constant && exponent.Value.Rank == 0
            ? baseNode.Value.Pow(p[0])
            : baseNode.Value.Pow(exponent.Value);
    }

    private Tensor MatrixProduct(MatrixNode left, MatrixNode right, string name, string formula, SourcePosition at)
    {
        var (l, r) = (left.Shape, right.Shape);
        string where = $"{name} = {formula}: {left.Name} is {Shape(left)} and {right.Name} is {Shape(right)}";
        if (l.Count == 0 || r.Count == 0)
        {
            throw at.Error($"'@' needs vectors or matrices, not a scalar, in {where} (use * to scale)");
        }

        int inner = l[^1], other = r[0];
        if (inner != other)
        {
            throw at.Error($"shapes do not match in {where}: the inner sizes {inner} and {other} differ (A @ B needs A's columns = B's rows)");
        }

        CheckSize([.. l.Take(l.Count - 1), .. r.Skip(1)], name, formula, at);

        return left.Value.Matmul(right.Value);
    }

    /// <summary>The broadcast shape of two shapes of rank ≤ 2 (sizes aligned at the right, a 1 or a missing dim stretches), or null.</summary>
    internal static int[]? BroadcastShape(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        int rank = Math.Max(a.Count, b.Count);
        var shape = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            int x = d - (rank - a.Count) >= 0 ? a[d - (rank - a.Count)] : 1;
            int y = d - (rank - b.Count) >= 0 ? b[d - (rank - b.Count)] : 1;
            if (x != y && x != 1 && y != 1)
            {
                return null;
            }

            shape[d] = Math.Max(x, y);
        }

        return shape;
    }
}
