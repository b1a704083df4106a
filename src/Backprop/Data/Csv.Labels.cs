using System.Globalization;

namespace Backprop.Data;

public static partial class Csv
{
    /// <summary>
    /// The label cells of one column as the rows are read: each distinct text once (with the line it
    /// first appears on and whether it is a number) and per row the id of its text. Whether the labels
    /// are class indices or class names is known only after the last row, so they are turned into
    /// indices by <see cref="Resolve"/>; keeping distinct texts only bounds the memory by the classes.
    /// </summary>
    private sealed class LabelCells
    {
        // Larger lists are cut short in messages: a price column has thousands of "classes".
        private const int MaxNamesShown = 10;

        private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
        private readonly List<string> _texts = [];
        private readonly List<int> _firstLines = [];
        private readonly List<bool> _numeric = [];
        private readonly List<int> _rows = [];

        public void Add(ReadOnlySpan<char> cell, int line, string source, string column)
        {
            string text = Unquote(cell);
            if (text.Length == 0)
            {
                throw new InvalidDataException($"{source}: line {line}, {column}: the label is empty");
            }

            if (!_ids.TryGetValue(text, out int id))
            {
                bool number = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value);
                if (number && !double.IsFinite(value))
                {
                    throw new InvalidDataException($"{source}: line {line}, {column}: '{text}' is not a label (a class name or a non-negative integer class index)");
                }

                id = _texts.Count;
                _ids.Add(text, id);
                _texts.Add(text);
                _firstLines.Add(line);
                _numeric.Add(number);
            }

            _rows.Add(id);
        }

        /// <summary>True when the first row's label is text, appears in no other row, and every other label is a number.</summary>
        public bool OnlyFirstRowIsText() =>
            !_numeric[0] && _numeric.Skip(1).All(n => n) && !_rows.Skip(1).Contains(0);

        /// <summary>Forgets the first row, whose label <see cref="OnlyFirstRowIsText"/> showed to be a header's column name.</summary>
        public void RemoveFirstRow()
        {
            _ids.Remove(_texts[0]);
            _texts.RemoveAt(0);
            _firstLines.RemoveAt(0);
            _numeric.RemoveAt(0);
            _rows.RemoveAt(0);
            for (int r = 0; r < _rows.Count; r++)
            {
                _rows[r]--;
            }
        }

        /// <summary>
        /// Each row's class index, and the class names (null for numeric class indices): by
        /// <paramref name="classNames"/> when given, else numbers as indices, else the sorted names.
        /// </summary>
        public (long[] Indices, string[]? ClassNames) Resolve(IReadOnlyList<string>? classNames, string source, string column)
        {
            var classOf = new long[_texts.Count];
            string[]? names;
            if (classNames is not null)
            {
                names = [.. classNames];
                var index = new Dictionary<string, int>(StringComparer.Ordinal);
                for (int c = names.Length - 1; c >= 0; c--)
                {
                    index[names[c]] = c;
                }

                for (int d = 0; d < _texts.Count; d++)
                {
                    classOf[d] = index.TryGetValue(_texts[d], out int c)
                        ? c
                        : throw new InvalidDataException($"{source}: line {_firstLines[d]}, {column}: label '{_texts[d]}' is not one of the {names.Length} classes {List(names)}");
                }
            }
            else if (_numeric.All(n => n))
            {
                names = null;
                for (int d = 0; d < _texts.Count; d++)
                {
                    classOf[d] = ClassIndex(d, source, column);
                }
            }
            else
            {
                names = [.. _texts.Order(StringComparer.Ordinal)];
                for (int d = 0; d < _texts.Count; d++)
                {
                    classOf[d] = Array.BinarySearch(names, _texts[d], StringComparer.Ordinal);
                }
            }

            var indices = new long[_rows.Count];
            for (int r = 0; r < indices.Length; r++)
            {
                indices[r] = classOf[_rows[r]];
            }

            return (indices, names);
        }

        /// <summary>A numeric label as a class index, which must be a non-negative integer that fits an int.</summary>
        private long ClassIndex(int d, string source, string column)
        {
            double value = double.Parse(_texts[d], NumberStyles.Float, CultureInfo.InvariantCulture);
            string why =
                value != Math.Floor(value) ? "a number with a fraction is a measurement, not a class; a classification label is a class name or a class index 0, 1, 2, ..."
                : value < 0 ? "a classification label is a class name or a class index 0, 1, 2, ..."
                : value > int.MaxValue ? $"class indices go up to {int.MaxValue}"
                : "";
            return why.Length == 0
                ? (long)value
                : throw new InvalidDataException($"{source}: line {_firstLines[d]}, {column}: label '{_texts[d]}' is not a non-negative integer class index: {why}");
        }

        private static string List(string[] names) =>
            string.Join(", ", names.Take(MaxNamesShown).Select(n => $"'{n}'")) + (names.Length > MaxNamesShown ? ", ..." : "");
    }
}
