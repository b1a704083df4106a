namespace Backprop.Explain;

/// <summary>A 1-based line and column in an explain program; formats as <c>column 14</c> (or <c>line 2, column 3</c> in a program of several lines).</summary>
internal readonly record struct SourcePosition(int Line, int Column, bool MultiLine)
{
    public override string ToString() => MultiLine ? $"line {Line}, column {Column}" : $"column {Column}";

    public ExplainException Error(string message) => new($"{message} at {this}", Line, Column);
}
