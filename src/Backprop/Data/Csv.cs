using System.Globalization;
using System.IO.Compression;

namespace Backprop.Data;

/// <summary>
/// Reads a CSV table for classification: every column is a feature except one label column (as
/// <c>pandas.read_csv</c> followed by splitting off the target column). Features are numbers in the
/// invariant culture (<c>1.5</c>, never <c>1,5</c>). Labels are class names or class indices: when
/// every label is a number, each is a class index (a non-negative integer, so 3, 7 and 100 are
/// indices 3, 7 and 100 of 101 classes, as <c>torch.nn.CrossEntropyLoss</c> reads them); when any
/// label is not a number, every label is a class name and the classes are the distinct names sorted
/// ordinally (as <c>sklearn.preprocessing.LabelEncoder</c> numbers them), so <c>setosa</c>,
/// <c>versicolor</c> and <c>virginica</c> are classes 0, 1 and 2.
/// </summary>
public static partial class Csv
{
    /// <summary>
    /// Reads the CSV file at <paramref name="path"/> (gzip-compressed files are detected by their
    /// magic bytes 1f 8b). See <see cref="ReadTable(Stream, string, string?, IReadOnlyList{string}?, bool?, char, int)"/> for the rules.
    /// </summary>
    /// <param name="path">The file, plain or gzip-compressed.</param>
    /// <param name="labelColumn">The label column's header name, or its 0-based index as text (negative counts from the end); null for the last column.</param>
    /// <param name="hasHeader">Whether the first row is a header; null to detect it (a row with a field that is not a number).</param>
    /// <param name="delimiter">The field separator (default <c>,</c>).</param>
    /// <param name="skipRows">Lines skipped before the header or first row (default 0).</param>
    /// <returns>Features: float32 [N, F]; Labels: int64 [N] class indices; FeatureNames: the F feature columns' names.</returns>
    public static (Tensor Features, Tensor Labels, string[] FeatureNames) Read(
        string path, string? labelColumn = null, bool? hasHeader = null, char delimiter = ',', int skipRows = 0)
    {
        var table = ReadTable(path, labelColumn, null, hasHeader, delimiter, skipRows);
        return (table.Features, table.Labels, table.FeatureNames);
    }

    /// <summary>
    /// Reads CSV text from <paramref name="stream"/>; <paramref name="source"/> names it in errors.
    /// See <see cref="ReadTable(Stream, string, string?, IReadOnlyList{string}?, bool?, char, int)"/> for the rules;
    /// text labels become the indices of their names sorted ordinally.
    /// </summary>
    /// <param name="stream">The CSV text, read to its end.</param>
    /// <param name="source">The name of the data in error messages, e.g. its file name.</param>
    /// <param name="labelColumn">The label column's header name, or its 0-based index as text (negative counts from the end); null for the last column.</param>
    /// <param name="hasHeader">Whether the first row is a header; null to detect it (a row with a field that is not a number).</param>
    /// <param name="delimiter">The field separator (default <c>,</c>).</param>
    /// <param name="skipRows">Lines skipped before the header or first row (default 0).</param>
    /// <returns>Features: float32 [N, F]; Labels: int64 [N] class indices; FeatureNames: the F feature columns' names.</returns>
    public static (Tensor Features, Tensor Labels, string[] FeatureNames) Read(
        Stream stream, string source, string? labelColumn = null, bool? hasHeader = null, char delimiter = ',', int skipRows = 0)
    {
        var table = ReadTable(stream, source, labelColumn, null, hasHeader, delimiter, skipRows);
        return (table.Features, table.Labels, table.FeatureNames);
    }

    /// <summary>
    /// Reads the CSV file at <paramref name="path"/> (gzip-compressed files are detected by their
    /// magic bytes 1f 8b) with its class names. See
    /// <see cref="ReadTable(Stream, string, string?, IReadOnlyList{string}?, bool?, char, int)"/> for the rules.
    /// </summary>
    /// <param name="path">The file, plain or gzip-compressed.</param>
    /// <param name="labelColumn">The label column's header name, or its 0-based index as text (negative counts from the end); null for the last column.</param>
    /// <param name="classNames">The class names in index order, e.g. a trained model's, that text labels map to; null to sort the labels found ordinally.</param>
    /// <param name="hasHeader">Whether the first row is a header; null to detect it (a row with a field that is not a number).</param>
    /// <param name="delimiter">The field separator (default <c>,</c>).</param>
    /// <param name="skipRows">Lines skipped before the header or first row (default 0).</param>
    /// <returns>The features float32 [N, F], the labels int64 [N] as class indices, and the names of the columns and classes.</returns>
    public static CsvTable ReadTable(
        string path, string? labelColumn = null, IReadOnlyList<string>? classNames = null, bool? hasHeader = null, char delimiter = ',', int skipRows = 0)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = OpenFile(path);
        return NameCorruptGzip(path, () => ReadTable(stream, path, labelColumn, classNames, hasHeader, delimiter, skipRows));
    }

    /// <summary>
    /// Reads CSV text from <paramref name="stream"/>; <paramref name="source"/> names it in errors.
    /// <list type="bullet">
    /// <item>The first <paramref name="skipRows"/> lines are ignored, then blank lines anywhere.</item>
    /// <item>Header: with <paramref name="hasHeader"/> null, the first row is a header when any of its
    /// feature cells is not a number, or when its only text is in the label column and every other
    /// label is a number; otherwise the columns are named by their 0-based index.</item>
    /// <item>Label column: <paramref name="labelColumn"/> is a header name, or else a 0-based column
    /// index (negative counts from the end); null means the last column.</item>
    /// <item>Labels: with <paramref name="classNames"/> given (a trained model's classes), every label
    /// must be one of them and becomes its index. Otherwise, when every label is a number, each must be
    /// a non-negative integer and is the class index; when any is not, all are class names, numbered
    /// in ordinal order. An empty, NaN or infinite label is an error.</item>
    /// <item>Every row has as many cells as the first; every feature cell is a finite number.</item>
    /// </list>
    /// Errors are <see cref="InvalidDataException"/>s naming the 1-based line and the column (1-based
    /// number and header name).
    /// </summary>
    /// <param name="stream">The CSV text, read to its end.</param>
    /// <param name="source">The name of the data in error messages, e.g. its file name.</param>
    /// <param name="labelColumn">The label column's header name, or its 0-based index as text (negative counts from the end); null for the last column.</param>
    /// <param name="classNames">The class names in index order, e.g. a trained model's, that text labels map to; null to sort the labels found ordinally.</param>
    /// <param name="hasHeader">Whether the first row is a header; null to detect it (a row with a field that is not a number).</param>
    /// <param name="delimiter">The field separator (default <c>,</c>).</param>
    /// <param name="skipRows">Lines skipped before the header or first row (default 0).</param>
    /// <returns>The features float32 [N, F], the labels int64 [N] as class indices, and the names of the columns and classes.</returns>
    public static CsvTable ReadTable(
        Stream stream, string source, string? labelColumn = null, IReadOnlyList<string>? classNames = null, bool? hasHeader = null, char delimiter = ',', int skipRows = 0)
    {
        var (features, labels, names, labelIndex, header) = ReadCore(stream, source, ColumnRole.Label, labelColumn, hasHeader, delimiter, skipRows);
        string column = ColumnName(labelIndex, names);
        var (indices, resolvedNames) = labels!.Resolve(classNames, source, column);
        return new CsvTable(features, Tensor.FromStorage(indices, [indices.Length]), FeatureNames(names, labelIndex), column, names[labelIndex], header, resolvedNames);
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
    /// Reads a CSV file of features only, for prediction: float32 [N, F], the column names and whether
    /// the first row was a header, with the same header detection and error messages as
    /// <see cref="Read(string, string?, bool?, char, int)"/>. When the file has a header with a column
    /// named <paramref name="ignoreColumn"/> (a model's label column), that column is skipped, so the
    /// table a model was trained on can be given as it is.
    /// </summary>
    /// <param name="path">The file, plain or gzip-compressed.</param>
    /// <param name="hasHeader">Whether the first row is a header; null to detect it.</param>
    /// <param name="delimiter">The field separator (default <c>,</c>).</param>
    /// <param name="ignoreColumn">A header name whose column is skipped, e.g. a model's label column; null for none.</param>
    /// <returns>Features: float32 [N, F]; FeatureNames: the F column names (their indices without a header); HasHeader: whether the first row was a header.</returns>
    public static (Tensor Features, string[] FeatureNames, bool HasHeader) ReadFeatures(string path, bool? hasHeader = null, char delimiter = ',', string? ignoreColumn = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = OpenFile(path);
        var (features, _, names, ignored, header) = NameCorruptGzip(path, () => ReadCore(stream, path, ColumnRole.Ignore, ignoreColumn, hasHeader, delimiter, 0));
        return (features, FeatureNames(names, ignored), header);
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

    private static string[] FeatureNames(string[] names, int skipped) => [.. names.Where((_, c) => c != skipped)];

    /// <summary>What the column named by ReadCore's <c>column</c> argument is: the label, or a column to skip when a header names it.</summary>
    private enum ColumnRole
    {
        Label,
        Ignore,
    }

    /// <summary>Reads the rows; returns the features, the label cells (Label role), every column's name, the label's or skipped column's index (-1: none) and whether the first row was a header.</summary>
    private static (Tensor Features, LabelCells? Labels, string[] Names, int Column, bool Header) ReadCore(
        Stream stream, string source, ColumnRole role, string? column, bool? hasHeader, char delimiter, int skipRows)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegative(skipRows);
        bool withLabel = role == ColumnRole.Label;
        using var reader = new StreamReader(stream, leaveOpen: true);
        var cells = new List<Range>();
        string[]? names = null;
        string[]? firstRowCells = null;
        bool header = false;
        int columns = -1;
        int firstLine = 0;
        int special = -1;
        var features = new List<float>();
        var labels = withLabel ? new LabelCells() : null;
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
                if (withLabel && columns < 2)
                {
                    throw new InvalidDataException($"{source}: line {lineNumber} has {columns} column; expected at least one feature column and a label column");
                }

                string[] texts = [.. cells.Select(c => Unquote(Cell(line, c)))];
                bool maybe = false;
                header = hasHeader ?? IsHeader(texts, withLabel ? column : null, withLabel, out maybe);
                names = header ? texts : [.. Enumerable.Range(0, columns).Select(c => c.ToString(CultureInfo.InvariantCulture))];
                special = withLabel
                    ? ResolveLabelColumn(column, names, header, source)
                    : header && column is not null ? FindByName(names, column) : -1;
                if (header)
                {
                    continue;
                }

                // Only the label cell is text: data with a text label, unless the other labels turn out numeric.
                firstRowCells = maybe ? texts : null;
            }

            if (cells.Count != columns)
            {
                throw new InvalidDataException($"{source}: line {lineNumber} has {cells.Count} columns, expected {columns} (as line {firstLine})");
            }

            for (int c = 0; c < columns; c++)
            {
                ReadOnlySpan<char> text = Cell(line, cells[c]);
                if (c == special)
                {
                    labels?.Add(text, lineNumber, source, ColumnName(c, names!));
                    continue;
                }

                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
                {
                    throw new InvalidDataException($"{source}: line {lineNumber}, {ColumnName(c, names!)}: '{text}' is not a finite number");
                }

                // Finite as a double but past float32's range (1e39) would become ±Inf (found by the CSV fuzz test).
                if (!float.IsFinite((float)value))
                {
                    throw new InvalidDataException(
                        $"{source}: line {lineNumber}, {ColumnName(c, names!)}: '{text}' is outside the float32 range (±3.4e38)");
                }

                features.Add((float)value);
            }

            rows++;
        }

        if (firstRowCells is not null && rows > 1 && labels!.OnlyFirstRowIsText())
        {
            // "x0,x1,label" over numeric rows: the first row was a header whose feature names are numbers.
            names = firstRowCells;
            header = true;
            labels.RemoveFirstRow();
            features.RemoveRange(0, columns - 1);
            rows--;
        }

        if (rows == 0)
        {
            throw new InvalidDataException($"{source}: no data rows");
        }

        int featureCount = columns - (special >= 0 ? 1 : 0);
        return (Tensor.FromStorage(features.ToArray(), [rows, featureCount]), labels, names!, special, header);
    }

    /// <summary>
    /// Whether the first row, whose cells are <paramref name="texts"/>, is a header: some cell is not a
    /// number, and that is not only the label cell (a text label in a file without a header), unless the
    /// label column is given by a name, which needs a header. <paramref name="maybe"/>: only the label
    /// cell is text, so the row is read as data until the other labels say otherwise.
    /// </summary>
    private static bool IsHeader(string[] texts, string? labelColumn, bool withLabel, out bool maybe)
    {
        maybe = false;
        bool[] text = [.. texts.Select(t => !double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out _))];
        if (!text.Contains(true))
        {
            return false;
        }

        if (!withLabel)
        {
            return true;
        }

        int label = labelColumn is null ? texts.Length - 1
            : int.TryParse(labelColumn, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int index) && index >= -texts.Length && index < texts.Length
                ? (index < 0 ? index + texts.Length : index)
                : -1;
        if (label < 0 || text.Where((_, c) => c != label).Contains(true) || texts.Contains(labelColumn?.Trim(), StringComparer.OrdinalIgnoreCase))
        {
            return true;
        }

        maybe = true;
        return false;
    }

    /// <summary>A header name, matched exactly and then ignoring case; -1 when absent.</summary>
    private static int FindByName(string[] names, string name)
    {
        int byName = Array.IndexOf(names, name.Trim());
        return byName >= 0 ? byName : Array.FindIndex(names, n => string.Equals(n, name.Trim(), StringComparison.OrdinalIgnoreCase));
    }

    private static int ResolveLabelColumn(string? labelColumn, string[] names, bool header, string source)
    {
        if (labelColumn is null)
        {
            return names.Length - 1;
        }

        int byName = header ? FindByName(names, labelColumn) : -1;
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

    /// <summary>A cell's text with a quoted cell's doubled quotes ("") made single.</summary>
    private static string Unquote(ReadOnlySpan<char> cell) => cell.ToString().Replace("\"\"", "\"", StringComparison.Ordinal);

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
