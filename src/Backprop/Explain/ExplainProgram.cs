namespace Backprop.Explain;

/// <summary>
/// A parsed explain program: assignments such as <c>g = -2*w1; y = w2 + g; z = y*w3</c> over
/// numbers, <c>+ − * / ^</c>, unary minus, parentheses and the functions exp, log, sqrt, tanh,
/// sigmoid, relu, abs; in the matrix form (<see cref="UsesMatrixForm"/>, explained by
/// <see cref="MatrixExplanation"/>) also array literals, <c>@</c>, <c>x'</c> and sum, mean, T. The last statement is the output; names used before any assignment are the
/// inputs, which get their values from <see cref="ExpressionGraph.Build"/>.
/// </summary>
public sealed class ExplainProgram
{
    private ExplainProgram(string source, List<Statement> statements)
    {
        Source = source;
        Statements = statements;
        var assigned = new HashSet<string>(StringComparer.Ordinal);
        var free = new List<string>();
        foreach (var statement in statements)
        {
            foreach (var (position, name) in VariablesOf(statement.Value))
            {
                if (!assigned.Contains(name) && !free.Contains(name))
                {
                    free.Add(name);
                    FirstUse[name] = position;
                }
            }

            if (statement.Name is not null)
            {
                assigned.Add(statement.Name);
            }
        }

        Inputs = free;
        OutputName = statements[^1].Name;
        UsesMatrixForm = statements.Any(s => UsesMatrix(s.Value));
    }

    /// <summary>
    /// True if the program uses the matrix form: an array literal, <c>@</c>, a transpose (<c>T(x)</c> or
    /// <c>x'</c>), <c>sum(…)</c> or <c>mean(…)</c>. Such a program is explained by <see cref="MatrixExplanation"/>.
    /// </summary>
    public bool UsesMatrixForm { get; }

    /// <summary>The program text as given.</summary>
    public string Source { get; }

    /// <summary>The names the program reads before assigning them, in order of first use: the inputs that need values.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>The name of the output (the last statement's), or null when the last statement is a bare expression.</summary>
    public string? OutputName { get; }

    internal List<Statement> Statements { get; }

    /// <summary>Where each input is first used.</summary>
    internal Dictionary<string, SourcePosition> FirstUse { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Parses <paramref name="source"/>; statements are separated by <c>;</c> or new lines.
    /// </summary>
    /// <param name="source">The program's text: assignments and a final expression, one a line.</param>
    /// <returns>The parsed program.</returns>
    /// <exception cref="ExplainException">The text does not parse; the message names the column, e.g. <c>unexpected ')' at column 14</c>.</exception>
    public static ExplainProgram Parse(string source) => new(source, Parser.Parse(source));

    /// <summary>Every identifier the program uses or assigns.</summary>
    internal IEnumerable<string> AllNames() =>
        Statements.SelectMany(s => VariablesOf(s.Value).Select(v => v.Name).Concat(s.Name is null ? [] : [s.Name]));

    private static bool UsesMatrix(Expr root)
    {
        var stack = new Stack<Expr>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            switch (stack.Pop())
            {
                case ArrayExpr:
                case BinaryExpr { Op: '@' }:
                case CallExpr c when Parser.MatrixFunctions.Contains(c.Function):
                    return true;
                case NegateExpr n:
                    stack.Push(n.Operand);
                    break;
                case CallExpr c:
                    stack.Push(c.Argument);
                    break;
                case BinaryExpr b:
                    stack.Push(b.Left);
                    stack.Push(b.Right);
                    break;
            }
        }

        return false;
    }

    // Iterative walk: the parser bounds nesting, but a long chain a+a+…+a nests on the left without limit.
    private static IEnumerable<(SourcePosition Position, string Name)> VariablesOf(Expr root)
    {
        var stack = new Stack<Expr>();
        stack.Push(root);
        var found = new List<(SourcePosition Position, string Name)>();
        while (stack.Count > 0)
        {
            switch (stack.Pop())
            {
                case VariableExpr v:
                    found.Add((v.Position, v.Name));
                    break;
                case NegateExpr n:
                    stack.Push(n.Operand);
                    break;
                case CallExpr c:
                    stack.Push(c.Argument);
                    break;
                case BinaryExpr b:
                    stack.Push(b.Left);
                    stack.Push(b.Right);
                    break;
            }
        }

        return found.OrderBy(f => f.Position.Line).ThenBy(f => f.Position.Column);
    }
}
