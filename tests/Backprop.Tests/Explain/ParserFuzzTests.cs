using System.Text;
using Backprop.Explain;

namespace Backprop.Tests.Explain;

/// <summary>
/// Random and mutated programs: every one either explains, or fails with the parser's (or the
/// evaluator's) own <see cref="ExplainException"/> naming a column; nothing else is ever thrown and
/// nothing hangs.
/// </summary>
public class ParserFuzzTests
{
    private static readonly string[] s_functions = ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs"];
    private static readonly string[] s_variables = ["x", "y1", "w_2", "b"];

    /// <summary>A random well-formed expression over the variables and earlier assigned names.</summary>
    private static string Expression(Random random, int depth, List<string> names)
    {
        if (depth <= 0 || random.Next(4) == 0)
        {
            return random.Next(3) == 0
                ? Math.Round((random.NextDouble() * 10) - 2, random.Next(3)).ToString(System.Globalization.CultureInfo.InvariantCulture)
                : names[random.Next(names.Count)];
        }

        return random.Next(6) switch
        {
            0 => $"-{Expression(random, depth - 1, names)}",
            1 => $"{s_functions[random.Next(s_functions.Length)]}({Expression(random, depth - 1, names)})",
            2 => $"({Expression(random, depth - 1, names)})",
            3 => $"{Expression(random, depth - 1, names)}^{random.Next(1, 4)}",
            _ => $"{Expression(random, depth - 1, names)} {"+-*/"[random.Next(4)]} {Expression(random, depth - 1, names)}",
        };
    }

    private static string Program(Random random)
    {
        var names = new List<string>(s_variables);
        var sb = new StringBuilder();
        int statements = random.Next(1, 5);
        for (int i = 0; i < statements; i++)
        {
            string name = "v" + i;
            sb.Append(name).Append(" = ").Append(Expression(random, random.Next(1, 5), names)).Append(random.Next(2) == 0 ? "; " : "\n");
            names.Add(name);
        }

        return sb.ToString();
    }

    private static string Mutate(Random random, string program)
    {
        const string alphabet = "()+-*/^=;.eE0123456789xab_ \n\t,#$\u2212\u00B7\u00D7\u0000\u00e9";
        var chars = new StringBuilder(program);
        int edits = random.Next(1, 4);
        for (int i = 0; i < edits; i++)
        {
            int at = chars.Length == 0 ? 0 : random.Next(chars.Length);
            switch (random.Next(3))
            {
                case 0 when chars.Length > 0:
                    chars.Remove(at, 1);
                    break;
                case 1:
                    chars.Insert(at, alphabet[random.Next(alphabet.Length)]);
                    break;
                default:
                    if (chars.Length > 0)
                    {
                        chars[at] = alphabet[random.Next(alphabet.Length)];
                    }

                    break;
            }
        }

        return chars.ToString();
    }

    /// <summary>Parses and, if that works, evaluates and differentiates; returns the exception if one was thrown.</summary>
    private static Exception? Explain(string source, Random random)
    {
        try
        {
            var program = ExplainProgram.Parse(source);
            var inputs = program.Inputs.Select(n => KeyValuePair.Create(n, Math.Round((random.NextDouble() * 6) - 3, 2))).ToList();
            var graph = ExpressionGraph.Build(program, inputs);
            var b = graph.Backward();
            var a = graph.BackwardByConsumers();
            foreach (var node in graph.Nodes)
            {
                // Versions A and B agree bit for bit.
                Assert.True(b.GradientOf(node).Equals(a.GradientOf(node)), $"{Escape(source)}: ∂/∂{node.Name} is {b.GradientOf(node):R} (B) but {a.GradientOf(node):R} (A)");
            }

            _ = Explanation.Create(program, inputs, new ExplainOptions { Target = 1, LearningRate = 0.1, FiniteDifferences = false }).ToReport();
            return null;
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            return e;
        }
    }

    [Fact]
    public async Task RandomAndMutatedProgramsFailOnlyWithAPositionedExplainException()
    {
        var work = Task.Run(() =>
        {
            var random = new Random(12345);
            int parsed = 0, failed = 0;
            for (int i = 0; i < 4000; i++)
            {
                string program = Program(random);
                foreach (string source in new[] { program, Mutate(random, program), Mutate(random, Mutate(random, program)) })
                {
                    var error = Explain(source, random);
                    if (error is null)
                    {
                        parsed++;
                        continue;
                    }

                    failed++;
                    var explain = Assert.IsType<ExplainException>(error);
                    Assert.True(explain.Column >= 1 && explain.Line >= 1, $"no position for {Escape(source)}: {explain.Message}");
                    Assert.Matches(@"at (line \d+, )?column \d+$", explain.Message);
                }
            }

            // Both outcomes must be exercised for the test to mean anything.
            Assert.True(parsed > 1000, $"only {parsed} programs explained");
            Assert.True(failed > 1000, $"only {failed} programs failed");
        });
        var finished = await Task.WhenAny(work, Task.Delay(TimeSpan.FromMinutes(5)));
        Assert.True(ReferenceEquals(work, finished), "the fuzz run did not finish: a parser loop hangs");
        await work;
    }

    [Fact]
    public void RandomBytesNeverEscapeAsAnythingButExplainException()
    {
        var random = new Random(777);
        for (int i = 0; i < 5000; i++)
        {
            var chars = new char[random.Next(0, 40)];
            for (int j = 0; j < chars.Length; j++)
            {
                chars[j] = random.Next(3) == 0 ? (char)random.Next(0, 0xFFFF) : "()+-*/^=; x1.e"[random.Next(14)];
            }

            var error = Explain(new string(chars), random);
            if (error is not null)
            {
                Assert.IsType<ExplainException>(error);
            }
        }
    }

    private static string Escape(string s) => s.Replace("\n", "\\n", StringComparison.Ordinal);
}
