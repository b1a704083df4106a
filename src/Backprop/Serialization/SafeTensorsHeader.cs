using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Backprop.Serialization;

/// <summary>
/// The validated header of a safetensors file: its tensor entries in data-section order and its
/// <c>__metadata__</c> strings. Obtained from <see cref="SafeTensors.Inspect"/> without reading any
/// tensor data.
/// </summary>
/// <remarks>
/// A file is input from outside, so every rule is checked before a byte of it is trusted, as the
/// reference Rust loader does and one step stricter: the file is at least 8 bytes; the header
/// length N is at most <see cref="SafeTensors.MaxHeaderLength"/> and 8 + N fits in the file; the
/// header is valid UTF-8 JSON starting with <c>{</c>; no name appears twice (JSON parsers usually
/// keep the last duplicate silently); <c>__metadata__</c> maps strings to strings; each entry has
/// exactly <c>dtype</c>, <c>shape</c> and <c>data_offsets</c>; dtypes are known; dimensions are
/// non-negative integers; shape × dtype size (overflow-checked) equals <c>end − begin</c>; entries
/// sorted by offset tile the data section from 0 with no gap or overlap; and the last end + 8 + N
/// equals the file length exactly, which catches truncation and trailing bytes.
/// </remarks>
public sealed class SafeTensorsHeader
{
    // Deeper than root → entry → shape is never valid; a low limit stops pathological nesting early.
    private const int MaxJsonDepth = 4;

    // PyTorch tensors are rarely past rank 8; the cap bounds what a hostile header can make us
    // allocate per entry regardless of how large the header itself is.
    private const int MaxRank = 64;

    private static readonly string[] s_otherKnownDTypes =
    [
        "BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2",
        "I16", "U16", "I32", "U32", "U64", "C64",
    ];

    private SafeTensorsHeader(long headerLength, IReadOnlyList<SafeTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        HeaderLength = headerLength;
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>N: the length in bytes of the JSON header, including its space padding.</summary>
    public long HeaderLength { get; }

    /// <summary>File offset where the data section starts: 8 + N.</summary>
    public long DataStart => 8 + HeaderLength;

    /// <summary>The tensor entries, ordered by their offset in the data section.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> entries (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Total number of elements over all tensors (for a model file: its parameter count).</summary>
    public long TotalNumel => Tensors.Sum(t => t.Numel);

    /// <summary>Reads and validates the header of the open file <paramref name="stream"/>; <paramref name="path"/> names it in errors.</summary>
    internal static SafeTensorsHeader Read(Stream stream, string path)
    {
        long fileLength = stream.Length;
        if (fileLength < 8)
        {
            throw Error(path, $"the file is {fileLength} bytes, shorter than the 8-byte header length field");
        }

        Span<byte> lengthBytes = stackalloc byte[8];
        stream.Position = 0;
        stream.ReadExactly(lengthBytes);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (n > SafeTensors.MaxHeaderLength)
        {
            throw Error(path, $"header length {n} (bytes 0-7) exceeds the limit of {SafeTensors.MaxHeaderLength} bytes");
        }

        // n is now small, so (ulong)(fileLength - 8) cannot be exceeded by an overflowed sum.
        if (n > (ulong)(fileLength - 8))
        {
            throw Error(path, $"header length {n} (bytes 0-7) runs past the end of the file: 8 + {n} > file length {fileLength}");
        }

        // Bounded by both the limit and the real file length, so this allocation is safe.
        byte[] header = new byte[(int)n];
        stream.ReadExactly(header);

        var (entries, metadata) = Parse(header, path);
        var tensors = CheckLayout(entries, path, (long)n, fileLength);
        return new SafeTensorsHeader((long)n, tensors, metadata);
    }

    private static (List<RawEntry> Entries, Dictionary<string, string> Metadata) Parse(byte[] header, string path)
    {
        if (!Utf8.IsValid(header))
        {
            throw Error(path, $"the header is not valid UTF-8 (first bad byte at file offset {8 + FirstInvalidUtf8(header)})");
        }

        if (header.Length == 0 || header[0] != (byte)'{')
        {
            string found = header.Length == 0 ? "an empty header" : $"byte 0x{header[0]:X2}";
            throw Error(path, $"the header must be a JSON object starting with '{{' at file offset 8, found {found}");
        }

        try
        {
            return ParseJson(header, path);
        }
        catch (JsonException ex)
        {
            // The reader reports a position within the header; users need it as a file offset, and
            // its advice to "change the reader options" does not apply to them.
            string reason = ex.Message;
            int cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
            reason = (cut >= 0 ? reason[..cut] : reason).Replace(" Change the reader options.", "", StringComparison.Ordinal).TrimEnd();
            string where = ex.LineNumber == 0 && ex.BytePositionInLine is long column
                ? $" at file offset {8 + column}"
                : ex.LineNumber is long line ? $" at header line {line + 1}, byte {ex.BytePositionInLine}" : "";
            throw Error(path, $"the header is not valid JSON{where}: {reason}");
        }
    }

    private static (List<RawEntry>, Dictionary<string, string>) ParseJson(byte[] header, string path)
    {
        var reader = new Utf8JsonReader(header, new JsonReaderOptions
        {
            AllowTrailingCommas = false,
            CommentHandling = JsonCommentHandling.Disallow,
            MaxDepth = MaxJsonDepth,
        });

        var entries = new List<RawEntry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        bool sawMetadata = false;

        reader.Read();
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            long nameOffset = 8 + reader.TokenStartIndex;
            string name = ReadString(ref reader, path);
            if (name == SafeTensors.MetadataKey)
            {
                if (sawMetadata)
                {
                    throw Error(path, $"duplicate \"{SafeTensors.MetadataKey}\" at file offset {nameOffset}");
                }

                sawMetadata = true;
                ReadMetadata(ref reader, metadata, path);
                continue;
            }

            if (!names.Add(name))
            {
                throw Error(path, $"duplicate tensor name '{name}' at file offset {nameOffset}");
            }

            entries.Add(ReadEntry(ref reader, name, path));
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw Error(path, $"expected a tensor name at file offset {8 + reader.TokenStartIndex}, found {reader.TokenType}");
        }

        // With isFinalBlock, Read throws on anything but whitespace after the root object.
        if (reader.Read())
        {
            throw Error(path, $"unexpected content after the header object at file offset {8 + reader.TokenStartIndex}");
        }

        return (entries, metadata);
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("unexpected end of the header");
        }

        return reader.TokenType;
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata, string path)
    {
        if (Next(ref reader) != JsonTokenType.StartObject)
        {
            throw Error(path, $"\"{SafeTensors.MetadataKey}\" must be an object of string values, found {reader.TokenType} at file offset {8 + reader.TokenStartIndex}");
        }

        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            string key = ReadString(ref reader, path);
            long keyOffset = 8 + reader.TokenStartIndex;
            if (Next(ref reader) != JsonTokenType.String)
            {
                throw Error(path, $"\"{SafeTensors.MetadataKey}\" value for key '{key}' must be a string, found {reader.TokenType} at file offset {8 + reader.TokenStartIndex}");
            }

            if (!metadata.TryAdd(key, ReadString(ref reader, path)))
            {
                throw Error(path, $"duplicate \"{SafeTensors.MetadataKey}\" key '{key}' at file offset {keyOffset}");
            }
        }
    }

    private static RawEntry ReadEntry(ref Utf8JsonReader reader, string name, string path)
    {
        if (Next(ref reader) != JsonTokenType.StartObject)
        {
            throw Error(path, $"tensor '{name}' must be an object with dtype, shape and data_offsets, found {reader.TokenType} at file offset {8 + reader.TokenStartIndex}");
        }

        string? dtype = null;
        List<long>? shape = null;
        (ulong Begin, ulong End)? offsets = null;
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            string field = ReadString(ref reader, path);
            long fieldOffset = 8 + reader.TokenStartIndex;
            bool duplicate;
            switch (field)
            {
                case "dtype":
                    duplicate = dtype is not null;
                    if (Next(ref reader) != JsonTokenType.String)
                    {
                        throw Error(path, $"tensor '{name}': dtype must be a string, found {reader.TokenType} at file offset {8 + reader.TokenStartIndex}");
                    }

                    dtype = ReadString(ref reader, path);
                    break;
                case "shape":
                    duplicate = shape is not null;
                    shape = ReadShape(ref reader, name, path);
                    break;
                case "data_offsets":
                    duplicate = offsets is not null;
                    offsets = ReadOffsets(ref reader, name, path);
                    break;
                default:
                    throw Error(path, $"tensor '{name}' has unknown field '{field}' at file offset {fieldOffset} (expected dtype, shape, data_offsets)");
            }

            if (duplicate)
            {
                throw Error(path, $"tensor '{name}' has field '{field}' twice (second at file offset {fieldOffset})");
            }
        }

        if (dtype is null || shape is null || offsets is null)
        {
            string missing = dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets";
            throw Error(path, $"tensor '{name}' has no '{missing}' field");
        }

        return new RawEntry(name, ParseDType(dtype, name, path), dtype, shape, offsets.Value.Begin, offsets.Value.End);
    }

    private static List<long> ReadShape(ref Utf8JsonReader reader, string name, string path)
    {
        if (Next(ref reader) != JsonTokenType.StartArray)
        {
            throw Error(path, $"tensor '{name}': shape must be an array of integers, found {reader.TokenType} at file offset {8 + reader.TokenStartIndex}");
        }

        var shape = new List<long>();
        while (Next(ref reader) != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long d) || d < 0)
            {
                throw Error(path, $"tensor '{name}': shape dimension {shape.Count} must be a non-negative integer, found {Describe(ref reader)} at file offset {8 + reader.TokenStartIndex}");
            }

            if (shape.Count == MaxRank)
            {
                throw Error(path, $"tensor '{name}': shape has more than {MaxRank} dimensions");
            }

            shape.Add(d);
        }

        return shape;
    }

    private static (ulong, ulong) ReadOffsets(ref Utf8JsonReader reader, string name, string path)
    {
        if (Next(ref reader) != JsonTokenType.StartArray)
        {
            throw Error(path, $"tensor '{name}': data_offsets must be [begin, end], found {reader.TokenType} at file offset {8 + reader.TokenStartIndex}");
        }

        Span<ulong> values = stackalloc ulong[2];
        for (int i = 0; i < 2; i++)
        {
            if (Next(ref reader) != JsonTokenType.Number || !reader.TryGetUInt64(out values[i]))
            {
                string what = reader.TokenType == JsonTokenType.EndArray ? "only " + i + " values" : Describe(ref reader);
                throw Error(path, $"tensor '{name}': data_offsets must be two non-negative integers [begin, end], found {what} at file offset {8 + reader.TokenStartIndex}");
            }
        }

        if (Next(ref reader) != JsonTokenType.EndArray)
        {
            throw Error(path, $"tensor '{name}': data_offsets must have exactly two values [begin, end], found more at file offset {8 + reader.TokenStartIndex}");
        }

        return (values[0], values[1]);
    }

    private static string ReadString(ref Utf8JsonReader reader, string path)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // Valid JSON syntax can still escape an unpaired UTF-16 surrogate ("\ud800"), which is no string at all.
            throw Error(path, $"the string at file offset {8 + reader.TokenStartIndex} escapes an unpaired UTF-16 surrogate");
        }
    }

    private static string Describe(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null =>
            $"'{Encoding.UTF8.GetString(reader.ValueSpan)}'",
        JsonTokenType.String => $"the string \"{Encoding.UTF8.GetString(reader.ValueSpan)}\"",
        _ => reader.TokenType.ToString(),
    };

    private static DType ParseDType(string dtype, string name, string path)
    {
        if (SafeTensors.TryParseDType(dtype, out DType result))
        {
            return result;
        }

        if (dtype is "F16" or "BF16")
        {
            // Half and bfloat16 weights, as published models store them, load as float32.
            return DType.Float32;
        }

        if (Array.IndexOf(s_otherKnownDTypes, dtype) >= 0)
        {
            throw Error(path, $"tensor '{name}' has unsupported dtype '{dtype}' (this library reads F32, F64, I64, and F16 and BF16 as float32)");
        }

        throw Error(path, $"tensor '{name}' has unknown dtype '{dtype}'");
    }

    private static List<SafeTensorInfo> CheckLayout(List<RawEntry> entries, string path, long headerLength, long fileLength)
    {
        long dataStart = 8 + headerLength;
        foreach (var e in entries)
        {
            if (e.Begin > e.End)
            {
                throw Error(path, $"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] end before they begin");
            }

            ulong numel = 1;
            foreach (long d in e.Shape)
            {
                if (!TryMultiply(numel, (ulong)d, out numel))
                {
                    throw Error(path, $"tensor '{e.Name}': the element count of shape {FormatShape(e.Shape)} overflows 64 bits");
                }
            }

            if (!TryMultiply(numel, (ulong)e.FileElementSize, out ulong bytes))
            {
                throw Error(path, $"tensor '{e.Name}': the byte count of shape {FormatShape(e.Shape)} × {e.FileDType} overflows 64 bits");
            }

            if (bytes != e.End - e.Begin)
            {
                throw Error(path, $"tensor '{e.Name}': shape {FormatShape(e.Shape)} × {e.FileDType} ({e.FileElementSize} bytes) = {bytes} bytes, but data_offsets [{e.Begin}, {e.End}] span {e.End - e.Begin} bytes");
            }
        }

        // Zero-size tensors share their begin with the next tensor; ordering by end puts them first.
        var sorted = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();
        ulong expected = 0;
        string? previous = null;
        foreach (var e in sorted)
        {
            if (e.Begin != expected)
            {
                string after = previous is null ? "the start of the data section" : $"tensor '{previous}', which ends at {expected}";
                string problem = e.Begin > expected
                    ? $"leaving a gap of {e.Begin - expected} bytes after {after}"
                    : $"overlapping {after}";
                throw Error(path, $"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] (file offset {(decimal)dataStart + e.Begin}) begin at {e.Begin}, {problem}; tensors must be contiguous from offset 0");
            }

            expected = e.End;
            previous = e.Name;
        }

        ulong dataLength = (ulong)(fileLength - dataStart);
        if (expected > dataLength)
        {
            string last = previous is null ? "" : $" (tensor '{previous}')";
            throw Error(path, $"the data section ends at file offset {(decimal)dataStart + expected}{last} but the file is only {fileLength} bytes: the file is truncated or the offsets are out of range");
        }

        if (expected < dataLength)
        {
            throw Error(path, $"{dataLength - expected} unexpected trailing bytes after the last tensor, from file offset {dataStart + (long)expected} to {fileLength}");
        }

        // Everything now fits in the file, so counts fit in long; check they also fit this library's int shapes.
        var result = new List<SafeTensorInfo>(sorted.Count);
        foreach (var e in sorted)
        {
            var shape = new int[e.Shape.Count];
            for (int i = 0; i < shape.Length; i++)
            {
                if (e.Shape[i] > int.MaxValue)
                {
                    throw Error(path, $"tensor '{e.Name}': dimension {i} of shape {FormatShape(e.Shape)} exceeds {int.MaxValue}, the largest this library supports");
                }

                shape[i] = (int)e.Shape[i];
            }

            ulong numel = (e.End - e.Begin) / (ulong)e.FileElementSize;
            if (numel > (ulong)Array.MaxLength)
            {
                throw Error(path, $"tensor '{e.Name}' has {numel} elements, more than the {Array.MaxLength} this library supports");
            }

            result.Add(new SafeTensorInfo(e.Name, e.DType, shape, (long)e.Begin, (long)e.End) { FileDType = e.FileDType });
        }

        return result;
    }

    private static bool TryMultiply(ulong a, ulong b, out ulong product)
    {
        UInt128 p = (UInt128)a * b;
        product = (ulong)p;
        return p <= ulong.MaxValue;
    }

    private static string FormatShape(List<long> shape) =>
        "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        int i = 0;
        while (i < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[i..], out _, out int consumed) != System.Buffers.OperationStatus.Done)
            {
                return i;
            }

            i += consumed;
        }

        return i;
    }

    internal static InvalidDataException Error(string path, string message) =>
        new($"{path}: invalid safetensors file: {message}");

    private sealed record RawEntry(string Name, DType DType, string FileDType, List<long> Shape, ulong Begin, ulong End)
    {
        public int FileElementSize => FileDType is "F16" or "BF16" ? 2 : DType.ElementSize();
    }
}
