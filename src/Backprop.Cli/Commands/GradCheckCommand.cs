using System.CommandLine;
using System.Globalization;

namespace Backprop.Cli.Commands;

/// <summary><c>backprop gradcheck [--op NAME] [--dtype float64]</c>: finite-difference checks of every registered op.</summary>
internal static class GradCheckCommand
{
    public static Command Create()
    {
        var op = new Option<string?>("--op") { Description = "Check only this op (see the list printed without --op)." };
        var dtype = new Option<string>("--dtype") { Description = "Element type of the check (float64 only: finite differences need it).", DefaultValueFactory = _ => "float64" };
        dtype.AcceptOnlyFromAmong("float64");
        var format = OutputFormat.Create("one line per op {\"op\", \"max_abs_err\", \"max_rel_err\", \"passed\"}, then {\"passed\", \"total\"}.");
        var command = new Command("gradcheck", "Check every op's backward against central finite differences (float64, eps 1e-6, atol 1e-5, rtol 1e-3).")
        {
            op,
            dtype,
            format,
        };
        command.SetAction(result => CommandRunner.Run("gradcheck", () => Run(result.GetValue(op), result.GetValue(format) == OutputFormat.Json)));
        return command;
    }

    private static int Run(string? name, bool json)
    {
        var ops = OpRegistry.All.Where(o => name is null || o.Name == name).ToList();
        if (ops.Count == 0)
        {
            throw new ArgumentException($"unknown op '{name}'; known ops: {string.Join(", ", OpRegistry.All.Select(o => o.Name))}");
        }

        int width = Math.Max(2, ops.Max(o => o.Name.Length));
        if (!json)
        {
            Console.WriteLine($"{"op".PadRight(width)}  {"max_abs_err",12}  {"max_rel_err",12}  result");
        }

        int failed = 0;
        foreach (var info in ops)
        {
            var result = info.Check();
            failed += result.Passed ? 0 : 1;
            if (json)
            {
                OutputFormat.WriteLine(w =>
                {
                    w.WriteString("op", info.Name);
                    OutputFormat.Number(w, "max_abs_err", result.MaxAbsError);
                    OutputFormat.Number(w, "max_rel_err", result.MaxRelError);
                    w.WriteBoolean("passed", result.Passed);
                });
                continue;
            }

            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{info.Name.PadRight(width)}  {result.MaxAbsError,12:E3}  {result.MaxRelError,12:E3}  {(result.Passed ? "pass" : "FAIL")}"));
        }

        if (json)
        {
            OutputFormat.WriteLine(w =>
            {
                w.WriteNumber("passed", ops.Count - failed);
                w.WriteNumber("total", ops.Count);
            });
        }
        else
        {
            Console.WriteLine($"{ops.Count - failed} of {ops.Count} ops passed");
        }

        return failed == 0 ? 0 : 1;
    }
}
