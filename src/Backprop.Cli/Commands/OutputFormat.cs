using System.CommandLine;
using System.Text.Json;

namespace Backprop.Cli.Commands;

/// <summary>
/// <c>--format text|json</c>, the same option on every command with a machine-readable form (eval,
/// inspect, gradcheck, bench, train), and the writer of its JSON: one object per line on stdout
/// (JSON Lines), numbers in full precision, keys in snake_case as the text output names them.
/// </summary>
internal static class OutputFormat
{
    public const string Text = "text";
    public const string Json = "json";

    private static readonly JsonWriterOptions s_options = new() { Indented = false };

    /// <summary>The option, with <paramref name="json"/> describing what the JSON form prints.</summary>
    public static Option<string> Create(string json)
    {
        var option = new Option<string>("--format") { Description = $"text (default) or json: {json}", DefaultValueFactory = _ => Text };
        option.AcceptOnlyFromAmong(Text, Json);
        return option;
    }

    /// <summary>Writes one JSON object as one line of stdout.</summary>
    public static void WriteLine(Action<Utf8JsonWriter> writeProperties)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, s_options))
        {
            writer.WriteStartObject();
            writeProperties(writer);
            writer.WriteEndObject();
        }

        Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        Console.Out.Flush();
    }

    /// <summary>A number, or null for NaN and ±Inf (which JSON cannot hold).</summary>
    public static void Number(Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumber(name, value);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
