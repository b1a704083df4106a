using System.Globalization;
using System.Text;
using System.Text.Json;
using Backprop.Serialization;

namespace Backprop.Diagnostics;

/// <summary>
/// The measurements of one training epoch (one row of <c>history.csv</c>).
/// A metric that was not measured (no test set) is <see cref="double.NaN"/>.
/// </summary>
/// <param name="Epoch">The epoch number, counted from 1.</param>
/// <param name="TrainLoss">The mean training loss over the epoch's batches.</param>
/// <param name="TestLoss">The mean loss on the test set after the epoch.</param>
/// <param name="TestAccuracy">The fraction of test samples classified correctly, in [0, 1].</param>
/// <param name="Seconds">Wall-clock seconds the epoch took.</param>
/// <param name="TrainAccuracy">
/// The fraction of the epoch's training samples the model classified correctly as it trained on them
/// (the running accuracy over the epoch's batches, in training mode, so with dropout and before each
/// batch's update; NaN when not measured).
/// </param>
public sealed record EpochRecord(int Epoch, double TrainLoss, double TestLoss, double TestAccuracy, double Seconds, double TrainAccuracy = double.NaN);

/// <summary>
/// Per-epoch training measurements (what Keras returns as <c>History.history</c> and PyTorch users
/// collect by hand), written as CSV with header <c>epoch,train_loss,test_loss,test_acc,epoch_s,train_acc</c>
/// or as a JSON array of objects with the same keys. Numbers use the invariant culture and
/// round-trip exactly; files are written atomically. Histories written before <c>train_acc</c>
/// existed (the header without it, JSON objects without the key) read with NaN train accuracy.
/// </summary>
public sealed class TrainingHistory
{
    /// <summary>The CSV header line, which also gives the JSON keys.</summary>
    public const string CsvHeader = "epoch,train_loss,test_loss,test_acc,epoch_s,train_acc";

    /// <summary>The header of histories written before train_acc: read, never written.</summary>
    private const string OldCsvHeader = "epoch,train_loss,test_loss,test_acc,epoch_s";

    private static readonly string[] s_columns = CsvHeader.Split(',');

    private readonly List<EpochRecord> _epochs = [];

    /// <summary>The recorded epochs, in the order they were added.</summary>
    public IReadOnlyList<EpochRecord> Epochs => _epochs;

    /// <summary>Appends <paramref name="record"/>.</summary>
    /// <param name="record">The epoch's measurements.</param>
    public void Add(EpochRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        _epochs.Add(record);
    }

    /// <summary>Appends one epoch's measurements and returns the new record.</summary>
    /// <param name="epoch">The epoch's number, from 1.</param>
    /// <param name="trainLoss">The mean training loss over the epoch.</param>
    /// <param name="testLoss">The loss on the test set after the epoch.</param>
    /// <param name="testAccuracy">The fraction of the test set classified correctly, in [0, 1].</param>
    /// <param name="seconds">The epoch's wall-clock time.</param>
    /// <param name="trainAccuracy">The running accuracy over the epoch's training batches, in [0, 1] (NaN when not measured).</param>
    /// <returns>The record added.</returns>
    public EpochRecord Add(int epoch, double trainLoss, double testLoss, double testAccuracy, double seconds, double trainAccuracy = double.NaN)
    {
        var record = new EpochRecord(epoch, trainLoss, testLoss, testAccuracy, seconds, trainAccuracy);
        _epochs.Add(record);
        return record;
    }

    /// <summary>The history as CSV text: the header line, then one line per epoch, each ending in <c>\n</c>.</summary>
    /// <returns>The CSV text.</returns>
    public string ToCsv()
    {
        var sb = new StringBuilder(CsvHeader).Append('\n');
        foreach (var r in _epochs)
        {
            sb.Append(r.Epoch.ToString(CultureInfo.InvariantCulture)).Append(',')
              .Append(Format(r.TrainLoss)).Append(',')
              .Append(Format(r.TestLoss)).Append(',')
              .Append(Format(r.TestAccuracy)).Append(',')
              .Append(Format(r.Seconds)).Append(',')
              .Append(Format(r.TrainAccuracy)).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>
    /// The history as a JSON array of objects keyed <c>epoch</c>, <c>train_loss</c>,
    /// <c>test_loss</c>, <c>test_acc</c>, <c>epoch_s</c>, <c>train_acc</c>; a NaN or infinite value is written as <c>null</c>.
    /// </summary>
    /// <returns>The JSON text.</returns>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        WriteJsonTo(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes <see cref="ToCsv"/> to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    /// <param name="path">The file written.</param>
    public void WriteCsv(string path)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(ToCsv());
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    /// <param name="path">The file written.</param>
    public void WriteJson(string path) => AtomicFile.Write(path, WriteJsonTo);

    /// <summary>Reads a history written by <see cref="WriteCsv"/>.</summary>
    /// <param name="path">The file read.</param>
    /// <returns>A new history holding the file's epochs.</returns>
    /// <exception cref="InvalidDataException">The header differs or a cell is not a number; the message names the row and column.</exception>
    public static TrainingHistory ReadCsv(string path) => ParseCsv(File.ReadAllText(path), path);

    /// <summary>Reads a history written by <see cref="WriteJson"/>.</summary>
    /// <param name="path">The file read.</param>
    /// <returns>A new history holding the file's epochs.</returns>
    /// <exception cref="InvalidDataException">The JSON is malformed or an entry lacks a key; the message names the entry.</exception>
    public static TrainingHistory ReadJson(string path) => ParseJson(File.ReadAllBytes(path), path);

    /// <summary>Parses CSV text in the format of <see cref="ToCsv"/>; <paramref name="source"/> names it in errors.</summary>
    /// <param name="text">The CSV text.</param>
    /// <param name="source">What the text is, e.g. its file name, for error messages (default <c>history</c>).</param>
    /// <returns>A new history holding the text's epochs.</returns>
    public static TrainingHistory ParseCsv(string text, string source = "history")
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        int columns = lines[0] == CsvHeader ? s_columns.Length : lines[0] == OldCsvHeader ? s_columns.Length - 1 : 0;
        if (columns == 0)
        {
            throw new InvalidDataException($"{source}: line 1: expected the header '{CsvHeader}', got '{lines[0]}'");
        }

        var history = new TrainingHistory();
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }

            string[] cells = lines[i].Split(',');
            if (cells.Length != columns)
            {
                throw new InvalidDataException($"{source}: line {i + 1}: expected {columns} columns, got {cells.Length}");
            }

            var v = new double[s_columns.Length];
            v[^1] = double.NaN;
            for (int c = 0; c < cells.Length; c++)
            {
                if (!double.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out v[c]))
                {
                    throw new InvalidDataException($"{source}: line {i + 1}, column {c + 1} ({s_columns[c]}): '{cells[c]}' is not a number");
                }
            }

            if (v[0] != Math.Floor(v[0]) || v[0] < int.MinValue || v[0] > int.MaxValue)
            {
                throw new InvalidDataException($"{source}: line {i + 1}, column 1 (epoch): '{cells[0]}' is not an integer");
            }

            history.Add((int)v[0], v[1], v[2], v[3], v[4], v[5]);
        }

        return history;
    }

    /// <summary>Parses UTF-8 JSON in the format of <see cref="ToJson"/>; <paramref name="source"/> names it in errors.</summary>
    /// <param name="json">The UTF-8 JSON.</param>
    /// <param name="source">What the text is, e.g. its file name, for error messages (default <c>history</c>).</param>
    /// <returns>A new history holding the text's epochs.</returns>
    public static TrainingHistory ParseJson(ReadOnlySpan<byte> json, string source = "history")
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source}: not valid JSON: {ex.Message}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"{source}: expected a JSON array of epoch objects, got {document.RootElement.ValueKind}");
            }

            var history = new TrainingHistory();
            int index = 0;
            foreach (var item in document.RootElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    throw new InvalidDataException($"{source}: entry {index} must be an object, got {item.ValueKind}");
                }

                var v = new double[s_columns.Length];
                for (int c = 0; c < s_columns.Length; c++)
                {
                    if (!item.TryGetProperty(s_columns[c], out var cell))
                    {
                        if (c == s_columns.Length - 1)
                        {
                            v[c] = double.NaN; // written before train_acc existed
                            continue;
                        }

                        throw new InvalidDataException($"{source}: entry {index} has no '{s_columns[c]}'");
                    }

                    if (cell.ValueKind == JsonValueKind.Null)
                    {
                        v[c] = double.NaN;
                    }
                    else if (cell.ValueKind != JsonValueKind.Number || !cell.TryGetDouble(out v[c]))
                    {
                        throw new InvalidDataException($"{source}: entry {index}: '{s_columns[c]}' must be a number, got {cell.ValueKind}");
                    }
                }

                if (item.GetProperty(s_columns[0]) is not { ValueKind: JsonValueKind.Number } epoch || !epoch.TryGetInt32(out int e))
                {
                    throw new InvalidDataException($"{source}: entry {index}: 'epoch' must be an integer");
                }

                history.Add(e, v[1], v[2], v[3], v[4], v[5]);
                index++;
            }

            return history;
        }
    }

    private void WriteJsonTo(Stream stream)
    {
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartArray();
        foreach (var r in _epochs)
        {
            writer.WriteStartObject();
            writer.WriteNumber(s_columns[0], r.Epoch);
            WriteNumberOrNull(writer, s_columns[1], r.TrainLoss);
            WriteNumberOrNull(writer, s_columns[2], r.TestLoss);
            WriteNumberOrNull(writer, s_columns[3], r.TestAccuracy);
            WriteNumberOrNull(writer, s_columns[4], r.Seconds);
            WriteNumberOrNull(writer, s_columns[5], r.TrainAccuracy);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    // JSON has no NaN or infinity; null is what pandas and JavaScript read back as a missing value.
    private static void WriteNumberOrNull(Utf8JsonWriter writer, string name, double value)
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

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
