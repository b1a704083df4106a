using System.CommandLine;
using System.Globalization;
using Backprop.Cli.Training;
using Backprop.Serialization;

namespace Backprop.Cli.Commands;

/// <summary><c>backprop inspect MODEL</c>: tensor names, shapes, dtypes, parameter count and metadata of a safetensors file.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "A .safetensors file (model or checkpoint)." };
        var format = OutputFormat.Create("one object {\"tensors\": [{\"name\", \"dtype\", \"shape\", \"non_finite\"}], \"parameters\", \"metadata\"}.");
        var command = new Command("inspect", "List the tensors of a safetensors file: names, shapes, dtypes and parameter count.") { model, format };
        command.SetAction(result => CommandRunner.Run("inspect", () => Run(result.GetValue(model)!, result.GetValue(format) == OutputFormat.Json)));
        return command;
    }

    private static int Run(string path, bool json)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"file not found: {Path.GetFullPath(path)}");
        }

        var header = SafeTensors.Inspect(path);
        // The values too, not only the header: a file that eval and predict refuse for NaN/Inf still shows, and says where.
        var nonFinite = NonFiniteWeights.Find(SafeTensors.Load(path)).ToDictionary(f => f.Name, f => f.Count, StringComparer.Ordinal);
        if (json)
        {
            OutputFormat.WriteLine(w =>
            {
                w.WriteStartArray("tensors");
                foreach (var t in header.Tensors)
                {
                    w.WriteStartObject();
                    w.WriteString("name", t.Name);
                    w.WriteString("dtype", t.FileDType);
                    w.WriteStartArray("shape");
                    foreach (int d in t.Shape)
                    {
                        w.WriteNumberValue(d);
                    }

                    w.WriteEndArray();
                    w.WriteNumber("non_finite", nonFinite.GetValueOrDefault(t.Name));
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteNumber("parameters", header.TotalNumel);
                w.WriteStartObject("metadata");
                foreach (var (key, value) in header.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    w.WriteString(key, value);
                }

                w.WriteEndObject();
            });
            return 0;
        }

        int nameWidth = Math.Max(4, header.Tensors.Select(t => t.Name.Length).DefaultIfEmpty(0).Max());
        Console.WriteLine($"{"name".PadRight(nameWidth)}  dtype  shape");
        foreach (var t in header.Tensors)
        {
            string note = nonFinite.TryGetValue(t.Name, out long count) ? string.Create(CultureInfo.InvariantCulture, $"  {count:N0} non-finite values (NaN/Inf)") : "";
            Console.WriteLine($"{t.Name.PadRight(nameWidth)}  {t.FileDType,-5}  ({string.Join("x", t.Shape)}){note}");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{header.Tensors.Count} tensors, {header.TotalNumel:N0} values"));
        if (nonFinite.Count > 0)
        {
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"non-finite values (NaN/Inf) in {nonFinite.Count} of {header.Tensors.Count} tensors ({nonFinite.Values.Sum():N0} values): eval, predict, export and train --resume refuse this file"));
        }
        foreach (var (key, value) in header.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            string shown = value.Length > 120 ? value[..117] + "..." : value;
            Console.WriteLine($"metadata {key} = {shown.ReplaceLineEndings(" ")}");
        }

        return 0;
    }
}
