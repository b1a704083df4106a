namespace Backprop.Cli.Commands;

/// <summary>
/// Runs a command body so that any error becomes one clear line on stderr, never a stack trace:
/// exit code 1 (<see cref="ExitCodes.Failure"/>) for input the command refuses, 70
/// (<see cref="ExitCodes.Internal"/>) for an exception it did not expect.
/// </summary>
internal static class CommandRunner
{
    public static int Run(string command, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or InvalidDataException or IOException or FormatException or NotSupportedException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"{command}: {UserMessage(ex)}");
            return ExitCodes.Failure;
        }
        catch (Exception ex)
        {
            // A bug of ours, not the user's input: still one line, with the type to report it by.
            Console.Error.WriteLine($"{command}: internal error ({ex.GetType().Name}): {ex.Message}");
            return ExitCodes.Internal;
        }
    }

    /// <summary>The exception's message without the " (Parameter 'name')" that .NET appends to argument exceptions: the message already names the option.</summary>
    private static string UserMessage(Exception ex) =>
        ex is ArgumentException { ParamName: { } name }
            ? ex.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal)
            : ex.Message;
}
