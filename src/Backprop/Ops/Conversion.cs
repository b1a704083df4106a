using System.Numerics.Tensors;

namespace Backprop;

/// <summary>
/// Dtype conversions of <see cref="Tensor"/> (<c>tensor.to(dtype)</c>, <c>.float()</c>,
/// <c>.double()</c>, <c>.long()</c>). Between float32 and float64 the conversion is differentiable
/// (the gradient is converted back); to int64 it truncates toward zero and records nothing.
/// Extension members in namespace <c>Backprop</c>, so they are called as members of <see cref="Tensor"/>.
/// </summary>
public static partial class ConversionOps
{
    extension(Tensor self)
    {
        /// <summary>
        /// This tensor in <paramref name="dtype"/> (<c>tensor.to(dtype)</c>): itself when it already has
        /// it, else a copy. Float to int64 truncates toward zero (as PyTorch does) and does not record a
        /// gradient; NaN or ±Inf, or a value outside int64's range, is refused naming the first.
        /// float32 ↔ float64 is recorded, its backward converting the gradient back.
        /// </summary>
        /// <param name="dtype">The dtype of the result.</param>
        /// <returns>This tensor when it already has <paramref name="dtype"/>, else a new tensor of its shape in <paramref name="dtype"/>.</returns>
        /// <exception cref="ArgumentException">A float value cannot be converted to int64; the message names it.</exception>
        public Tensor To(DType dtype)
        {
            if (self.DType == dtype)
            {
                return self;
            }

            var result = Tensor.Empty(self._shape, dtype);
            switch ((self._data, result._data))
            {
                case (float[] s, double[] d):
                    TensorPrimitives.ConvertChecked<float, double>(s, d);
                    break;
                case (double[] s, float[] d):
                    TensorPrimitives.ConvertTruncating<double, float>(s, d);
                    break;
                case (long[] s, float[] d):
                    TensorPrimitives.ConvertTruncating<long, float>(s, d);
                    return result;
                case (long[] s, double[] d):
                    TensorPrimitives.ConvertTruncating<long, double>(s, d);
                    return result;
                case (float[] s, long[] d):
                    ToInt64(s, d);
                    return result;
                case (double[] s, long[] d):
                    ToInt64(s, d);
                    return result;
            }

            var from = self.DType;
            return Tensor.Record(ToDefinition.For(dtype), result, [self], g => [g.To(from)]);
        }

        /// <summary>As float32 (<c>tensor.float()</c>); see <see cref="To"/>.</summary>
        /// <returns>This tensor when it is float32, else a new float32 tensor of its shape.</returns>
        public Tensor Float() => self.To(DType.Float32);

        /// <summary>As float64 (<c>tensor.double()</c>); see <see cref="To"/>.</summary>
        /// <returns>This tensor when it is float64, else a new float64 tensor of its shape.</returns>
        public Tensor Double() => self.To(DType.Float64);

        /// <summary>As int64, truncating toward zero (<c>tensor.long()</c>); see <see cref="To"/>.</summary>
        /// <returns>This tensor when it is int64, else a new int64 tensor of its shape.</returns>
        public Tensor Long() => self.To(DType.Int64);
    }

    /// <summary>Truncates toward zero, refusing what int64 cannot hold.</summary>
    private static void ToInt64<T>(T[] source, long[] destination)
        where T : System.Numerics.IFloatingPointIeee754<T>
    {
        // 2⁶³ is exact in both float types; every value below it (and ≥ −2⁶³) fits.
        T limit = T.CreateChecked(9223372036854775808.0);
        for (int i = 0; i < source.Length; i++)
        {
            T v = T.Truncate(source[i]);
            if (!(v < limit && v >= -limit))
            {
                throw new ArgumentException($"to(int64): element {i} is {source[i]}, which int64 cannot hold");
            }

            destination[i] = long.CreateTruncating(v);
        }
    }
}

/// <summary>The definition of <see cref="ConversionOps.To"/> between float dtypes: y = x in another precision, ∂y/∂x = 1.</summary>
public sealed class ToDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        tangents[0]!.To(DType);

    private static readonly ToDefinition s_float32 = new(DType.Float32);
    private static readonly ToDefinition s_float64 = new(DType.Float64);

    private ToDefinition(DType dtype)
        : base("to", "y = x rounded to the new dtype; ∂L/∂x = ∂L/∂y converted back to x's dtype")
    {
        DType = dtype;
    }

    /// <summary>The dtype converted to (PyTorch's <c>dtype</c>).</summary>
    public DType DType { get; }

    /// <summary>
    /// The inputs its backward is gradient-checked on: float64 → float32 → float64 on values of at most
    /// 0.004, where float32's rounding (about 2·10⁻¹⁰) moves the central difference by at most 3·10⁻⁴,
    /// inside the check's tolerance; larger values would fail the check by rounding, not by the gradient.
    /// </summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("to_float32_and_back", x => x[0].To(DType.Float32).To(DType.Float64) * 3.0, OpRegistry.In([3, 4], -0.004, 0.004)),
    ];

    /// <summary>ONNX Cast(x) to float (1) or double (11).</summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx) =>
        LowerAs(onnx, "Cast", new OnnxAttribute("to", DType == DType.Float32 ? 1L : 11L));

    /// <inheritdoc/>
    protected override string FormatAttributes() => $"dtype: {DType.Name()}";

    internal static ToDefinition For(DType dtype) => dtype == DType.Float32 ? s_float32 : s_float64;
}
