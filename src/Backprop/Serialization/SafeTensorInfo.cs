namespace Backprop.Serialization;

/// <summary>
/// One tensor entry of a safetensors header: its name, element type, shape and where its bytes lie
/// in the data section (as the <c>safetensors</c> Python package's <c>safe_open(...).get_slice(name)</c>
/// metadata exposes them).
/// </summary>
/// <param name="Name">The tensor's key, for example <c>layers.0.weight</c>.</param>
/// <param name="DType">The element type the tensor loads as (safetensors <c>F32</c>, <c>F64</c> or <c>I64</c>; <c>F16</c> and <c>BF16</c> load as float32).</param>
/// <param name="Shape">The sizes of each dimension; empty for a rank-0 tensor.</param>
/// <param name="Begin">Offset of the first byte in the data section (which starts right after the header).</param>
/// <param name="End">Offset one past the last byte in the data section.</param>
public sealed record SafeTensorInfo(string Name, DType DType, int[] Shape, long Begin, long End)
{
    /// <summary>The dtype as the file stores it: <c>F32</c>, <c>F64</c>, <c>I64</c>, or <c>F16</c>/<c>BF16</c>, which load as float32.</summary>
    public string FileDType { get; init; } = SafeTensors.DTypeName(DType);

    /// <summary>Number of elements: the product of <see cref="Shape"/> (1 for rank 0).</summary>
    public long Numel
    {
        get
        {
            long n = 1;
            foreach (int d in Shape)
            {
                n *= d;
            }

            return n;
        }
    }

    /// <summary>Number of data bytes: <c>End − Begin</c> = <see cref="Numel"/> × element size.</summary>
    public long ByteCount => End - Begin;
}
