namespace Backprop.Explain;

/// <summary>
/// A small symbolic expression that explain prints: a node's formula in terms of its inputs
/// (<c>y·w3</c>) or a local derivative (<c>∂z/∂y = w3</c>, <c>σ·(1 − σ)</c>). It renders as plain
/// Unicode text (<see cref="ToText"/>) and as LaTeX (<see cref="ToTex"/>), adding only the
/// parentheses that precedence requires.
/// </summary>
public abstract class Formula
{
    // Binding strength: sums < products < negation < powers < atoms.
    private protected const int SumLevel = 1;
    private protected const int ProductLevel = 2;
    private protected const int NegationLevel = 3;
    private protected const int PowerLevel = 4;
    private protected const int AtomLevel = 5;

    private protected Formula()
    {
    }

    private protected abstract int Level { get; }

    /// <summary>A variable, rendered as its name (<c>w1</c>; in LaTeX <c>w_{1}</c>).</summary>
    /// <param name="name">The variable's name, e.g. <c>x</c> or <c>w1</c>.</param>
    /// <returns>A new formula.</returns>
    public static Formula Symbol(string name) => new SymbolFormula(name);

    /// <summary>A number, rendered as <see cref="ExplainNumber.Format"/> does.</summary>
    /// <param name="value">The number.</param>
    /// <returns>A new formula.</returns>
    public static Formula Number(double value) => new NumberFormula(value);

    /// <summary>−a.</summary>
    /// <param name="a">The operand.</param>
    /// <returns>A new formula.</returns>
    public static Formula Negate(Formula a) => new NegateFormula(a);

    /// <summary>a + b.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    /// <returns>A new formula.</returns>
    public static Formula Add(Formula a, Formula b) => new BinaryFormula('+', a, b);

    /// <summary>a − b.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    /// <returns>A new formula.</returns>
    public static Formula Subtract(Formula a, Formula b) => new BinaryFormula('-', a, b);

    /// <summary>a · b.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    /// <returns>A new formula.</returns>
    public static Formula Multiply(Formula a, Formula b) => new BinaryFormula('*', a, b);

    /// <summary>a / b.</summary>
    /// <param name="a">The left operand.</param>
    /// <param name="b">The right operand.</param>
    /// <returns>A new formula.</returns>
    public static Formula Divide(Formula a, Formula b) => new BinaryFormula('/', a, b);

    /// <summary>aᵇ.</summary>
    /// <param name="a">The base.</param>
    /// <param name="b">The exponent.</param>
    /// <returns>A new formula.</returns>
    public static Formula Power(Formula a, Formula b) => new BinaryFormula('^', a, b);

    /// <summary>f(a) for f in exp, log, sqrt, tanh, sigmoid, relu, abs, sign.</summary>
    /// <param name="function">The function's name, e.g. <c>tanh</c> or <c>log</c>.</param>
    /// <param name="argument">Its argument.</param>
    /// <returns>A new formula.</returns>
    public static Formula Call(string function, Formula argument) => new CallFormula(function, argument);

    /// <summary>∂of/∂wrt.</summary>
    /// <param name="of">The name of the value differentiated.</param>
    /// <param name="wrt">The name of the variable it is differentiated with respect to.</param>
    /// <returns>A new formula.</returns>
    public static Formula Partial(string of, string wrt) => new PartialFormula(of, wrt);

    /// <summary>The indicator [a &gt; 0]: 1 where a is positive, else 0 (ReLU's derivative).</summary>
    /// <param name="a">The operand.</param>
    /// <returns>A new formula.</returns>
    public static Formula Positive(Formula a) => new PositiveFormula(a);

    /// <summary>lhs = rhs.</summary>
    /// <param name="lhs">The left-hand side.</param>
    /// <param name="rhs">The right-hand side.</param>
    /// <returns>A new formula.</returns>
    public static Formula Equation(Formula lhs, Formula rhs) => new EquationFormula(lhs, rhs);

    /// <summary>True when this formula is a number, with its value.</summary>
    internal bool IsNumber(out double value)
    {
        value = this is NumberFormula n ? n.Value : 0;
        return this is NumberFormula;
    }

    /// <summary>Plain Unicode text: <c>−2·w1</c>, <c>∂z/∂y</c>, <c>t²</c>.</summary>
    /// <returns>The text.</returns>
    public abstract string ToText();

    /// <summary>LaTeX math (without the surrounding <c>$</c>): <c>-2 \cdot w_{1}</c>, <c>\frac{\partial z}{\partial y}</c>.</summary>
    /// <returns>The LaTeX text.</returns>
    public abstract string ToTex();

    /// <summary>The plain text form.</summary>
    /// <returns>The text, as <see cref="ToText"/>.</returns>
    public override string ToString() => ToText();

    /// <summary>A variable name in LaTeX: <c>w1</c> → <c>w_{1}</c>, <c>out_h1</c> → <c>\mathrm{out}_{\mathrm{h1}}</c>.</summary>
    internal static string TexName(string name)
    {
        int underscore = name.IndexOf('_', StringComparison.Ordinal);
        if (underscore > 0 && underscore < name.Length - 1)
        {
            return $"{TexName(name[..underscore])}_{{{TexWord(name[(underscore + 1)..])}}}";
        }

        int digits = name.Length;
        while (digits > 0 && char.IsAsciiDigit(name[digits - 1]))
        {
            digits--;
        }

        if (digits > 0 && digits < name.Length)
        {
            return $"{TexWord(name[..digits])}_{{{name[digits..]}}}";
        }

        return TexWord(name);
    }

    private static string TexWord(string word) =>
        word.Length == 1 ? word : $@"\mathrm{{{word.Replace("_", @"\_", StringComparison.Ordinal)}}}";

    private protected static string Wrap(string inner, bool parenthesize, bool tex) =>
        !parenthesize ? inner : tex ? $@"\left({inner}\right)" : $"({inner})";

    private sealed class SymbolFormula(string name) : Formula
    {
        private protected override int Level => AtomLevel;

        public override string ToText() => name;

        public override string ToTex() => TexName(name);
    }

    private sealed class NumberFormula(double value) : Formula
    {
        public double Value => value;

        // A negative number binds like a negation: w·(−2), not w·−2.
        private protected override int Level => value < 0 ? NegationLevel : AtomLevel;

        public override string ToText()
        {
            string text = ExplainNumber.Format(value);
            return text.StartsWith('-') ? "−" + text[1..] : text;
        }

        public override string ToTex() => ExplainNumber.FormatTex(value);
    }

    private sealed class NegateFormula(Formula operand) : Formula
    {
        private protected override int Level => NegationLevel;

        public override string ToText() => "−" + Wrap(operand.ToText(), operand.Level < PowerLevel, tex: false);

        public override string ToTex() => "-" + Wrap(operand.ToTex(), operand.Level < PowerLevel, tex: true);
    }

    private sealed class BinaryFormula(char op, Formula left, Formula right) : Formula
    {
        private protected override int Level => op switch
        {
            '+' or '-' => SumLevel,
            '*' or '/' => ProductLevel,
            _ => PowerLevel,
        };

        private bool LeftNeedsParentheses => op == '^' ? left.Level <= PowerLevel : left.Level < Level;

        // a − (b + c), a / (b · c); exponents in text need parentheses unless atomic.
        private bool RightNeedsParentheses => op switch
        {
            '^' => right.Level < AtomLevel,
            '-' or '/' => right.Level <= Level || right.Level == NegationLevel,
            _ => right.Level < Level || right.Level == NegationLevel,
        };

        public override string ToText()
        {
            string l = Wrap(left.ToText(), LeftNeedsParentheses, tex: false);
            if (op == '^' && right is NumberFormula n && n.ToText() is "2" or "3")
            {
                return l + (n.ToText() == "2" ? "²" : "³");
            }

            string r = Wrap(right.ToText(), RightNeedsParentheses, tex: false);
            return op switch
            {
                '+' => $"{l} + {r}",
                '-' => $"{l} − {r}",
                '*' => $"{l}·{r}",
                '/' => $"{l}/{r}",
                _ => $"{l}^{r}",
            };
        }

        public override string ToTex()
        {
            if (op == '/')
            {
                return $@"\frac{{{left.ToTex()}}}{{{right.ToTex()}}}";
            }

            string l = Wrap(left.ToTex(), LeftNeedsParentheses, tex: true);
            if (op == '^')
            {
                return $"{{{l}}}^{{{right.ToTex()}}}";
            }

            string r = Wrap(right.ToTex(), RightNeedsParentheses, tex: true);
            return op switch
            {
                '+' => $"{l} + {r}",
                '-' => $"{l} - {r}",
                _ => $@"{l} \cdot {r}",
            };
        }
    }

    private sealed class CallFormula(string function, Formula argument) : Formula
    {
        private protected override int Level => AtomLevel;

        public override string ToText() => function switch
        {
            "sigmoid" => $"σ({argument.ToText()})",
            "abs" => $"|{argument.ToText()}|",
            _ => $"{function}({argument.ToText()})",
        };

        public override string ToTex()
        {
            string a = argument.ToTex();
            return function switch
            {
                "exp" or "log" or "tanh" => $@"\{function}\left({a}\right)",
                "sqrt" => $@"\sqrt{{{a}}}",
                "sigmoid" => $@"\sigma\left({a}\right)",
                "abs" => $@"\left|{a}\right|",
                _ => $@"\operatorname{{{function}}}\left({a}\right)",
            };
        }
    }

    private sealed class PartialFormula(string of, string wrt) : Formula
    {
        private protected override int Level => AtomLevel;

        public override string ToText() => $"∂{of}/∂{wrt}";

        public override string ToTex() => $@"\frac{{\partial {TexName(of)}}}{{\partial {TexName(wrt)}}}";
    }

    private sealed class PositiveFormula(Formula argument) : Formula
    {
        private protected override int Level => AtomLevel;

        public override string ToText() => $"[{argument.ToText()} > 0]";

        public override string ToTex() => $@"\mathbb{{1}}\left[{argument.ToTex()} > 0\right]";
    }

    private sealed class EquationFormula(Formula lhs, Formula rhs) : Formula
    {
        private protected override int Level => 0;

        public override string ToText() => $"{lhs.ToText()} = {rhs.ToText()}";

        public override string ToTex() => $"{lhs.ToTex()} = {rhs.ToTex()}";
    }
}
