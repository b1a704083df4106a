namespace Backprop.Explain;

/// <summary>
/// The post-order walk of an expression that both graph builders (scalar <see cref="ExpressionGraph"/>
/// and <see cref="MatrixGraph"/>) use: operands before the operation that consumes them, with an
/// explicit stack, so a deeply nested expression cannot overflow the call stack.
/// </summary>
internal static class ExpressionWalk
{
    /// <summary>
    /// Builds a node for every leaf (a number, a negative number, an array, a variable) with
    /// <paramref name="leaf"/> and for every operation (neg, a function call, a binary operator) with
    /// <paramref name="operation"/> from its operands' nodes, in post-order; the flag says whether the
    /// expression is <paramref name="root"/> itself.
    /// </summary>
    /// <returns>The root's node.</returns>
    public static TNode PostOrder<TNode>(Expr root, Func<Expr, bool, TNode> leaf, Func<string, TNode[], Expr, bool, TNode> operation)
    {
        var values = new Stack<TNode>();
        var work = new Stack<(Expr Expr, bool Expanded)>();
        work.Push((root, false));
        while (work.Count > 0)
        {
            var (expr, expanded) = work.Pop();
            bool isRoot = ReferenceEquals(expr, root);
            switch (expr)
            {
                case NumberExpr or ArrayExpr or VariableExpr or NegateExpr { Operand: NumberExpr }:
                    values.Push(leaf(expr, isRoot));
                    break;
                case NegateExpr or CallExpr or BinaryExpr when !expanded:
                    work.Push((expr, true));
                    foreach (var child in Children(expr).Reverse())
                    {
                        work.Push((child, false));
                    }

                    break;
                case NegateExpr:
                    values.Push(operation("neg", [values.Pop()], expr, isRoot));
                    break;
                case CallExpr call:
                    values.Push(operation(call.Function, [values.Pop()], expr, isRoot));
                    break;
                case BinaryExpr b:
                    {
                        TNode right = values.Pop(), left = values.Pop();
                        values.Push(operation(b.Op.ToString(), [left, right], expr, isRoot));
                        break;
                    }
            }
        }

        return values.Pop();
    }

    private static Expr[] Children(Expr expr) => expr switch
    {
        NegateExpr n => [n.Operand],
        CallExpr c => [c.Argument],
        BinaryExpr b => [b.Left, b.Right],
        _ => [],
    };
}
