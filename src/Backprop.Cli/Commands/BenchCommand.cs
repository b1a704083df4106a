using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Backprop.Cli.Bench;
using Backprop.Cli.Training;
using Backprop.Distributed;

namespace Backprop.Cli.Commands;

/// <summary>
/// <c>backprop bench mlp|cnn|lstm|scalar|sgemm|infer</c>: the recipes of shared/bench/README.md, printing PyTorch's line
/// format (<c>KIND epoch N train_loss L test_acc A epoch_s S</c>) so the two run one after the other;
/// sgemm prints square GEMM throughput, then the training recipes' products, in the format of benchmarks/compare/torch_sgemm.py.
/// infer times the forward pass (<see cref="InferenceBenchmark"/>); ONNX Runtime's side of it is
/// benchmarks/Backprop.InferBench, which the repository's <c>./backprop bench infer</c> runs instead,
/// since the CLI does not depend on ONNX Runtime.
/// Under <c>mpirun -np N</c> the recipes train data-parallel as <c>train</c> does (the global batch of
/// 128 split across the ranks); rank 0 alone prints the lines, and on stderr each epoch's
/// all-reduce time and the part of it the steps waited for (docs/distributed.md).
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var kind = new Argument<string>("KIND") { Description = "mlp (Fashion-MNIST 784-256-128-10, Adam 1e-3, batch 128), cnn (the same with the conv 16-32 recipe), lstm (rows as 28 steps, LSTM(128), Linear; same recipe), scalar (micrograd's demo step), sgemm (square float32 GEMM, n = 256..2048, then the mlp and lstm recipes' products) or infer (the forward pass of the mlp, cnn and lstm models, untrained, frozen once by Module.Freeze() (eval mode, weights packed for their kernels, as ONNX Runtime builds its session once), under NoGrad: time and bytes allocated per call; run as ./backprop bench infer in the repository it prints ONNX Runtime's time beside it)." };
        kind.AcceptOnlyFromAmong("mlp", "cnn", "lstm", "scalar", "sgemm", "infer");
        var epochs = new Option<int>("--epochs") { Description = "Epochs (mlp, cnn, lstm), steps (scalar) or timed repeats per size (sgemm).", DefaultValueFactory = _ => 10 };
        var threads = new Option<string?>("--threads") { Description = $"Threads for the kernels (default: all cores); infer: a comma-separated list, each configuration run with each (default {InferenceSettings.DefaultThreads})." };
        var engine = new Option<string>("--engine")
        {
            Description = "scalar only: tape (the flat-array Tape engine) or value (the readable Value engine).",
            DefaultValueFactory = _ => "tape",
        };
        engine.AcceptOnlyFromAmong("tape", "value");
        // No single default: each kind keeps the seed of the run it is compared with.
        var seed = new Option<long?>("--seed")
        {
            Description = $"Seed of the run: mlp, cnn, lstm: initialization and shuffling (default 0, as torch_fmnist.py's manual_seed(0)); scalar: the initial weights (default {ScalarBenchmark.DefaultSeed}, as micrograd's demo); sgemm: the matrices (default 0).",
        };
        var bucketCap = new Option<double>("--bucket-cap-mb")
        {
            Description = $"mlp, cnn, lstm under mpirun: the size of a gradient bucket in MB (PyTorch's bucket_cap_mb, default {DistributedDataParallel.DefaultBucketCapMB}); each bucket's all-reduce starts during backward once its gradients are ready, so buckets smaller than the model let communication hide behind backward.",
            DefaultValueFactory = _ => DistributedDataParallel.DefaultBucketCapMB,
        };
        var inferModel = new Option<string>("--model")
        {
            Description = "infer only: mlp (784-256-128-10 ReLU), cnn (the cnn recipe's conv 16-32, cnn:784-10), lstm (the lstm recipe's model), all, or a comma-separated list.",
            DefaultValueFactory = _ => InferenceSettings.DefaultModel,
        };
        var batch = new Option<string>("--batch") { Description = "infer only: batch sizes, comma-separated.", DefaultValueFactory = _ => InferenceSettings.DefaultBatch };
        var rounds = new Option<int>("--rounds")
        {
            Description = "infer only: timed rounds of about 75 ms per configuration; the median per-call time is printed.",
            DefaultValueFactory = _ => InferenceSettings.DefaultRounds,
        };
        var format = OutputFormat.Create("one line per epoch, size, step or configuration with the text line's fields as keys (\"kind\", \"epoch\", \"train_loss\", \"test_acc\", \"epoch_s\"; \"n\", \"gflops\" or \"shape\", \"m\", \"n\", \"k\", \"op\", \"gflops\"; \"step\", \"loss\", \"accuracy\", \"step_s\"; \"model\", \"batch\", \"threads\", \"backprop_us\", \"alloc_b\"), the summary on stderr as in text.");
        var command = new Command("bench", "Run a benchmark recipe and print PyTorch's line format, or time inference (infer; ONNX Runtime's side from the repository's ./backprop bench infer).")
        {
            kind, epochs, threads, engine, seed, bucketCap, inferModel, batch, rounds, format,
        };
        command.SetAction(result => CommandRunner.Run("bench", () => DistributedTraining.Run("bench", () =>
        {
            s_json = result.GetValue(format) == OutputFormat.Json;
            string name = result.GetValue(kind)!;
            if (name == "infer")
            {
                return RunInfer(InferenceSettings.Parse(result.GetValue(inferModel)!, result.GetValue(batch)!, result.GetValue(threads) ?? InferenceSettings.DefaultThreads, result.GetValue(rounds)));
            }

            if (result.GetValue(threads) is string text)
            {
                int t = int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int parsed)
                    ? parsed
                    : throw new ArgumentException($"--threads must be one whole number for {name} (a list only for infer), got '{text}'");
                Threading.NumThreads = t >= 1 ? t : throw new ArgumentException($"--threads must be at least 1, got {t}");
            }

            int n = result.GetValue(epochs);
            if (n < 1)
            {
                throw new ArgumentException($"--epochs must be at least 1, got {n}");
            }

            double cap = result.GetValue(bucketCap);
            if (!(cap > 0))
            {
                throw new ArgumentException($"--bucket-cap-mb must be positive, got {cap.ToString(CultureInfo.InvariantCulture)}");
            }

            if (DistributedTraining.Current is not null && name is "scalar" or "sgemm")
            {
                throw new ArgumentException($"{name} runs in one process: under mpirun only mlp, cnn and lstm train data-parallel");
            }

            return name switch
            {
                "scalar" => RunScalar(n, result.GetValue(engine) == "value" ? ScalarEngine.Value : ScalarEngine.Tape, result.GetValue(seed) ?? ScalarBenchmark.DefaultSeed),
                "sgemm" => RunSgemm(n, result.GetValue(seed) ?? 0),
                "cnn" => RunRecipe("cnn", "cnn:784-10", n, result.GetValue(seed) ?? 0, cap),
                "lstm" => RunRecipe("lstm", "lstm", n, result.GetValue(seed) ?? 0, cap),
                _ => RunRecipe("mlp", "784-256-128-10:relu", n, result.GetValue(seed) ?? 0, cap),
            };
        })));
        return command;
    }

    private static bool s_json;

    /// <summary>
    /// infer: Backprop's forward time and allocation per call, one line per model, batch and thread
    /// count (<see cref="InferenceResult.Line"/>, or its fields as JSON). The CLI has no ONNX Runtime;
    /// a line on stderr says where its side runs.
    /// </summary>
    private static int RunInfer(InferenceSettings settings)
    {
        if (DistributedTraining.Current is not null)
        {
            throw new ArgumentException("infer runs in one process: under mpirun only mlp, cnn and lstm train data-parallel");
        }

        Console.Error.WriteLine("bench infer: Backprop's side only; ONNX Runtime's side runs from the repository's ./backprop bench infer (benchmarks/Backprop.InferBench)");
        foreach (var result in InferenceBenchmark.Run(settings))
        {
            if (s_json)
            {
                OutputFormat.WriteLine(result.WriteJson);
                continue;
            }

            Console.WriteLine(result.Line());
        }

        return 0;
    }

    private static int RunRecipe(string name, string model, int epochs, long seed, double bucketCapMB)
    {
        var options = new TrainOptions("fashion-mnist", null, model, epochs, 128, 1e-3, "adam", "none", seed);
        var trainer = new Trainer(options, DataSource.Load(options.Data, null));

        // mpirun: every rank has its data and model; agree, broadcast rank 0's weights, attach DDP.
        var distributed = DistributedTraining.Current;
        distributed?.Ready(trainer.Model, bucketCapMB);
        bool root = distributed is not { IsRoot: false };
        var communication = TimeSpan.Zero;
        var exposed = TimeSpan.Zero;
        if (distributed is not null)
        {
            trainer.EpochStarted = _ => (communication, exposed) = (TimeSpan.Zero, TimeSpan.Zero);
            trainer.AfterBackward = () =>
            {
                communication += distributed.Ddp!.LastCommunication;
                exposed += distributed.Ddp.LastExposedCommunication;
            };
        }

        string folder = Directory.CreateTempSubdirectory("backprop-bench-").FullName;
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        int[] gcBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        var pauseBefore = GC.GetTotalPauseDuration();
        int steps = 0;
        trainer.BatchCompleted = (_, _, _, _) => steps++;
        trainer.EpochCompleted = e =>
        {
            if (distributed is { IsRoot: true })
            {
                // The gradients' all-reduce over the epoch's steps, and the part the steps waited for
                // after backward (the rest ran hidden behind backward).
                Console.Error.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"ddp epoch {e.Epoch} world_size {distributed.WorldSize} threads {Threading.NumThreads} allreduce_s {communication.TotalSeconds:F3} exposed_s {exposed.TotalSeconds:F3} hidden_pct {Hidden(communication, exposed):F0}"));
            }

            if (s_json)
            {
                OutputFormat.WriteLine(w =>
                {
                    w.WriteString("kind", name);
                    w.WriteNumber("epoch", e.Epoch);
                    OutputFormat.Number(w, "train_loss", e.TrainLoss);
                    OutputFormat.Number(w, "test_acc", e.TestAccuracy);
                    OutputFormat.Number(w, "epoch_s", e.Seconds);
                });
                return;
            }

            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{name} epoch {e.Epoch} train_loss {e.TrainLoss:F4} test_acc {e.TestAccuracy:F4} epoch_s {e.Seconds:F2}"));
        };
        try
        {
            trainer.Run(Path.Combine(folder, "checkpoint.safetensors"), CancellationToken.None);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        if (!root)
        {
            return 0;
        }

        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        using var process = Process.GetCurrentProcess();
        string world = distributed is null ? "" : $"world_size {distributed.WorldSize} ";
        Console.Error.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{world}threads {Threading.NumThreads} peak_rss_mb {process.PeakWorkingSet64 / (1024.0 * 1024):F0} allocated_per_step_kb {allocated / 1024.0 / Math.Max(steps, 1):F0} " +
            $"gc {GC.CollectionCount(0) - gcBefore[0]}/{GC.CollectionCount(1) - gcBefore[1]}/{GC.CollectionCount(2) - gcBefore[2]} gc_pause_ms {(GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds:F0}"));
        return 0;
    }

    /// <summary>The percentage of the all-reduce time that the steps did not wait for (0 when there was none).</summary>
    private static double Hidden(TimeSpan communication, TimeSpan exposed) =>
        communication > TimeSpan.Zero ? Math.Clamp(100 * (1 - (exposed / communication)), 0, 100) : 0;

    private static int RunSgemm(int repeats, long seed)
    {
        foreach (var (size, gflops) in SgemmBenchmark.Run(repeats, seed))
        {
            if (s_json)
            {
                OutputFormat.WriteLine(w =>
                {
                    w.WriteString("kind", "sgemm");
                    w.WriteNumber("n", size);
                    OutputFormat.Number(w, "gflops", gflops);
                });
                continue;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sgemm n {size} gflops {gflops:F1}"));
        }

        foreach (var (shape, gflops) in SgemmBenchmark.RunShapes(repeats, seed))
        {
            string op = $"{(shape.TransA ? 't' : 'n')}{(shape.TransB ? 't' : 'n')}";
            if (s_json)
            {
                OutputFormat.WriteLine(w =>
                {
                    w.WriteString("kind", "sgemm");
                    w.WriteString("shape", shape.Name);
                    w.WriteNumber("m", shape.M);
                    w.WriteNumber("n", shape.N);
                    w.WriteNumber("k", shape.K);
                    w.WriteString("op", op);
                    OutputFormat.Number(w, "gflops", gflops);
                });
                continue;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sgemm shape {shape.Name} m {shape.M} n {shape.N} k {shape.K} op {op} gflops {gflops:F1}"));
        }

        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"threads {Threading.NumThreads}"));
        return 0;
    }

    /// <summary>
    /// One line per step on stdout; on stderr the mean step time and the bytes allocated per step
    /// after the first (the tape engine allocates only while its arrays grow, in step 1).
    /// </summary>
    private static int RunScalar(int steps, ScalarEngine engine, long seed)
    {
        double total = 0;
        long allocatedAfterFirst = 0;
        foreach (var step in ScalarBenchmark.Run(steps, engine, seed))
        {
            total += step.Seconds;
            allocatedAfterFirst += step.Step > 1 ? step.AllocatedBytes : 0;
            if (s_json)
            {
                OutputFormat.WriteLine(w =>
                {
                    w.WriteString("kind", "scalar");
                    w.WriteNumber("step", step.Step);
                    OutputFormat.Number(w, "loss", step.Loss);
                    OutputFormat.Number(w, "accuracy", step.Accuracy);
                    OutputFormat.Number(w, "step_s", step.Seconds);
                });
                continue;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"scalar step {step.Step} loss {step.Loss:F4} accuracy {step.Accuracy:F2} step_s {step.Seconds:F4}"));
        }

        string allocated = steps > 1 ? (allocatedAfterFirst / 1024.0 / (steps - 1)).ToString("F1", CultureInfo.InvariantCulture) : "n/a";
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mean step_s {total / steps:F4} engine {engine.ToString().ToLowerInvariant()} allocated_per_step_kb {allocated} (after step 1)"));
        return 0;
    }
}
