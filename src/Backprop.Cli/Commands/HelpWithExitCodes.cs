using System.CommandLine;
using System.CommandLine.Invocation;

namespace Backprop.Cli.Commands;

/// <summary>The library's --help, followed by the command's examples and the exit codes every command shares.</summary>
internal sealed class HelpWithExitCodes(SynchronousCommandLineAction help) : SynchronousCommandLineAction
{
    /// <summary>As the help it wraps: <c>train --help --epochs x</c> shows help instead of the error.</summary>
    public override bool ClearsParseErrors => help.ClearsParseErrors;

    public override int Invoke(ParseResult parseResult)
    {
        int code = help.Invoke(parseResult);
        var output = parseResult.InvocationConfiguration.Output;
        foreach (string line in CommandExamples.HelpLines(parseResult.CommandResult.Command.Name))
        {
            output.WriteLine(line);
        }

        foreach (string line in ExitCodes.HelpLines)
        {
            output.WriteLine(line);
        }

        output.WriteLine();
        return code;
    }
}
