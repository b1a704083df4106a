namespace Backprop.Explain;

/// <summary>
/// Recursive-descent parser of explain programs. Grammar (lowest precedence first):
/// <code>
/// program   := statement ((';' | newline) statement)*
/// statement := name '=' expr | expr
/// expr      := term (('+' | '-') term)*
/// term      := unary (('*' | '/' | '@') unary)*
/// unary     := '-' unary | power
/// power     := postfix ('^' unary)?          (right-associative; -2^2 = -(2^2) as in mathematics)
/// postfix   := primary "'"*                  (x' is T(x), the transpose)
/// primary   := number | array | name | function '(' expr ')' | '(' expr ')'
/// </code>
/// The matrix form adds <c>@</c>, <c>'</c>, array literals and the functions sum, mean and T
/// (<see cref="MatrixFunctions"/>, which are functions only where a '(' follows, so scalar programs
/// may still use those names as variables); <see cref="ExplainProgram.UsesMatrixForm"/> says a program uses them.
/// Nesting (parentheses, unary minus, exponents) is limited to <see cref="MaxNesting"/> levels so
/// that no input can exhaust the call stack; every failure is an <see cref="ExplainException"/>.
/// </summary>
internal sealed class Parser
{
    public const int MaxNesting = 200;

    /// <summary>The functions of the language: exp, log, sqrt, tanh, sigmoid, relu, abs.</summary>
    public static readonly string[] Functions = ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs"];

    /// <summary>The functions of the matrix form: sum and mean of all entries, T (transpose).</summary>
    public static readonly string[] MatrixFunctions = ["sum", "mean", "T"];

    private readonly List<Token> _tokens;
    private int _next;
    private int _nesting;

    private Parser(List<Token> tokens) => _tokens = tokens;

    public static List<Statement> Parse(string source)
    {
        var parser = new Parser(Tokenizer.Tokenize(source));
        return parser.ParseProgram();
    }

    private Token Peek => _tokens[_next];

    private Token Take() => _tokens[_next++];

    private List<Statement> ParseProgram()
    {
        var statements = new List<Statement>();
        while (true)
        {
            while (Peek.Kind == TokenKind.Separator)
            {
                _next++;
            }

            if (Peek.Kind == TokenKind.End)
            {
                break;
            }

            statements.Add(ParseStatement());
            if (Peek.Kind is not (TokenKind.Separator or TokenKind.End))
            {
                throw Unexpected(Peek, "an operator, ';' or the end of the program");
            }
        }

        if (statements.Count == 0)
        {
            throw Peek.Position.Error("the program is empty (write e.g. \"y = 2*x\")");
        }

        for (int i = 0; i + 1 < statements.Count; i++)
        {
            if (statements[i].Name is null)
            {
                throw statements[i].Position.Error("only the last statement may be a bare expression; give this one a name (name = ...)");
            }
        }

        return statements;
    }

    private Statement ParseStatement()
    {
        Token first = Peek;
        if (first.Kind == TokenKind.Identifier && _tokens[_next + 1].Kind == TokenKind.Assign)
        {
            if (Functions.Contains(first.Text))
            {
                throw first.Position.Error($"'{first.Text}' is a function and cannot be assigned");
            }

            _next += 2;
            return new Statement(first.Text, ParseExpression(), first.Position);
        }

        return new Statement(null, ParseExpression(), first.Position);
    }

    private Expr ParseExpression()
    {
        Expr left = ParseTerm();
        while (Peek.Kind is TokenKind.Plus or TokenKind.Minus)
        {
            Token op = Take();
            left = new BinaryExpr(op.Kind == TokenKind.Plus ? '+' : '-', left, ParseTerm(), op.Position);
        }

        return left;
    }

    private Expr ParseTerm()
    {
        Expr left = ParseUnary();
        while (Peek.Kind is TokenKind.Star or TokenKind.Slash or TokenKind.At)
        {
            Token op = Take();
            char symbol = op.Kind switch { TokenKind.Star => '*', TokenKind.Slash => '/', _ => '@' };
            left = new BinaryExpr(symbol, left, ParseUnary(), op.Position);
        }

        return left;
    }

    // Every recursive path (parentheses, unary minus, exponent) passes through here, so counting
    // nesting here bounds the parser's stack depth.
    private Expr ParseUnary()
    {
        if (++_nesting > MaxNesting)
        {
            throw Peek.Position.Error($"the expression is nested more than {MaxNesting} levels deep");
        }

        try
        {
            if (Peek.Kind == TokenKind.Minus)
            {
                Token minus = Take();
                return new NegateExpr(ParseUnary(), minus.Position);
            }

            return ParsePower();
        }
        finally
        {
            _nesting--;
        }
    }

    private Expr ParsePower()
    {
        Expr primary = ParsePrimary();
        while (Peek.Kind == TokenKind.Prime)
        {
            primary = new CallExpr("T", primary, Take().Position);
        }

        if (Peek.Kind == TokenKind.Caret)
        {
            Token caret = Take();
            return new BinaryExpr('^', primary, ParseUnary(), caret.Position);
        }

        return primary;
    }

    private Expr ParsePrimary()
    {
        Token token = Take();
        switch (token.Kind)
        {
            case TokenKind.Number:
                return new NumberExpr(token.Number, token.Text, token.Position);
            case TokenKind.Array:
                return new ArrayExpr(token.Array!, token.Position);
            case TokenKind.Identifier when Functions.Contains(token.Text) || (MatrixFunctions.Contains(token.Text) && Peek.Kind == TokenKind.LeftParen):
                {
                    if (Peek.Kind != TokenKind.LeftParen)
                    {
                        throw Unexpected(Peek, $"'(' after the function '{token.Text}'");
                    }

                    _next++;
                    Expr argument = ParseExpression();
                    Expect(TokenKind.RightParen, "')'");
                    return new CallExpr(token.Text, argument, token.Position);
                }

            case TokenKind.Identifier:
                if (Peek.Kind == TokenKind.LeftParen)
                {
                    throw token.Position.Error($"unknown function '{token.Text}' (known: {string.Join(", ", Functions.Concat(MatrixFunctions))})");
                }

                return new VariableExpr(token.Text, token.Position);
            case TokenKind.LeftParen:
                {
                    Expr inner = ParseExpression();
                    Expect(TokenKind.RightParen, "')'");
                    return inner;
                }

            default:
                throw Unexpected(token, "a number, a name, a function or '('");
        }
    }

    private void Expect(TokenKind kind, string what)
    {
        if (Peek.Kind != kind)
        {
            throw Unexpected(Peek, what);
        }

        _next++;
    }

    private static ExplainException Unexpected(Token token, string expected) =>
        token.Kind == TokenKind.End
            ? token.Position.Error($"unexpected end of program (expected {expected})")
            : token.Position.Error($"unexpected {token.Describe()}");
}
