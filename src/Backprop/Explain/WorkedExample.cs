using System.Globalization;

namespace Backprop.Explain;

/// <summary>
/// One of the worked examples of docs/design.md §1 as an explain program: the program, its input values
/// and options, what the source material says it gives (<see cref="Expected"/>), and, for the network
/// examples, how to train it further (a data set of rows for per-row SGD, or a number of steps).
/// </summary>
public sealed class WorkedExample
{
    internal WorkedExample(string name, string title, string expected, string program, (string Name, double Value)[] inputs, ExplainOptions options)
    {
        Name = name;
        Title = title;
        Expected = expected;
        Program = program;
        Inputs = [.. inputs.Select(i => KeyValuePair.Create(i.Name, i.Value))];
        Options = options;
    }

    /// <summary>The name <c>--example</c> takes: chain, abc, w123, mazur, regression, classification.</summary>
    public string Name { get; }

    /// <summary>A one-line description.</summary>
    public string Title { get; }

    /// <summary>The numbers docs/design.md §1 expects.</summary>
    public string Expected { get; }

    /// <summary>The program explained (for a data set: with the first row's values).</summary>
    public string Program { get; }

    /// <summary>The input values (for the networks: the initial weights).</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Inputs { get; }

    /// <summary>Target, loss and learning rate of the explained step.</summary>
    public ExplainOptions Options { get; }

    /// <summary>For per-row SGD: the names the program's first line assigns per row (e.g. x1, x2, y).</summary>
    public IReadOnlyList<string> RowVariables { get; internal init; } = [];

    /// <summary>For per-row SGD: the data set, one array of <see cref="RowVariables"/> values per row.</summary>
    public IReadOnlyList<double[]> Rows { get; internal init; } = [];

    /// <summary>The program text without its row line (for per-row SGD).</summary>
    internal string Body { get; init; } = "";

    /// <summary>Epochs of per-row SGD to run after the explained step (0 for none).</summary>
    public int Epochs { get; internal init; }

    /// <summary>Gradient-descent steps on the program to run after the explained step (0 for none).</summary>
    public int Steps { get; internal init; }

    /// <summary>The program for one row of the data set: its values assigned as constants, then the body.</summary>
    /// <param name="row">The row's values, in the order of the data set's columns.</param>
    /// <returns>The program text.</returns>
    public string ProgramFor(double[] row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (row.Length != RowVariables.Count)
        {
            throw new ArgumentException($"example {Name}: a row needs {RowVariables.Count} values ({string.Join(", ", RowVariables)}), got {row.Length}");
        }

        string assignments = string.Join("; ", RowVariables.Select((v, i) => $"{v} = {row[i].ToString(CultureInfo.InvariantCulture)}"));
        return assignments + "\n" + Body;
    }

    /// <summary>The explained forward pass, backward pass and step (the first row's, for a data set).</summary>
    /// <returns>The explanation, ready to print or turn into a report.</returns>
    public Explanation Explain() => Explanation.Create(Program, Inputs, Options);

    /// <summary>
    /// Per-row SGD over <see cref="Rows"/> for <see cref="Epochs"/> epochs from the initial
    /// <see cref="Inputs"/>: for each row in order, the loss (the program's output) is taken, then
    /// every input is updated w ← w − η ∂L/∂w. Returns the mean over rows of the loss taken before
    /// each row's update, per epoch, and the final values.
    /// </summary>
    /// <returns>EpochLosses: the mean loss of each epoch; Values: each input's final value, by name.</returns>
    public (IReadOnlyList<double> EpochLosses, IReadOnlyList<KeyValuePair<string, double>> Values) Train()
    {
        double eta = Options.LearningRate ?? throw new InvalidOperationException($"example {Name} has no learning rate");
        var programs = Rows.Select(r => ExplainProgram.Parse(ProgramFor(r))).ToList();
        var values = Inputs.ToList();
        var losses = new List<double>();
        for (int epoch = 0; epoch < Epochs; epoch++)
        {
            double total = 0;
            foreach (var program in programs)
            {
                total += Step(program, values, eta);
            }

            losses.Add(total / programs.Count);
        }

        return (losses, values);
    }

    /// <summary>
    /// <see cref="Steps"/> gradient-descent steps on the program from the initial <see cref="Inputs"/>;
    /// returns the output evaluated after the last update, and the final values.
    /// </summary>
    /// <returns>Output: the program's output after the last step; Values: each input's final value, by name.</returns>
    public (double Output, IReadOnlyList<KeyValuePair<string, double>> Values) Descend()
    {
        double eta = Options.LearningRate ?? throw new InvalidOperationException($"example {Name} has no learning rate");
        var program = ExplainProgram.Parse(Program);
        var values = Inputs.ToList();
        for (int step = 0; step < Steps; step++)
        {
            Step(program, values, eta);
        }

        return (ExpressionGraph.Build(program, values).Output.Value, values);
    }

    /// <summary>One update of every input; returns the output before it.</summary>
    private static double Step(ExplainProgram program, List<KeyValuePair<string, double>> values, double eta)
    {
        var graph = ExpressionGraph.Build(program, values);
        var gradients = graph.Backward();
        for (int i = 0; i < values.Count; i++)
        {
            values[i] = KeyValuePair.Create(values[i].Key, values[i].Value - (eta * gradients.GradientOf(graph.Inputs[i])));
        }

        return graph.Output.Value;
    }

    /// <summary>
    /// The example's report: what docs/design.md §1 expects, the explanation of the program (or of the
    /// first row), and for the networks the training that follows.
    /// </summary>
    /// <returns>A new report.</returns>
    public Report ToReport()
    {
        var report = new Report();
        report.Heading(1, $"Worked example '{Name}': {Title}");
        report.Paragraph("docs/design.md §1 expects: " + Expected);
        if (Rows.Count > 0)
        {
            report.Paragraph($"The data set has {Rows.Count} rows of ({string.Join(", ", RowVariables)}); explained below is the first row, then {Epochs} epochs of per-row SGD.");
        }

        report.Add(Explain().ToReport());
        if (Rows.Count > 0 && Epochs > 0)
        {
            var (losses, values) = Train();
            report.Heading(1, $"5. Training: {Epochs} epochs of per-row SGD");
            report.Paragraph($"Rows in order; each row's loss is taken before that row's update; η = {ExplainNumber.Format(Options.LearningRate!.Value)}.");
            report.Add(new ReportTable(
                ["epoch", "mean loss"],
                [losses.Select((l, i) => (IReadOnlyList<ReportSpan>)[(i + 1).ToString(CultureInfo.InvariantCulture), ReportSpan.Number(l)]).ToList()],
                [true, true]));
            AddValues(report, "Values after training: ", values);
        }

        if (Steps > 0)
        {
            var (output, values) = Descend();
            var program = ExplainProgram.Parse(Program);
            report.Heading(1, $"5. {Steps:N0} gradient-descent steps");
            report.Paragraph($"After {Steps.ToString("N0", CultureInfo.InvariantCulture)} steps with η = {ExplainNumber.Format(Options.LearningRate!.Value)}: ",
                ReportSpan.Math(Formula.Equation(Formula.Symbol(program.OutputName ?? "f"), Formula.Number(output))), ".");
            AddValues(report, "Values: ", values);
        }

        return report;
    }

    private static void AddValues(Report report, string lead, IReadOnlyList<KeyValuePair<string, double>> values)
    {
        var spans = new List<ReportSpan> { lead };
        for (int i = 0; i < values.Count; i++)
        {
            spans.Add(ReportSpan.Math(Formula.Equation(Formula.Symbol(values[i].Key), Formula.Number(values[i].Value))));
            spans.Add(i + 1 < values.Count ? ", " : ".");
        }

        report.Paragraph([.. spans]);
    }
}
