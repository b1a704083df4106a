using System.Globalization;
using System.Runtime.Intrinsics;
using System.Text.Json;
using Backprop;
using Backprop.Cli.Bench;
using Backprop.InferBench;

// `./backprop bench infer [--model M] [--batch B] [--threads T] [--rounds N] [--format text|json]`:
// Backprop's forward and ONNX Runtime's on the same exported model, alternating in one process.
if (args is ["--help"] or ["-h"] or ["-?"])
{
    Console.WriteLine("""
        Usage: ./backprop bench infer [--model mlp|cnn|lstm|all] [--batch 1,256] [--threads 1,2] [--rounds 7] [--format text|json]

        Times the forward pass of each model at each batch size and thread count in Backprop
        (the model frozen once by Module.Freeze(), eval mode, under NoGrad) and in ONNX Runtime (CPU,
        the model exported by Backprop, its session built once, the same thread count as intra-op
        threads, inter-op 1, sequential, ORT_ENABLE_ALL), alternating rounds
        of about 75 ms, and prints one line per configuration: the medians of the per-call times, of
        the ratio backprop/ort within each pair, and of the bytes one Backprop call allocates.
        """);
    return 0;
}

InferenceSettings settings;
try
{
    settings = InferenceSettings.FromArguments(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"bench: {e.Message}");
    return 1;
}

Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"bench infer: onnxruntime {OnnxRuntimeTwin.Version} CPU (ORT_ENABLE_ALL, intra-op threads = threads, inter-op 1, sequential); backprop Module.Freeze() once, eval mode under NoGrad; " +
    $"{(Vector512.IsHardwareAccelerated ? "avx512" : Vector256.IsHardwareAccelerated ? "avx2" : "no avx2")}, {Environment.ProcessorCount} cores; medians of {settings.Rounds} alternating pairs"));
foreach (var result in InferenceBenchmark.Run(settings, new OnnxRuntimeTwin()))
{
    if (settings.Json)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stdout))
        {
            writer.WriteStartObject();
            result.WriteJson(writer);
            writer.WriteEndObject();
        }

        stdout.WriteByte((byte)'\n');
        continue;
    }

    Console.WriteLine(result.Line());
}

return 0;
