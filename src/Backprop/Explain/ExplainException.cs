namespace Backprop.Explain;

/// <summary>
/// A program given to <c>explain</c> is wrong: it does not parse, uses a variable that has no value,
/// or applies a function outside its domain (log of −1). The message names the problem and where it
/// is, e.g. <c>unexpected ')' at column 14</c>.
/// </summary>
public sealed class ExplainException : FormatException
{
    /// <summary>Creates the exception; <paramref name="message"/> already names the position.</summary>
    /// <param name="message">The whole message, position included.</param>
    /// <param name="line">1-based line of the offending text, or 0 when it has no position (an --at value).</param>
    /// <param name="column">1-based column of the offending text, or 0 when it has no position.</param>
    public ExplainException(string message, int line, int column)
        : base(message)
    {
        Line = line;
        Column = column;
    }

    /// <summary>1-based line of the offending text in the program, or 0 when the error has no position.</summary>
    public int Line { get; }

    /// <summary>1-based column of the offending text in its line, or 0 when the error has no position.</summary>
    public int Column { get; }
}
