using System.CommandLine.Parsing;
using Backprop.Cli;
using Backprop.Cli.Commands;

namespace Backprop.Tests.Cli;

/// <summary>Every command's --help ends with examples, and every example parses as the command it shows.</summary>
[Collection(ConsoleCollection.Name)]
public class CommandExamplesTests
{
    [Fact]
    public void EveryCommandHasExamplesThatParse()
    {
        var root = Program.CreateRoot();
        var names = root.Subcommands.Select(c => c.Name).Append(root.Name).ToList();
        Assert.Empty(names.Except(CommandExamples.Commands));

        foreach (string name in names)
        {
            var lines = CommandExamples.HelpLines(name).Skip(1).Where(l => l.Length > 0).ToList();
            Assert.NotEmpty(lines);
            foreach (string line in lines)
            {
                // "  backprop eval FILE ...   comment": the command is what comes before a run of spaces.
                string text = System.Text.RegularExpressions.Regex.Split(line.Trim(), " {3,}")[0];
                if (text.Contains('<'))
                {
                    continue;
                }

                var args = CommandLineParser.SplitCommandLine(text).ToList();
                Assert.Equal("backprop", args[0]);
                if (name != "backprop")
                {
                    Assert.Equal(name, args[1]);
                }

                var result = root.Parse(args.Skip(1).ToList());
                Assert.True(result.Errors.Count == 0, $"{text}: {string.Join("; ", result.Errors.Select(e => e.Message))}");
            }
        }
    }

    [Fact]
    public void HelpShowsTheExamplesBeforeTheExitCodes()
    {
        var (code, stdout, _) = CliRunner.Run("export", "--help");
        Assert.Equal(0, code);
        int examples = stdout.IndexOf("Examples:", StringComparison.Ordinal);
        Assert.True(examples > 0 && examples < stdout.IndexOf("Exit codes:", StringComparison.Ordinal), stdout);
        Assert.Contains("  backprop export runs/digits/model.safetensors --onnx runs/digits/model.onnx", stdout);
    }
}
