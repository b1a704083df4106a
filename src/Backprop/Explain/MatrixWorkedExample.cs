namespace Backprop.Explain;

/// <summary>
/// A worked example in explain's matrix form: the program, its input values (vectors and matrices),
/// options, and what it should give (<see cref="Expected"/>).
/// </summary>
public sealed class MatrixWorkedExample
{
    internal MatrixWorkedExample(string name, string title, string expected, string program, (string Name, Tensor Value)[] inputs, ExplainOptions options)
    {
        Name = name;
        Title = title;
        Expected = expected;
        Program = program;
        Inputs = [.. inputs.Select(i => KeyValuePair.Create(i.Name, i.Value))];
        Options = options;
    }

    /// <summary>The name <c>--example</c> takes, e.g. <c>mazur-matrix</c>.</summary>
    public string Name { get; }

    /// <summary>A one-line description.</summary>
    public string Title { get; }

    /// <summary>The numbers it should give.</summary>
    public string Expected { get; }

    /// <summary>The program explained.</summary>
    public string Program { get; }

    /// <summary>The input values.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> Inputs { get; }

    /// <summary>The learning rate of the explained step.</summary>
    public ExplainOptions Options { get; }

    /// <summary>The explained forward pass, backward pass and step.</summary>
    /// <returns>The explanation.</returns>
    public MatrixExplanation Explain() => MatrixExplanation.Create(Program, Inputs, Options);

    /// <summary>The example's report: what it should give, then the explanation.</summary>
    /// <returns>A new report.</returns>
    public Report ToReport()
    {
        var report = new Report();
        report.Heading(1, $"Worked example '{Name}': {Title}");
        report.Paragraph("Expected: " + Expected);
        report.Add(Explain().ToReport());
        return report;
    }
}
