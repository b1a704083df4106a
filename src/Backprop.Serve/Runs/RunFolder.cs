using System.Globalization;
using System.Text;
using System.Text.Json;
using Backprop.Diagnostics;
using Backprop.Serialization;

namespace Backprop.Serve.Runs;

/// <summary>
/// One run of <c>backprop train</c> as its folder holds it: the history (history.json, else
/// history.csv, else the checkpoint's copy), the gradient report (gradients.csv), the settings
/// (the checkpoint's metadata) and whether it is finished. A file that is malformed, half
/// written or too large becomes a message in <see cref="Problems"/>, never an exception.
/// </summary>
internal sealed class RunFolder
{
    /// <summary>The largest history or gradient file read (a run of a million epochs stays well below it).</summary>
    public const long MaxFileBytes = 16 * 1024 * 1024;

    /// <summary>The files whose sizes and times tell whether a run changed.</summary>
    private static readonly string[] s_files = ["history.json", "history.csv", "gradients.csv", "checkpoint.safetensors", "model.safetensors"];

    /// <summary>The checkpoint's settings, by their JSON name, shown as the flag that sets them.</summary>
    private static readonly (string Key, string Flag)[] s_settings =
    [
        ("Data", "--data"), ("LabelColumn", "--label-column"), ("Model", "--model"), ("Epochs", "--epochs"), ("BatchSize", "--batch-size"),
        ("Lr", "--lr"), ("Optimizer", "--optimizer"), ("Schedule", "--schedule"), ("Augment", "--augment"), ("Standardize", "--standardize"), ("Seed", "--seed"),
    ];

    private RunFolder(string name, string stamp)
    {
        Name = name;
        Stamp = stamp;
    }

    /// <summary>The run's name (its folder's).</summary>
    public string Name { get; }

    /// <summary>The sizes and times of the run's files when it was read: equal stamps, equal contents.</summary>
    public string Stamp { get; }

    /// <summary>The epochs recorded so far.</summary>
    public IReadOnlyList<EpochRecord> Epochs { get; private set; } = [];

    /// <summary>The gradient report's rows, or null when the run has none.</summary>
    public IReadOnlyList<GradientDto>? Gradients { get; private set; }

    /// <summary>The run's settings as flags of <c>backprop train</c>, or null without a checkpoint.</summary>
    public IReadOnlyList<SettingDto>? Settings { get; private set; }

    /// <summary>The epochs the run was started for, or null when unknown.</summary>
    public int? PlannedEpochs { get; private set; }

    /// <summary>What could not be read, one message per file.</summary>
    public IReadOnlyList<string> Problems { get; private set; } = [];

    /// <summary>The files present.</summary>
    public IReadOnlyList<string> Files { get; private set; } = [];

    /// <summary>True when the run wrote its model after its last checkpoint: training ended.</summary>
    public bool Finished { get; private set; }

    /// <summary>When a file of the run (or the folder) was last written.</summary>
    public DateTime LastWriteUtc { get; private set; }

    /// <summary>
    /// The stamp of the run in <paramref name="folder"/>: each file's size and time. Cheap (no
    /// file is opened), so a page's poll for an unchanged run costs a few stat calls.
    /// </summary>
    /// <param name="runs">The runs folder.</param>
    /// <param name="folder">The run's folder.</param>
    /// <returns>The stamp.</returns>
    public static string StampOf(RunsFolder runs, string folder)
    {
        var sb = new StringBuilder();
        sb.Append(Directory.GetLastWriteTimeUtc(folder).Ticks.ToString(CultureInfo.InvariantCulture));
        foreach (string file in s_files)
        {
            sb.Append('|');
            if (runs.File(folder, file) is { } path)
            {
                var info = new FileInfo(path);
                sb.Append(CultureInfo.InvariantCulture, $"{info.Length}:{info.LastWriteTimeUtc.Ticks}");
            }
        }

        return sb.ToString();
    }

    /// <summary>Reads the run called <paramref name="name"/> in <paramref name="folder"/>.</summary>
    /// <param name="runs">The runs folder (which says which files may be read).</param>
    /// <param name="name">The run's name.</param>
    /// <param name="folder">The run's folder, from <see cref="RunsFolder.Find"/>.</param>
    /// <returns>The run; its problems say what could not be read.</returns>
    public static RunFolder Read(RunsFolder runs, string name, string folder)
    {
        var run = new RunFolder(name, StampOf(runs, folder));
        var problems = new List<string>();
        var paths = s_files.ToDictionary(f => f, f => runs.File(folder, f), StringComparer.Ordinal);
        run.Files = [.. s_files.Where(f => paths[f] is not null)];
        run.LastWriteUtc = paths.Values.OfType<string>().Select(File.GetLastWriteTimeUtc).Append(Directory.GetLastWriteTimeUtc(folder)).Max();

        IReadOnlyDictionary<string, string>? checkpoint = null;
        if (paths["checkpoint.safetensors"] is { } checkpointPath)
        {
            checkpoint = Guard("checkpoint.safetensors", checkpointPath, problems, () => TrainerMetadata(SafeTensors.Inspect(checkpointPath).Metadata));
            run.ReadSettings(checkpoint, problems);
        }

        run.Epochs = ReadHistory(paths, checkpoint, problems) ?? [];
        if (paths["gradients.csv"] is { } gradients)
        {
            run.Gradients = Guard("gradients.csv", gradients, problems, () => ParseGradients(ReadBounded(gradients, "gradients.csv")));
        }

        run.Finished = paths["model.safetensors"] is { } model
            && (paths["checkpoint.safetensors"] is not { } last || File.GetLastWriteTimeUtc(model) >= File.GetLastWriteTimeUtc(last));
        run.Problems = problems;
        return run;
    }

    /// <summary>
    /// <c>finished</c>, <c>live</c> (not finished, and written to within a minute plus three of its
    /// epochs: it is training), or <c>stopped</c> (interrupted, failed, or in an epoch far longer
    /// than its last).
    /// </summary>
    /// <param name="nowUtc">The time now.</param>
    /// <returns>The status.</returns>
    public string Status(DateTime nowUtc)
    {
        if (Finished)
        {
            return "finished";
        }

        double lastEpoch = Epochs.Count > 0 && double.IsFinite(Epochs[^1].Seconds) ? Epochs[^1].Seconds : 540;
        var window = TimeSpan.FromSeconds(60 + (3 * Math.Max(lastEpoch, 0)));
        return nowUtc - LastWriteUtc <= window ? "live" : "stopped";
    }

    /// <summary>The history: history.json, or history.csv when the JSON is missing or unreadable, or the checkpoint's copy when both are missing.</summary>
    private static IReadOnlyList<EpochRecord>? ReadHistory(Dictionary<string, string?> paths, IReadOnlyDictionary<string, string>? checkpoint, List<string> problems)
    {
        if (paths["history.json"] is { } json
            && Guard("history.json", json, problems, () => TrainingHistory.ParseJson(ReadBounded(json, "history.json"), "history.json")) is { } fromJson)
        {
            return fromJson.Epochs;
        }

        if (paths["history.csv"] is { } csv
            && Guard("history.csv", csv, problems, () => TrainingHistory.ParseCsv(Encoding.UTF8.GetString(ReadBounded(csv, "history.csv")), "history.csv")) is { } fromCsv)
        {
            if (paths["history.json"] is not null)
            {
                problems.Add("the curves come from history.csv instead");
            }

            return fromCsv.Epochs;
        }

        if (paths["history.json"] is null && paths["history.csv"] is null && checkpoint?.GetValueOrDefault("history_csv") is { } stored)
        {
            return Guard("checkpoint.safetensors", "", problems, () => TrainingHistory.ParseCsv(stored, "the checkpoint's history"))?.Epochs;
        }

        return null;
    }

    private void ReadSettings(IReadOnlyDictionary<string, string>? metadata, List<string> problems)
    {
        if (metadata?.GetValueOrDefault("options") is not { } options)
        {
            if (metadata is not null)
            {
                problems.Add("checkpoint.safetensors: not a backprop train checkpoint (no 'options' metadata): the settings are unknown");
            }

            return;
        }

        try
        {
            using var document = JsonDocument.Parse(options);
            var settings = new List<SettingDto>();
            foreach (var (key, flag) in s_settings)
            {
                if (document.RootElement.TryGetProperty(key, out var value) && value.ValueKind is not JsonValueKind.Null)
                {
                    settings.Add(new SettingDto(flag, value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText()));
                }
            }

            Settings = settings;
            if (document.RootElement.TryGetProperty("Epochs", out var epochs) && epochs.TryGetInt32(out int planned))
            {
                PlannedEpochs = planned;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            problems.Add($"checkpoint.safetensors: its settings are not valid JSON ({ex.Message})");
        }
    }

    /// <summary>
    /// The metadata the trainer stored in a checkpoint (<see cref="Checkpoint.Save"/> keeps it in the
    /// header under <c>meta.</c>), read from the header alone: the tensors are not loaded.
    /// </summary>
    private static Dictionary<string, string> TrainerMetadata(IReadOnlyDictionary<string, string> header) =>
        header.GetValueOrDefault("format") == Checkpoint.FormatTag
            ? header.Where(p => p.Key.StartsWith("meta.", StringComparison.Ordinal)).ToDictionary(p => p.Key["meta.".Length..], p => p.Value, StringComparer.Ordinal)
            : throw new InvalidDataException("checkpoint.safetensors: not a checkpoint of backprop train (no format tag)");

    /// <summary>Parses gradients.csv as <see cref="GradientHealth.ToCsv"/> writes it.</summary>
    private static List<GradientDto> ParseGradients(byte[] bytes)
    {
        string[] lines = Encoding.UTF8.GetString(bytes).Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        if (lines[0] != GradientHealth.CsvHeader)
        {
            throw new InvalidDataException($"gradients.csv: line 1: expected the header '{GradientHealth.CsvHeader}', got '{Explainer.ExplainRequest.Shorten(lines[0])}'");
        }

        var rows = new List<GradientDto>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }

            string[] c = lines[i].Split(',');
            if (c.Length != 7 || !int.TryParse(c[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int epoch) || !int.TryParse(c[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int layer))
            {
                throw new InvalidDataException($"gradients.csv: line {i + 1} is not 'epoch,layer,name,activation,grad_norm,saturated,dead_relu' with a whole epoch and layer");
            }

            rows.Add(new GradientDto(epoch, layer, c[2], c[3], Number(c[4], i), Number(c[5], i), Number(c[6], i)));
        }

        return rows;
    }

    private static double? Number(string cell, int line) =>
        cell.Length == 0 ? null
        : double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? (double.IsFinite(v) ? v : null)
        : throw new InvalidDataException($"gradients.csv: line {line + 1}: '{Explainer.ExplainRequest.Shorten(cell)}' is not a number");

    /// <summary>The file's bytes, refused when larger than <see cref="MaxFileBytes"/>.</summary>
    private static byte[] ReadBounded(string path, string name)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length > MaxFileBytes)
        {
            throw new InvalidDataException($"{name} is {stream.Length:N0} bytes, more than the {MaxFileBytes:N0} this page reads");
        }

        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>Runs <paramref name="read"/>; a file that cannot be read or parsed becomes a problem (its message, with the path shortened to the file's name) and null.</summary>
    private static T? Guard<T>(string name, string path, List<string> problems, Func<T> read)
        where T : class
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException or FormatException)
        {
            string message = path.Length > 0 ? ex.Message.Replace(path, name, StringComparison.Ordinal) : ex.Message;
            problems.Add(message.StartsWith(name, StringComparison.Ordinal) ? message : $"{name}: {message}");
            return null;
        }
    }
}
