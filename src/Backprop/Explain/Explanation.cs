namespace Backprop.Explain;

/// <summary>∂output/∂input for one input, with its finite-difference check.</summary>
/// <param name="Input">The input node.</param>
/// <param name="Gradient">∂output/∂input from the backward pass.</param>
/// <param name="FiniteDifference">The central difference (NaN when not computed or undefined).</param>
/// <param name="RelativeError">See <see cref="Explain.FiniteDifference.RelativeError"/>.</param>
public sealed record InputGradient(ExpressionNode Input, double Gradient, double FiniteDifference, double RelativeError);

/// <summary>One input's gradient-descent update w ← w − η ∂L/∂w.</summary>
/// <param name="Input">The input node (its value is the value before the step).</param>
/// <param name="LossGradient">∂L/∂w = ∂L/∂y · ∂y/∂w.</param>
/// <param name="NewValue">w − η ∂L/∂w, or the old value when no learning rate was given.</param>
public sealed record ParameterUpdate(ExpressionNode Input, double LossGradient, double NewValue);

/// <summary>The loss on the output and the gradient-descent step (present when a target or a learning rate was given).</summary>
/// <param name="Name">The loss's name in formulas: L, or the output's name when there is no target.</param>
/// <param name="Formula">L in terms of the output, e.g. (10 − z)².</param>
/// <param name="Value">L at the forward values.</param>
/// <param name="OutputGradientFormula">∂L/∂y as a formula.</param>
/// <param name="OutputGradient">∂L/∂y.</param>
/// <param name="LearningRate">η, or null for no step.</param>
/// <param name="Updates">One per input.</param>
/// <param name="OutputAfter">The output evaluated at the new values (NaN if undefined there, or no step).</param>
/// <param name="ValueAfter">L evaluated at the new values.</param>
public sealed record LossStep(
    string Name,
    Formula Formula,
    double Value,
    Formula OutputGradientFormula,
    double OutputGradient,
    double? LearningRate,
    IReadOnlyList<ParameterUpdate> Updates,
    double OutputAfter,
    double ValueAfter);

/// <summary>
/// Everything <c>backprop explain</c> shows for a program at given input values: the forward pass,
/// the backward pass step by step (version B) and as sums over consumers (version A), the final
/// gradients with their finite-difference check, and optionally a loss and one gradient-descent step.
/// <see cref="ToReport"/> lays it out for printing.
/// </summary>
public sealed class Explanation
{
    private Explanation(
        ExplainProgram program,
        List<KeyValuePair<string, double>> inputs,
        ExplainOptions options,
        ExpressionGraph graph,
        GradientPass backward,
        ConsumerPass consumers,
        List<InputGradient> gradients,
        LossStep? step)
    {
        Program = program;
        InputValues = inputs;
        Options = options;
        Graph = graph;
        Backward = backward;
        Consumers = consumers;
        Gradients = gradients;
        Step = step;
    }

    /// <summary>The program explained.</summary>
    public ExplainProgram Program { get; }

    /// <summary>The input values, in the order given.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> InputValues { get; }

    /// <summary>The options used.</summary>
    public ExplainOptions Options { get; }

    /// <summary>The graph with its forward values.</summary>
    public ExpressionGraph Graph { get; }

    /// <summary>The backward pass, version B (push: accumulate into inputs).</summary>
    public GradientPass Backward { get; }

    /// <summary>The backward pass, version A (pull: sum over consumers).</summary>
    public ConsumerPass Consumers { get; }

    /// <summary>∂output/∂input for every input, in input order, with finite differences.</summary>
    public IReadOnlyList<InputGradient> Gradients { get; }

    /// <summary>The loss and gradient-descent step, or null when neither a target nor a learning rate was given.</summary>
    public LossStep? Step { get; }

    /// <summary>The output's name (<c>f</c> for a program ending in a bare expression).</summary>
    public string OutputName => Graph.Output.Name;

    /// <summary>Parses <paramref name="source"/> and explains it; see <see cref="Create(ExplainProgram, IEnumerable{KeyValuePair{string, double}}, ExplainOptions?)"/>.</summary>
    /// <param name="source">The program's text.</param>
    /// <param name="inputs">The value of each input variable, by name.</param>
    /// <param name="options">What the explanation includes, or null for the defaults.</param>
    /// <returns>The explanation: the forward values, both backward passes, the checks and the step.</returns>
    public static Explanation Create(string source, IEnumerable<KeyValuePair<string, double>> inputs, ExplainOptions? options = null) =>
        Create(ExplainProgram.Parse(source), inputs, options);

    /// <summary>Runs the forward pass, both backward passes, the finite-difference checks and the optional step.</summary>
    /// <param name="program">The parsed program.</param>
    /// <param name="inputs">The value of each input variable, by name.</param>
    /// <param name="options">What the explanation includes, or null for the defaults.</param>
    /// <returns>The explanation: the forward values, both backward passes, the checks and the step.</returns>
    /// <exception cref="ExplainException">The program cannot be evaluated at these inputs.</exception>
    /// <exception cref="ArgumentException">The target or learning rate is not a finite number (η must be positive), or a target array was given.</exception>
    public static Explanation Create(ExplainProgram program, IEnumerable<KeyValuePair<string, double>> inputs, ExplainOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(inputs);
        options ??= new ExplainOptions();
        if (options.Target is double t && !double.IsFinite(t))
        {
            throw new ArgumentException($"the target must be a finite number, got {t}");
        }

        if (options.TargetArray is not null)
        {
            throw new ArgumentException("a target array (ExplainOptions.TargetArray) is for the matrix form (MatrixExplanation); give the scalar form a number in ExplainOptions.Target");
        }

        if (options.LearningRate is double lr && !(lr > 0 && double.IsFinite(lr)))
        {
            throw new ArgumentException($"the learning rate must be a positive number, got {lr}");
        }

        var values = inputs.ToList();
        var graph = ExpressionGraph.Build(program, values);
        var backward = graph.Backward();
        var consumers = graph.BackwardByConsumers();
        var gradients = graph.Inputs.Select(input =>
        {
            double g = backward.GradientOf(input);
            double fd = options.FiniteDifferences ? FiniteDifference.Central(program, values, input.Name) : double.NaN;
            return new InputGradient(input, g, fd, double.IsNaN(fd) ? double.NaN : FiniteDifference.RelativeError(g, fd));
        }).ToList();
        var step = options.Target is null && options.LearningRate is null ? null : TakeStep(program, values, graph, backward, options);
        return new Explanation(program, values, options, graph, backward, consumers, gradients, step);
    }

    private static LossStep TakeStep(ExplainProgram program, List<KeyValuePair<string, double>> values, ExpressionGraph graph, GradientPass backward, ExplainOptions options)
    {
        ExpressionNode output = graph.Output;
        Formula y = Formula.Symbol(output.Name);
        string name = output.Name;
        Formula loss = y, dLoss = Formula.Number(1);
        Func<double, double> lossOf = v => v;
        double dLdy = 1;
        if (options.Target is double target)
        {
            name = graph.Nodes.Any(n => n.Name == "L") || program.Inputs.Contains("L") ? "loss" : "L";
            Formula difference = Formula.Subtract(Formula.Number(target), y);
            if (options.Loss == ExplainLoss.Squared)
            {
                loss = Formula.Power(difference, Formula.Number(2));
                dLoss = Formula.Multiply(Formula.Number(-2), difference);
                lossOf = v => (target - v) * (target - v);
                dLdy = -2 * (target - output.Value);
            }
            else
            {
                loss = difference;
                dLoss = Formula.Number(-1);
                lossOf = v => target - v;
                dLdy = -1;
            }
        }

        var updates = graph.Inputs.Select(input =>
        {
            double g = dLdy * backward.GradientOf(input);
            return new ParameterUpdate(input, g, options.LearningRate is double eta ? input.Value - (eta * g) : input.Value);
        }).ToList();

        double outputAfter = double.NaN;
        if (options.LearningRate is not null)
        {
            try
            {
                outputAfter = ExpressionGraph.Build(program, updates.Select(u => KeyValuePair.Create(u.Input.Name, u.NewValue))).Output.Value;
            }
            catch (ExplainException)
            {
                // The step left the domain (e.g. log of a negative number): reported as n/a.
            }
        }

        return new LossStep(name, loss, lossOf(output.Value), dLoss, dLdy, options.LearningRate, updates, outputAfter, lossOf(outputAfter));
    }

    /// <summary>The explanation laid out as headings, paragraphs and tables; see <see cref="ExplanationReport"/>.</summary>
    /// <returns>A new report.</returns>
    public Report ToReport() => ExplanationReport.Create(this);
}
