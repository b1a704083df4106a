using System.Globalization;
using System.IO.Compression;

namespace Backprop.Data;

/// <summary>
/// Reads a numeric CSV table for classification: every column is a feature except one label
/// column of non-negative integer class indices (as <c>pandas.read_csv</c> followed by splitting
/// off the target column). Numbers use the invariant culture (<c>1.5</c>, never <c>1,5</c>).
/// </summary>
public static class Csv
{
    /// <summary>
    /// Reads the CSV file at <paramref name="path"/> (gzip-compressed files are detected by their
    /// magic bytes 1f 8b). See <see cref="Read(Stream, string, string?, bool?, char, int)"/> for the rules.
    /// </summary>
    public static (Tensor Features, Tensor Labels, string[] FeatureNames) Read(
        string path, string? labelColumn = null, bool? hasHeader = null, char delimiter = ',', int skipRows = 0)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = OpenFile(path);
        return NameCorruptGzip(path, () => Read(stream, path, labelColumn, hasHeader, delimiter, skipRows));
    }

    /// <summary>Opens a file for reading, decompressing it when it starts with the gzip magic bytes 1f 8b.</summary>
    private static Stream OpenFile(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        bool gzip = file.ReadByte() == 0x1F && file.ReadByte() == 0x8B;
        file.Position = 0;
        return gzip ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    /// <summary>
    /// Reads CSV text from <paramref name="stream"/>; <paramref name="source"/> names it in errors.
    /// <list type="bullet">
    /// <item>The first <paramref name="skipRows"/> lines are ignored, then blank lines anywhere.</item>
    /// <item>Header: with <paramref name="hasHeader"/> null, the first row is a header when any of its
    /// cells is not a number; otherwise the columns are named by their 0-based index.</item>
    /// <item>Label column: <paramref name="labelColumn"/> is a header name, or else a 0-based column
    /// index (negative counts from the end); null means the last column. Labels must be
    /// non-negative integers.</item>
    /// <item>Every row has as many cells as the first; every feature cell is a finite number.</item>
    /// </list>
    /// Returns features float32 [N, F], labels int64 [N] and the F feature column names. Errors are
    /// <see cref="InvalidDataException"/>s naming the 1-based line and the column (1-based number
    /// and header name).
    /// </summary>
    public static (Tensor Features, Tensor Labels, string[] FeatureNames) Read(
        Stream stream, string source, string? labelColumn = null, bool? hasHeader = null, char delimiter = ',', int skipRows = 0)
    {
        var (features, labels, names) = ReadCore(stream, source, withLabel: true, labelColumn, hasHeader, delimiter, skipRows);
        return (features, labels!, names);
    }

    /// <summary>
    /// Reads a CSV file of features only (no label column), for prediction: float32 [N, F] and the
    /// column names, with the same header detection and error messages as <see cref="Read(string, string?, bool?, char, int)"/>.
    /// </summary>
    public static (Tensor Features, string[] FeatureNames) ReadFeatures(string path, bool? hasHeader = null, char delimiter = ',')
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = OpenFile(path);
        var (features, _, names) = NameCorruptGzip(path, () => ReadCore(stream, path, withLabel: false, null, hasHeader, delimiter, 0));
        return (features, names);
    }

    /// <summary>GZipStream reports corrupt compressed data without saying which file: add it (found by the CSV fuzz test).</summary>
    private static T NameCorruptGzip<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (InvalidDataException ex) when (!ex.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: corrupt gzip data: {ex.Message}", ex);
        }
    }

    private static (Tensor Features, Tensor? Labels, string[] FeatureNames) ReadCore(
        Stream stream, string source, bool withLabel, string? labelColumn, bool? hasHeader, char delimiter, int skipRows)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegative(skipRows);
        using var reader = new StreamReader(stream, leaveOpen: true);
        var cells = new List<Range>();
        string[]? names = null;
        int columns = -1;
        int firstLine = 0;
        int labelIndex = -1;
        var features = new List<float>();
        var labels = new List<long>();
        int rows = 0;
        int lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (lineNumber <= skipRows || line.AsSpan().Trim().IsEmpty)
            {
                continue;
            }

            Split(line, delimiter, cells, source, lineNumber);
            if (columns < 0)
            {
                columns = cells.Count;
                firstLine = lineNumber;
                bool header = hasHeader ?? cells.Exists(c => !double.TryParse(Cell(line, c), NumberStyles.Float, CultureInfo.InvariantCulture, out _));
                names = new string[columns];
                for (int c = 0; c < columns; c++)
                {
                    names[c] = header ? Cell(line, cells[c]).ToString().Replace("\"\"", "\"") : c.ToString(CultureInfo.InvariantCulture);
                }

                if (withLabel && columns < 2)
                {
                    throw new InvalidDataException($"{source}: line {lineNumber} has {columns} column; expected at least one feature column and a label column");
                }

                labelIndex = withLabel ? ResolveLabelColumn(labelColumn, names, header, source) : -1;

                if (header)
                {
                    continue;
                }
            }

            if (cells.Count != columns)
            {
                throw new InvalidDataException($"{source}: line {lineNumber} has {cells.Count} columns, expected {columns} (as line {firstLine})");
            }

            for (int c = 0; c < columns; c++)
            {
                ReadOnlySpan<char> text = Cell(line, cells[c]);
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
                {
                    throw new InvalidDataException(
                        $"{source}: line {lineNumber}, {ColumnName(c, names!)}: '{text}' is not a {(c == labelIndex ? "label (a non-negative integer)" : "finite number")}");
                }

                if (c == labelIndex)
                {
                    if (value < 0 || value != Math.Floor(value) || value > int.MaxValue)
                    {
                        throw new InvalidDataException(
                            $"{source}: line {lineNumber}, {ColumnName(c, names!)}: label '{text}' is not a non-negative integer class index");
                    }

                    labels.Add((long)value);
                }
                else
                {
                    // Finite as a double but past float32's range (1e39) would become ±Inf (found by the CSV fuzz test).
                    if (!float.IsFinite((float)value))
                    {
                        throw new InvalidDataException(
                            $"{source}: line {lineNumber}, {ColumnName(c, names!)}: '{text}' is outside the float32 range (±3.4e38)");
                    }

                    features.Add((float)value);
                }
            }

            rows++;
        }

        if (rows == 0)
        {
            throw new InvalidDataException($"{source}: no data rows");
        }

        string[] featureNames = [.. names!.Where((_, c) => c != labelIndex)];
        return (
            Tensor.FromStorage(features.ToArray(), [rows, featureNames.Length]),
            withLabel ? Tensor.FromStorage(labels.ToArray(), [rows]) : null,
            featureNames);
    }

    private static int ResolveLabelColumn(string? labelColumn, string[] names, bool header, string source)
    {
        if (labelColumn is null)
        {
            return names.Length - 1;
        }

        int byName = header ? Array.IndexOf(names, labelColumn.Trim()) : -1;
        if (byName < 0 && header)
        {
            byName = Array.FindIndex(names, n => string.Equals(n, labelColumn.Trim(), StringComparison.OrdinalIgnoreCase));
        }

        if (byName >= 0)
        {
            return byName;
        }

        if (int.TryParse(labelColumn, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int index)
            && index >= -names.Length && index < names.Length)
        {
            return index < 0 ? index + names.Length : index;
        }

        throw new InvalidDataException(header
            ? $"{source}: label column '{labelColumn}' not found; the columns are {string.Join(", ", names)} (or give a 0-based index)"
            : $"{source}: label column '{labelColumn}' not found; the file has no header, so give a 0-based column index from 0 to {names.Length - 1} (negative counts from the end)");
    }

    private static string ColumnName(int column, string[] names) =>
        names[column] == column.ToString(CultureInfo.InvariantCulture)
            ? $"column {column + 1}"
            : $"column {column + 1} ('{names[column]}')";

    private static ReadOnlySpan<char> Cell(string line, Range cell) => line.AsSpan()[cell].Trim();

    /// <summary>Splits one line into cell ranges; a quoted cell's range excludes its quotes.</summary>
    private static void Split(string line, char delimiter, List<Range> cells, string source, int lineNumber)
    {
        cells.Clear();
        int i = 0;
        while (true)
        {
            int start = i;
            while (delimiter != ' ' && i < line.Length && line[i] == ' ')
            {
                i++;
            }

            if (i < line.Length && line[i] == '"')
            {
                int open = i;
                i++;
                while (true)
                {
                    int close = line.IndexOf('"', i);
                    if (close < 0)
                    {
                        throw new InvalidDataException($"{source}: line {lineNumber}: the quote at character {open + 1} is never closed");
                    }

                    if (close + 1 < line.Length && line[close + 1] == '"')
                    {
                        i = close + 2;
                        continue;
                    }

                    cells.Add(new Range(open + 1, close));
                    i = close + 1;
                    break;
                }

                while (i < line.Length && line[i] != delimiter)
                {
                    if (!char.IsWhiteSpace(line[i]))
                    {
                        throw new InvalidDataException($"{source}: line {lineNumber}: unexpected text after the quoted cell ending at character {i}");
                    }

                    i++;
                }
            }
            else
            {
                int end = line.IndexOf(delimiter, i);
                end = end < 0 ? line.Length : end;
                cells.Add(new Range(start, end));
                i = end;
            }

            if (i >= line.Length)
            {
                return;
            }

            i++; // past the delimiter
        }
    }
}
