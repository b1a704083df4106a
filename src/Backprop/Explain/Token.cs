namespace Backprop.Explain;

internal enum TokenKind
{
    Number,
    Identifier,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    LeftParen,
    RightParen,
    Assign,
    At,
    Prime,
    Array,
    Separator,
    End,
}

/// <summary>
/// One token of an explain program with where it starts; <see cref="Number"/> holds a number token's
/// value and <see cref="Array"/> an array literal's (<c>[[1, 2], [3, 4]]</c>).
/// </summary>
internal readonly record struct Token(TokenKind Kind, string Text, SourcePosition Position, double Number = 0, ArrayLiteral? Array = null)
{
    /// <summary>How an error message quotes this token.</summary>
    public string Describe() => Kind switch
    {
        TokenKind.End => "end of program",
        TokenKind.Separator => Text == ";" ? "';'" : "end of line",
        TokenKind.Number => $"number {Text}",
        TokenKind.Array => $"array {Text}",
        TokenKind.At or TokenKind.Prime => $"character '{Text}'", // as before the matrix form read them
        TokenKind.Identifier => $"'{Text}'",
        _ => $"'{Text}'",
    };
}
