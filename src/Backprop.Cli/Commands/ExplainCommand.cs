using System.CommandLine;
using Backprop.Explain;

namespace Backprop.Cli.Commands;

/// <summary>
/// <c>backprop explain "g = -2*w1; y = w2 + g; z = y*w3" --at w1=3,w2=4,w3=5</c>: the forward pass,
/// the backward pass node by node, the gradients with finite differences, and optionally a loss and
/// a gradient-descent step, as text, Markdown or LaTeX. <c>--example NAME</c> runs a worked example.
/// A program with vectors and matrices (an array in --at or in the program, <c>@</c>, <c>'</c>, sum,
/// mean, T) is explained in matrix form by <see cref="MatrixExplanation"/>.
/// </summary>
internal static class ExplainCommand
{
    public static Command Create()
    {
        var program = new Argument<string?>("PROGRAM")
        {
            Description = "Assignments separated by ';' or new lines, e.g. \"g = -2*w1; y = w2 + g; z = y*w3\". Operators + - * / ^, functions exp log sqrt tanh sigmoid relu abs; the last statement is the output. " +
                "Matrix form: values [a,b] and [[a,b],[c,d]], A @ B (matrix product), elementwise + - * / ^ with broadcasting, x' or T(x) (transpose), sum(x), mean(x); the output must be a scalar, e.g. \"h = sigmoid(W1 @ x + b1); L = sum((h - t)^2)\".",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var at = new Option<string?>("--at") { Description = "Input values: NAME=NUMBER,... e.g. w1=3,w2=4,w3=5; vectors and matrices in brackets, rows in order, the whole list quoted for the shell: --at \"W1=[[0.15,0.2],[0.25,0.3]],x=[0.05,0.1]\"." };
        var target = new Option<string?>("--target")
        {
            Description = "Target T: adds the loss (see --loss) on top of the output y. Matrix form: a number (for every entry) or an array of y's shape, e.g. --target \"[0.01,0.99]\", " +
                "and the loss is summed over the entries, so y may be a vector or matrix.",
        };
        var loss = new Option<string>("--loss") { Description = "Loss with --target: squared (T − y)² or difference T − y; in matrix form sum((T − y)²) or sum(T − y).", DefaultValueFactory = _ => "squared" };
        loss.AcceptOnlyFromAmong("squared", "difference");
        var lr = new Option<double?>("--lr") { Description = "Learning rate η: adds one gradient-descent step w ← w − η ∂L/∂w for every input." };
        var format = new Option<string>("--format") { Description = "text, md (Markdown tables) or tex (a LaTeX document).", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "md", "tex");
        var example = new Option<string?>("--example") { Description = $"Run a worked example of docs/design.md §1: {string.Join(", ", WorkedExamples.Names.Concat(WorkedExamples.MatrixNames))}." };
        var step = new Option<bool>("--step") { Description = "On a terminal, walk the backward pass one node at a time (Enter for the next node)." };
        var command = new Command("explain", "Show the forward and backward pass of a small program, node by node, with finite-difference checks.")
        {
            program, at, target, loss, lr, format, example, step,
        };
        command.SetAction(result => CommandRunner.Run("explain", () =>
        {
            var reportFormat = ExplainArguments.ParseFormat(result.GetValue(format)!);
            Report report;
            if (result.GetValue(example) is string name)
            {
                if (result.GetValue(program) is not null || result.GetValue(at) is not null || result.GetValue(target) is not null || result.GetValue(lr) is not null)
                {
                    throw new ArgumentException("--example runs a fixed program with its own values: give no PROGRAM, --at, --target or --lr with it");
                }

                if (WorkedExamples.MatrixNames.Contains(name))
                {
                    report = WorkedExamples.GetMatrix(name).ToReport();
                }
                else
                {
                    report = WorkedExamples.Get(name).ToReport();
                }
            }
            else
            {
                string source = result.GetValue(program)
                    ?? throw new ArgumentException($"a PROGRAM is required, e.g. explain \"z = x*y\" --at x=2,y=3 (or --example {string.Join("|", WorkedExamples.Names)})");
                var parsed = ExplainProgram.Parse(source);
                var lossKind = result.GetValue(loss) == "difference" ? ExplainLoss.Difference : ExplainLoss.Squared;
                if (parsed.UsesMatrixForm || ExplainArguments.HasArrays(result.GetValue(at)) || ExplainArguments.HasArrays(result.GetValue(target)))
                {
                    report = ExplainMatrix(parsed, result.GetValue(at), result.GetValue(target), lossKind, result.GetValue(lr));
                    Write(report, reportFormat, result.GetValue(step));
                    return 0;
                }

                var values = ExplainArguments.ParseAt(result.GetValue(at));
                var options = new ExplainOptions
                {
                    Target = ExplainArguments.ParseTarget(result.GetValue(target)),
                    Loss = lossKind,
                    LearningRate = result.GetValue(lr),
                };
                report = Explanation.Create(parsed, values, options).ToReport();
            }

            Write(report, reportFormat, result.GetValue(step));
            return 0;
        }));
        return command;
    }

    /// <summary>The matrix form: values may be vectors and matrices; the loss is written in the program or put on top of the output by --target.</summary>
    private static Report ExplainMatrix(ExplainProgram program, string? at, string? target, ExplainLoss loss, double? lr)
    {
        var values = ExplainArguments.ParseArrays(at);
        var options = new ExplainOptions { TargetArray = ExplainArguments.ParseTargetArray(target), Loss = loss, LearningRate = lr };
        return MatrixExplanation.Create(program, values, options).ToReport();
    }

    /// <summary>Prints the report; with --step on a terminal, waits for Enter after each node of the backward pass.</summary>
    private static void Write(Report report, ReportFormat format, bool step)
    {
        // Stepping needs a person at a terminal: with stdin or stdout redirected it would block on
        // a pipe (or wait for input nobody gives), so then everything is printed at once.
        bool interactive = step && format == ReportFormat.Text && !Terminal.IsInputRedirected && !Terminal.IsOutputRedirected;
        Action? pause = null;
        if (interactive)
        {
            pause = () =>
            {
                if (!interactive)
                {
                    return;
                }

                Console.Write("  [Enter: next node] ");
                interactive = Console.ReadLine() is not null; // end of input: print the rest
            };
        }

        ReportWriter.Write(report, format, Console.Out, pause);
    }
}
