using System.Globalization;

namespace Backprop.Explain;

/// <summary>
/// Splits an explain program into tokens: numbers (<c>3</c>, <c>0.5</c>, <c>1e-3</c>), names
/// (<c>w1</c>, <c>out_h1</c>), <c>+ - * / ^ ( ) =</c>, and statement separators (<c>;</c> or a new
/// line), and for the matrix form <c>@</c>, the transpose mark <c>'</c> and array literals
/// <c>[1, 2]</c>, <c>[[1, 2], [3, 4]]</c> (on one line). The typographic <c>−</c>, <c>·</c> and <c>×</c> that explain itself prints are read as
/// <c>-</c> and <c>*</c>, so its output can be pasted back.
/// </summary>
internal static class Tokenizer
{
    public static List<Token> Tokenize(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        bool multiLine = source.Contains('\n');
        var tokens = new List<Token>();
        int line = 1, lineStart = 0, i = 0;
        SourcePosition At(int index) => new(line, index - lineStart + 1, multiLine);

        while (i < source.Length)
        {
            char c = source[i];
            if (c is ' ' or '\t' or '\r')
            {
                i++;
            }
            else if (c is '\n' or ';')
            {
                tokens.Add(new Token(TokenKind.Separator, c.ToString(), At(i)));
                i++;
                if (c == '\n')
                {
                    line++;
                    lineStart = i;
                }
            }
            else if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < source.Length && char.IsAsciiDigit(source[i + 1])))
            {
                tokens.Add(ReadNumber(source, ref i, At(i)));
            }
            else if (char.IsAsciiLetter(c) || c == '_')
            {
                int start = i;
                while (i < source.Length && (char.IsAsciiLetterOrDigit(source[i]) || source[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Identifier, source[start..i], At(start)));
            }
            else if (c == '[')
            {
                tokens.Add(ReadArray(source, ref i, At(i)));
            }
            else
            {
                TokenKind? kind = c switch
                {
                    '+' => TokenKind.Plus,
                    '-' or '\u2212' => TokenKind.Minus,
                    '*' or '\u00B7' or '\u00D7' => TokenKind.Star,
                    '/' => TokenKind.Slash,
                    '^' => TokenKind.Caret,
                    '(' => TokenKind.LeftParen,
                    ')' => TokenKind.RightParen,
                    '=' => TokenKind.Assign,
                    '@' => TokenKind.At,
                    '\'' => TokenKind.Prime,
                    _ => null,
                };
                // '@' and the transpose mark ' follow an operand; elsewhere they are refused here, as
                // before the matrix form (so "@file" reads as a bad character, not as a product).
                bool afterOperand = tokens.Count > 0 && tokens[^1].Kind is TokenKind.Number or TokenKind.Identifier or TokenKind.RightParen or TokenKind.Array or TokenKind.Prime;
                if (kind is null || (kind is TokenKind.At or TokenKind.Prime && !afterOperand))
                {
                    throw At(i).Error($"unexpected character {Quote(source, i)}");
                }

                tokens.Add(new Token(kind.Value, c.ToString(), At(i)));
                i++;
            }
        }

        tokens.Add(new Token(TokenKind.End, "", At(i)));
        return tokens;
    }

    /// <summary>An array literal from its '[' to the matching ']' on the same line and statement.</summary>
    private static Token ReadArray(string source, ref int i, SourcePosition position)
    {
        int start = i, depth = 0, end = -1;
        for (int k = i; k < source.Length && source[k] is not ('\n' or ';'); k++)
        {
            if (source[k] == '[')
            {
                depth++;
            }
            else if (source[k] == ']' && --depth == 0)
            {
                end = k + 1;
                break;
            }
        }

        if (end < 0)
        {
            throw position.Error("unclosed '[' (an array literal ends with ']' on the same line)");
        }

        string text = source[start..end];
        var literal = ExplainArray.Parse(text, (offset, message) =>
            (position with { Column = position.Column + offset }).Error(message));
        i = end;
        return new Token(TokenKind.Array, text, position, Array: literal);
    }

    /// <summary>digits [. digits] [e [+-] digits], or . digits …</summary>
    private static Token ReadNumber(string source, ref int i, SourcePosition position)
    {
        int start = i;
        while (i < source.Length && char.IsAsciiDigit(source[i]))
        {
            i++;
        }

        if (i < source.Length && source[i] == '.')
        {
            i++;
            while (i < source.Length && char.IsAsciiDigit(source[i]))
            {
                i++;
            }
        }

        if (i < source.Length && source[i] is 'e' or 'E')
        {
            int exponent = i + 1;
            if (exponent < source.Length && source[exponent] is '+' or '-')
            {
                exponent++;
            }

            if (exponent >= source.Length || !char.IsAsciiDigit(source[exponent]))
            {
                throw position.Error($"malformed number '{source[start..Math.Min(exponent, source.Length)]}' (an exponent needs digits, as in 1e-3)");
            }

            i = exponent;
            while (i < source.Length && char.IsAsciiDigit(source[i]))
            {
                i++;
            }
        }

        string text = source[start..i];
        if (i < source.Length && (char.IsAsciiLetter(source[i]) || source[i] is '_' or '.'))
        {
            throw position.Error(char.IsAsciiLetter(source[i]) || source[i] == '_'
                ? $"malformed number '{text}{source[i]}' (write {text}*{source[i]} for a product)"
                : $"malformed number '{text}{source[i]}'");
        }

        double value = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (double.IsInfinity(value))
        {
            throw position.Error($"number '{text}' is too large");
        }

        return new Token(TokenKind.Number, text, position, value);
    }

    private static string Quote(string source, int i)
    {
        char c = source[i];
        if (char.IsHighSurrogate(c) && i + 1 < source.Length)
        {
            return $"'{source.Substring(i, 2)}'";
        }

        return char.IsControl(c) || char.IsSurrogate(c) ? $"U+{(int)c:X4}" : $"'{c}'";
    }
}
