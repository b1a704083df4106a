using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Backprop.Cli.Training;
using Backprop.NN;
using Backprop.Onnx;

// One harness for both sides of `bench infer`: the CLI compiles this file (Backprop alone), and
// benchmarks/Backprop.InferBench links it with LstmClassifier.cs and adds ONNX Runtime as the twin.
// It therefore uses nothing of the CLI but LstmClassifier: no System.CommandLine, no console helpers.
namespace Backprop.Cli.Bench;

/// <summary>One configuration of <c>bench infer</c>: a model forwarding a batch with a thread count.</summary>
/// <param name="Model">mlp, cnn or lstm.</param>
/// <param name="Batch">Rows per forward call.</param>
/// <param name="Threads">Backprop's <see cref="Threading.NumThreads"/>, and the twin's intra-op threads.</param>
internal sealed record InferenceCase(string Model, int Batch, int Threads);

/// <summary>What <c>bench infer</c> runs: every model × batch × thread count, each timed in <paramref name="Rounds"/> rounds.</summary>
/// <param name="Models">Models, from <see cref="InferenceBenchmark.ModelNames"/>.</param>
/// <param name="Batches">Batch sizes, each at least 1.</param>
/// <param name="Threads">Thread counts, each at least 1.</param>
/// <param name="Rounds">Timed rounds per configuration (per side), at least 1.</param>
/// <param name="Json">One JSON object per configuration instead of the text line (<c>--format json</c>).</param>
internal sealed record InferenceSettings(IReadOnlyList<string> Models, IReadOnlyList<int> Batches, IReadOnlyList<int> Threads, int Rounds, bool Json = false)
{
    /// <summary>The value of --model, --batch and --threads when not given.</summary>
    public const string DefaultModel = "all", DefaultBatch = "1,256", DefaultThreads = "1,2";

    /// <summary>The value of --rounds when not given.</summary>
    public const int DefaultRounds = 7;

    /// <summary>
    /// The settings from the options' text: <paramref name="model"/> is mlp, cnn, lstm, all or a
    /// comma-separated list of them; <paramref name="batch"/> and <paramref name="threads"/> are
    /// comma-separated positive whole numbers. A bad value is an <see cref="ArgumentException"/>
    /// naming the option and the value.
    /// </summary>
    public static InferenceSettings Parse(string model, string batch, string threads, int rounds)
    {
        var models = new List<string>();
        foreach (string name in Items("--model", model))
        {
            if (name == "all")
            {
                models.AddRange(InferenceBenchmark.ModelNames);
            }
            else if (InferenceBenchmark.ModelNames.Contains(name))
            {
                models.Add(name);
            }
            else
            {
                throw new ArgumentException($"--model must be {string.Join(", ", InferenceBenchmark.ModelNames)} or all, got '{name}'");
            }
        }

        if (rounds < 1)
        {
            throw new ArgumentException($"--rounds must be at least 1, got {rounds}");
        }

        return new([.. models.Distinct()], Counts("--batch", batch), Counts("--threads", threads), rounds);
    }

    /// <summary>
    /// The settings from a command line of <c>--model M --batch B --threads T --rounds N --format
    /// text|json</c>, each optional and also written <c>--name=value</c> (the twin's arguments, which
    /// <c>./backprop bench infer</c> passes on as the CLI's own <c>bench infer</c> takes them).
    /// </summary>
    public static InferenceSettings FromArguments(IReadOnlyList<string> args)
    {
        string model = DefaultModel, batch = DefaultBatch, threads = DefaultThreads, rounds = DefaultRounds.ToString(CultureInfo.InvariantCulture), format = "text";
        for (int i = 0; i < args.Count; i++)
        {
            string name = args[i], value;
            int equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                (name, value) = (name[..equals], name[(equals + 1)..]);
            }
            else if (name is "--model" or "--batch" or "--threads" or "--rounds" or "--format")
            {
                value = i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value");
            }
            else
            {
                value = "";
            }

            switch (name)
            {
                case "--model": model = value; break;
                case "--batch": batch = value; break;
                case "--threads": threads = value; break;
                case "--rounds": rounds = value; break;
                case "--format": format = value; break;
                default: throw new ArgumentException($"unknown argument '{args[i]}' (expected --model, --batch, --threads, --rounds or --format)");
            }
        }

        if (format is not ("text" or "json"))
        {
            throw new ArgumentException($"--format must be text or json, got '{format}'");
        }

        if (!int.TryParse(rounds, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n))
        {
            throw new ArgumentException($"--rounds must be a whole number, got '{rounds}'");
        }

        return Parse(model, batch, threads, n) with { Json = format == "json" };
    }

    /// <summary>Every configuration, models outermost, then batches, then thread counts.</summary>
    public IEnumerable<InferenceCase> Cases() =>
        from m in Models from b in Batches from t in Threads select new InferenceCase(m, b, t);

    private static string[] Items(string option, string text)
    {
        var items = text.Split(',', StringSplitOptions.TrimEntries);
        if (items.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException($"{option} must be a comma-separated list without empty items, got '{text}'");
        }

        return items;
    }

    private static int[] Counts(string option, string text)
    {
        var counts = new List<int>();
        foreach (string item in Items(option, text))
        {
            if (!int.TryParse(item, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n))
            {
                throw new ArgumentException($"{option} must be whole numbers separated by commas (e.g. 1,256), got '{item}'");
            }

            counts.Add(n >= 1 ? n : throw new ArgumentException($"{option} must be at least 1, got {n}"));
        }

        return [.. counts.Distinct()];
    }
}

/// <summary>One forward call of the other runtime, prepared (session, input, output) outside the timing.</summary>
internal interface IInferenceCall : IDisposable
{
    /// <summary>Runs the model once on the prepared input.</summary>
    void Run();
}

/// <summary>The runtime <c>bench infer</c> compares Backprop with (ONNX Runtime, in benchmarks/Backprop.InferBench).</summary>
internal interface IInferenceTwin
{
    /// <summary>The field name of its time in the output line without <c>_us</c>, e.g. <c>ort</c>.</summary>
    string Name { get; }

    /// <summary>Prepares <paramref name="onnx"/>, the model Backprop exported, to run on <paramref name="input"/> with <paramref name="threads"/> threads.</summary>
    IInferenceCall Prepare(string model, byte[] onnx, Tensor input, int threads);
}

/// <summary>
/// The measured result of one configuration: medians over the rounds of the per-call time of each
/// side, of the ratio of the two within each alternating pair, and of the bytes one Backprop call
/// allocated on the calling thread.
/// </summary>
internal sealed record InferenceResult(InferenceCase Case, double BackpropSeconds, long AllocatedBytes, string? TwinName, double TwinSeconds, double Ratio, double RatioMin, double RatioMax, int Rounds)
{
    /// <summary>
    /// <c>infer mlp batch 1 threads 1 backprop_us 77.1 alloc_b 12345</c>, or with a twin
    /// <c>infer mlp batch 1 threads 1 backprop_us 94.0 ort_us 18.0 ratio 5.22 alloc_b 12345 ratio_min 5.01 ratio_max 5.60 pairs 7</c>.
    /// </summary>
    public string Line()
    {
        var c = Case;
        string head = string.Create(CultureInfo.InvariantCulture, $"infer {c.Model} batch {c.Batch} threads {c.Threads} backprop_us {BackpropSeconds * 1e6:F1}");
        return TwinName is null
            ? string.Create(CultureInfo.InvariantCulture, $"{head} alloc_b {AllocatedBytes}")
            : string.Create(CultureInfo.InvariantCulture, $"{head} {TwinName}_us {TwinSeconds * 1e6:F1} ratio {Ratio:F2} alloc_b {AllocatedBytes} ratio_min {RatioMin:F2} ratio_max {RatioMax:F2} pairs {Rounds}");
    }

    /// <summary>The line's fields as the properties of a JSON object (<c>"kind": "infer"</c>, <c>"model"</c>, <c>"batch"</c>, …), unrounded.</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        writer.WriteString("kind", "infer");
        writer.WriteString("model", Case.Model);
        writer.WriteNumber("batch", Case.Batch);
        writer.WriteNumber("threads", Case.Threads);
        writer.WriteNumber("backprop_us", BackpropSeconds * 1e6);
        if (TwinName is not null)
        {
            writer.WriteNumber(TwinName + "_us", TwinSeconds * 1e6);
            writer.WriteNumber("ratio", Ratio);
        }

        writer.WriteNumber("alloc_b", AllocatedBytes);
        if (TwinName is not null)
        {
            writer.WriteNumber("ratio_min", RatioMin);
            writer.WriteNumber("ratio_max", RatioMax);
            writer.WriteNumber("pairs", Rounds);
        }
    }
}

/// <summary>
/// The forward (inference) benchmark of <c>bench infer</c>: the MLP 784-256-128-10 (ReLU), the CNN
/// yardstick <c>cnn:784-10</c> and the row-LSTM of <c>bench lstm</c>, untrained with fixed seeds,
/// run by Backprop as a server would run it: the model in eval mode, frozen once by
/// <see cref="Module.Freeze"/> (weights copied and packed for their kernels before the timing, as
/// ONNX Runtime's side builds its session once), each call under its own <see cref="Autograd.NoGrad"/>,
/// on a fixed input. The frozen model's output is bit-identical to the eval-mode forward's. Each side is warmed
/// up, then timed in rounds of enough calls to last about 75 ms; with a twin the rounds alternate
/// Backprop / twin (the order swapped every pair, so a drift of the machine's speed hits both), and
/// the ratio is taken within each pair. Allocation is
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/> around a round, per call: the calling
/// thread's, not the kernels' worker threads'.
/// </summary>
internal static class InferenceBenchmark
{
    /// <summary>The models, in the order <c>all</c> runs them.</summary>
    public static readonly string[] ModelNames = ["mlp", "cnn", "lstm"];

    /// <summary>Pixels per image (Fashion-MNIST's 28×28) and classes: the bench recipes' sizes.</summary>
    public const int Features = 784, Classes = 10;

    /// <summary>The seed of the weights (of every model); the input is drawn from the next one.</summary>
    public const long Seed = 0;

    private static readonly TimeSpan s_round = TimeSpan.FromMilliseconds(75);

    /// <summary>How long <see cref="Settle"/> waits: longer than either pool spins.</summary>
    private static readonly TimeSpan s_settle = TimeSpan.FromMilliseconds(30);
    private static readonly TimeSpan s_warmUp = TimeSpan.FromMilliseconds(200);

    /// <summary>A fresh model in eval mode, its weights drawn from <see cref="Seed"/>: the same weights for the same name.</summary>
    public static Module CreateModel(string name)
    {
        var init = new Generator(Seed);
        Module model = name switch
        {
            "mlp" => ModelSpec.Parse("784-256-128-10:relu").Build(init),
            "cnn" => ModelSpec.Parse("cnn:784-10").Build(init),
            "lstm" => new LstmClassifier(Features, LstmClassifier.DefaultHidden, Classes, init),
            _ => throw new ArgumentException($"--model must be {string.Join(", ", ModelNames)} or all, got '{name}'"),
        };
        model.Eval();
        return model;
    }

    /// <summary>The input of a <paramref name="batch"/>: pixels uniform in [0, 1), drawn from <see cref="Seed"/> + 1.</summary>
    public static Tensor CreateInput(int batch) => Tensor.Rand([batch, Features], generator: new Generator(Seed + 1));

    /// <summary>The ONNX file the twin runs: <paramref name="model"/> exported by Backprop (opset 17, dynamic batch).</summary>
    public static byte[] ToOnnx(Module model) => OnnxExport.ToBytes(model, [1, Features]);

    /// <summary>Runs every configuration of <paramref name="settings"/>, yielding each result as it is measured.</summary>
    public static IEnumerable<InferenceResult> Run(InferenceSettings settings, IInferenceTwin? twin = null)
    {
        int threadsBefore = Threading.NumThreads;
        try
        {
            foreach (string name in settings.Models)
            {
                var source = CreateModel(name);
                byte[]? onnx = twin is null ? null : ToOnnx(source);
                var model = Serve(source);
                foreach (int batch in settings.Batches)
                {
                    var input = CreateInput(batch);
                    foreach (int threads in settings.Threads)
                    {
                        Threading.NumThreads = threads;
                        using var call = twin?.Prepare(name, onnx!, input, threads);
                        yield return Measure(new InferenceCase(name, batch, threads), model, input, twin?.Name, call, settings.Rounds);
                    }
                }
            }
        }
        finally
        {
            Threading.NumThreads = threadsBefore;
        }
    }

    /// <summary>The model as Backprop's side serves it: <see cref="Module.Freeze"/>d once, before any timing.</summary>
    public static Module Serve(Module model) => model.Freeze();

    /// <summary>One Backprop forward call as the benchmark times it, on the <see cref="Serve"/>d model (also what the tests compare with the twin).</summary>
    public static Tensor Forward(Module model, Tensor input)
    {
        using (Autograd.NoGrad())
        {
            return model.Forward(input);
        }
    }

    private static InferenceResult Measure(InferenceCase c, Module model, Tensor input, string? twinName, IInferenceCall? twin, int rounds)
    {
        // Start each configuration from a collected heap, so garbage of the one before is not paid here.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        Action backprop = () => Forward(model, input);
        Action? other = twin is null ? null : twin.Run;
        int backpropCalls = CallsPerRound(backprop);
        int twinCalls = other is null ? 0 : CallsPerRound(other);

        var backpropTimes = new double[rounds];
        var allocated = new long[rounds];
        var twinTimes = new double[rounds];
        var ratios = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            if (other is not null && r % 2 == 1)
            {
                Settle();
                (twinTimes[r], _) = Round(other, twinCalls);
            }

            Settle();
            (backpropTimes[r], allocated[r]) = Round(backprop, backpropCalls);
            if (other is not null && r % 2 == 0)
            {
                Settle();
                (twinTimes[r], _) = Round(other, twinCalls);
            }

            ratios[r] = other is null ? double.NaN : backpropTimes[r] / twinTimes[r];
        }

        return new InferenceResult(
            c,
            Median(backpropTimes),
            (long)Median([.. allocated.Select(a => (double)a)]),
            twinName,
            other is null ? double.NaN : Median(twinTimes),
            other is null ? double.NaN : Median(ratios),
            ratios.Min(),
            ratios.Max(),
            rounds);
    }

    /// <summary>Warms <paramref name="call"/> up for at least <see cref="s_warmUp"/> (and 3 calls) and returns how many calls last about one round.</summary>
    private static int CallsPerRound(Action call)
    {
        var clock = Stopwatch.StartNew();
        int calls = 0;
        TimeSpan last;
        do
        {
            var start = clock.Elapsed;
            call();
            last = clock.Elapsed - start;
            calls++;
        }
        while (calls < 3 || clock.Elapsed < s_warmUp);

        // The last calls are the warm ones: time a few more to estimate one call.
        int probe = (int)Math.Clamp(s_round.Ticks / 4.0 / Math.Max(last.Ticks, 1), 1, 1000);
        var (seconds, _) = Round(call, probe);
        return (int)Math.Clamp(Math.Round(s_round.TotalSeconds / seconds), 1, 1_000_000);
    }

    /// <summary>
    /// A pause before each timed round: both runtimes' worker threads spin for a while after their last
    /// work before they sleep (ONNX Runtime's intra-op pool by default, Backprop's workers briefly), and
    /// without it the side timed second shared the cores with the first side's spinning threads (bench
    /// infer mlp batch 256, 2 threads: Backprop 977 µs right after ONNX Runtime, 690–750 µs alone).
    /// </summary>
    private static void Settle() => Thread.Sleep(s_settle);

    /// <summary>Runs <paramref name="call"/> <paramref name="calls"/> times: seconds and bytes allocated on this thread, per call.</summary>
    private static (double Seconds, long Allocated) Round(Action call, int calls)
    {
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++)
        {
            call();
        }

        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        return (seconds / calls, allocated / calls);
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }
}
