using System.Text;

namespace Backprop.Explain;

/// <summary>
/// The LaTeX forms of the matrix form's report (<c>explain --format tex</c>): values as
/// <c>bmatrix</c> (a vector as a column, as in W @ x), shapes with <c>\times</c>, and the rules'
/// Unicode math (<c>∂E/∂W1 = δ_u1·xᵀ (outer product, 2×2)</c>) as TeX math, the few English words the
/// rules use set as <c>\text{…}</c>.
/// </summary>
internal static class MatrixTex
{
    // The words MatrixRules writes beside its math, longest first so a phrase wins over its parts.
    private static readonly string[] s_phrases =
    [
        "the diagonal of the Jacobian", "a scalar is its own transpose", "a vector is its own transpose", "a diagonal Jacobian",
        "copied to each of the", "copied to each entry", "entry by entry", "was broadcast to", "outer product", "dot product",
        "summed over the rows", "summed over the columns", "summed over all entries", "entries", "with",
    ];

    private static readonly string[] s_functions = ["sigmoid", "tanh", "relu", "exp", "log", "sqrt", "abs", "sign", "sum", "mean", "diag"];

    /// <summary>A report span of a value: its text as explain prints it, its TeX as a bmatrix.</summary>
    public static ReportSpan Value(Tensor value) => new(ExplainArray.Format(value), Matrix(value));

    /// <summary>A report span of a rule: the text as it is, the TeX converted.</summary>
    public static ReportSpan Rule(string text) => new(text, Math(text));

    /// <summary>A shape, <c>2×3</c> as <c>2 \times 3</c>.</summary>
    public static ReportSpan Shape(IReadOnlyList<int> shape)
    {
        string text = ExplainArray.FormatShape(shape);
        return new(text, shape.Count == 0 ? @"\text{scalar}" : text.Replace("×", @" \times ", StringComparison.Ordinal));
    }

    /// <summary>A value as TeX: a number, a column vector or a matrix in <c>bmatrix</c>.</summary>
    public static string Matrix(Tensor value)
    {
        double[] data = value.Detach().To(DType.Float64).ToArray();
        int[] shape = value.Shape;
        if (shape.Length == 0)
        {
            return ExplainNumber.FormatTex(data[0]);
        }

        int rows = shape[0], columns = shape.Length == 2 ? shape[1] : 1;
        var sb = new StringBuilder(@"\begin{bmatrix} ");
        for (int r = 0; r < rows; r++)
        {
            sb.Append(string.Join(" & ", Enumerable.Range(0, columns).Select(c => ExplainNumber.FormatTex(data[(r * columns) + c]))));
            sb.Append(r + 1 < rows ? @" \\ " : " ");
        }

        return sb.Append(@"\end{bmatrix}").ToString();
    }

    /// <summary>Explain's Unicode math as TeX math; the rules' English phrases become <c>\text{…}</c>.</summary>
    public static string Math(string text)
    {
        var sb = new StringBuilder();
        int i = 0;
        while (i < text.Length)
        {
            string? phrase = s_phrases.FirstOrDefault(p => string.CompareOrdinal(text, i, p, 0, p.Length) == 0
                && (i == 0 || !char.IsLetterOrDigit(text[i - 1])) && (i + p.Length == text.Length || !char.IsLetterOrDigit(text[i + p.Length])));
            if (phrase is not null)
            {
                sb.Append(@"\text{ ").Append(phrase).Append(" }");
                i += phrase.Length;
                continue;
            }

            char c = text[i];
            if (char.IsAsciiLetter(c))
            {
                int start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }

                sb.Append(Identifier(text[start..i]));
                continue;
            }

            i++;
            switch (c)
            {
                case 'δ':
                    // δ_u1: the subscript is the node's name.
                    if (i < text.Length && text[i] == '_')
                    {
                        int start = ++i;
                        while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_'))
                        {
                            i++;
                        }

                        sb.Append(@"\delta_{").Append(Escape(text[start..i])).Append('}');
                    }
                    else
                    {
                        sb.Append(@"\delta ");
                    }

                    break;
                case 'Σ':
                    // Σ_k, Σ_i,j: the summation indices up to the next space.
                    if (i < text.Length && text[i] == '_')
                    {
                        int start = ++i;
                        while (i < text.Length && text[i] != ' ')
                        {
                            i++;
                        }

                        sb.Append(@"\sum_{").Append(text[start..i]).Append('}');
                    }
                    else
                    {
                        sb.Append(@"\sum ");
                    }

                    break;
                case '^':
                    sb.Append("^{").Append(Math(Exponent(text, ref i))).Append('}');
                    break;
                case '∂': sb.Append(@"\partial "); break;
                case 'ᵀ': sb.Append(@"^{\top}"); break;
                case '⊙': sb.Append(@"\odot "); break;
                case '·': sb.Append(@"\cdot "); break;
                case '−': sb.Append('-'); break;
                case '×': sb.Append(@"\times "); break;
                case 'σ': sb.Append(@"\sigma"); break;
                case '²': sb.Append("^{2}"); break;
                case 'η': sb.Append(@"\eta "); break;
                case '_': sb.Append(@"\_"); break;
                case '{': sb.Append(@"\{"); break;
                case '}': sb.Append(@"\}"); break;
                case '&' or '%' or '$' or '#': sb.Append('\\').Append(c); break;
                default:
                    sb.Append(c < 128 ? c.ToString() : "?");
                    break;
            }
        }

        return sb.ToString();
    }

    /// <summary>What a <c>^</c> raises to: a parenthesized group (without its parentheses kept) or a run of letters, digits and dots.</summary>
    private static string Exponent(string text, ref int i)
    {
        int start = i;
        if (i < text.Length && text[i] == '(')
        {
            int depth = 0;
            do
            {
                depth += text[i] == '(' ? 1 : text[i] == ')' ? -1 : 0;
                i++;
            }
            while (i < text.Length && depth > 0);
            return text[start..i];
        }

        while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '.' or '_' || (text[i] == '-' && i == start)))
        {
            i++;
        }

        return text[start..i];
    }

    /// <summary>A name in math: a function as an operator, a one-letter name (with digits) as it is, a longer one upright.</summary>
    private static string Identifier(string name)
    {
        if (s_functions.Contains(name))
        {
            return $@"\operatorname{{{name}}}";
        }

        int letters = name.TakeWhile(char.IsAsciiLetter).Count();
        return letters <= 1 && !name.Contains('_', StringComparison.Ordinal) ? name : $@"\mathit{{{Escape(name)}}}";
    }

    private static string Escape(string name) => name.Replace("_", @"\_", StringComparison.Ordinal);
}
