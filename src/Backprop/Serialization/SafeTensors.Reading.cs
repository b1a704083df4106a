using System.Runtime.InteropServices;

namespace Backprop.Serialization;

public static partial class SafeTensors
{
    /// <summary>
    /// Loads every tensor of the safetensors file at <paramref name="path"/>
    /// (<c>safetensors.torch.load_file(path)</c>), in data-section order. The header is validated
    /// completely before any data is read or any tensor storage is allocated.
    /// </summary>
    /// <param name="path">The .safetensors file.</param>
    /// <returns>A new dictionary from tensor name to a new tensor, in data-section order.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message names the file and offsets.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static Dictionary<string, Tensor> Load(string path) => LoadWithMetadata(path).Tensors;

    /// <summary>
    /// Loads every tensor of the safetensors file at <paramref name="path"/> together with its
    /// <c>__metadata__</c> strings (<c>safe_open(path).metadata()</c>); empty metadata when the file has none.
    /// </summary>
    /// <param name="path">The .safetensors file.</param>
    /// <returns>Tensors: name to new tensor, in data-section order; Metadata: the <c>__metadata__</c> strings (empty when none).</returns>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message names the file and offsets.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) LoadWithMetadata(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return LoadFrom(stream, path);
    }

    /// <summary>Loads from any seekable <paramref name="stream"/>; <paramref name="path"/> names it in errors.</summary>
    internal static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) LoadFrom(Stream stream, string path)
    {
        var header = SafeTensorsHeader.Read(stream, path);
        var tensors = new Dictionary<string, Tensor>(header.Tensors.Count, StringComparer.Ordinal);
        foreach (var info in header.Tensors)
        {
            tensors.Add(info.Name, ReadTensor(stream, header, info, path));
        }

        return (tensors, new Dictionary<string, string>(header.Metadata, StringComparer.Ordinal));
    }

    /// <summary>
    /// Reads and validates only the header of the safetensors file at <paramref name="path"/>:
    /// tensor names, dtypes, shapes, offsets and metadata, without reading tensor data
    /// (as <c>safe_open(path)</c> followed by <c>keys()</c> and <c>get_slice(name).get_shape()</c>).
    /// </summary>
    /// <param name="path">The .safetensors file.</param>
    /// <returns>The header: each tensor's name, dtype, shape and byte offsets, and the metadata.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message names the file and offsets.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SafeTensorsHeader Inspect(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096);
        return SafeTensorsHeader.Read(stream, path);
    }

    private static Tensor ReadTensor(Stream stream, SafeTensorsHeader header, SafeTensorInfo info, string path)
    {
        // The header check proved these sizes fit inside the file, so the allocation is bounded by it.
        int numel = (int)info.Numel;
        if (info.FileDType is "F16" or "BF16")
        {
            return ReadHalfTensor(stream, header, info, path);
        }

        Array data = info.DType switch
        {
            DType.Float32 => GC.AllocateUninitializedArray<float>(numel),
            DType.Float64 => GC.AllocateUninitializedArray<double>(numel),
            _ => GC.AllocateUninitializedArray<long>(numel),
        };
        Span<byte> bytes = data switch
        {
            float[] f => MemoryMarshal.AsBytes(f.AsSpan()),
            double[] d => MemoryMarshal.AsBytes(d.AsSpan()),
            _ => MemoryMarshal.AsBytes(((long[])data).AsSpan()),
        };

        stream.Position = header.DataStart + info.Begin;
        try
        {
            stream.ReadExactly(bytes);
        }
        catch (EndOfStreamException)
        {
            // Only possible if the file shrank after its header was validated.
            throw SafeTensorsHeader.Error(path, $"tensor '{info.Name}': the file ended before file offset {header.DataStart + info.End} while reading its data");
        }

        if (!BitConverter.IsLittleEndian)
        {
            ReverseElements(bytes, info.DType.ElementSize());
        }

        return new Tensor(data, (int[])info.Shape.Clone());
    }

    /// <summary>An F16 or BF16 tensor, read as its 16-bit values and widened to float32 (exactly: both fit in float32).</summary>
    private static Tensor ReadHalfTensor(Stream stream, SafeTensorsHeader header, SafeTensorInfo info, string path)
    {
        int numel = (int)info.Numel;
        var bits = GC.AllocateUninitializedArray<ushort>(numel);
        var bytes = MemoryMarshal.AsBytes(bits.AsSpan());
        stream.Position = header.DataStart + info.Begin;
        try
        {
            stream.ReadExactly(bytes);
        }
        catch (EndOfStreamException)
        {
            throw SafeTensorsHeader.Error(path, $"tensor '{info.Name}': the file ended before file offset {header.DataStart + info.End} while reading its data");
        }

        if (!BitConverter.IsLittleEndian)
        {
            ReverseElements(bytes, 2);
        }

        var data = GC.AllocateUninitializedArray<float>(numel);
        if (info.FileDType == "F16")
        {
            System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<ushort, Half>(bits), data);
        }
        else
        {
            // bfloat16 is the top half of a float32's bits.
            for (int i = 0; i < numel; i++)
            {
                data[i] = BitConverter.Int32BitsToSingle(bits[i] << 16);
            }
        }

        return new Tensor(data, (int[])info.Shape.Clone());
    }
}
