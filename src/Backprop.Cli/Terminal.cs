using Backprop.Distributed;

namespace Backprop.Cli;

/// <summary>
/// Whether the command talks to a person at a terminal (tables, colours, progress bars, prompts) or
/// writes plain lines for a script. <see cref="Console.IsOutputRedirected"/> alone is not enough:
/// Open MPI's launcher gives every rank a pseudo-terminal for stdout even when <c>mpirun</c>'s own
/// output goes to a file or a pipe, so a rank would write terminal drawing (and the runtime its
/// keypad escape sequence) into what the user redirected. Under the launcher the output is treated
/// as redirected.
/// </summary>
internal static class Terminal
{
    /// <summary>Whether Open MPI's launcher started this process (OMPI_COMM_WORLD_SIZE is set, any world size).</summary>
    public static bool UnderLauncher => ProcessGroup.LaunchedWorldSize is not null;

    /// <summary>Whether stdout is not a person's terminal: redirected, or forwarded by the launcher.</summary>
    public static bool IsOutputRedirected => Console.IsOutputRedirected || UnderLauncher;

    /// <summary>Whether stdin is not a person's terminal: redirected, or forwarded by the launcher.</summary>
    public static bool IsInputRedirected => Console.IsInputRedirected || UnderLauncher;

    /// <summary>
    /// Called first in Main, before anything touches the console: under the launcher the runtime is
    /// told the terminal is a dumb one (TERM=dumb), so initializing the console writes no keypad
    /// escape sequence into the forwarded output.
    /// </summary>
    public static void PrepareConsole()
    {
        if (UnderLauncher)
        {
            Environment.SetEnvironmentVariable("TERM", "dumb");
        }
    }
}
