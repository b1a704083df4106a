using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Backprop.Serialization;

/// <summary>
/// Reads and writes the safetensors format (the <c>safetensors</c> Python package's
/// <c>save_file</c>/<c>load_file</c>), so weights move to and from PyTorch and other tools:
/// an 8-byte little-endian unsigned header length N, then N bytes of UTF-8 JSON
/// <c>{"__metadata__":{...},"name":{"dtype":"F32","shape":[..],"data_offsets":[begin,end]},...}</c>
/// padded with spaces to a multiple of 8, then the raw little-endian tensor data, where
/// <c>begin</c> and <c>end</c> are byte offsets from the start of that data section.
/// </summary>
/// <remarks>
/// Supported dtypes are <c>F32</c>, <c>F64</c> and <c>I64</c> (<see cref="DType"/>). Loading
/// validates the whole header before reading any data (see <see cref="SafeTensorsHeader"/>) and
/// throws <see cref="InvalidDataException"/> naming the file and the offending offsets.
/// </remarks>
public static partial class SafeTensors
{
    /// <summary>The largest header accepted when loading, in bytes (as the reference Rust loader).</summary>
    public const int MaxHeaderLength = 100_000_000;

    /// <summary>The reserved header key holding the string-to-string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>
    /// <see cref="Save(string, IReadOnlyDictionary{string, Tensor}, IReadOnlyDictionary{string, string})"/>
    /// with the arguments in safetensors' order, <c>save_file(tensors, filename, metadata)</c>.
    /// </summary>
    /// <param name="tensors">The tensors by name.</param>
    /// <param name="path">The file to write.</param>
    /// <param name="metadata">Optional string metadata.</param>
    public static void Save(IReadOnlyDictionary<string, Tensor> tensors, string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        Save(path, tensors, metadata);

    /// <summary>
    /// Writes <paramref name="tensors"/> and optional <paramref name="metadata"/> to
    /// <paramref name="path"/> (<c>safetensors.torch.save_file(tensors, path, metadata)</c>).
    /// Tensors are laid out contiguously from offset 0 in the dictionary's enumeration order
    /// (insertion order for a <see cref="Dictionary{TKey, TValue}"/>, so a state dict keeps its
    /// layer order). The write is atomic: a temporary file in the same folder is flushed to disk
    /// and then renamed over <paramref name="path"/>, so an existing file is replaced only by a
    /// complete one and is left untouched if anything fails.
    /// </summary>
    /// <param name="path">The file written, replaced atomically.</param>
    /// <param name="tensors">The tensors by name, e.g. a state dict.</param>
    /// <param name="metadata">Text pairs stored in the header's <c>__metadata__</c>, or null for none.</param>
    /// <exception cref="ArgumentException">A name is empty or <c>__metadata__</c>, or a tensor is null.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);

        // One snapshot, so the header and the data are written from the same list even if the
        // caller's dictionary is mutated or enumerates differently a second time.
        var entries = new List<KeyValuePair<string, Tensor>>(tensors.Count);
        foreach (var kv in tensors)
        {
            if (kv.Key == MetadataKey)
            {
                throw new ArgumentException($"SafeTensors.Save: '{MetadataKey}' is reserved for metadata and cannot name a tensor", nameof(tensors));
            }

            if (kv.Value is null)
            {
                throw new ArgumentException($"SafeTensors.Save: tensor '{kv.Key}' is null", nameof(tensors));
            }

            entries.Add(kv);
        }

        var meta = metadata is null ? null : new List<KeyValuePair<string, string>>(metadata);
        byte[] header = BuildHeader(entries, meta);

        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var (_, tensor) in entries)
            {
                WriteData(stream, tensor);
            }
        });
    }

    private static byte[] BuildHeader(List<KeyValuePair<string, Tensor>> entries, List<KeyValuePair<string, string>>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();

        // Relaxed escaping keeps names such as "layers.0.weight" and non-ASCII text readable; the
        // output is still valid JSON that any safetensors reader parses.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                {
                    ArgumentNullException.ThrowIfNull(key);
                    writer.WriteString(key, value ?? throw new ArgumentException($"SafeTensors.Save: metadata value for key '{key}' is null", nameof(metadata)));
                }

                writer.WriteEndObject();
            }

            long offset = 0;
            foreach (var (name, tensor) in entries)
            {
                long bytes = (long)tensor.Numel * tensor.DType.ElementSize();
                writer.WriteStartObject(name);
                writer.WriteString("dtype", DTypeName(tensor.DType));
                writer.WriteStartArray("shape");
                foreach (int d in tensor._shape)
                {
                    writer.WriteNumberValue(d);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + bytes);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += bytes;
            }

            writer.WriteEndObject();
        }

        // Padding to a multiple of 8 keeps every tensor's data 8-byte aligned for memory-mapping readers.
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        byte[] header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteData(Stream stream, Tensor tensor)
    {
        ReadOnlySpan<byte> bytes = tensor._data switch
        {
            float[] f => MemoryMarshal.AsBytes(f.AsSpan()),
            double[] d => MemoryMarshal.AsBytes(d.AsSpan()),
            long[] l => MemoryMarshal.AsBytes(l.AsSpan()),
            _ => throw new InvalidOperationException($"SafeTensors.Save: unsupported storage {tensor._data.GetType().Name}"),
        };

        if (BitConverter.IsLittleEndian)
        {
            stream.Write(bytes);
            return;
        }

        // The format is little-endian; on a big-endian machine swap each element in a copy.
        byte[] swapped = bytes.ToArray();
        ReverseElements(swapped, tensor.DType.ElementSize());
        stream.Write(swapped);
    }

    /// <summary>Reverses the byte order of each <paramref name="elementSize"/>-byte element in place.</summary>
    internal static void ReverseElements(Span<byte> bytes, int elementSize)
    {
        for (int i = 0; i + elementSize <= bytes.Length; i += elementSize)
        {
            bytes.Slice(i, elementSize).Reverse();
        }
    }

    /// <summary>The safetensors dtype string of <paramref name="dtype"/>: <c>F32</c>, <c>F64</c> or <c>I64</c>.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns><c>F32</c>, <c>F64</c> or <c>I64</c>.</returns>
    public static string DTypeName(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Int64 => "I64",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "no safetensors name for this dtype"),
    };

    internal static bool TryParseDType(string name, out DType dtype)
    {
        switch (name)
        {
            case "F32": dtype = DType.Float32; return true;
            case "F64": dtype = DType.Float64; return true;
            case "I64": dtype = DType.Int64; return true;
            default: dtype = default; return false;
        }
    }
}
