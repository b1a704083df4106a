using System.Globalization;
using System.Text.Json;
using Backprop.Explain;
using Microsoft.AspNetCore.Http;

namespace Backprop.Serve.Explainer;

/// <summary>
/// What <c>/api/explain</c> is asked: a program in explain's language with its input values (and
/// optionally a target, a loss and a learning rate), or a worked example by name (whose learning
/// rate may be changed). The same fields come from the query string of a GET or from the JSON body
/// of a POST; every field is checked here, so a bad request is refused with a message that names it.
/// Values written with brackets (<c>W=[[0.15,0.2],[0.25,0.3]],x=[0.05,0.1]</c>) come as
/// <see cref="Arrays"/> instead of <see cref="Values"/> and select the matrix form; so does a target
/// written as an array (<c>[0.01,0.99]</c>), which comes as <see cref="TargetArray"/>.
/// </summary>
internal sealed record ExplainRequest(string? Program, string? Example, IReadOnlyList<KeyValuePair<string, double>> Values, double? Target, ExplainLoss Loss, double? LearningRate,
    IReadOnlyList<KeyValuePair<string, Tensor>>? Arrays = null, Tensor? TargetArray = null)
{
    /// <summary>Every example the page offers: the scalar ones, then those in matrix form.</summary>
    public static IEnumerable<string> ExampleNames => WorkedExamples.Names.Concat(WorkedExamples.MatrixNames);

    /// <summary>The query-string names: the page's own state (step, large) is allowed beside them and ignored.</summary>
    public static readonly string[] Fields = ["program", "example", "at", "target", "loss", "lr"];

    /// <summary>Reads and checks the query string of a GET.</summary>
    public static ExplainRequest FromQuery(IQueryCollection query)
    {
        string? Single(string name)
        {
            if (!query.TryGetValue(name, out var values) || values.Count == 0)
            {
                return null;
            }

            if (values.Count > 1)
            {
                throw new RequestException($"'{name}' is given {values.Count} times: give it once");
            }

            return values[0];
        }

        return Create(Single("program"), Single("example"), Single("at"), Single("target"), Single("loss"), Single("lr"));
    }

    /// <summary>Reads and checks the JSON body of a POST: <c>{"program": "...", "at": "w1=3", "target": 10, "loss": "squared", "lr": 0.1}</c> or <c>{"example": "mazur"}</c>.</summary>
    public static ExplainRequest FromJson(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new RequestException($"the body must be a JSON object such as {{\"program\": \"z = x*y\", \"at\": \"x=2,y=3\"}}, got a JSON {body.ValueKind.ToString().ToLowerInvariant()}");
        }

        var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var property in body.EnumerateObject())
        {
            if (!Fields.Contains(property.Name, StringComparer.Ordinal))
            {
                throw new RequestException($"unknown field '{Shorten(property.Name)}' (fields: {string.Join(", ", Fields)})");
            }

            if (fields.ContainsKey(property.Name))
            {
                throw new RequestException($"'{property.Name}' is given twice: give it once");
            }

            fields[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Number => property.Value.GetRawText(),
                JsonValueKind.Null => null,
                var kind => throw new RequestException($"'{property.Name}' must be a string or a number, got a JSON {kind.ToString().ToLowerInvariant()}"),
            };
        }

        return Create(fields.GetValueOrDefault("program"), fields.GetValueOrDefault("example"), fields.GetValueOrDefault("at"),
            fields.GetValueOrDefault("target"), fields.GetValueOrDefault("loss"), fields.GetValueOrDefault("lr"));
    }

    private static ExplainRequest Create(string? program, string? example, string? at, string? target, string? loss, string? lr)
    {
        double? rate = OptionalNumber("lr", lr);
        if (rate is double eta && !(eta > 0))
        {
            throw new RequestException($"'lr' (the learning rate) must be a positive number, got '{Shorten(lr!)}'");
        }

        if (!string.IsNullOrEmpty(example))
        {
            if (!string.IsNullOrEmpty(program) || !string.IsNullOrEmpty(at) || !string.IsNullOrEmpty(target) || !string.IsNullOrEmpty(loss))
            {
                throw new RequestException("an example runs its own program with its own values: give no program, at, target or loss with it (lr may change its learning rate)");
            }

            if (!ExampleNames.Contains(example, StringComparer.Ordinal))
            {
                throw new RequestException($"unknown example '{Shorten(example)}' (examples: {string.Join(", ", ExampleNames)})");
            }

            return new ExplainRequest(null, example, [], null, ExplainLoss.Squared, rate);
        }

        if (string.IsNullOrWhiteSpace(program))
        {
            throw new RequestException($"a program is required, e.g. program=z = x*y&at=x=2,y=3 (or example={string.Join("|", WorkedExamples.Names)})");
        }

        if (program.Length > ServeLimits.MaxProgramLength)
        {
            throw new RequestException($"the program is {program.Length:N0} characters long; the limit is {ServeLimits.MaxProgramLength:N0}");
        }

        var lossKind = loss switch
        {
            null or "" or "squared" => ExplainLoss.Squared,
            "difference" => ExplainLoss.Difference,
            _ => throw new RequestException($"'loss' must be squared or difference, got '{Shorten(loss)}'"),
        };
        if (target is not null && target.Contains('[', StringComparison.Ordinal))
        {
            var targetArray = ParseTarget(target);
            return at is not null && at.Contains('[', StringComparison.Ordinal)
                ? new ExplainRequest(program, null, [], null, lossKind, rate, ParseArrays(at), targetArray)
                : new ExplainRequest(program, null, ParseValues(at), null, lossKind, rate, null, targetArray);
        }

        return at is not null && at.Contains('[', StringComparison.Ordinal)
            ? new ExplainRequest(program, null, [], OptionalNumber("target", target), lossKind, rate, ParseArrays(at))
            : new ExplainRequest(program, null, ParseValues(at), OptionalNumber("target", target), lossKind, rate);
    }

    /// <summary>
    /// Parses <c>W=[[1,2],[3,4]],x=[5,6],c=7</c> into name/value pairs in the given order: a value is a
    /// number, a vector or a matrix (<see cref="ExplainArray.Parse(string)"/>); at most
    /// <see cref="ServeLimits.MaxInputs"/> entries in all, each costing a finite-difference check.
    /// </summary>
    internal static List<KeyValuePair<string, Tensor>> ParseArrays(string text)
    {
        if (text.Length > ServeLimits.MaxValuesLength)
        {
            throw new RequestException($"the input values are {text.Length:N0} characters long; the limit is {ServeLimits.MaxValuesLength:N0}");
        }

        var values = new List<KeyValuePair<string, Tensor>>();
        long entries = 0;
        foreach (string part in ExplainArray.SplitTopLevel(text))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new RequestException($"'at': expected NAME=VALUE separated by commas, a VALUE being a number, [a, b] or [[a, b], [c, d]] (e.g. W=[[1,2],[3,4]],x=[5,6]), got '{Shorten(part)}'");
            }

            string name = part[..eq].Trim();
            Tensor value;
            try
            {
                value = ExplainArray.Parse(part[(eq + 1)..].Trim());
            }
            catch (ExplainException e)
            {
                throw new RequestException($"'at' {Shorten(name)}: {e.Message}");
            }

            entries += value.Numel;
            if (entries > ServeLimits.MaxInputs)
            {
                throw new RequestException($"the input values have more than {ServeLimits.MaxInputs} entries in all; the limit is {ServeLimits.MaxInputs}");
            }

            values.Add(KeyValuePair.Create(name, value));
        }

        return values;
    }

    /// <summary>A target written as an array, <c>[0.01,0.99]</c>: at most <see cref="ServeLimits.MaxInputs"/> entries.</summary>
    private static Tensor ParseTarget(string text)
    {
        if (text.Length > ServeLimits.MaxValuesLength)
        {
            throw new RequestException($"the target is {text.Length:N0} characters long; the limit is {ServeLimits.MaxValuesLength:N0}");
        }

        Tensor value;
        try
        {
            value = ExplainArray.Parse(text.Trim());
        }
        catch (ExplainException e)
        {
            throw new RequestException($"'target': {e.Message}");
        }

        return value.Numel <= ServeLimits.MaxInputs
            ? value
            : throw new RequestException($"the target has {value.Numel:N0} entries; the limit is {ServeLimits.MaxInputs}");
    }

    /// <summary>Parses <c>w1=3,w2=4,w3=-5</c> (spaces allowed) into name/value pairs in the given order.</summary>
    internal static List<KeyValuePair<string, double>> ParseValues(string? text)
    {
        var values = new List<KeyValuePair<string, double>>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return values;
        }

        if (text.Length > ServeLimits.MaxValuesLength)
        {
            throw new RequestException($"the input values are {text.Length:N0} characters long; the limit is {ServeLimits.MaxValuesLength:N0}");
        }

        foreach (string part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !TryParseNumber(part[(eq + 1)..].Trim(), out double value))
            {
                throw new RequestException($"'at': expected NAME=NUMBER separated by commas (e.g. w1=3,w2=4), got '{Shorten(part)}'");
            }

            if (values.Count == ServeLimits.MaxInputs)
            {
                throw new RequestException($"more than {ServeLimits.MaxInputs} input values; the limit is {ServeLimits.MaxInputs}");
            }

            values.Add(KeyValuePair.Create(part[..eq].Trim(), value));
        }

        return values;
    }

    private static double? OptionalNumber(string name, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return TryParseNumber(text.Trim(), out double value)
            ? value
            : throw new RequestException(name == "target"
                ? $"'target' must be a number, or in the matrix form an array such as [0.01,0.99], got '{Shorten(text)}'"
                : $"'{name}' must be a number, got '{Shorten(text)}'");
    }

    /// <summary>A finite number in invariant culture (<c>0.5</c>, <c>-3</c>, <c>1e-3</c>); not NaN, ∞ or <c>1,5</c>.</summary>
    private static bool TryParseNumber(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    /// <summary>User text quoted in a message, cut to a readable length.</summary>
    internal static string Shorten(string text) => text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");
}
