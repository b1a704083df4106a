using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Parsing;
using System.Numerics;

namespace Backprop.Cli.Commands;

/// <summary>
/// Words System.CommandLine's parse errors as the project's messages: one line per mistake that
/// names the option, argument or token, what it takes and what it got, never a .NET type name
/// (the library's own says "as expected type 'System.Nullable`1[System.Int32]'"), then one line
/// pointing at the command's help.
/// </summary>
/// <remarks>
/// The errors are classified by the parse tree (which symbol, which tokens), not by the library's
/// English wording, which changes between versions and is translated in other cultures. A message
/// that already starts with the option's or argument's name is the project's own (a custom parser
/// or validator) and is kept as it is.
/// </remarks>
internal static class ParseErrors
{
    /// <summary>The lines to print on stderr for a parse result with errors: the messages, then the help hint.</summary>
    public static List<string> Describe(ParseResult result)
    {
        var command = result.CommandResult.Command;
        var tokens = result.Tokens;
        var lines = new List<string>();

        // Tokens whose own error is already reported: a token right after them is their value, not a second mistake.
        var reported = new HashSet<int>();
        foreach (var error in result.Errors)
        {
            switch (error.SymbolResult)
            {
                case OptionResult option:
                    lines.Add(DescribeOption(command, option, error.Message));
                    reported.UnionWith(option.Tokens.Select(t => IndexOf(tokens, t)));
                    break;
                case ArgumentResult argument:
                    lines.Add(DescribeArgument(command, argument, error.Message));
                    break;
                case CommandResult when !result.UnmatchedTokens.Any(t => error.Message.Contains($"'{t}'", StringComparison.Ordinal)):
                    // Not about an unmatched token (those are described below): a command validator's own message.
                    lines.Add($"{command.Name}: {Plain(error.Message, "the command line is not valid")}");
                    break;
            }
        }

        int searchFrom = 0;
        foreach (string token in result.UnmatchedTokens)
        {
            int index = IndexOfValue(tokens, token, searchFrom);
            searchFrom = index + 1;
            var previous = index > 0 ? tokens[index - 1] : null;
            if (IsOptionLike(token))
            {
                reported.Add(index);
                lines.Add($"{command.Name}: unknown option '{token}'{Suggestion(token, OptionNames(command))}");
            }
            else if (previous is { Type: TokenType.Option } && FindOption(command, previous.Value) is { } flag && Unwrap(flag.ValueType) == typeof(bool))
            {
                lines.Add($"{command.Name}: {previous.Value} is a switch (give it alone, or as {previous.Value} true|false), got '{token}'");
            }
            else if (index > 0 && reported.Contains(index - 1) && IsOptionLike(previous!.Value))
            {
                // The value of an unknown option (train --epoch 3), or of an option mistaken for
                // another's value (train --epochs --lr 0.1): already reported with that option.
            }
            else if (command.Subcommands.Count > 0)
            {
                var names = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
                string suggestion = Suggestion(token, names);
                lines.Add($"{command.Name}: unknown command '{token}'{(suggestion.Length > 0 ? suggestion : $" (commands: {string.Join(", ", names)})")}");

                // What follows was meant for that command, which does not exist: no more lines about it.
                break;
            }
            else
            {
                int count = command.Arguments.Count;
                string takes = count == 0
                    ? $" ({command.Name} takes no arguments, only options)"
                    : $" ({command.Name} takes {(count == 1 ? "one argument" : $"{count} arguments")}, {string.Join(" ", command.Arguments.Select(a => a.Name))})";
                lines.Add($"{command.Name}: unexpected argument '{token}'{takes}");
            }
        }

        lines = lines.Distinct(StringComparer.Ordinal).ToList();
        lines.Add($"see {CommandPath(result.CommandResult)} --help");
        return lines;
    }

    private static string DescribeOption(Command command, OptionResult result, string message)
    {
        var option = result.Option;
        string name = result.IdentifierToken?.Value ?? option.Name;
        if (IsOwnMessage(message, option.Name, option.Aliases))
        {
            return $"{command.Name}: {message}";
        }

        if (result.IdentifierToken is null)
        {
            return $"{command.Name}: {name} is required{Tail(Needs(option.ValueType, Choices(option.ValueType, option.CompletionSources), option.Description))}";
        }

        return DescribeValue(command, name, option.ValueType, Choices(option.ValueType, option.CompletionSources), option.Arity, result.Tokens, result.IdentifierTokenCount, message);
    }

    private static string DescribeArgument(Command command, ArgumentResult result, string message)
    {
        var argument = result.Argument;
        if (IsOwnMessage(message, argument.Name, []))
        {
            return $"{command.Name}: {message}";
        }

        var choices = Choices(argument.ValueType, argument.CompletionSources);
        if (result.Tokens.Count == 0)
        {
            return $"{command.Name}: {argument.Name} is required{Tail(Needs(argument.ValueType, choices, argument.Description))}";
        }

        return DescribeValue(command, argument.Name, argument.ValueType, choices, argument.Arity, result.Tokens, 1, message);
    }

    /// <summary>An option or argument that was given, but not with a value it takes.</summary>
    private static string DescribeValue(Command command, string name, Type valueType, IReadOnlyList<string> choices, ArgumentArity arity, IReadOnlyList<Token> tokens, int timesGiven, string message)
    {
        string prefix = $"{command.Name}: {name}";
        if (tokens.Count == 0)
        {
            return $"{prefix} needs a value{Tail(Needs(valueType, choices, null))}";
        }

        if (tokens.Count > arity.MaximumNumberOfValues)
        {
            string values = string.Join(", ", tokens.Select(t => $"'{t.Value}'"));
            return timesGiven > 1 ? $"{prefix} is given {timesGiven} times ({values}): give it once" : $"{prefix} takes one value, got {values}";
        }

        string? bad = tokens.Select(t => t.Value).FirstOrDefault(v => (choices.Count > 0 && !choices.Contains(v, StringComparer.Ordinal)) || !Converts(v, valueType));
        if (bad is null)
        {
            // Every value converts and is allowed: the error is some validator's own message.
            return $"{prefix}: {Plain(message, $"'{string.Join(" ", tokens.Select(t => t.Value))}' is not accepted")}";
        }

        if (IsOptionLike(bad) && OptionNames(command).Contains(bad))
        {
            // train --epochs --lr 0.1: the parser took the next option for --epochs's value.
            return $"{prefix} needs a value{Tail(Needs(valueType, choices, null))} before {bad}";
        }

        string takes = choices.Count > 0 ? $"one of {string.Join(", ", choices)}" : Takes(valueType, bad) ?? "another value";
        return $"{prefix} takes {takes}, got '{bad}'";
    }

    /// <summary>What a missing value should have been, from its choices, its type or else its description (when short enough for one line); null when none of them says.</summary>
    private static string? Needs(Type valueType, IReadOnlyList<string> choices, string? description)
    {
        if (choices.Count > 0)
        {
            return $"one of {string.Join(", ", choices)}";
        }

        if (Unwrap(valueType) != typeof(string) && Takes(valueType, null) is string takes)
        {
            return takes;
        }

        string text = (description ?? string.Empty).Trim().TrimEnd('.');
        return text.Length is > 0 and <= 80 ? $"{char.ToLowerInvariant(text[0])}{text[1..]}" : null;
    }

    private static string Tail(string? needs) => needs is null ? string.Empty : $" ({needs})";

    /// <summary>What a value of this type looks like, in words; null for a type that has no short description.</summary>
    internal static string? Takes(Type valueType, string? got)
    {
        var type = Unwrap(valueType);
        if (type.IsEnum)
        {
            return $"one of {string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant()))}";
        }

        if (type == typeof(bool))
        {
            return "true or false";
        }

        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal))
        {
            return "a number";
        }

        if (IntegerRange(type) is not var (min, max))
        {
            return null;
        }

        // "a whole number" would puzzle someone who typed one: say which ones fit.
        return got is not null && BigInteger.TryParse(got, out _) ? $"a whole number from {min} to {max}" : min == 0 ? "a whole number of 0 or more" : "a whole number";
    }

    private static (BigInteger Min, BigInteger Max)? IntegerRange(Type type) =>
        type == typeof(int) ? (int.MinValue, int.MaxValue)
        : type == typeof(long) ? (long.MinValue, long.MaxValue)
        : type == typeof(short) ? (short.MinValue, short.MaxValue)
        : type == typeof(sbyte) ? (sbyte.MinValue, sbyte.MaxValue)
        : type == typeof(byte) ? (byte.MinValue, byte.MaxValue)
        : type == typeof(ushort) ? (ushort.MinValue, ushort.MaxValue)
        : type == typeof(uint) ? (uint.MinValue, uint.MaxValue)
        : type == typeof(ulong) ? (ulong.MinValue, ulong.MaxValue)
        : null;

    /// <summary>Whether System.CommandLine's converter takes the text: the same TryParse calls (current culture) it makes.</summary>
    private static bool Converts(string text, Type valueType)
    {
        var type = Unwrap(valueType);
        return type.IsEnum ? Enum.TryParse(type, text, ignoreCase: true, out _)
            : type == typeof(bool) ? bool.TryParse(text, out _)
            : type == typeof(int) ? int.TryParse(text, out _)
            : type == typeof(long) ? long.TryParse(text, out _)
            : type == typeof(short) ? short.TryParse(text, out _)
            : type == typeof(sbyte) ? sbyte.TryParse(text, out _)
            : type == typeof(byte) ? byte.TryParse(text, out _)
            : type == typeof(ushort) ? ushort.TryParse(text, out _)
            : type == typeof(uint) ? uint.TryParse(text, out _)
            : type == typeof(ulong) ? ulong.TryParse(text, out _)
            : type == typeof(double) ? double.TryParse(text, out _)
            : type == typeof(float) ? float.TryParse(text, out _)
            : type == typeof(decimal) ? decimal.TryParse(text, out _)
            : true; // strings and types we do not know: the error is not a conversion we can word better
    }

    /// <summary>The values AcceptOnlyFromAmong allows (it adds them as completions), in the order declared; empty for free values.</summary>
    private static List<string> Choices(Type valueType, List<Func<CompletionContext, IEnumerable<CompletionItem>>> sources) =>
        // Only text values have such a list: a bool's or an enum's completions come from its type, which Takes words.
        Unwrap(valueType) != typeof(string) ? []
            : sources.SelectMany(s => s(CompletionContext.Empty)).Select(c => c.Label).Distinct(StringComparer.Ordinal).ToList();

    private static Type Unwrap(Type type) => Nullable.GetUnderlyingType(type) ?? type;

    private static bool IsOwnMessage(string message, string name, IEnumerable<string> aliases) =>
        aliases.Prepend(name).Any(n => message.StartsWith(n, StringComparison.Ordinal));

    /// <summary>A message of someone else's, or the fallback when it names .NET types, which mean nothing to a user.</summary>
    private static string Plain(string message, string fallback)
    {
        string line = message.ReplaceLineEndings(" ").Trim();
        return line.Contains("System.", StringComparison.Ordinal) || line.Contains('`') ? fallback : line;
    }

    /// <summary>Starts like an option (-x, --xyz) and is not a negative number.</summary>
    private static bool IsOptionLike(string token) =>
        token.Length > 1 && token[0] == '-' && token != "--" && !double.TryParse(token, out _);

    /// <summary>The options one can give to the command: its own and the recursive ones of its parents (--help).</summary>
    private static IEnumerable<Option> Options(Command command)
    {
        for (Symbol? c = command; c is Command current; c = current.Parents.FirstOrDefault())
        {
            foreach (var option in current.Options.Where(o => !o.Hidden && (c == command || o.Recursive)))
            {
                yield return option;
            }
        }
    }

    private static HashSet<string> OptionNames(Command command) =>
        Options(command).SelectMany(o => o.Aliases.Prepend(o.Name)).ToHashSet(StringComparer.Ordinal);

    private static Option? FindOption(Command command, string name) =>
        Options(command).FirstOrDefault(o => o.Name == name || o.Aliases.Contains(name));

    /// <summary>" (did you mean --epochs?)" when one name is an edit or two (by length) from what was typed.</summary>
    private static string Suggestion(string typed, IEnumerable<string> names)
    {
        // -h, -? and /h are not worth suggesting, and nearly everything is one edit from a 2-letter token.
        if (typed.Length < 3)
        {
            return string.Empty;
        }

        var best = names
            .Where(n => n.Length >= 3)
            .Select(n => (Name: n, Distance: EditDistance(typed, n)))
            .Where(c => c.Distance <= Math.Min(2, Math.Max(1, typed.Length / 3)))
            .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        return best.Name is null ? string.Empty : $" (did you mean {best.Name}?)";
    }

    /// <summary>Insertions, deletions, substitutions and swaps of neighbours (trian → train is one) that turn a into b.</summary>
    internal static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is CommandResult c)
            {
                names.Insert(0, c.Command.Name);
            }
        }

        return string.Join(" ", names);
    }

    private static int IndexOf(IReadOnlyList<Token> tokens, Token token)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            if (ReferenceEquals(tokens[i], token))
            {
                return i;
            }
        }

        return -1;
    }

    private static int IndexOfValue(IReadOnlyList<Token> tokens, string value, int from)
    {
        for (int i = from; i < tokens.Count; i++)
        {
            if (tokens[i].Value == value)
            {
                return i;
            }
        }

        return -1;
    }
}
