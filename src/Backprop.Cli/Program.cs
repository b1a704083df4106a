using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Backprop.Cli.Commands;

namespace Backprop.Cli;

/// <summary>The <c>backprop</c> command: one subcommand per job.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        Terminal.PrepareConsole();
        var root = CreateRoot();

        // No response files: System.CommandLine would otherwise read "@NAME" as a file of arguments,
        // and an explain or graph PROGRAM, or a file name, may well start with '@'.
        var result = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (result.Errors.Count > 0 && result.Action is ParseErrorAction)
        {
            // The library's own report prints its messages and then the whole help on stdout,
            // where a script expects the command's output: one line per mistake on stderr instead.
            foreach (string line in ParseErrors.Describe(result))
            {
                Console.Error.WriteLine(line);
            }

            return ExitCodes.Usage;
        }

        return result.Invoke();
    }

    internal static Command CreateRoot()
    {
        // A plain command named "backprop" (not RootCommand, which would name itself after the
        // assembly, Backprop.Cli) so help and errors show the command the user typed.
        var help = new HelpOption();
        var root = new Command("backprop", "Backprop: neural networks on a reverse-mode automatic differentiation engine, in C#.")
        {
            help,
            new VersionOption(),
        };
        help.Action = new HelpWithExitCodes((SynchronousCommandLineAction)help.Action!);

        root.SetAction(result =>
        {
            Console.Error.WriteLine("backprop: a command is required (train, lr-find, eval, predict, inspect, export, gradcheck, bench, explain, graph, vanishing, serve)");
            Console.Error.WriteLine("see backprop --help");
            return ExitCodes.Usage;
        });
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(LrFindCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(GradCheckCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(ExplainCommand.Create());
        root.Subcommands.Add(GraphCommand.Create());
        root.Subcommands.Add(VanishingCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        return root;
    }
}
