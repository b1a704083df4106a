using System.CommandLine;
using System.CommandLine.Help;
using Backprop.Cli.Commands;

namespace Backprop.Cli;

/// <summary>The <c>backprop</c> command: one subcommand per job.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        // A plain command named "backprop" (not RootCommand, which would name itself after the
        // assembly, Backprop.Cli) so help and errors show the command the user typed.
        var root = new Command("backprop", "Backprop: neural networks on a reverse-mode automatic differentiation engine, in C#.")
        {
            new HelpOption(),
            new VersionOption(),
        };
        root.SetAction(result =>
        {
            Console.Error.WriteLine("backprop: a command is required (train, eval, predict, inspect, export, gradcheck, bench, explain, graph, vanishing); see backprop --help");
            return 1;
        });
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(InspectCommand.Create());
        root.Subcommands.Add(GradCheckCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(ExplainCommand.Create());
        root.Subcommands.Add(GraphCommand.Create());
        root.Subcommands.Add(VanishingCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        return root.Parse(args).Invoke();
    }
}
