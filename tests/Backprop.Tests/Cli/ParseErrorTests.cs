using System.CommandLine;
using System.CommandLine.Completions;
using Backprop.Cli;
using Backprop.Cli.Commands;
using Backprop.Tests.Data;

namespace Backprop.Tests.Cli;

/// <summary>
/// Command lines that cannot be parsed: exit code 2, nothing on stdout, one line naming the option
/// or token and what was wrong, then the help hint; never a .NET type name. The cases are built
/// from the command tree itself, so every option of every subcommand (and any added later) is covered.
/// </summary>
[Collection(ConsoleCollection.Name)]
public class ParseErrorTests
{
    public static TheoryData<string[], string[]> BadCommandLines()
    {
        var data = new TheoryData<string[], string[]>();
        var root = Program.CreateRoot();
        data.Add(["frob"], ["backprop: ", "unknown command", "'frob'"]);
        data.Add(["trian", "--epochs", "1"], ["backprop: ", "unknown command", "'trian'", "train"]);
        data.Add(["--bogus"], ["backprop: ", "unknown option", "'--bogus'"]);
        foreach (var command in root.Subcommands)
        {
            string[] valid = ValidCommandLine(command);
            string name = command.Name;

            // With every argument given: an optional argument such as explain's PROGRAM would take
            // a word that follows a switch, or even "--x" (a valid program, −(−x)), as its value.
            string[] full = [.. valid, .. command.Arguments.Where(a => a.Arity.MinimumNumberOfValues == 0).Select(_ => "x")];
            data.Add([.. full, "--no-such-option"], [$"{name}: ", "unknown option", "'--no-such-option'"]);
            data.Add([.. full, "--no-such-option", "3"], [$"{name}: ", "unknown option", "'--no-such-option'"]);
            data.Add([.. full, "extra"], [$"{name}: ", "unexpected argument", "'extra'"]);
            foreach (var option in command.Options.Where(o => !o.Required))
            {
                var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
                if (type == typeof(bool))
                {
                    data.Add([.. full, option.Name, "maybe"], [$"{name}: ", option.Name, "'maybe'"]);
                    continue;
                }

                data.Add([.. valid, option.Name], [$"{name}: ", option.Name, "needs a value"]);
                data.Add([.. valid, option.Name, "1", option.Name, "2"], [$"{name}: ", option.Name, "'1'", "'2'"]);
                if (type == typeof(int) || type == typeof(long))
                {
                    data.Add([.. valid, option.Name, "abc"], [$"{name}: ", option.Name, "takes a whole number", "'abc'"]);
                    data.Add([.. valid, option.Name, "1.5"], [$"{name}: ", option.Name, "takes a whole number", "'1.5'"]);
                    data.Add([.. valid, option.Name, "99999999999999999999"], [$"{name}: ", option.Name, "a whole number from ", "'99999999999999999999'"]);
                }
                else if (type == typeof(double))
                {
                    data.Add([.. valid, option.Name, "abc"], [$"{name}: ", option.Name, "takes a number", "'abc'"]);
                }
                else if (Choices(option) is { Count: > 0 } choices)
                {
                    data.Add([.. valid, option.Name, "not-a-choice"], [$"{name}: ", option.Name, $"one of {string.Join(", ", choices)}", "'not-a-choice'"]);
                }
            }

            foreach (var argument in command.Arguments.Where(a => Choices(a).Count > 0))
            {
                data.Add([name, "not-a-choice"], [$"{name}: ", argument.Name, $"one of {string.Join(", ", Choices(argument))}", "'not-a-choice'"]);
            }

            foreach (var argument in command.Arguments.Where(a => a.Arity.MinimumNumberOfValues > 0))
            {
                data.Add([name, .. valid[(1 + command.Arguments.Count(a => a.Arity.MinimumNumberOfValues > 0))..]], [$"{name}: ", argument.Name, "is required"]);
            }

            foreach (var option in command.Options.Where(o => o.Required))
            {
                data.Add(valid.Where((_, i) => i == 0 || (valid[i] != option.Name && valid[i - 1] != option.Name)).ToArray(), [$"{name}: ", option.Name, "is required"]);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BadCommandLines))]
    public void ParseErrorsAreOneLineNamingTheOptionAndValueWithExitCodeTwo(string[] args, string[] expected)
    {
        var (code, stdout, stderr) = CliRunner.Run(args);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 2, $"expected a message and the help hint, got:\n{stderr}");
        Assert.All(expected, e => Assert.Contains(e, lines[0]));
        Assert.StartsWith(expected[0], lines[0]);
        string command = args[0].StartsWith('-') || expected[0] == "backprop: " ? "backprop" : $"backprop {args[0]}";
        Assert.Equal($"see {command} --help", lines[1]);
        Assert.DoesNotContain("System.", stderr);
        Assert.DoesNotContain("`", stderr);
    }

    [Fact]
    public void TheValidCommandLinesTheCasesStartFromParse()
    {
        foreach (var command in Program.CreateRoot().Subcommands)
        {
            var result = Program.CreateRoot().Parse(ValidCommandLine(command));
            Assert.True(result.Errors.Count == 0, $"{command.Name}: {string.Join("; ", result.Errors.Select(e => e.Message))}");
        }
    }

    [Fact]
    public void SeveralMistakesGiveOneLineEach()
    {
        var (code, stdout, stderr) = CliRunner.Run("train", "--epochs", "abc", "--lr", "x", "--optimizer", "sgdd");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", stdout);
        Assert.Equal(
            [
                "train: --epochs takes a whole number, got 'abc'",
                "train: --lr takes a number, got 'x'",
                "train: --optimizer takes one of sgd, adam, adamw, rmsprop, got 'sgdd'",
                "see backprop train --help",
            ],
            stderr.TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')));
    }

    [Fact]
    public void AnOptionTakenAsTheValueOfTheOneBeforeIsNamed()
    {
        var (code, _, stderr) = CliRunner.Run("train", "--epochs", "--lr", "0.1");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("train: --epochs needs a value (a whole number) before --lr", stderr.Split('\n')[0].TrimEnd());
    }

    [Fact]
    public void AMistypedOptionOrCommandGetsASuggestion()
    {
        Assert.Contains("(did you mean --epochs?)", CliRunner.Run("train", "--epoch", "3").Stderr);
        Assert.Contains("(did you mean train?)", CliRunner.Run("trian").Stderr);
        Assert.Equal(0, ParseErrors.EditDistance("train", "train"));
        Assert.Equal(1, ParseErrors.EditDistance("trian", "train"));
        Assert.Equal(2, ParseErrors.EditDistance("--lr", "-l"));
    }

    [Fact]
    public void NoCommandIsAUsageError()
    {
        var (code, stdout, stderr) = CliRunner.Run();
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("backprop: a command is required", stderr);
    }

    [Fact]
    public void ArgumentsStartingWithAtAreNotReadAsResponseFiles()
    {
        using var folder = new TempFolder();
        string file = folder.File("args.rsp");
        File.WriteAllText(file, "--example\nchain\n");

        // With response files, explain and graph would have run the worked example and exited 0;
        // '@…' is a PROGRAM here, which the explain parser refuses as bad input.
        foreach (string command in new[] { "explain", "graph" })
        {
            var (code, stdout, stderr) = CliRunner.Run(command, "@" + file, "--at", "x=1");
            Assert.Equal(ExitCodes.Failure, code);
            Assert.Equal("", stdout);
            Assert.Equal($"{command}: unexpected character '@' at column 1", stderr.Trim());
        }

        var train = CliRunner.Run("train", "@" + file);
        Assert.Equal(ExitCodes.Usage, train.ExitCode);
        Assert.Equal("", train.Stdout);
        Assert.StartsWith($"train: unexpected argument '@{file}'", train.Stderr);
    }

    [Fact]
    public void HelpStillWinsOverMistakesAndEndsWithTheExitCodes()
    {
        var (code, stdout, stderr) = CliRunner.Run("train", "--epochs", "abc", "--help");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        Assert.Contains("Usage:", stdout);
        foreach (int exit in new[] { ExitCodes.Success, ExitCodes.Failure, ExitCodes.Usage, ExitCodes.Internal, ExitCodes.Interrupted, ExitCodes.Terminated })
        {
            Assert.Matches($@"(?m)^  {exit} +\S", stdout[stdout.IndexOf("Exit codes:", StringComparison.Ordinal)..]);
        }
    }

    [Fact]
    public void CustomParsersAndOtherValueTypesAreWordedTheSameWay()
    {
        var size = new Option<int>("--size")
        {
            CustomParser = r => int.TryParse(r.Tokens[0].Value, out int n) && n > 0 ? n : Fail(r, $"--size must be a positive whole number, got '{r.Tokens[0].Value}'"),
        };
        var count = new Option<uint>("--count");
        var kind = new Option<ConsoleColor>("--color");
        var ratio = new Option<float?>("--ratio");
        var command = new Command("demo") { size, count, kind, ratio };
        var root = new Command("backprop") { command };

        Assert.Equal("demo: --size must be a positive whole number, got '-3'", ParseErrors.Describe(root.Parse(["demo", "--size", "-3"]))[0]);
        Assert.Equal("demo: --count takes a whole number from 0 to 4294967295, got '-1'", ParseErrors.Describe(root.Parse(["demo", "--count", "-1"]))[0]);
        Assert.StartsWith("demo: --color takes one of black, darkblue, ", ParseErrors.Describe(root.Parse(["demo", "--color", "mauve"]))[0]);
        Assert.Equal("demo: --ratio takes a number, got 'half'", ParseErrors.Describe(root.Parse(["demo", "--ratio", "half"]))[0]);
        Assert.Equal("see backprop demo --help", ParseErrors.Describe(root.Parse(["demo", "--ratio", "half"]))[^1]);

        static int Fail(System.CommandLine.Parsing.ArgumentResult result, string message)
        {
            result.AddError(message);
            return 0;
        }
    }

    [Fact]
    public void RefusedInputIsOneAndOurOwnBugsAreSeventy()
    {
        var (oldErr, err) = (Console.Error, new StringWriter());
        Console.SetError(err);
        try
        {
            Assert.Equal(ExitCodes.Failure, CommandRunner.Run("x", () => throw new ArgumentException("--n must be positive", "n")));
            Assert.Equal(ExitCodes.Internal, CommandRunner.Run("x", () => throw new NullReferenceException("oops")));
        }
        finally
        {
            Console.SetError(oldErr);
        }

        Assert.Equal(["x: --n must be positive", "x: internal error (NullReferenceException): oops"], err.ToString().TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')));
    }

    /// <summary>A command line of the command that parses: each required argument and option with a value it takes.</summary>
    private static string[] ValidCommandLine(Command command)
    {
        var args = new List<string> { command.Name };
        foreach (var argument in command.Arguments.Where(a => a.Arity.MinimumNumberOfValues > 0))
        {
            args.Add(Choices(argument).FirstOrDefault() ?? "x");
        }

        foreach (var option in command.Options.Where(o => o.Required))
        {
            args.Add(option.Name);
            args.Add(Choices(option).FirstOrDefault() ?? "x");
        }

        return [.. args];
    }

    private static List<string> Choices(Option option) => Labels(option.ValueType, option.CompletionSources);

    private static List<string> Choices(Argument argument) => Labels(argument.ValueType, argument.CompletionSources);

    private static List<string> Labels(Type type, List<Func<CompletionContext, IEnumerable<CompletionItem>>> sources) =>
        type != typeof(string) ? [] : sources.SelectMany(s => s(CompletionContext.Empty)).Select(c => c.Label).ToList();
}
