using System.CommandLine;
using Backprop.Cli.Commands;

namespace Backprop.Cli;

/// <summary>The <c>backprop</c> command: one subcommand per job.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("Backprop: neural networks on a reverse-mode automatic differentiation engine, in C#.");
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(GradCheckCommand.Create());
        return root.Parse(args).Invoke();
    }
}
