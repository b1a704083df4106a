namespace Backprop.Explain;

/// <summary>
/// What one node u sends to one of its inputs v in the matrix-form backward pass.
/// </summary>
/// <param name="Input">The input v.</param>
/// <param name="InputIndex">Which input of u it is (0 for the left operand).</param>
/// <param name="Rule">The matrix-form rule, e.g. <c>∂L/∂W1 = δ_u1·xᵀ</c>.</param>
/// <param name="ScalarRule">The scalar chain rule it stands for, e.g. <c>∂L/∂W1[i,j] = δ_u1[i]·x[j]</c>.</param>
/// <param name="LocalRule">For an elementwise op, the diagonal of its Jacobian, e.g. <c>σ'(u2) = h ⊙ (1 − h)</c>; null otherwise.</param>
/// <param name="Local">That diagonal's values (of u's shape), or null.</param>
/// <param name="Contribution">The rule's value: what is added to ∂L/∂v (of v's shape).</param>
public sealed record MatrixEdge(MatrixNode Input, int InputIndex, string Rule, string ScalarRule, string? LocalRule, Tensor? Local, Tensor Contribution);

/// <summary>One node's visit in the matrix-form backward pass: its complete upstream gradient δ_u = ∂L/∂u and what it sends to each input.</summary>
/// <param name="Node">The node u.</param>
/// <param name="Upstream">δ_u = ∂L/∂u (of u's shape), from <see cref="Autograd.Grad(Tensor, IReadOnlyList{Tensor}, Tensor?, bool, BackwardVersion, bool)"/>.</param>
/// <param name="Edges">One entry per input that requires grad.</param>
public sealed record MatrixStep(MatrixNode Node, Tensor Upstream, IReadOnlyList<MatrixEdge> Edges);

/// <summary>
/// The matrix-form rules of the backward pass (docs/design.md §1): for each op, ∂L/∂v from δ_u = ∂L/∂u
/// as a matrix formula (δ·xᵀ, Wᵀ·δ, δ ⊙ f'(a), a sum over broadcast dims), the scalar chain rule for one
/// entry beside it, and its value computed with the library's tensor ops.
/// </summary>
internal static class MatrixRules
{
    private static readonly string[] s_letters = ["i", "j"];

    /// <summary>The edge from <paramref name="u"/> to its input number <paramref name="j"/>, given δ_u.</summary>
    public static MatrixEdge Edge(MatrixNode u, int j, Tensor delta, string output)
    {
        MatrixNode v = u.Inputs[j];
        string d = "δ_" + u.Name;
        string lhs = $"∂{output}/∂{v.Name}";
        return u.Op switch
        {
            "@" => MatrixProduct(u, j, delta, d, lhs),
            "+" or "-" or "*" or "/" or "^" => Elementwise(u, j, delta, d, lhs),
            "neg" => new(v, j, $"{lhs} = −{d}", $"{Index(lhs, v.Shape)} = −{Index(d, u.Shape)}", null, null, delta.Neg()),
            "=" => new(v, j, $"{lhs} = {d}", $"{Index(lhs, v.Shape)} = {Index(d, u.Shape)}", null, null, delta),
            "sum" => new(v, j, $"{lhs} = {d}·1 ({d} copied to each of the {v.Value.Numel} entries)",
                $"{Index(lhs, v.Shape)} = {d}", null, null, Tensor.OnesLike(v.Value).Mul(delta)),
            "mean" => new(v, j, $"{lhs} = ({d}/N)·1 with N = {v.Value.Numel} ({d}/N copied to each entry)",
                $"{Index(lhs, v.Shape)} = {d}/{v.Value.Numel}", null, null, Tensor.OnesLike(v.Value).Mul(delta).Div(Tensor.Scalar(v.Value.Numel, DType.Float64))),
            "T" when v.Shape.Count == 2 => new(v, j, $"{lhs} = {d}ᵀ", $"{lhs}[i,j] = {d}[j,i]", null, null, delta.Transpose(0, 1)),
            "T" => new(v, j, $"{lhs} = {d} (a {(v.Shape.Count == 0 ? "scalar" : "vector")} is its own transpose)", $"{Index(lhs, v.Shape)} = {Index(d, u.Shape)}", null, null, delta),
            "squared-loss" or "difference-loss" => Loss(u, delta, d, lhs),
            _ => Function(u, j, delta, d, lhs),
        };
    }

    /// <summary>
    /// The loss a target adds, L = sum((T − y)²) or sum(T − y), to its output y: ∂L/∂y = −2(T − y)·δ_L
    /// entry by entry, or −δ_L for every entry (T is a constant).
    /// </summary>
    private static MatrixEdge Loss(MatrixNode u, Tensor delta, string d, string lhs)
    {
        MatrixNode y = u.Inputs[0], t = u.Inputs[1];
        string yi = Index(y.Name, y.Shape), ti = Operand(t.Name, t.Shape, y.Shape), li = Index(lhs, y.Shape);
        bool entries = y.Shape.Count > 0;
        if (u.Op == "squared-loss")
        {
            Tensor local = t.Value.Detach().Sub(y.Value.Detach()).Mul(Tensor.Scalar(-2, DType.Float64));
            return new(y, 0,
                $"{lhs} = −2({t.Name} − {y.Name})·{d}{(entries ? " entry by entry" : "")}",
                $"{li} = −2·({ti} − {yi})·{d}",
                null, null, local.Mul(delta));
        }

        return new(y, 0,
            entries ? $"{lhs} = −{d}·1 (−{d} copied to each of the {y.Value.Numel} entries)" : $"{lhs} = −{d}",
            $"{li} = −{d}",
            null, null, Tensor.OnesLike(y.Value.Detach()).Mul(delta).Neg());
    }

    /// <summary><c>name[i,j]</c>, <c>name[i]</c> or <c>name</c> by rank.</summary>
    private static string Index(string name, IReadOnlyList<int> shape) =>
        shape.Count == 0 ? name : $"{name}[{string.Join(",", s_letters.Take(shape.Count))}]";

    private static MatrixEdge MatrixProduct(MatrixNode u, int j, Tensor delta, string d, string lhs)
    {
        MatrixNode a = u.Inputs[0], b = u.Inputs[1], v = u.Inputs[j];
        Tensor av = a.Value.Detach(), bv = b.Value.Detach();
        string an = a.Name, bn = b.Name;
        switch (a.Shape.Count, b.Shape.Count)
        {
            case (2, 2):
                return j == 0
                    ? new(v, j, $"{lhs} = {d}·{bn}ᵀ", $"{lhs}[i,j] = Σ_k {d}[i,k]·{bn}[j,k]", null, null, delta.Matmul(bv.Transpose(0, 1)))
                    : new(v, j, $"{lhs} = {an}ᵀ·{d}", $"{lhs}[j,k] = Σ_i {an}[i,j]·{d}[i,k]", null, null, av.Transpose(0, 1).Matmul(delta));
            case (2, 1):
                return j == 0
                    ? new(v, j, $"{lhs} = {d}·{bn}ᵀ (outer product, {ExplainArray.FormatShape(a.Shape)})", $"{lhs}[i,j] = {d}[i]·{bn}[j]", null, null,
                        delta.Reshape(a.Shape[0], 1).Matmul(bv.Reshape(1, a.Shape[1])))
                    : new(v, j, $"{lhs} = {an}ᵀ·{d}", $"{lhs}[j] = Σ_i {an}[i,j]·{d}[i]", null, null, av.Transpose(0, 1).Matmul(delta));
            case (1, 2):
                return j == 0
                    ? new(v, j, $"{lhs} = {bn}·{d}", $"{lhs}[j] = Σ_k {bn}[j,k]·{d}[k]", null, null, bv.Matmul(delta))
                    : new(v, j, $"{lhs} = {an}·{d}ᵀ (outer product, {ExplainArray.FormatShape(b.Shape)})", $"{lhs}[j,k] = {an}[j]·{d}[k]", null, null,
                        av.Reshape(b.Shape[0], 1).Matmul(delta.Reshape(1, b.Shape[1])));
            default:
                return j == 0
                    ? new(v, j, $"{lhs} = {d}·{bn} (dot product)", $"{lhs}[i] = {d}·{bn}[i]", null, null, bv.Mul(delta))
                    : new(v, j, $"{lhs} = {d}·{an} (dot product)", $"{lhs}[i] = {d}·{an}[i]", null, null, av.Mul(delta));
        }
    }

    /// <summary>u = a op b, elementwise with broadcasting: δ_u ⊙ ∂u/∂v, summed over the dims v was broadcast along.</summary>
    private static MatrixEdge Elementwise(MatrixNode u, int j, Tensor delta, string d, string lhs)
    {
        MatrixNode a = u.Inputs[0], b = u.Inputs[1], v = u.Inputs[j];
        Tensor av = a.Value.Detach(), bv = b.Value.Detach(), uv = u.Value.Detach();
        string ai = Operand(a.Name, a.Shape, u.Shape), bi = Operand(b.Name, b.Shape, u.Shape), ui = Index(u.Name, u.Shape), di = Index(d, u.Shape);

        // local: ∂u/∂v entry by entry (the diagonal of the Jacobian), null when it is ±1.
        (string Matrix, string Scalar, string? LocalRule, Tensor? Local, bool Negate) rule = (u.Op, j) switch
        {
            ("+", _) => (d, di, null, null, false),
            ("-", 0) => (d, di, null, null, false),
            ("-", _) => ($"−{d}", $"−{di}", null, null, true),
            ("*", 0) => ($"{d} ⊙ {b.Name}", $"{di}·{bi}", $"∂{u.Name}/∂{a.Name} = {b.Name}", bv, false),
            ("*", _) => ($"{d} ⊙ {a.Name}", $"{di}·{ai}", $"∂{u.Name}/∂{b.Name} = {a.Name}", av, false),
            ("/", 0) => ($"{d} ⊙ (1/{b.Name})", $"{di}/{bi}", $"∂{u.Name}/∂{a.Name} = 1/{b.Name}", Tensor.OnesLike(bv).Div(bv), false),
            ("/", _) => ($"−{d} ⊙ {a.Name}/{b.Name}²", $"−{di}·{ai}/{bi}²", $"∂{u.Name}/∂{b.Name} = −{a.Name}/{b.Name}²", av.Neg().Div(bv.Mul(bv)), false),
            ("^", 0) => PowerBase(u, a, b, d, di, ai, bi),
            _ => ($"{d} ⊙ {u.Name} ⊙ log({a.Name})", $"{di}·{ui}·log({ai})", $"∂{u.Name}/∂{b.Name} = {u.Name} ⊙ log({a.Name})", uv.Mul(av.Log()), false),
        };

        Tensor full = rule.Local is null ? (rule.Negate ? delta.Neg() : delta) : delta.Mul(rule.Local);
        Tensor contribution = full.Shape.SequenceEqual(v.Shape) ? full : full.SumToSize([.. v.Shape]);
        string matrix = rule.Matrix, scalar = rule.Scalar;
        string summed = Summed(v.Shape, u.Shape);
        if (summed.Length > 0)
        {
            matrix = $"{(rule.Matrix == d ? d : $"({rule.Matrix})")} summed over {Broadcast(v.Shape, u.Shape)} ({v.Name} was broadcast to {ExplainArray.FormatShape(u.Shape)})";
            scalar = $"Σ_{summed} {rule.Scalar}";
        }

        // For a scalar u there is one entry and no Jacobian to show: the rule is a plain product.
        bool scalarResult = u.Shape.Count == 0;
        if (scalarResult)
        {
            matrix = matrix.Replace(" ⊙ ", "·", StringComparison.Ordinal);
        }

        Tensor? local = scalarResult ? null : rule.Local?.Expand([.. u.Shape]);
        string? localRule = scalarResult || rule.LocalRule is null ? null : rule.LocalRule + " entry by entry (a diagonal Jacobian)";
        return new(v, j, $"{lhs} = {matrix}", $"{Operand(lhs, v.Shape, u.Shape)} = {scalar}", localRule, local, contribution);
    }

    private static (string, string, string?, Tensor?, bool) PowerBase(MatrixNode u, MatrixNode a, MatrixNode b, string d, string di, string ai, string bi)
    {
        Tensor av = a.Value.Detach(), bv = b.Value.Detach();
        if (b.Kind == ExpressionNodeKind.Constant && b.Shape.Count == 0)
        {
            double p = bv.Item();
            string pt = ExplainNumber.Format(p), pm = ExplainNumber.Format(p - 1);
            string m = p == 2 ? $"2·{a.Name}" : p == 1 ? "1" : $"{pt}·{a.Name}^{pm}";
            string s = p == 2 ? $"2·{ai}" : p == 1 ? "1" : $"{pt}·{ai}^{pm}";
            return ($"{d} ⊙ {m}", $"{di}·{s}", $"∂{u.Name}/∂{a.Name} = {m}", av.Pow(p - 1).Mul(Tensor.Scalar(p, DType.Float64)), false);
        }

        return ($"{d} ⊙ {b.Name} ⊙ {a.Name}^({b.Name} − 1)", $"{di}·{bi}·{ai}^({bi} − 1)", $"∂{u.Name}/∂{a.Name} = {b.Name} ⊙ {a.Name}^({b.Name} − 1)",
            bv.Mul(av.Pow(bv.Sub(Tensor.Scalar(1, DType.Float64)))), false);
    }

    /// <summary>An operand's entry in an elementwise op: its own indices, 0 along a dim of size 1 that is broadcast.</summary>
    private static string Operand(string name, IReadOnlyList<int> shape, IReadOnlyList<int> outShape)
    {
        if (shape.Count == 0)
        {
            return name;
        }

        int lead = outShape.Count - shape.Count;
        var parts = new List<string>();
        for (int dim = 0; dim < shape.Count; dim++)
        {
            parts.Add(shape[dim] == 1 && outShape[dim + lead] != 1 ? "0" : s_letters[dim + lead]);
        }

        return $"{name}[{string.Join(",", parts)}]";
    }

    /// <summary>The index letters of the output that an operand of <paramref name="shape"/> does not have: summed in its gradient.</summary>
    private static string Summed(IReadOnlyList<int> shape, IReadOnlyList<int> outShape)
    {
        int lead = outShape.Count - shape.Count;
        var summed = new List<string>();
        for (int dim = 0; dim < outShape.Count; dim++)
        {
            bool missing = dim < lead || (shape[dim - lead] == 1 && outShape[dim] != 1);
            if (missing)
            {
                summed.Add(s_letters[dim]);
            }
        }

        return string.Join(",", summed);
    }

    private static string Broadcast(IReadOnlyList<int> shape, IReadOnlyList<int> outShape)
    {
        string summed = Summed(shape, outShape);
        return (outShape.Count, summed) switch
        {
            (2, "i") => "the rows",
            (2, "j") => "the columns",
            _ => "all entries",
        };
    }

    /// <summary>u = f(a) elementwise: ∂L/∂a = diag(f'(a))·δ_u = δ_u ⊙ f'(a).</summary>
    private static MatrixEdge Function(MatrixNode u, int j, Tensor delta, string d, string lhs)
    {
        MatrixNode a = u.Inputs[j];
        Tensor av = a.Value.Detach(), uv = u.Value.Detach();
        string an = a.Name, un = u.Name, ai = Index(an, a.Shape), ui = Index(un, u.Shape);
        (string Name, string Matrix, string Scalar, Tensor Local) f = u.Op switch
        {
            "sigmoid" => ("σ'", $"{un} ⊙ (1 − {un})", $"{ui}·(1 − {ui})", uv.Mul(Tensor.OnesLike(uv).Sub(uv))),
            "tanh" => ("tanh'", $"1 − {un}²", $"(1 − {ui}²)", Tensor.OnesLike(uv).Sub(uv.Mul(uv))),
            "relu" => ("relu'", $"[{an} > 0]", $"[{ai} > 0]", av.Sign().Relu()),
            "exp" => ("exp'", un, ui, uv),
            "log" => ("log'", $"1/{an}", $"1/{ai}", Tensor.OnesLike(av).Div(av)),
            "sqrt" => ("sqrt'", $"1/(2·{un})", $"1/(2·{ui})", Tensor.OnesLike(uv).Div(uv.Mul(Tensor.Scalar(2, DType.Float64)))),
            "abs" => ("abs'", $"sign({an})", $"sign({ai})", av.Sign()),
            _ => throw new InvalidOperationException($"explain: no matrix-form rule for '{u.Op}'"),
        };
        string fa = $"{f.Name}({an})";
        return new(a, j,
            $"{lhs} = diag({fa})·{d} = {d} ⊙ {fa}",
            $"{Index(lhs, a.Shape)} = {Index(d, u.Shape)}·{f.Scalar}",
            $"{fa} = {f.Matrix} (the diagonal of the Jacobian ∂{un}/∂{an})",
            f.Local,
            delta.Mul(f.Local));
    }
}
