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
    Separator,
    End,
}

/// <summary>One token of an explain program with where it starts; <see cref="Number"/> holds a number token's value.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, SourcePosition Position, double Number = 0)
{
    /// <summary>How an error message quotes this token.</summary>
    public string Describe() => Kind switch
    {
        TokenKind.End => "end of program",
        TokenKind.Separator => Text == ";" ? "';'" : "end of line",
        TokenKind.Number => $"number {Text}",
        TokenKind.Identifier => $"'{Text}'",
        _ => $"'{Text}'",
    };
}
