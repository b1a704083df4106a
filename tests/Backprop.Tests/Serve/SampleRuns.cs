using Backprop.Diagnostics;
using Backprop.Serialization;

namespace Backprop.Tests.Serve;

/// <summary>
/// A folder of runs laid out as <c>backprop train</c> writes them, for the run watcher's tests:
/// <c>runs/demo</c> (a history, a gradient report and a checkpoint with settings),
/// <c>runs/broken</c> (a half-written history.json), and beside the runs folder a file whose
/// first line is <see cref="Secret"/>, with links to it from inside (<c>runs/leak/history.csv</c>,
/// <c>runs/outside</c>) that the server must not follow.
/// </summary>
public sealed class SampleRuns : IDisposable
{
    /// <summary>The first line of a file outside the runs folder: no answer may ever contain it.</summary>
    public const string Secret = "TOP-SECRET-OUTSIDE-THE-RUNS-FOLDER";

    private readonly string _top;

    public SampleRuns()
    {
        _top = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "backprop-runs-tests-" + Guid.NewGuid().ToString("N"));
        Path = System.IO.Path.Combine(_top, "runs");
        string outside = System.IO.Path.Combine(_top, "outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(System.IO.Path.Combine(outside, "history.csv"), Secret + "\n1,2,3,4,5\n");
        File.WriteAllText(System.IO.Path.Combine(outside, "history.json"), "[{\"epoch\": 999, \"train_loss\": 1, \"test_loss\": 1, \"test_acc\": 0.999, \"epoch_s\": 1}]");

        string demo = Run("demo");
        WriteHistory(demo, 3);
        File.WriteAllText(System.IO.Path.Combine(demo, "gradients.csv"), GradientHealth.CsvHeader + "\n1,0,0,sigmoid,0.01,0.5,\n1,1,2,none,0.2,,\n2,0,0,sigmoid,0.02,0.4,\n2,1,2,none,0.3,,\n");
        WriteCheckpoint(demo, """{"Data":"digits","LabelColumn":null,"Model":"mlp","Epochs":30,"BatchSize":32,"Lr":0.001,"Optimizer":"adam","Schedule":"cosine","Seed":7}""");

        File.WriteAllText(System.IO.Path.Combine(Run("broken"), "history.json"), "[{\"epoch\": 1, \"train_loss\": 0.5, \"test_lo");

        File.CreateSymbolicLink(System.IO.Path.Combine(Run("leak"), "history.csv"), System.IO.Path.Combine(outside, "history.csv"));
        Directory.CreateSymbolicLink(System.IO.Path.Combine(Path, "outside"), outside);
    }

    /// <summary>The runs folder.</summary>
    public string Path { get; }

    /// <summary>Creates the run folder <paramref name="name"/> and returns its path.</summary>
    public string Run(string name) => Directory.CreateDirectory(System.IO.Path.Combine(Path, name)).FullName;

    /// <summary>Writes history.json (atomically, as train does) with <paramref name="epochs"/> epochs whose loss falls.</summary>
    public static void WriteHistory(string folder, int epochs)
    {
        var history = new TrainingHistory();
        for (int e = 1; e <= epochs; e++)
        {
            history.Add(e, 2.0 / e, 2.5 / e, 1 - (0.5 / e), 0.25);
        }

        history.WriteJson(System.IO.Path.Combine(folder, "history.json"));
    }

    /// <summary>Writes a small checkpoint whose metadata holds <paramref name="options"/> as train stores its settings.</summary>
    public static void WriteCheckpoint(string folder, string options) =>
        Checkpoint.Save(System.IO.Path.Combine(folder, "checkpoint.safetensors"), new CheckpointData(
            new Dictionary<string, Tensor> { ["w"] = Tensor.Zeros(2) },
            [],
            1,
            new Dictionary<string, ulong[]> { ["data_loader"] = [1, 2, 3, 4] },
            new Dictionary<string, string> { ["options"] = options }));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_top, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
