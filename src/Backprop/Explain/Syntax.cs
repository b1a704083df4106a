namespace Backprop.Explain;

/// <summary>An expression of an explain program, with the position of the text it came from.</summary>
internal abstract record Expr(SourcePosition Position);

internal sealed record NumberExpr(double Value, string Text, SourcePosition Position) : Expr(Position);

/// <summary>An array literal <c>[1, 2]</c> or <c>[[1, 2], [3, 4]]</c> (matrix form only).</summary>
internal sealed record ArrayExpr(ArrayLiteral Value, SourcePosition Position) : Expr(Position);

internal sealed record VariableExpr(string Name, SourcePosition Position) : Expr(Position);

/// <summary>−operand.</summary>
internal sealed record NegateExpr(Expr Operand, SourcePosition Position) : Expr(Position);

/// <summary>left op right, op one of + − * / ^ and @ (matrix product); the position is the operator's.</summary>
internal sealed record BinaryExpr(char Op, Expr Left, Expr Right, SourcePosition Position) : Expr(Position);

/// <summary>function(argument), or <c>argument'</c> as T(argument); the position is the function name's (the <c>'</c>'s).</summary>
internal sealed record CallExpr(string Function, Expr Argument, SourcePosition Position) : Expr(Position);

/// <summary><c>name = value</c>, or a bare expression (Name null) as a program's last statement.</summary>
internal sealed record Statement(string? Name, Expr Value, SourcePosition Position);
