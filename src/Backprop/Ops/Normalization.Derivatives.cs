namespace Backprop;

// The derivatives of batch and layer normalization written with recorded ops: the backward taken while
// a backward pass is recorded (createGraph), and the forward derivative. Both rest on one fact: the
// Jacobian of standardization x̂ = (x − μ)·s, s = 1/√(σ² + eps), over a group of D values is the
// symmetric s·(I − 11ᵀ/D − x̂x̂ᵀ/D), so the same projection maps an upstream gradient back and a tangent forward.
public static partial class NormalizationOps
{
    /// <summary>s·(v − mean(v) − x̂·mean(v·x̂)) over <paramref name="dims"/>: the standardization's Jacobian applied to v.</summary>
    private static Tensor Project(Tensor v, Tensor normalized, Tensor invStd, int[] dims) =>
        invStd * (v - v.Mean(dims, keepDim: true) - (normalized * (v * normalized).Mean(dims, keepDim: true)));

    /// <summary>x̂ and s of <paramref name="x"/> standardized over <paramref name="dims"/> with its own (biased) statistics, recorded.</summary>
    private static (Tensor Normalized, Tensor InvStd) Standardize(Tensor x, int[] dims, double eps)
    {
        var centered = x - x.Mean(dims, keepDim: true);
        var invStd = 1.0 / ((centered * centered).Mean(dims, keepDim: true) + eps).Sqrt();
        return (centered * invStd, invStd);
    }

    /// <summary>x̂ and s of batch norm: the batch's statistics when training, the running ones (constants) in evaluation.</summary>
    private static (Tensor Normalized, Tensor InvStd) BatchStandardize(Tensor x, bool training, double eps, double[] mean, double[] invStd)
    {
        if (training)
        {
            return Standardize(x, BatchDims(x), eps);
        }

        var shape = ChannelShape(x);
        var s = Tensor.FromArray(invStd, shape).To(x.DType);
        return ((x - Tensor.FromArray(mean, shape).To(x.DType)) * s, s);
    }

    /// <summary>The dims batch norm reduces over: all but the channels (dim 1).</summary>
    private static int[] BatchDims(Tensor x) => [0, .. Enumerable.Range(2, x.Rank - 2)];

    /// <summary>(1, C, 1, …): a per-channel vector's shape broadcasting over a batch-norm input.</summary>
    private static int[] ChannelShape(Tensor x)
    {
        var shape = Enumerable.Repeat(1, x.Rank).ToArray();
        shape[1] = x._shape[1];
        return shape;
    }

    /// <summary>
    /// The backward of an affine normalization as ops: dL/dx = J·(g·w) (J the standardization's Jacobian,
    /// or s alone for fixed statistics), dL/dw = Σ g·x̂, dL/db = Σ g over the dims the weights broadcast over.
    /// </summary>
    private static Tensor?[] AffineBackwardRecorded(
        Tensor g, Tensor input, Tensor? weight, Tensor? bias, Tensor normalized, Tensor invStd, int[]? statisticsDims, int[] weightShape, int[] sumDims)
    {
        var scaled = weight is null ? g : g * weight.Reshape(weightShape);
        var gradInput = !input.RequiresGrad ? null
            : statisticsDims is null ? scaled * invStd : Project(scaled, normalized, invStd, statisticsDims);
        var gradWeight = weight is { RequiresGrad: true } ? (g * normalized).Sum(sumDims).Reshape(weight._shape) : null;
        var gradBias = bias is { RequiresGrad: true } ? g.Sum(sumDims).Reshape(bias._shape) : null;
        return AffineGradients(weight, bias, gradInput, gradWeight, gradBias);
    }

    /// <summary>The forward derivative of an affine normalization: w·ẋ̂ + ẇ·x̂ + ḃ, ẋ̂ = J·ẋ.</summary>
    private static Tensor? AffineTangent(
        IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?> tangents, bool hasWeight, bool hasBias, Tensor normalized, Tensor invStd, int[]? statisticsDims, int[] weightShape)
    {
        var weight = hasWeight ? inputs[1].Reshape(weightShape) : null;
        Tensor? normalizedTangent = tangents[0] is not { } tx ? null
            : statisticsDims is null ? tx * invStd : Project(tx, normalized, invStd, statisticsDims);
        return OpDefinition.SumOfTangents(
            normalizedTangent is null ? null : weight is null ? normalizedTangent : normalizedTangent * weight,
            hasWeight && tangents[1] is { } tw ? tw.Reshape(weightShape) * normalized : null,
            hasBias && tangents[hasWeight ? 2 : 1] is { } tb ? tb.Reshape(weightShape) : null);
    }

    /// <summary>Layer norm's recorded backward: statistics over the trailing <paramref name="normalizedRank"/> dims.</summary>
    private static Tensor?[] LayerNormBackwardRecorded(Tensor g, Tensor input, Tensor? weight, Tensor? bias, int normalizedRank, double eps)
    {
        int[] dims = [.. Enumerable.Range(input.Rank - normalizedRank, normalizedRank)];
        var (normalized, invStd) = Standardize(input, dims, eps);
        int[] leading = [.. Enumerable.Range(0, input.Rank - normalizedRank)];
        return AffineBackwardRecorded(g, input, weight, bias, normalized, invStd, dims, [.. input._shape[^normalizedRank..]], leading);
    }

    /// <summary>Batch norm's recorded backward, with the batch's statistics when training and the running ones otherwise.</summary>
    private static Tensor?[] BatchNormBackwardRecorded(Tensor g, Tensor input, Tensor? weight, Tensor? bias, bool training, double eps, double[] mean, double[] invStd)
    {
        var (normalized, s) = BatchStandardize(input, training, eps, mean, invStd);
        return AffineBackwardRecorded(g, input, weight, bias, normalized, s, training ? BatchDims(input) : null, ChannelShape(input), BatchDims(input));
    }

    /// <summary>Layer norm's forward derivative.</summary>
    internal static Tensor? LayerNormTangent(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?> tangents, int normalizedRank, double eps, bool hasWeight, bool hasBias)
    {
        var input = inputs[0];
        int[] dims = [.. Enumerable.Range(input.Rank - normalizedRank, normalizedRank)];
        var (normalized, invStd) = Standardize(input, dims, eps);
        return AffineTangent(inputs, tangents, hasWeight, hasBias, normalized, invStd, dims, [.. input._shape[^normalizedRank..]]);
    }

    /// <summary>Batch norm's forward derivative (training: the batch's statistics; evaluation: the running ones, fixed).</summary>
    internal static Tensor? BatchNormTangent(IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?> tangents, BatchNormDefinition definition)
    {
        var input = inputs[0];
        double[] mean = definition.Training ? [] : definition.RunningMean!.ToArray();
        double[] invStd = definition.Training ? [] : [.. definition.RunningVar!.ToArray().Select(v => 1 / Math.Sqrt(v + definition.Eps))];
        var (normalized, s) = BatchStandardize(input, definition.Training, definition.Eps, mean, invStd);
        return AffineTangent(inputs, tangents, definition.HasWeight, definition.HasBias, normalized, s, definition.Training ? BatchDims(input) : null, ChannelShape(input));
    }
}
