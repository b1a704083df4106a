using System.Globalization;

namespace Backprop.Explain;

/// <summary>
/// The names of a program being built into a graph, shared by the scalar <see cref="ExpressionGraph"/>
/// and <see cref="MatrixGraph"/>: which node each variable names, where it was assigned, the generated
/// names (u1, u2, …; f or out for a bare last expression) and the checks and messages about them.
/// </summary>
/// <typeparam name="TNode">The builder's node type.</typeparam>
internal sealed class ExplainScope<TNode>
{
    private readonly Dictionary<string, TNode> _variables = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SourcePosition> _assignedAt = new(StringComparer.Ordinal);
    private readonly HashSet<string> _takenNames;
    private readonly ExplainProgram _program;
    private int _nextGenerated = 1;

    public ExplainScope(ExplainProgram program)
    {
        _program = program;
        _takenNames = new HashSet<string>(program.AllNames(), StringComparer.Ordinal);
    }

    /// <summary>Whether <paramref name="name"/> names a node yet.</summary>
    public bool IsDefined(string name) => _variables.ContainsKey(name);

    /// <summary>Refuses an input name that is not a variable name, is a function, or was given a value already.</summary>
    public void RequireNewInputName(string name)
    {
        if (string.IsNullOrEmpty(name) || !(char.IsAsciiLetter(name[0]) || name[0] == '_') || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new ExplainException($"'{name}' is not a variable name (letters, digits and _, not starting with a digit)", 0, 0);
        }

        if (Parser.Functions.Contains(name))
        {
            throw new ExplainException($"'{name}' is a function, not a variable", 0, 0);
        }

        if (_variables.ContainsKey(name))
        {
            throw new ExplainException($"'{name}' is given a value twice", 0, 0);
        }
    }

    /// <summary>Makes input <paramref name="name"/> name <paramref name="node"/>.</summary>
    public void DefineInput(string name, TNode node)
    {
        _variables[name] = node;
        _takenNames.Add(name);
    }

    /// <summary>The name a statement's node gets (a bare last expression is named f, or out, out1, … if f is taken); refuses a name assigned before.</summary>
    public string StatementName(Statement statement)
    {
        string name = statement.Name ?? GenerateName(["f", "out"]);
        if (_assignedAt.TryGetValue(name, out var first))
        {
            throw statement.Position.Error($"'{name}' is assigned twice (first at {first})");
        }

        return name;
    }

    /// <summary>Records that statement <paramref name="name"/>, at <paramref name="position"/>, names <paramref name="node"/>.</summary>
    public void Assign(string name, TNode node, SourcePosition position)
    {
        _variables[name] = node;
        _assignedAt[name] = position;
    }

    /// <summary>The node a variable names, or an error saying it is used before it is assigned or is undefined (with an example value such as <paramref name="exampleValue"/>).</summary>
    public TNode Lookup(VariableExpr v, string exampleValue)
    {
        if (_variables.TryGetValue(v.Name, out var node))
        {
            return node;
        }

        if (_program.Statements.Any(s => s.Name == v.Name))
        {
            throw v.Position.Error($"'{v.Name}' is used before it is assigned");
        }

        throw v.Position.Error($"undefined variable '{v.Name}' (give it a value, e.g. --at {v.Name}={exampleValue})");
    }

    /// <summary>A fresh name u1, u2, … for an intermediate node.</summary>
    public string GenerateName()
    {
        string name;
        do
        {
            name = "u" + (_nextGenerated++).ToString(CultureInfo.InvariantCulture);
        }
        while (!_takenNames.Add(name));
        return name;
    }

    /// <summary>The first free name of <paramref name="preferred"/>, else the last one numbered 1, 2, ….</summary>
    public string GenerateName(string[] preferred)
    {
        foreach (string name in preferred)
        {
            if (_takenNames.Add(name))
            {
                return name;
            }
        }

        for (int i = 1; ; i++)
        {
            string name = preferred[^1] + i.ToString(CultureInfo.InvariantCulture);
            if (_takenNames.Add(name))
            {
                return name;
            }
        }
    }
}
