using System.Numerics;
using System.Numerics.Tensors;
using Backprop.Kernels;

namespace Backprop;

// linear: a fused primitive for speed. As a composite (x.Matmul(W.T) + b) it would copy Wᵀ on every
// forward and backward; here the GEMM reads W transposed in place and the bias is added row by row.
/// <summary>
/// The affine map of <see cref="Tensor"/>: <c>Tensor.Linear</c> (<c>torch.nn.functional.linear</c>).
/// Extension members in namespace <c>Backprop</c>, so they are called as members of <see cref="Tensor"/>.
/// </summary>
public static partial class LinearOps
{
    extension(Tensor)
    {
        /// <summary>
        /// Affine map y = x·Wᵀ + b over the last dimension (<c>torch.nn.functional.linear</c>), with
        /// <paramref name="weight"/> of shape (out, in) and <paramref name="bias"/> of shape (out).
        /// dL/dx = dL/dy·W, dL/dW = (dL/dy)ᵀ·x, dL/db = Σ over rows of dL/dy.
        /// </summary>
        /// <param name="input">(…, in_features): any leading dims, the last one the features.</param>
        /// <param name="weight">W, (out_features, in_features).</param>
        /// <param name="bias">b, (out_features), or null for none.</param>
        /// <returns>A new tensor of the input's shape with the last dim replaced by out, in the input's dtype.</returns>
        public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
        {
            var (output, rows, inFeatures, outFeatures) = Compute(input, weight, bias, relu: false);
            Tensor[] inputs = bias is null ? [input, weight] : [input, weight, bias];
            return Tensor.Record(LinearDefinition.Instance, output, inputs, g =>
            {
                if (Autograd.IsGradEnabled)
                {
                    return BackwardRecorded(g, input, weight, bias, rows, inFeatures, outFeatures);
                }

                var gradInput = input.RequiresGrad ? Tensor.Empty(input._shape, input.DType) : null;
                var gradWeight = weight.RequiresGrad ? Tensor.Empty(weight._shape, weight.DType) : null;
                if (g.DType == DType.Float32)
                {
                    Backward<float>(g.F32, input.F32, weight.F32, gradInput?.F32, gradWeight?.F32, rows, inFeatures, outFeatures);
                }
                else
                {
                    Backward<double>(g.F64, input.F64, weight.F64, gradInput?.F64, gradWeight?.F64, rows, inFeatures, outFeatures);
                }

                var gradBias = bias is { RequiresGrad: true } ? Broadcasting.SumToShape("linear", new Tensor(g._data, [rows, outFeatures]), [outFeatures]) : null;
                return bias is null ? [gradInput, gradWeight] : [gradInput, gradWeight, gradBias];
            });
        }
    }

    /// <summary>
    /// relu(x·Wᵀ + b) in one pass over the output (the bias and the activation applied to each row
    /// right after the product, while it is in cache), recorded as nothing: for an inference forward
    /// (<c>Sequential</c> with grad mode off, anomaly mode off and no forward-mode tangents) where a
    /// Linear layer is followed by ReLU. The values are those of <c>Tensor.Linear(x, W, b).Relu()</c>;
    /// with grad mode on it is exactly that.
    /// </summary>
    internal static Tensor LinearRelu(Tensor input, Tensor weight, Tensor? bias)
    {
        if (Autograd.IsGradEnabled || AnomalyMode.IsEnabled || ForwardAD.IsActive)
        {
            return Tensor.Linear(input, weight, bias).Relu();
        }

        return Compute(input, weight, bias, relu: true).Output;
    }

    /// <summary>
    /// x·Wᵀ + b (then max(·, 0) when <paramref name="relu"/>), recorded as nothing, with Wᵀ packed
    /// beforehand (a frozen Linear layer's, <see cref="Sgemm.Pack(bool, int, int, ReadOnlySpan{float})"/>
    /// of <paramref name="weight"/>): the checks, messages and values of <c>Tensor.Linear</c>
    /// (and <see cref="LinearRelu"/>) without packing the weight on every call.
    /// </summary>
    internal static Tensor LinearPacked(Tensor input, Tensor weight, Sgemm.PackedB packedWeight, Tensor? bias, bool relu)
    {
        var (rows, inFeatures, outFeatures) = Check(input, weight, bias);
        if (input.DType != DType.Float32 || packedWeight.K != inFeatures || packedWeight.N != outFeatures || !packedWeight.TransB)
        {
            throw new ArgumentException($"linear: the packed weight ({packedWeight.N}x{packedWeight.K}) does not match weight {Shapes.Format(weight._shape)} of dtype {weight.DType.Name()}");
        }

        var output = Tensor.Empty([.. input._shape[..^1], outFeatures], input.DType);
        Sgemm.Multiply(false, rows, input.F32, packedWeight, output.F32, bias is null ? default : bias.F32, relu);
        return output;
    }

    /// <summary>Checks the operands and computes x·Wᵀ + b (then max(·, 0) when <paramref name="relu"/>) into a new tensor.</summary>
    private static (Tensor Output, int Rows, int InFeatures, int OutFeatures) Compute(Tensor input, Tensor weight, Tensor? bias, bool relu)
    {
        var (rows, inFeatures, outFeatures) = Check(input, weight, bias);
        var output = Tensor.Empty([.. input._shape[..^1], outFeatures], input.DType);
        if (input.DType == DType.Float32)
        {
            Forward<float>(input.F32, weight.F32, bias?.F32, output.F32, rows, inFeatures, outFeatures, relu);
        }
        else
        {
            Forward<double>(input.F64, weight.F64, bias?.F64, output.F64, rows, inFeatures, outFeatures, relu);
        }

        return (output, rows, inFeatures, outFeatures);
    }

    /// <summary>Checks linear's operands (dtypes, shapes), naming them on error; returns the rows of the flattened input and the feature counts.</summary>
    private static (int Rows, int InFeatures, int OutFeatures) Check(Tensor input, Tensor weight, Tensor? bias)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        Tensor.RequireFloat("linear", input);
        Tensor.RequireSameDType("linear", input, weight);
        if (weight.Rank != 2)
        {
            throw new ArgumentException($"linear: weight must have shape (out_features x in_features), got {Shapes.Format(weight._shape)}");
        }

        int outFeatures = weight._shape[0], inFeatures = weight._shape[1];
        if (input.Rank == 0 || input._shape[^1] != inFeatures)
        {
            throw new ArgumentException($"linear: input of shape {Shapes.Format(input._shape)} does not fit weight {Shapes.Format(weight._shape)}: the last dimension must be {inFeatures}");
        }

        if (bias is not null)
        {
            Tensor.RequireSameDType("linear", input, bias);
            if (bias.Rank != 1 || bias._shape[0] != outFeatures)
            {
                throw new ArgumentException($"linear: bias must have shape ({outFeatures}), got {Shapes.Format(bias._shape)}");
            }
        }

        return (input.Numel / Math.Max(inFeatures, 1), inFeatures, outFeatures);
    }

    /// <summary>
    /// The backward of linear written with recorded ops, for a recorded backward pass (createGraph):
    /// dL/dx = g·W, dL/dW = gᵀ·x over the flattened rows, dL/db = Σ_rows g.
    /// </summary>
    private static Tensor?[] BackwardRecorded(Tensor g, Tensor input, Tensor weight, Tensor? bias, int rows, int inFeatures, int outFeatures)
    {
        var rowsOfG = g.Reshape(rows, outFeatures);
        var gradInput = input.RequiresGrad ? rowsOfG.Matmul(weight).Reshape(input._shape) : null;
        var gradWeight = weight.RequiresGrad ? rowsOfG.Transpose(0, 1).Matmul(input.Reshape(rows, inFeatures)) : null;
        var gradBias = bias is { RequiresGrad: true } ? rowsOfG.Sum(0) : null;
        return bias is null ? [gradInput, gradWeight] : [gradInput, gradWeight, gradBias];
    }

    private static void Forward<T>(T[] x, T[] w, T[]? b, T[] y, int rows, int inFeatures, int outFeatures, bool relu)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            // The bias and ReLU applied to each tile of the product as its sums complete (Sgemm.Epilogue).
            Sgemm.Multiply(false, true, rows, outFeatures, inFeatures, (float[])(object)x, (float[])(object)w, (float[])(object)y, b is null ? default : (float[])(object)b, relu);
            return;
        }

        Gemm.Multiply<T>(false, true, rows, outFeatures, inFeatures, x, w, y);
        AddBiasRelu(y, b, rows, outFeatures, relu);
    }

    /// <summary>Adds the bias to each row of y and applies ReLU (when asked), row by row (float64; float32 does it inside the GEMM).</summary>
    private static void AddBiasRelu<T>(T[] y, T[]? b, int rows, int outFeatures, bool relu)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (b is null && !relu)
        {
            return;
        }

        for (int r = 0; r < rows; r++)
        {
            var row = y.AsSpan(r * outFeatures, outFeatures);
            if (b is not null)
            {
                TensorPrimitives.Add(row, b, row);
            }

            if (relu)
            {
                // Relu's kernel, on the row still in cache.
                TensorPrimitives.Max(row, T.Zero, row);
            }
        }
    }

    private static void Backward<T>(T[] g, T[] x, T[] w, T[]? gradX, T[]? gradW, int rows, int inFeatures, int outFeatures)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (gradX is not null)
        {
            Gemm.Multiply<T>(false, false, rows, inFeatures, outFeatures, g, w, gradX);
        }

        if (gradW is not null)
        {
            Gemm.Multiply<T>(true, false, outFeatures, inFeatures, rows, g, x, gradW);
        }
    }
}

/// <summary>The definition of <see cref="LinearOps.Linear"/> (no attributes; the bias, when given, is the third input).</summary>
public sealed class LinearDefinition : OpDefinition, IGradCheckSamples
{
    /// <inheritdoc/>
    public override bool SupportsDoubleBackward => true;

    /// <inheritdoc/>
    public override Tensor? ForwardDerivative(IReadOnlyList<Tensor> inputs, Tensor output, IReadOnlyList<Tensor?> tangents) =>
        SumOfTerms(tangents[0] is { } tx ? Tensor.Linear(tx, inputs[1]) : null, tangents[1] is { } tw ? Tensor.Linear(inputs[0], tw) : null, inputs.Count > 2 ? tangents[2] : null);

    private LinearDefinition()
        : base("linear", "y = x·Wᵀ + b; ∂L/∂x = g·W, ∂L/∂W = gᵀ·x, ∂L/∂b = Σ g")
    {
    }

    /// <summary>The one shared instance.</summary>
    public static LinearDefinition Instance { get; } = new();

    /// <summary>
    /// y = x·Wᵀ + b: one Gemm(x, W, b, transB=1) for a 2-D input, else MatMul(x, Transpose(W)) + b
    /// (MatMul broadcasts over the leading dimensions, as linear does).
    /// </summary>
    /// <param name="onnx">The export in progress: the recorded inputs' ONNX value names and traced shapes, and where the nodes are appended.</param>
    /// <returns>The name of the ONNX value holding the op's output.</returns>
    public override string LowerToOnnx(IOnnxLowering onnx)
    {
        ArgumentNullException.ThrowIfNull(onnx);
        string x = onnx.Input(0), weight = onnx.Input(1);
        string? bias = onnx.InputCount > 2 ? onnx.Input(2) : null;
        if (onnx.InputShape(0).Length == 2)
        {
            return onnx.Node("Gemm", bias is null ? [x, weight] : [x, weight, bias], new OnnxAttribute("transB", 1));
        }

        string transposed = onnx.Node("Transpose", [weight], new OnnxAttribute("perm", [1L, 0L]));
        string y = onnx.Node("MatMul", [x, transposed]);
        return bias is null ? y : onnx.Node("Add", [y, bias]);
    }

    /// <summary>The inputs its backward is gradient-checked on: the op registry's rows for it.</summary>
    public static IEnumerable<OpInfo> GradCheckSamples =>
    [
        new("linear", x => Tensor.Linear(x[0], x[1], x[2]), OpRegistry.In([5, 4]), OpRegistry.In([3, 4]), OpRegistry.In([3])),
        new("linear_no_bias_3d", x => Tensor.Linear(x[0], x[1]), OpRegistry.In([2, 3, 4]), OpRegistry.In([2, 4])),
    ];
}
