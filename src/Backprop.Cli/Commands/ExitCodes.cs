namespace Backprop.Cli.Commands;

/// <summary>
/// The exit codes of every <c>backprop</c> command, so that scripts can tell a mistyped command
/// line from input the command refused and from a bug of ours. README.md ("Exit codes") and the
/// end of every <c>--help</c> list them.
/// </summary>
internal static class ExitCodes
{
    /// <summary>The command did its job.</summary>
    public const int Success = 0;

    /// <summary>The command ran and refused its input or failed at its job: a missing or malformed file, a value out of range, options that do not go together, a failed check.</summary>
    public const int Failure = 1;

    /// <summary>The command line could not be parsed: an unknown command or option, a missing or malformed value. Nothing was run.</summary>
    public const int Usage = 2;

    /// <summary>A bug of ours (sysexits.h's EX_SOFTWARE): an exception the command did not expect.</summary>
    public const int Internal = 70;

    /// <summary>Interrupted by Ctrl-C (128 + SIGINT); <c>train</c> saved a checkpoint first.</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM (128 + 15: <c>kill</c>, <c>timeout</c>, <c>docker stop</c>); <c>train</c> saved a checkpoint first.</summary>
    public const int Terminated = 143;

    /// <summary>Stopped by SIGHUP (128 + 1: the terminal or SSH session closed); <c>train</c> saved a checkpoint first.</summary>
    public const int HungUp = 129;

    /// <summary>The lines the help text ends with.</summary>
    public static readonly string[] HelpLines =
    [
        "Exit codes:",
        $"  {Success,-4}success",
        $"  {Failure,-4}the command refused its input or failed (a file missing or malformed, a value out of range, a failed check)",
        $"  {Usage,-4}usage error: unknown command or option, missing or malformed value (nothing was run)",
        $"  {Internal,-4}internal error (a bug: please report the message)",
        $"  {Interrupted,-4}interrupted by Ctrl-C (train saves a checkpoint first)",
        $"  {Terminated,-4}stopped by SIGTERM; {HungUp} by SIGHUP (train saves a checkpoint first)",
    ];
}
