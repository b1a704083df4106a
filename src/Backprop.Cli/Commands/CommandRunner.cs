namespace Backprop.Cli.Commands;

/// <summary>Runs a command body so that any error becomes one clear line on stderr and exit code 1, never a stack trace.</summary>
internal static class CommandRunner
{
    public static int Run(string command, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or FormatException or NotSupportedException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"{command}: {ex.Message}");
            return 1;
        }
    }
}
