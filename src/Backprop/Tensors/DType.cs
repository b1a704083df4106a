namespace Backprop;

/// <summary>
/// Element type of a <see cref="Tensor"/>. Float32 is the default (as <c>torch.float32</c>);
/// Float64 serves gradient checking; Int64 holds indices and class labels (as <c>torch.int64</c>)
/// and supports no arithmetic.
/// </summary>
public enum DType
{
    /// <summary>32-bit IEEE 754 float (<c>torch.float32</c>).</summary>
    Float32,

    /// <summary>64-bit IEEE 754 float (<c>torch.float64</c>).</summary>
    Float64,

    /// <summary>64-bit signed integer (<c>torch.int64</c>), for indices and labels.</summary>
    Int64,
}

/// <summary>Helpers for <see cref="DType"/>.</summary>
public static class DTypeExtensions
{
    /// <summary>The PyTorch-style name: <c>float32</c>, <c>float64</c>, <c>int64</c>.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>The dtype's lowercase name, e.g. <c>float32</c>.</returns>
    public static string Name(this DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Int64 => "int64",
        _ => dtype.ToString(),
    };

    /// <summary>Size of one element in bytes.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>4 for float32, 8 for float64 and int64.</returns>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.Float32 => 4,
        _ => 8,
    };

    /// <summary>True for Float32 and Float64.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>True for a floating-point dtype, false for int64.</returns>
    public static bool IsFloatingPoint(this DType dtype) => dtype != DType.Int64;
}
